"""Audit events as sentences in the reader's language.

Every action that `record_event` or `run_transition` writes has a sentence here, registered once
per action (for any model) or per (model, action) where a model needs its own words. A sentence
names the parameters it shows (`%(packing_slip)s`); the event's other parameters follow it as
labelled values (a field's verbose name, a choice's label, money, quantities and dates in the
reader's locale). An action without a sentence still reads as a sentence: "Status changed from
Open to Confirmed", or "Changed: Credit limit 0.00 → 5,000.00".

`tests/core/test_history.py` fails when an action written anywhere in the code has no sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEvent

ANY = "*"
# Parameters that say nothing to a clerk (the moment is the event's own time).
HIDDEN = {"at", "revision", "item_id", "id"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Sentence:
    """The words of one action: `text` with `%(name)s` placeholders filled from the event's
    parameters (formatted), `from_status`/`to_status` (their labels) and `details` (the
    parameters the text does not name, labelled, joined); `fields` formats a parameter as a
    field of the model (`{"from": "order_type"}`)."""

    text: Any
    fields: dict[str, str] = field(default_factory=dict)
    params: Callable[[HistoryContext, dict[str, Any]], dict[str, str]] | None = None

    def names(self) -> set[str]:
        return set(PLACEHOLDER.findall(str(self.text)))


SENTENCES: dict[tuple[str, str], Sentence] = {}


def sentence(action: str, text: Any, *, model: str = ANY, **kwargs) -> Sentence:
    """Register the sentence of `action` (for `model`, "app_label.ModelName", or any model)."""
    declared = Sentence(text, **kwargs)
    SENTENCES[(model.lower(), action)] = declared
    return declared


def sentence_for(model_label: str, action: str) -> Sentence | None:
    return SENTENCES.get((model_label.lower(), action)) or SENTENCES.get((ANY, action))


def has_sentence(action: str) -> bool:
    return any(key[1] == action for key in SENTENCES)


# --- labels of parameters that are not fields of the record --------------------------------------
KEY_LABELS: dict[str, Any] = {
    "amount": gettext_lazy("amount"),
    "count": gettext_lazy("count"),
    "credit_note": gettext_lazy("credit note"),
    "credits": gettext_lazy("credits invoice"),
    "corrects": gettext_lazy("corrects invoice"),
    "customer": gettext_lazy("customer"),
    "customers": gettext_lazy("customers"),
    "duplicate_name": gettext_lazy("duplicate"),
    "failed": gettext_lazy("failed"),
    "held_for_approval": gettext_lazy("held for approval"),
    "invoice": gettext_lazy("invoice"),
    "invoice_date": gettext_lazy("invoice date"),
    "invoices": gettext_lazy("invoices"),
    "item": gettext_lazy("item"),
    "line": gettext_lazy("line"),
    "lines": gettext_lazy("lines"),
    "moved": gettext_lazy("references moved"),
    "net": gettext_lazy("net amount"),
    "number": gettext_lazy("number"),
    "on": gettext_lazy("date"),
    "order": gettext_lazy("sales order"),
    "orders": gettext_lazy("sales orders"),
    "outcome": gettext_lazy("outcome"),
    "packing_slip": gettext_lazy("packing slip"),
    "packing_slips": gettext_lazy("packing slips"),
    "pending": gettext_lazy("pending"),
    "percent": gettext_lazy("percent done"),
    "period": gettext_lazy("period"),
    "posted": gettext_lazy("posted"),
    "purchase_order": gettext_lazy("purchase order"),
    "quantity": gettext_lazy("quantity"),
    "reason": gettext_lazy("reason"),
    "record": gettext_lazy("record"),
    "reference": gettext_lazy("reference"),
    "return_order": gettext_lazy("return order"),
    "source": gettext_lazy("source"),
    "tax": gettext_lazy("tax"),
    "tax_breakdown": gettext_lazy("tax breakdown"),
    "template": gettext_lazy("customer template"),
    "to": gettext_lazy("to"),
    "total": gettext_lazy("total"),
    "up_to": gettext_lazy("up to"),
    "values": gettext_lazy("values"),
    "voucher": gettext_lazy("voucher"),
    "warehouse": gettext_lazy("warehouse"),
}
MONEY_KEYS = {"amount", "net", "tax", "total", "taxable"}
QUANTITY_KEYS = {"quantity", "qty"}
DATE_KEYS = {"on", "up_to", "follow_up_date", "invoice_date", "confirmed_ship_date"}


# --- formatting -----------------------------------------------------------------------------------
def format_money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def format_quantity(value: Any) -> str:
    """A quantity with the decimals it has (10.0000 reads 10, 2.5000 reads 2,5 in nb)."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    places = max(0, -quantity.normalize().as_tuple().exponent)
    return number_format(quantity, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_date(value: Any) -> str:
    if isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value else None
        if moment is not None:
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        day = parse_date(value[:10]) if len(value) >= 10 else None
        if day is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    return str(value)


def blank(value: Any) -> bool:
    return value in (None, "", [], {})


class HistoryContext:
    """What the sentences of one record's events need, read once: the record's model (its
    fields' labels and choices), the item names of its lines by line number, the related
    records a changed foreign key names."""

    def __init__(self, model: type[models.Model] | None, obj: models.Model | None = None):
        self.model = model
        self.obj = obj
        self._line_items: dict[str, str] | None = None
        self._related: dict[tuple[type, Any], str] = {}
        self.line_model = _line_model(model)

    # fields
    def field(self, name: str):
        for model in (self.model, self.line_model):
            if model is None:
                continue
            try:
                return model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
        return None

    def label(self, key: str) -> str:
        found = self.field(key)
        if found is not None and hasattr(found, "verbose_name"):
            return str(found.verbose_name)
        if key in KEY_LABELS:
            return str(KEY_LABELS[key])
        return key.replace("_", " ")

    def value(
        self, key: str, value: Any, field_name: str | None = None, change: bool = False
    ) -> str:
        if blank(value):
            return "–"
        if isinstance(value, dict) and {"old", "new"} <= set(value):
            old = self.value(key, value["old"], field_name, change=True)
            new = self.value(key, value["new"], field_name, change=True)
            return f"{old} → {new}"
        if isinstance(value, list):
            return ", ".join(self.value(key, one, field_name) for one in value)
        if isinstance(value, dict):
            return "; ".join(
                f"{self.label(k)} {self.value(k, v)}" for k, v in value.items() if k not in HIDDEN
            )
        found = self.field(field_name or key)
        if found is not None:
            return self.field_value(found, value, change)
        if key in MONEY_KEYS:
            return format_money(value)
        if key in QUANTITY_KEYS:
            return format_quantity(value)
        if key in DATE_KEYS:
            return format_date(value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, Decimal):
            return format_money(value)
        return str(value)

    def field_value(self, found, value: Any, change: bool = False) -> str:
        if getattr(found, "choices", None):
            return str(dict(found.flatchoices).get(value, value))
        if isinstance(found, models.BooleanField):
            return _("Yes") if value else _("No")
        if isinstance(found, models.DecimalField):
            if found.decimal_places > 2:
                return format_quantity(value)
            return format_money(value)
        if isinstance(found, (models.DateField, models.DateTimeField)):
            return format_date(value)
        if isinstance(found, models.ForeignKey):
            # a changed reference is stored as its id; a parameter named after one (`item`,
            # `quotation`) holds the record's number already
            if isinstance(value, int) or (change and str(value).isdigit()):
                return self.related(found.related_model, value)
            return str(value)
        return str(value)

    def related(self, model, pk) -> str:
        key = (model, pk)
        if key not in self._related:
            found = model._default_manager.filter(pk=pk).first()
            self._related[key] = str(found) if found is not None else str(pk)
        return self._related[key]

    # statuses
    def status(self, value: str) -> str:
        if not value or self.model is None:
            return value or "–"
        for candidate in self.model._meta.concrete_fields:
            if candidate.choices and value in dict(candidate.flatchoices):
                return str(dict(candidate.flatchoices)[value])
        return value

    def status_field_label(self, from_status: str, to_status: str) -> str:
        if self.model is not None:
            for candidate in self.model._meta.concrete_fields:
                choices = dict(candidate.flatchoices) if candidate.choices else {}
                if to_status in choices and (not from_status or from_status in choices):
                    return str(candidate.verbose_name)
        return _("status")

    # lines
    def line_items(self) -> dict[str, str]:
        """The item names of the record's lines by line number, read in one query."""
        if self._line_items is None:
            self._line_items = {}
            lines = getattr(self.obj, "lines", None) if self.obj is not None else None
            if lines is not None and self.line_model is not None:
                try:
                    self.line_model._meta.get_field("item")
                    rows = lines.values_list("line_number", "item__name")
                except (FieldDoesNotExist, AttributeError):
                    rows = []
                self._line_items = {str(number): name for number, name in rows}
        return self._line_items

    def quantities(self, lines: Any) -> str:
        """`{line number: quantity}` as `10 × Smoked salmon, 15 × Brunost`."""
        if not isinstance(lines, dict):
            return self.value("lines", lines)
        names = self.line_items()
        return ", ".join(
            _("%(quantity)s × %(item)s")
            % {
                "quantity": format_quantity(quantity),
                "item": names.get(str(number)) or _("line %(line)s") % {"line": number},
            }
            for number, quantity in lines.items()
        )


def _line_model(model):
    if model is None:
        return None
    try:
        relation = model._meta.get_field("lines")
    except FieldDoesNotExist:
        return None
    return getattr(relation, "related_model", None)


class _Filled(dict):
    def __missing__(self, key):
        return "–"


# --- rendering ------------------------------------------------------------------------------------
@dataclass
class HistoryEntry:
    event: AuditEvent
    text: str
    details: list[tuple[str, str]]

    @property
    def actor(self):
        return self.event.actor

    @property
    def occurred_at(self):
        return self.event.occurred_at


def describe(event: AuditEvent, context: HistoryContext | None = None) -> HistoryEntry:
    """The event as a sentence in the active language, with its other parameters labelled."""
    if context is None:
        context = HistoryContext(_event_model(event))
    model_label = context.model._meta.label if context.model is not None else ""
    data = {key: value for key, value in (event.data or {}).items() if key not in HIDDEN}
    declared = sentence_for(model_label, event.action)
    if declared is None:
        declared = _fallback(event)
    params = _Filled()
    params["record"] = event.object_repr
    params["from_status"] = context.status(event.from_status)
    params["to_status"] = context.status(event.to_status)
    params["field"] = capfirst(context.status_field_label(event.from_status, event.to_status))
    for key, value in data.items():
        params[key] = context.value(key, value, declared.fields.get(key))
    if declared.params is not None:
        params.update(declared.params(context, data))
    named = declared.names()
    details = [
        (context.label(key), params[key])
        for key, value in data.items()
        if key not in named and not blank(value)
    ]
    if "details" in named:
        params["details"] = (
            "; ".join(f"{capfirst(label)} {value}" for label, value in details) or "–"
        )
        details = []
    return HistoryEntry(event, str(declared.text) % params, details)


def describe_all(
    events: Iterable[AuditEvent], obj: models.Model | None = None
) -> list[HistoryEntry]:
    """The sentences of a record's events, sharing what they read (its lines' items)."""
    contexts: dict[Any, HistoryContext] = {}
    entries = []
    for event in events:
        model = type(obj) if obj is not None else _event_model(event)
        if model not in contexts:
            contexts[model] = HistoryContext(model, obj)
        entries.append(describe(event, contexts[model]))
    return entries


def _event_model(event: AuditEvent):
    try:
        return event.content_type.model_class()
    except AttributeError:
        return None


FALLBACK_STATUS = Sentence(gettext_lazy("%(field)s changed from %(from_status)s to %(to_status)s"))
FALLBACK_CHANGED = Sentence(gettext_lazy("Changed: %(details)s"))
FALLBACK = Sentence(gettext_lazy("Recorded: %(details)s"))


def _fallback(event: AuditEvent) -> Sentence:
    if event.from_status or event.to_status:
        return FALLBACK_STATUS
    if event.data:
        return FALLBACK_CHANGED
    return FALLBACK


# --- parameters some sentences compute -----------------------------------------------------------
def _line_quantities(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    entries = data.get("lines") if isinstance(data.get("lines"), list) else [data]
    names = context.line_items()
    parts = []
    for entry in entries:
        number = entry.get("line")
        item = names.get(str(number)) or entry.get("item") or ""
        quantity = entry.get("quantity")
        if isinstance(quantity, dict):
            change = (
                f"{format_quantity(quantity.get('old'))} → {format_quantity(quantity.get('new'))}"
            )
        else:
            change = format_quantity(quantity)
        parts.append(
            _("line %(line)s (%(item)s) %(change)s")
            % {"line": number, "item": item, "change": change}
        )
    return {"quantities": ", ".join(parts), "lines": ", ".join(parts)}


def _quantities(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    return {"lines": context.quantities(data.get("lines"))}


def _item_name(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    names = context.line_items()
    name = names.get(str(data.get("line"))) or data.get("item") or "–"
    return {"item": str(name)}


def _line_changes(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    changes = data.get("changes") or {
        key: value
        for key, value in data.items()
        if isinstance(value, dict) and {"old", "new"} <= set(value)
    }
    values = data.get("values") or {}
    shown = changes or values
    text = "; ".join(
        f"{context.label(key)} {context.value(key, value)}"
        for key, value in shown.items()
        if not blank(value)
    )
    return {**_item_name(context, data), "changes": text or "–"}


def _allocated(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    lines = data.get("lines") or {}
    parts = [
        f"{reference} {format_quantity(pair[0])} → {format_quantity(pair[1])}"
        for reference, pair in lines.items()
        if isinstance(pair, list) and len(pair) == 2
    ]
    return {"lines": ", ".join(parts) or "–"}


def _tax_breakdown(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    rows = data.get("tax_breakdown") or []
    return {
        "tax_breakdown": ", ".join(
            f"{row.get('code')} {format_money(row.get('taxable'))} / {format_money(row.get('tax'))}"
            for row in rows
            if isinstance(row, dict)
        )
        or "–"
    }


def _progress(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    return {key: str(data.get(key, 0)) for key in ("total", "posted", "failed", "pending")}


def _count_of_lines(context: HistoryContext, data: dict[str, Any]) -> dict[str, str]:
    return {"lines": str(data.get("lines", "–"))}


# --- the sentences --------------------------------------------------------------------------------
# Any record (salesmkt.core.services and most documents).
sentence("created", gettext_lazy("Created"))
sentence("changed", gettext_lazy("Changed: %(details)s"))
sentence("deleted", gettext_lazy("Deleted"))
sentence("cancel", gettext_lazy("Canceled"))
sentence("lose", gettext_lazy("Marked as lost"))
sentence(
    "line_added", gettext_lazy("Line %(line)s added: %(quantity)s × %(item)s"), params=_item_name
)
sentence(
    "line_changed",
    gettext_lazy("Line %(line)s (%(item)s) changed: %(changes)s"),
    params=_line_changes,
)
sentence("line_deleted", gettext_lazy("Line %(line)s deleted: %(changes)s"), params=_line_changes)
sentence(
    "line_quantity_changed",
    gettext_lazy("Quantity changed: %(quantities)s"),
    params=_line_quantities,
)

# Sales orders.
sentence("created_from_quotation", gettext_lazy("Created from quotation %(quotation)s"))
sentence("confirmed", gettext_lazy("Confirmed to the customer, to ship on %(confirmed_ship_date)s"))
sentence(
    "type_changed",
    gettext_lazy("Order type changed from %(from)s to %(to)s"),
    fields={"from": "order_type", "to": "order_type"},
)
sentence("picking_list", gettext_lazy("Picking list printed"))
sentence(
    "packing_slip_posted",
    gettext_lazy("Packing slip %(packing_slip)s posted: %(lines)s"),
    params=_quantities,
)
sentence(
    "remainder_canceled",
    gettext_lazy("Remaining %(quantity)s × %(item)s on line %(line)s canceled"),
    params=_item_name,
)
sentence("deliver", gettext_lazy("Delivered in full"))
sentence("invoiced", gettext_lazy("Invoiced on invoice %(invoice)s: %(amount)s"))
sentence("invoice", gettext_lazy("Invoiced in full"))
sentence("renew", gettext_lazy("Subscription renewed: period %(period)s begins"))
sentence("reopen_invoicing", gettext_lazy("Open for invoicing again"))
sentence("credited", gettext_lazy("Credited by credit note %(credit_note)s"))
sentence(
    "line_purchased",
    gettext_lazy("Line %(line)s ordered from the vendor on purchase order %(purchase_order)s"),
)
sentence("allocated", gettext_lazy("Stock allocated: %(lines)s"), params=_allocated)
sentence("item_sale", gettext_lazy("%(quantity)s × %(item)s sold on sales order %(order)s"))
# Approval (sales orders and quotations).
sentence("ask_approval", gettext_lazy("Sent for approval: %(reason)s"))
sentence("waive_approval", gettext_lazy("No approval needed any more"))
sentence("approve", gettext_lazy("Approved"))
sentence("reject", gettext_lazy("Rejected: %(reason)s"))
# Quotations.
sentence("send", gettext_lazy("Sent to the customer"))
sentence(
    "confirm",
    gettext_lazy("Accepted by the customer and turned into a sales order"),
    model="orders.SalesQuotation",
)
# Sales agreements.
sentence("make_effective", gettext_lazy("Made effective"))
sentence("put_on_hold", gettext_lazy("Put on hold"))
sentence("close", gettext_lazy("Closed"))
sentence(
    "released",
    gettext_lazy("Released to %(reference)s: %(lines)s lines, %(amount)s"),
    params=_count_of_lines,
)
# Invoices and credit notes.
sentence(
    "post",
    gettext_lazy("Posted as %(number)s, voucher %(voucher)s: total %(total)s"),
    params=_tax_breakdown,
)
sentence("sent", gettext_lazy("Sent by email to %(to)s"))
sentence("canceled", gettext_lazy("Canceled by credit note %(credit_note)s"))
sentence("applied", gettext_lazy("%(amount)s applied to an open item"))
sentence(
    "return_credited",
    gettext_lazy(
        "Return order %(return_order)s credited by credit note %(credit_note)s: %(amount)s"
    ),
)
sentence("pay_in_full", gettext_lazy("Paid in full"))
sentence("pay_in_part", gettext_lazy("Partly paid"))
sentence("reopen_payment", gettext_lazy("Unpaid again"))
sentence("mark_credited", gettext_lazy("Credited in full"))
# Invoice runs.
sentence(
    "created",
    gettext_lazy(
        "Run created for %(customers)s customers, %(packing_slips)s packing slips, up to %(up_to)s"
    ),
    model="invoicing.InvoiceRun",
)
sentence(
    "resumed",
    gettext_lazy("Resumed: %(posted)s of %(total)s customers posted, %(pending)s pending"),
    params=_progress,
)
sentence(
    "finished",
    gettext_lazy("Finished: %(posted)s of %(total)s customers posted, %(failed)s failed"),
    params=_progress,
)
# Campaigns, leads, opportunities, parties.
sentence("targets_added", gettext_lazy("%(count)s targets added (%(source)s)"))
sentence("target_removed", gettext_lazy("A target was removed"))
sentence("response", gettext_lazy("Response recorded: %(to_status)s"))
sentence("call", gettext_lazy("Call logged: %(outcome)s"))
sentence("responses_converted", gettext_lazy("%(count)s positive responses converted (%(into)s)"))
sentence("unsubscribed", gettext_lazy("Unsubscribed"))
sentence("launch", gettext_lazy("Launched"))
sentence("complete", gettext_lazy("Completed"))
sentence("merged", gettext_lazy("Merged with the duplicate %(duplicate_name)s"))
sentence("contacts_changed", gettext_lazy("Contact persons changed"))
sentence("addresses_changed", gettext_lazy("Addresses changed"))
sentence(
    "converted_to_customer",
    gettext_lazy("Became customer %(customer)s (customer template %(template)s)"),
)
sentence("qualify", gettext_lazy("Qualified"))
sentence("disqualify", gettext_lazy("Disqualified: %(reason)s"))
sentence("win", gettext_lazy("Won"))
sentence("stage_changed", gettext_lazy("Stage changed: %(stage)s"))
sentence("done", gettext_lazy("Marked as done"))
# Purchasing and stock.
sentence("received", gettext_lazy("Received on %(on)s: %(lines)s"), params=_quantities)
sentence(
    "shipment_registered",
    gettext_lazy("Shipment registered on %(on)s: %(lines)s"),
    params=_quantities,
)
sentence("receive", gettext_lazy("Received in full"))
sentence(
    "stock_adjusted",
    gettext_lazy("Stock adjusted in warehouse %(warehouse)s by %(quantity)s on %(on)s"),
)
# Documents (PDF and email).
sentence("queued_again", gettext_lazy("Queued again to be made and sent"))
