"""Idempotency-Key for POSTs: a retry returns the first response without doing the work twice.

A request with a key runs in one transaction (`IdempotentMixin.dispatch`) that first inserts the
key's record, then does the work, then stores the answer on the record: the key is completed in
the transaction that did the work, or not at all. A process that dies mid-request loses its
transaction and with it the claim, so the retry does the work (once). A retry that arrives while
the first request still runs waits for the first one (on PostgreSQL for its advisory lock on the
key, elsewhere for its uncommitted record in the unique index) for up to `IDEMPOTENCY_WAIT`, then
replays the first answer, or answers 409 when the first is still running. A new key costs two
statements on PostgreSQL, and storing its answer one more. A claim found committed unfinished is a lease (`lease_until`): a retry takes it over once
it ran out. PostgreSQL ends a request transaction left idle for `IDEMPOTENCY_LEASE` (a frozen
process), which gives its key up too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http.request import RawPostDataException
from django.utils import timezone

from ..models import IdempotencyRecord
from .exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused

HEADER = "Idempotency-Key"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out


class Replay(Exception):
    """The request was answered before; carries the stored record to replay."""

    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record


def fingerprint(request) -> str:
    try:
        body = request._request.body
    except RawPostDataException:
        body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str).encode()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.get_full_path().encode())
    digest.update(body)
    return digest.hexdigest()


def _milliseconds(delta: timedelta) -> str:
    return f"{max(1, int(delta.total_seconds() * 1000))}ms"


def _bound_idle_transaction() -> None:
    """A request transaction left idle this long belongs to a frozen process: PostgreSQL ends it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('idle_in_transaction_session_timeout', %s, true)",
                [_milliseconds(settings.IDEMPOTENCY_LEASE)],
            )


@contextlib.contextmanager
def _waiting_at_most(wait: timedelta):
    """Row-lock waits inside the block give up after `wait` (PostgreSQL `lock_timeout`)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [_milliseconds(wait)],
        )
        previous = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _gave_up_waiting(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) == (
        LOCK_NOT_AVAILABLE
    )


def claim(request, key: str) -> IdempotencyRecord:
    """Claim `key` for this request inside the request's transaction, or raise Replay / 409 / 422
    when it was used before."""
    if not connection.in_atomic_block:
        raise RuntimeError("an Idempotency-Key is claimed inside the request's transaction")
    print_ = fingerprint(request)
    now = timezone.now()
    claim_on = _claim_postgresql if connection.vendor == "postgresql" else _claim_portable
    record = claim_on(request, key, print_, now)
    if getattr(record, "_claimed", False):
        return record
    if record.fingerprint != print_:
        raise IdempotencyKeyReused()
    if record.state == IdempotencyRecord.State.COMPLETED:
        raise Replay(record)
    return _take_over(record)


def _new_record(request, key: str, print_: str, now) -> IdempotencyRecord:
    return IdempotencyRecord(
        user=request.user,
        key=key,
        method=request.method,
        path=request.path[:500],
        fingerprint=print_,
        created_at=now,
        lease_until=now + settings.IDEMPOTENCY_LEASE,
    )


# A request with a key holds a transaction-level advisory lock on (user, key) until its
# transaction ends: a retry that finds it taken waits for the first request to end (at most
# IDEMPOTENCY_WAIT), then meets its committed record, or none if it was rolled back.
_KEY_LOCK = "(%s::bigint << 32) | (hashtext(%s)::bigint & 4294967295)"
_CLAIM = """
INSERT INTO core_idempotencyrecord
    (user_id, key, method, path, fingerprint, state, created_at, lease_until)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (user_id, key) DO NOTHING
