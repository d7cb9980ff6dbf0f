"""Sales agreements: lines, status, and the release check that orders call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.actions import STATUS_CODE
from salesmkt.core.audit import record_event
from salesmkt.core.bulk import update_from_values
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import round_money, to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.transitions import lock, run_transition

from ..actions import SALES_AGREEMENT
from ..models import SalesAgreement, SalesAgreementLine, SalesAgreementRelease
from .pricing import net_amount

Commitment = SalesAgreement.Commitment
LINE_FIELDS = ["item", "committed_quantity", "committed_amount", "unit_price", "discount_percent"]


def _sync_lines(agreement: SalesAgreement, rows: list[dict[str, Any]]) -> None:
    existing = {line.pk: line for line in agreement.lines.all()}
    items = []
    for index, row in enumerate(rows):
        pk = row.get("id")
        if pk is not None and pk not in existing:
            raise ValidationError(
                {"lines": _("Line %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        item = row.get("item") or (existing[pk].item if pk is not None else None)
        if item is not None:
            items.append(getattr(item, "pk", item))
    if len(items) != len(set(items)):
        raise ValidationError({"lines": _("Each item appears on one line of the agreement.")})
    kept_ids = {row.get("id") for row in rows if row.get("id") is not None}
    # Lines to remove go first, so that a kept line may take over a removed line's item.
    for pk, line in existing.items():
        if pk not in kept_ids:
            if line.releases.exists():
                raise ConflictError(
                    _("A line with releases cannot be removed."), code="line_has_releases"
                )
            line.delete()
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        line = existing[pk] if pk is not None else SalesAgreementLine(agreement=agreement)
        for field in LINE_FIELDS:
            if field in row:
                setattr(line, field, row[field])
        try:
            line.full_clean(exclude=["agreement"], validate_unique=False)
        except ValidationError as exc:
            raise ValidationError(
                {f"lines[{index}].{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        line.save()


def _check_commitments(agreement: SalesAgreement) -> None:
    for line in agreement.lines.all():
        if agreement.commitment_type == Commitment.PRODUCT_QUANTITY and not line.committed_quantity:
            raise ValidationError({"lines": _("Every line commits a quantity.")})
        if agreement.commitment_type == Commitment.PRODUCT_AMOUNT and not line.committed_amount:
            raise ValidationError({"lines": _("Every line commits an amount.")})


def sales_agreement_create(*, data: dict[str, Any], actor) -> SalesAgreement:
    data = dict(data)
    lines = data.pop("lines", [])
    with transaction.atomic():
        agreement = SalesAgreement(**data)
        agreement.number = next_number("sales-agreement")
        if agreement.currency_id is None and agreement.customer_id:
            agreement.currency = agreement.customer.currency
        if agreement.owner is None and getattr(actor, "is_authenticated", False):
            agreement.owner = actor
        agreement = record_save(instance=agreement, actor=actor)
        _sync_lines(agreement, lines)
        _check_commitments(agreement)
        return agreement


def sales_agreement_update(
    *, instance: SalesAgreement, data: dict[str, Any], actor
) -> SalesAgreement:
    """Terms change only while the agreement is on hold."""
    data = dict(data)
    lines = data.pop("lines", None)
    with transaction.atomic():
        agreement = lock(instance)
        SALES_AGREEMENT.refuse(agreement, "update")
        if (
            "customer" in data
            and data["customer"] != agreement.customer
            and agreement.releases.exists()
        ):
            raise ConflictError(
                _("The customer of an agreement with releases cannot change."),
                code="agreement_has_releases",
            )
        for field, value in data.items():
            setattr(agreement, field, value)
        agreement = record_save(instance=agreement, actor=actor)
        if lines is not None:
            _sync_lines(agreement, lines)
        _check_commitments(agreement)
        return agreement


def sales_agreement_delete(*, instance: SalesAgreement, actor) -> None:
    """Delete an agreement on hold that nothing was released from; any other is closed."""
    with transaction.atomic():
        agreement = lock(instance)
        SALES_AGREEMENT.refuse(agreement, "delete")
        record_delete(instance=agreement, actor=actor)


def sales_agreement_make_effective(*, agreement: SalesAgreement, actor) -> SalesAgreement:
    with transaction.atomic():
        # refused (SALES_AGREEMENT's make_effective) without lines or once expired
        return run_transition(instance=agreement, transition="make_effective", actor=actor)


def sales_agreement_put_on_hold(*, agreement: SalesAgreement, actor) -> SalesAgreement:
    with transaction.atomic():
        return run_transition(instance=agreement, transition="put_on_hold", actor=actor)


def sales_agreement_close(*, agreement: SalesAgreement, actor) -> SalesAgreement:
    with transaction.atomic():
        return run_transition(
            instance=agreement, transition="close", actor=actor, params={"at": timezone.now()}
        )


def close_expired_agreements(*, today: date | None = None) -> int:
    """Close every open agreement whose expiration date has passed (periodic task)."""
    today = today or timezone.localdate()
    closed = 0
    for agreement in SalesAgreement.objects.filter(
        status__in=[SalesAgreement.Status.ON_HOLD, SalesAgreement.Status.EFFECTIVE],
        expiration_date__lt=today,
    ):
        try:
            with transaction.atomic():
                run_transition(
                    instance=agreement,
                    transition="close",
                    actor=None,
                    params={"at": timezone.now()},
                    event_data={"reason": "expired"},
                )
        except ConflictError as exc:
            if exc.code != STATUS_CODE:
                raise
            continue  # closed meanwhile by someone else
        closed += 1
    return closed


# --- fulfilment -------------------------------------------------------------------------------
def line_value(line: SalesAgreementLine, quantity: Decimal) -> Decimal:
    """What `quantity` of the line is worth at the agreed price and discount."""
    return net_amount(quantity, line.unit_price, discount_percent=line.discount_percent)


def _allowance(committed: Decimal, tolerance: Decimal) -> Decimal:
    return committed + committed * tolerance / Decimal(100)


def fulfilment(agreement: SalesAgreement) -> dict[str, Any]:
    """Commitment, released, delivered, invoiced and remaining, per line and in total.

    The measure follows the commitment type: quantities for a product quantity commitment,
    amounts otherwise."""
    by_quantity = agreement.commitment_type == Commitment.PRODUCT_QUANTITY
    lines = []
    for line in agreement.lines.all():
        committed = line.committed_quantity if by_quantity else line.committed_amount
        measure = "quantity" if by_quantity else "amount"
        lines.append(
            {
                "line": line,
                "committed": committed,
                "released": getattr(line, f"released_{measure}"),
                "delivered": getattr(line, f"delivered_{measure}"),
                "invoiced": getattr(line, f"invoiced_{measure}"),
            }
        )
    if agreement.commitment_type == Commitment.TOTAL_AMOUNT:
        committed_total = agreement.total_commitment
    else:
        committed_total = sum((entry["committed"] for entry in lines), Decimal(0))
    total = {
        "committed": committed_total,
        **{
            key: sum((entry[key] for entry in lines), Decimal(0))
            for key in ("released", "delivered", "invoiced")
        },
    }
    for entry in [*lines, total]:
        entry["remaining"] = max(entry["committed"] - entry["released"], Decimal(0))
        for key in ("released", "delivered", "invoiced"):
            entry[f"{key}_percent"] = (
                min(round(entry[key] * 100 / entry["committed"]), 100) if entry["committed"] else 0
            )
    return {"measure": "quantity" if by_quantity else "amount", "lines": lines, "total": total}


def agreement_release(
    *,
    agreement: SalesAgreement,
    customer,
    requested_ship_date: date,
    lines: list[dict[str, Any]],
    reference: str,
    actor,
) -> list[SalesAgreementRelease]:
    """Check and record a release of `lines` ({item, quantity[, amount]}) from the agreement.

    Refused (nothing recorded) when the customer differs, the agreement is not effective or has
    expired, the requested ship date lies outside the validity period, an item is not on the
    agreement, or the release would exceed the commitment plus the over-release tolerance."""
    with transaction.atomic():
        agreement = lock(agreement)
        if customer.pk != agreement.customer_id:
            raise ConflictError(
                _("The agreement belongs to another customer."), code="agreement_customer_mismatch"
            )
        SALES_AGREEMENT.refuse(agreement, "release")
        if not agreement.effective_date <= requested_ship_date <= agreement.expiration_date:
            raise DomainError(
                _("The requested ship date must lie between %(start)s and %(end)s.")
                % {"start": agreement.effective_date, "end": agreement.expiration_date},
                code="ship_date_outside_validity",
                field="requested_ship_date",
            )
        agreement_lines = {
            line.item_id: line
            for line in SalesAgreementLine.objects.select_for_update()
            .filter(agreement=agreement)
            .order_by("pk")
        }
        tolerance = agreement.over_release_tolerance
        planned = []
        total_amount = Decimal(0)
        # What each agreement line has released with this release's earlier lines counted in.
        released: dict[int, tuple[Decimal, Decimal]] = {}
        for row in lines:
            line = agreement_lines.get(row["item"].pk)
            if line is None:
                raise DomainError(
                    _("%(item)s is not on the agreement.") % {"item": row["item"]},
                    code="item_not_in_agreement",
                    field="lines",
                )
            quantity = to_decimal(row["quantity"])
            if quantity <= 0:
                raise DomainError(
                    _("Release a quantity above zero."), code="invalid_quantity", field="lines"
                )
            amount = (
                round_money(row["amount"])
                if row.get("amount") is not None
                else line_value(line, quantity)
            )
            released_quantity, released_amount = released.get(
                line.pk, (line.released_quantity, line.released_amount)
            )
            if agreement.commitment_type == Commitment.PRODUCT_QUANTITY:
                allowed = _allowance(line.committed_quantity, tolerance)
                if released_quantity + quantity > allowed:
                    raise ConflictError(
                        _("%(item)s: releasing %(quantity)s exceeds the commitment; %(left)s left.")
                        % {
                            "item": line.item,
                            "quantity": quantity,
                            "left": max(allowed - released_quantity, 0),
                        },
                        code="commitment_exceeded",
                    )
            elif agreement.commitment_type == Commitment.PRODUCT_AMOUNT:
                allowed = _allowance(line.committed_amount, tolerance)
                if released_amount + amount > allowed:
                    raise ConflictError(
                        _("%(item)s: releasing %(amount)s exceeds the commitment; %(left)s left.")
                        % {
                            "item": line.item,
                            "amount": amount,
                            "left": max(allowed - released_amount, 0),
                        },
                        code="commitment_exceeded",
                    )
            released[line.pk] = (released_quantity + quantity, released_amount + amount)
            total_amount += amount
            planned.append((line, quantity, amount))
        if agreement.commitment_type == Commitment.TOTAL_AMOUNT:
            released_total = sum(
                (line.released_amount for line in agreement_lines.values()), Decimal(0)
            )
            allowed = _allowance(agreement.total_commitment, tolerance)
            if released_total + total_amount > allowed:
                raise ConflictError(
                    _("Releasing %(amount)s exceeds the total commitment; %(left)s left.")
                    % {"amount": total_amount, "left": max(allowed - released_total, 0)},
                    code="commitment_exceeded",
                )
        # Written set-based: one UPDATE of the agreement lines, one insert of the releases.
        update_from_values(
            SalesAgreementLine,
            fields=["released_quantity", "released_amount"],
            rows=sorted((pk, *values) for pk, values in released.items()),
        )
        for line in agreement_lines.values():
            if line.pk in released:
                line.released_quantity, line.released_amount = released[line.pk]
        released_by = actor if getattr(actor, "is_authenticated", False) else None
        releases = SalesAgreementRelease.objects.bulk_create(
            SalesAgreementRelease(
                agreement=agreement,
                line=line,
                quantity=quantity,
                amount=amount,
                requested_ship_date=requested_ship_date,
                reference=reference,
                released_by=released_by,
            )
            for line, quantity, amount in planned
        )
        record_event(
            actor=actor,
            obj=agreement,
            action="released",
            data={"reference": reference, "lines": len(releases), "amount": total_amount},
        )
        return releases


def agreement_lines_lock(line_ids) -> None:
    """Lock the agreement lines a posting will record progress on, in pk order, before recording
    any: the order every service locks them in, so that two postings never wait on each other."""
    ids = sorted({pk for pk in line_ids if pk is not None})
    if ids:
        list(
            SalesAgreementLine.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _record_progress(
    *, line: SalesAgreementLine, quantity, amount, stage: str
) -> SalesAgreementLine:
    with transaction.atomic():
        line = SalesAgreementLine.objects.select_for_update().get(pk=line.pk)
        setattr(
            line, f"{stage}_quantity", getattr(line, f"{stage}_quantity") + to_decimal(quantity)
        )
        setattr(line, f"{stage}_amount", getattr(line, f"{stage}_amount") + round_money(amount))
        line.save(update_fields=[f"{stage}_quantity", f"{stage}_amount"])
        return line


def agreement_record_delivery(*, line: SalesAgreementLine, quantity, amount) -> SalesAgreementLine:
    """Record a delivery of a line released from an agreement."""
    return _record_progress(line=line, quantity=quantity, amount=amount, stage="delivered")


def _record_progress_of_many(stage: str, progress: Iterable[tuple[int, Decimal, Decimal]]) -> None:
    """Add `progress` ((agreement line id, quantity, amount), a line any number of times) to the
    lines' `stage` quantities and amounts in one UPDATE. The caller holds the lines' locks
    (`agreement_lines_lock`)."""
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for pk, quantity, amount in progress:
        before = totals.get(pk, (Decimal(0), Decimal(0)))
        totals[pk] = (before[0] + to_decimal(quantity), before[1] + round_money(amount))
    fields = [f"{stage}_quantity", f"{stage}_amount"]
    update_from_values(
        SalesAgreementLine,
        fields=fields,
        rows=[(pk, quantity, amount) for pk, (quantity, amount) in sorted(totals.items())],
        add=fields,
    )


def agreement_record_deliveries(*, deliveries: Iterable[tuple[int, Decimal, Decimal]]) -> None:
    """What a packing slip delivered of agreement lines ((agreement line id, quantity, amount)):
    `agreement_record_delivery` of each, in one UPDATE, under the caller's locks."""
    _record_progress_of_many("delivered", deliveries)


def agreement_record_invoice(*, line: SalesAgreementLine, quantity, amount) -> SalesAgreementLine:
    """Called by invoice posting for lines released from an agreement."""
    return _record_progress(line=line, quantity=quantity, amount=amount, stage="invoiced")


def agreement_record_invoices(*, invoiced: Iterable[tuple[int, Decimal, Decimal]]) -> None:
    """What an invoice invoiced of agreement lines ((agreement line id, quantity, amount)):
    `agreement_record_invoice` of each, in one UPDATE, under the caller's locks."""
    _record_progress_of_many("invoiced", invoiced)


def agreement_release_reverse(*, line: SalesAgreementLine, quantity, amount) -> SalesAgreementLine:
    """Give back what a canceled order had released (the commitment is open again)."""
    with transaction.atomic():
        line = SalesAgreementLine.objects.select_for_update().get(pk=line.pk)
        line.released_quantity -= to_decimal(quantity)
        line.released_amount -= round_money(amount)
        line.save(update_fields=["released_quantity", "released_amount"])
        return line
