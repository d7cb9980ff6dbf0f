"""Idempotency-Key for POSTs: a retry returns the first response without doing the work twice."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone

from ..models import IdempotencyRecord
from .exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused

HEADER = "Idempotency-Key"


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


def claim(request, key: str) -> IdempotencyRecord:
    """Claim `key` for this request, or raise Replay / 409 / 422 when it was used before."""
    print_ = fingerprint(request)
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    IdempotencyRecord.objects.filter(user=request.user, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:500],
                fingerprint=print_,
            )
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=request.user, key=key)
    if record.fingerprint != print_:
        raise IdempotencyKeyReused()
    if record.state == IdempotencyRecord.State.IN_PROGRESS:
        raise IdempotencyKeyInProgress()
    raise Replay(record)


def complete(record: IdempotencyRecord, response) -> None:
    """Store the response; a server error releases the key so the client may retry."""
    if response.status_code >= 500:
        record.delete()
        return
    body = (
        json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        if response.data is not None
        else None
    )
    record.state = IdempotencyRecord.State.COMPLETED
    record.response_status = response.status_code
    record.response_body = body
    record.save(update_fields=["state", "response_status", "response_body"])


def purge_expired(now=None) -> int:
    now = now or timezone.now()
    cutoff = now - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=5)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
