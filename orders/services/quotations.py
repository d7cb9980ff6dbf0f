"""Sales quotations: offers priced like orders, revised while open, confirmed into an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer, Party, Prospect
from crm.services.relationships import default_customer_template, party_convert_to_customer
from salesmkt.core.audit import record_event
from salesmkt.core.documents import document_request
from salesmkt.core.money import refuse_too_large
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock, run_transition

from ..actions import QUOTATION
from ..models import SalesQuotation, SalesQuotationLine
from . import approval
from .orders import PRICE_FIELDS, check_price_fields, price_line, sales_order_create

Status = SalesQuotation.Status


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


def _write_lines(quotation: SalesQuotation, rows: list[dict[str, Any]], actor) -> None:
    customer = pricing_customer(quotation.party)
    existing = {line.pk: line for line in quotation.lines.all()}
    kept = set()
    number = max((line.line_number for line in existing.values()), default=0)
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            raise ValidationError(
                {"lines": _("Line %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        line = existing.get(pk) or SalesQuotationLine(quotation=quotation)
        if line.pk is None:
            number += 1
            line.line_number = number
        for field in ("item", "warehouse", "quantity", "description", "sales_tax_code"):
            if row.get(field) is not None:
                setattr(line, field, row[field])
        missing = [f for f in ("item_id", "warehouse_id", "quantity") if getattr(line, f) is None]
        if missing:
            raise ValidationError(
                {
                    f"lines[{index}].{f.removesuffix('_id')}": _("This field is required.")
                    for f in missing
                }
            )
        if line.sales_tax_code_id is None:
            line.sales_tax_code_id = line.item.sales_tax_code_id
        if not line.description:
            line.description = line.item.name
        try:
            line.full_clean(
                exclude=[
                    "quotation",
                    "line_amount",
                    "price_source",
                    "item",
                    "warehouse",
                    "sales_tax_code",
                ],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"lines[{index}].{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        price_line(
            line=line,
            customer=customer,
            currency=quotation.currency,
            on=quotation.requested_ship_date,
            row=row,
            actor=actor,
        )
        check_price_fields(line, index)
        line.save()
        kept.add(line.pk)
    for pk, line in existing.items():
        if pk not in kept:
            line.delete()
    refuse_too_large(
        sum(quotation.lines.values_list("line_amount", flat=True), Decimal(0)), field="lines"
    )


def quotation_create(*, data: dict[str, Any], actor) -> SalesQuotation:
    data = dict(data)
    rows = data.pop("lines", [])
    with transaction.atomic():
        quotation = SalesQuotation(**data)
        quotation.number = next_number("quotation")
        if quotation.currency_id is None and quotation.party_id:
            quotation.currency = pricing_customer(quotation.party).currency
        if getattr(actor, "is_authenticated", False):
            quotation.created_by = actor
        quotation = record_save(instance=quotation, actor=actor)
        _write_lines(quotation, rows, actor)
        approval.evaluate(quotation, customer=pricing_customer(quotation.party), actor=actor)
        return quotation


def quotation_update(*, instance: SalesQuotation, data: dict[str, Any], actor) -> SalesQuotation:
    """Revise a quotation while it is created or sent; each revision is counted and audited."""
    data = dict(data)
    rows = data.pop("lines", None)
    with transaction.atomic():
        quotation = lock(instance)
        QUOTATION.refuse(quotation, "update")
        for field, value in data.items():
            setattr(quotation, field, value)
        quotation.revision += 1
        quotation = record_save(instance=quotation, actor=actor)
        if rows is not None:
            _write_lines(quotation, rows, actor)
        approval.evaluate(quotation, customer=pricing_customer(quotation.party), actor=actor)
        return quotation


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
