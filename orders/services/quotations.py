"""Sales quotations: offers priced like orders, revised while open, confirmed into an order.

Like an order, a quotation costs the same number of queries whatever its number of lines (one
set-based price lookup, one insert, one UPDATE of the changed lines, one audit event), and one
line changes through `quotation_line_add / _change / _delete`. Its number is taken last.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer, Party, Prospect
from crm.services.relationships import default_customer_template, party_convert_to_customer
from salesmkt.core.audit import record_event, snapshot
from salesmkt.core.bulk import insert_instances, update_from_values
from salesmkt.core.documents import document_request
from salesmkt.core.money import QUANTITY_PLACES, quantize, refuse_too_large
from salesmkt.core.numbering import assign_number
from salesmkt.core.services import save_changes
from salesmkt.core.transitions import run_transition

from ..actions import QUOTATION
from ..models import SalesQuotation, SalesQuotationLine
from . import approval
from .orders import (
    PRICE_FIELDS,
    Pricing,
    blank_lines,
    check_price_fields,
    clean_line,
    default_line_warehouse,
    default_ship_date,
    line_total,
    placeholder_number,
    quantity_change,
    sales_order_create,
    stored_total,
    summary_event,
)

Status = SalesQuotation.Status
# How long a quotation entered without an expiry date stays valid.
QUOTATION_VALID_DAYS = 30
INPUT_FIELDS = ("item", "warehouse", "quantity", "description", "sales_tax_code")
WRITTEN_FIELDS = (*INPUT_FIELDS, *PRICE_FIELDS, "price_source", "line_amount")


def pricing_customer(party: Party) -> Customer:
    """The customer to price for: the party's account, or for a prospect an unsaved customer
    with the settings of the customer template it would get."""
    customer = Customer.objects.select_related("currency").filter(party=party).first()
    if customer is not None:
        return customer
    prospect = Prospect.objects.select_related("customer_template").filter(party=party).first()
    template = (prospect and prospect.customer_template) or default_customer_template()
    return Customer(
        party=party,
        price_group=template.price_group,
        currency=template.currency,
        customer_group=template.customer_group,
    )


def _stored_values(line: SalesQuotationLine) -> dict[str, Any]:
    return {name: getattr(line, line._meta.get_field(name).attname) for name in WRITTEN_FIELDS}


def _plan_lines(
    quotation: SalesQuotation,
    rows: list[dict[str, Any]],
    actor,
    *,
    customer: Customer,
    existing: dict[int, SalesQuotationLine],
    next_line_number: int,
) -> tuple[list[SalesQuotationLine], list[dict[str, Any]]]:
    """Apply `rows` to the quotation's lines in memory, each priced (one lookup for all) and
    checked, nothing written: the lines and their quantity changes."""
    pricing = Pricing(
        customer=customer, currency=quotation.currency, on=quotation.requested_ship_date
    )
    lines, quantity_changes, given = [], [], []
    new_line = blank_lines(SalesQuotationLine, quotation=quotation)
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            raise ValidationError(
                {"lines": _("Line %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        line = existing.get(pk) or new_line()
        if line.pk is None:
            next_line_number += 1
            line.line_number = next_line_number
        before = line.quantity
        for field in INPUT_FIELDS:
            if row.get(field) is not None:
                setattr(line, field, row[field])
        if line.pk is None:
            default_line_warehouse(line, customer, index)
        if line.item_id is not None:
            if line.sales_tax_code_id is None:
                line.sales_tax_code_id = line.item.sales_tax_code_id
            if not line.description:
                line.description = line.item.name
        clean_line(line, index, row)
        pricing.add(line, row)
        lines.append(line)
        given.append([f for f in PRICE_FIELDS if row.get(f) is not None])
        if line.pk is not None and line.quantity != before:
            quantity_changes.append(quantity_change(line, before))
    pricing.apply(actor)
    for index, line in enumerate(lines):
        check_price_fields(line, index, given[index])
    return lines, quantity_changes


def _write_planned(
    lines: list[SalesQuotationLine], stored: dict[int, dict[str, Any]], removed: list[int]
) -> None:
    """The new lines in one insert, the changed ones in one UPDATE, the removed in one delete."""
    if removed:
        SalesQuotationLine.objects.filter(pk__in=removed).delete()
    changed = {}
    for line in lines:
        if line.pk is not None:
            names = {n for n, v in _stored_values(line).items() if v != stored[line.pk][n]}
            if names:
                changed[line.pk] = names
    if changed:
        names = sorted(set().union(*changed.values()))
        rows = [line for line in lines if line.pk in changed]
        if len(rows) == 1:
            rows[0].save(update_fields=names)
        else:
            update_from_values(
                SalesQuotationLine,
                fields=names,
                rows=[
                    (line.pk, *(getattr(line, line._meta.get_field(n).attname) for n in names))
                    for line in rows
                ],
            )
    insert_instances([line for line in lines if line.pk is None])


def _write_lines(
    quotation: SalesQuotation, rows: list[dict[str, Any]], actor, *, customer: Customer
) -> tuple[list[SalesQuotationLine], list[dict[str, Any]]]:
    """Replace the quotation's lines by `rows` (a document write): every line is priced again,
    only what changed is written."""
    existing = {
        line.pk: line
        for line in quotation.lines.select_for_update(of=("self",))
        .select_related("item")
        .order_by("pk")
    }
    stored = {pk: _stored_values(line) for pk, line in existing.items()}
    lines, quantity_changes = _plan_lines(
        quotation,
        rows,
        actor,
        customer=customer,
        existing=existing,
        next_line_number=max((line.line_number for line in existing.values()), default=0),
    )
    refuse_too_large(line_total(lines), field="lines")
    kept = {line.pk for line in lines}
    _write_planned(lines, stored, [pk for pk in existing if pk not in kept])
    return lines, quantity_changes


def quotation_create(*, data: dict[str, Any], actor) -> SalesQuotation:
    """Enter a quotation with its lines; everything is checked before anything is written and
    the number is taken after the work."""
    data = dict(data)
    rows = data.pop("lines", [])
    with transaction.atomic():
        quotation = SalesQuotation(**data)
        customer = pricing_customer(quotation.party) if quotation.party_id else None
        if quotation.currency_id is None and customer is not None:
            quotation.currency = customer.currency
        if quotation.requested_ship_date is None:
            quotation.requested_ship_date = default_ship_date(customer)
        if quotation.expiry_date is None:
            quotation.expiry_date = timezone.localdate() + timedelta(days=QUOTATION_VALID_DAYS)
        if getattr(actor, "is_authenticated", False):
            quotation.created_by = actor
        references = [
            f.name
            for f in quotation._meta.concrete_fields
            if f.is_relation and getattr(quotation, f.attname) is not None
        ]
        quotation.full_clean(
            exclude=[*references, "number", "status", "approval_status"],
            validate_unique=False,
            validate_constraints=False,
        )
        lines, _changes = _plan_lines(
            quotation, rows, actor, customer=customer, existing={}, next_line_number=0
        )
        refuse_too_large(line_total(lines), field="lines")
        quotation.number = placeholder_number()
        quotation.save()
        for line in lines:
            line.quotation_id = quotation.pk  # the quotation is the lines' cached one already
        insert_instances(lines)
        assign_number(quotation, "number", "quotation")
        approval.evaluate(quotation, customer=customer, actor=actor, total=line_total(lines))
        record_event(actor=actor, obj=quotation, action="created")
        quotation.entered_lines = lines  # for the caller's answer (`cache_lines`): no query
        return quotation


def _lock(quotation: SalesQuotation) -> SalesQuotation:
    return (
        SalesQuotation.objects.select_for_update(of=("self",))
        .select_related("party", "currency")
        .get(pk=quotation.pk)
    )


def quotation_update(*, instance: SalesQuotation, data: dict[str, Any], actor) -> SalesQuotation:
    """Revise a quotation while it is created or sent; each revision is counted and audited
    (one event). Without `lines` its lines stay; with `lines` they are the quotation's lines
    from now on (lines no row names are removed), all priced again."""
    data = dict(data)
    rows = data.pop("lines", None)
    with transaction.atomic():
        quotation = _lock(instance)
        QUOTATION.refuse(quotation, "update")
        before = snapshot(quotation)
        for field, value in data.items():
            setattr(quotation, field, value)
        quotation.revision += 1
        header = save_changes(instance=quotation, before=before)
        customer = pricing_customer(quotation.party)
        quantity_changes: list[dict[str, Any]] = []
        if rows is not None:
            lines, quantity_changes = _write_lines(quotation, rows, actor, customer=customer)
            total = line_total(lines)
        else:
            total = stored_total(quotation.lines)
        approval.evaluate(quotation, customer=customer, actor=actor, total=total)
        summary_event(actor=actor, obj=quotation, header=header, lines=quantity_changes)
        return quotation


# --- one line ---------------------------------------------------------------------------------
def _revise(quotation: SalesQuotation) -> tuple[SalesQuotation, Customer]:
    """Lock the quotation for a change of one of its lines (refused like a revision) and count
    the revision."""
    quotation = _lock(quotation)
    QUOTATION.refuse(quotation, "update")
    quotation.revision += 1
    quotation.save(update_fields=["revision"])
    return quotation, pricing_customer(quotation.party)


def _line_event(quotation, line, action: str, actor, **data) -> None:
    record_event(
        actor=actor,
        obj=quotation,
        action=action,
        data={
            "line": line.line_number,
            "item": line.item.item_number,
            **data,
            "revision": quotation.revision,
        },
    )


def _others_total(quotation: SalesQuotation, line: SalesQuotationLine | None) -> Decimal:
    lines = SalesQuotationLine.objects.filter(quotation_id=quotation.pk)
    if line is not None:
        lines = lines.exclude(pk=line.pk)
    return stored_total(lines)


def quotation_line_add(
    *, quotation: SalesQuotation, data: dict[str, Any], actor
) -> SalesQuotationLine:
    """Add one line to a created or sent quotation (a revision): the other lines stay as they
    are."""
    with transaction.atomic():
        quotation, customer = _revise(quotation)
        last = (
            SalesQuotationLine.objects.filter(quotation_id=quotation.pk)
            .order_by("-line_number")
            .first()
        )
        [line], _changes = _plan_lines(
            quotation,
            [{key: value for key, value in data.items() if key != "id"}],
            actor,
            customer=customer,
            existing={},
            next_line_number=last.line_number if last else 0,
        )
        total = _others_total(quotation, None) + line.line_amount
        refuse_too_large(total, field="lines")
        line.save()
        approval.evaluate(quotation, customer=customer, actor=actor, total=total)
        _line_event(
            quotation,
            line,
            "line_added",
            actor,
            quantity=str(quantize(line.quantity, QUANTITY_PLACES)),
        )
        return line


def quotation_line_change(
    *, line: SalesQuotationLine, data: dict[str, Any], actor
) -> SalesQuotationLine:
    """Change one line of a created or sent quotation (a revision), priced again: only that line
    is written."""
    with transaction.atomic():
        quotation, customer = _revise(SalesQuotation(pk=line.quotation_id))
        stored_line = (
            SalesQuotationLine.objects.select_for_update(of=("self",))
            .select_related("item")
            .filter(pk=line.pk, quotation_id=quotation.pk)
            .first()
        )
        if stored_line is None:
            raise ValidationError({"line": _("The line is not on this quotation.")})
        stored = {stored_line.pk: _stored_values(stored_line)}
        before = stored_line.quantity
        row = {**{key: value for key, value in data.items() if key != "id"}, "id": line.pk}
        [line], quantity_changes = _plan_lines(
            quotation,
            [row],
            actor,
            customer=customer,
            existing={stored_line.pk: stored_line},
            next_line_number=0,
        )
        total = _others_total(quotation, line) + line.line_amount
        refuse_too_large(total, field="lines")
        _write_planned([line], stored, [])
        approval.evaluate(quotation, customer=customer, actor=actor, total=total)
        if quantity_changes:
            [entry] = quantity_changes
            _line_event(quotation, line, "line_quantity_changed", actor, quantity=entry["quantity"])
        else:
            _line_event(
                quotation,
                line,
                "line_changed",
                actor,
                quantity=str(quantize(before, QUANTITY_PLACES)),
            )
        return line


def quotation_line_delete(*, line: SalesQuotationLine, actor) -> None:
    """Remove one line of a created or sent quotation (a revision)."""
    with transaction.atomic():
        quotation, customer = _revise(SalesQuotation(pk=line.quotation_id))
        stored_line = (
            SalesQuotationLine.objects.select_for_update(of=("self",))
            .select_related("item")
            .filter(pk=line.pk, quotation_id=quotation.pk)
            .first()
        )
        if stored_line is None:
            raise ValidationError({"line": _("The line is not on this quotation.")})
        total = _others_total(quotation, stored_line)
        stored_line.delete()
        approval.evaluate(quotation, customer=customer, actor=actor, total=total)
        _line_event(
            quotation,
            stored_line,
            "line_deleted",
            actor,
            quantity=str(quantize(stored_line.quantity, QUANTITY_PLACES)),
        )


# --- the quotation as a whole -----------------------------------------------------------------
def quotation_send(*, quotation: SalesQuotation, actor) -> SalesQuotation:
    """Send the quotation: its PDF is rendered and mailed to the customer or prospect."""
    with transaction.atomic():
        # refused (QUOTATION's send) without lines
        quotation = run_transition(
            instance=quotation, transition="send", actor=actor, params={"at": timezone.now()}
        )
        document_request(
            obj=quotation,
            kind="quotation",
            title=_("Quotation %(number)s") % {"number": quotation.number},
            language=quotation.party.language,
            email_to=quotation.party.email,
        )
        return quotation


def quotation_confirm(*, quotation: SalesQuotation, actor):
    """Confirm a sent quotation that has not expired: a prospect becomes a customer and the
    sales order is made with the quotation's lines and prices, linked both ways."""
    with transaction.atomic():
        # refused (QUOTATION's confirm) when expired or waiting for approval
        quotation = run_transition(
            instance=quotation, transition="confirm", actor=actor, params={"at": timezone.now()}
        )
        customer = party_convert_to_customer(party=quotation.party, actor=actor)
        order = sales_order_create(
            data={
                "customer": customer,
                "currency": quotation.currency,
                "requested_ship_date": quotation.requested_ship_date,
                "customer_reference": quotation.customer_reference,
                "lines": [
                    {
                        "item": line.item,
                        "warehouse": line.warehouse,
                        "quantity": line.quantity,
                        "description": line.description,
                        "sales_tax_code": line.sales_tax_code,
                        **{field: getattr(line, field) for field in PRICE_FIELDS},
                    }
                    for line in quotation.lines.select_related(
                        "item", "warehouse", "sales_tax_code"
                    ).order_by("line_number")
                ],
            },
            actor=actor,
            trusted_prices=True,
        )
        quotation.sales_order = order
        quotation.save(update_fields=["sales_order"])
        record_event(
            actor=actor,
            obj=order,
            action="created_from_quotation",
            data={"quotation": quotation.number},
        )
        return order


def quotation_lose(*, quotation: SalesQuotation, reason: str, actor) -> SalesQuotation:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the quotation was lost.")})
    with transaction.atomic():
        return run_transition(
            instance=quotation,
            transition="lose",
            actor=actor,
            params={"reason": reason.strip(), "at": timezone.now()},
        )


def quotation_cancel(*, quotation: SalesQuotation, actor) -> SalesQuotation:
    with transaction.atomic():
        return run_transition(
            instance=quotation, transition="cancel", actor=actor, params={"at": timezone.now()}
        )