RETURNING id
"""


def _claim_postgresql(request, key: str, print_: str, now) -> IdempotencyRecord:
    """The claim in two statements when the key is new (the usual case): the lock on the key
    (with the idle-transaction bound), then the record's insert; a key met before is read."""
    lock_key = [request.user.pk, key]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('idle_in_transaction_session_timeout', %s, true), "
            f"pg_try_advisory_xact_lock({_KEY_LOCK})",
            [_milliseconds(settings.IDEMPOTENCY_LEASE), *lock_key],
        )
        locked = cursor.fetchone()[1]
    if not locked:  # a request with this key is running: wait for it to end
        try:
            with (
                _waiting_at_most(settings.IDEMPOTENCY_WAIT),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(f"SELECT pg_advisory_xact_lock({_KEY_LOCK})", lock_key)
        except OperationalError as exc:
            if _gave_up_waiting(exc):
                raise IdempotencyKeyInProgress() from exc
            raise
    for _attempt in range(2):
        record = _new_record(request, key, print_, now)
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM,
                [
                    request.user.pk,
                    key,
                    record.method,
                    record.path,
                    print_,
                    IdempotencyRecord.State.IN_PROGRESS,
                    now,
                    record.lease_until,
                ],
            )
            row = cursor.fetchone()
        if row is not None:
            record.pk = row[0]
            record._state.adding = False
            record._state.db = connection.alias
            record._claimed = True
            return record
        record = IdempotencyRecord.objects.get(user=request.user, key=key)
        if record.created_at >= now - settings.IDEMPOTENCY_KEY_TTL:
            return record
        record.delete()  # forgotten after its time: the key is new again
    raise AssertionError("unreachable")


def _claim_portable(request, key: str, print_: str, now) -> IdempotencyRecord:
    """The claim on any database: the unique index makes a concurrent request with this key
    wait for the first one's uncommitted record."""
    _bound_idle_transaction()
    IdempotencyRecord.objects.filter(
        user=request.user, key=key, created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL
    ).delete()
    record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if record is not None:
        return record
    try:
        with _waiting_at_most(settings.IDEMPOTENCY_WAIT), transaction.atomic():
            # A concurrent request with this key holds its uncommitted record: this waits
            # until that one commits (IntegrityError: replay it) or is rolled back (ours).
            record = IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:500],
                fingerprint=print_,
                lease_until=now + settings.IDEMPOTENCY_LEASE,
            )
            record._claimed = True
            return record
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=request.user, key=key)
    except OperationalError as exc:
        if _gave_up_waiting(exc):
            raise IdempotencyKeyInProgress() from exc
        raise


def _take_over(record: IdempotencyRecord) -> IdempotencyRecord:
    """An unfinished claim that was committed: ours once its lease ran out, else 409."""
    now = timezone.now()
    lease_until = record.lease_until or record.created_at + settings.IDEMPOTENCY_LEASE
    if lease_until >= now:
        raise IdempotencyKeyInProgress()
    try:
        with _waiting_at_most(settings.IDEMPOTENCY_WAIT), transaction.atomic():
            taken = IdempotencyRecord.objects.filter(
                pk=record.pk,
                state=IdempotencyRecord.State.IN_PROGRESS,
                lease_until=record.lease_until,
            ).update(lease_until=now + settings.IDEMPOTENCY_LEASE)
    except OperationalError as exc:
        if _gave_up_waiting(exc):
            raise IdempotencyKeyInProgress() from exc
        raise
    if not taken:
        raise IdempotencyKeyInProgress()
    record.lease_until = now + settings.IDEMPOTENCY_LEASE
    return record


def _storable(value):
    """PostgreSQL's jsonb cannot hold U+0000, which a refusal may echo (an unknown key sent with
    a NUL in its name): the stored copy shows it as U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def complete(record: IdempotencyRecord, response) -> None:
    """Store the response in the request's transaction. A server error rolls the transaction
    back, the work and the claim alike, so that the client's retry runs."""
    if response.status_code >= 500:
        transaction.set_rollback(True)
        return
    body = (
        _storable(json.loads(json.dumps(response.data, cls=DjangoJSONEncoder)))
        if response.data is not None
        else None
    )
    record.state = IdempotencyRecord.State.COMPLETED
    record.response_status = response.status_code
    record.response_body = body
    record.lease_until = None
    # Should this fail, the error ends the request's transaction unanswered: never a success
    # reported for work that was rolled back.
    record.save(update_fields=["state", "response_status", "response_body", "lease_until"])


def purge_expired(now=None) -> int:
    now = now or timezone.now()
    cutoff = now - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=5)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
