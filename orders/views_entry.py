"""Document entry as a line grid (sales orders and quotations).

The clerk types the customer and the lines; each change goes to the grid endpoint (htmx,
debounced by static/js/entry-grid.js), which prices every line with one set-based price lookup
(`orders.services.orders.Pricing`, as saving does), totals the document with
`salesmkt.core.tax.document_totals` (as posting does) and warns while typing: credit limit,
stock short of the quantity (with the date available to promise), a customer on hold. Its
answer replaces the summary and, out of band, each line's computed cells and error slots.

Saving goes through the same services as the API (`sales_order_create` / `_update`,
`quotation_create` / `_update`); their refusals land next to the field they name
(`lines[2].warehouse` under the third line's warehouse).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Upper
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Customer, Party
from inventory.models import Item, Warehouse
from salesmkt.core.errors import DomainError
from salesmkt.core.money import round_money
from salesmkt.core.tax import document_totals
from salesmkt.core.ui import RecordFormView, parse_number

from .forms import QUANTITY_MESSAGES, customer_label, item_label
from .models import SalesOrder, SalesOrderLine, SalesQuotation, SalesQuotationLine
from .services.approval import open_order_amount, open_receivables
from .services.orders import PRICE_FIELDS, Pricing, check_price_fields, default_ship_date
from .services.promising import promises

SEARCH_LIMIT = 12
ENTRY_PERMISSIONS = (
    "orders.add_salesorder",
    "orders.change_salesorder",
    "orders.add_salesquotation",
    "orders.change_salesquotation",
)


def _may_enter(user) -> None:
    if not any(user.has_perm(permission) for permission in ENTRY_PERMISSIONS):
        raise PermissionDenied


def price_source_label(source: str) -> str:
    return {
        "sales_agreement": _("sales agreement"),
        "trade_agreement": _("trade agreement"),
        "base_price": _("base price"),
        "manual": _("entered price"),
        "quotation": _("quotation"),
    }.get(source, source)


# --- type-ahead -------------------------------------------------------------------------------
def _results(request, rows: list[dict[str, str]], query: str):
    return render(request, "orders/entry/_lookup_results.html", {"rows": rows, "query": query})


@login_required
def customer_search(request):
    """Customers whose account number starts with, or whose name contains, what is typed: one
    query whatever the number of matches."""
    _may_enter(request.user)
    query = request.GET.get("q", "").strip()
    rows = []
    if query:
        customers = (
            Customer.objects.select_related("party")
            .filter(Q(account_number__istartswith=query) | Q(party__name__icontains=query))
            .order_by("party__name", "pk")[:SEARCH_LIMIT]
        )
        rows = [
            {
                "pk": str(customer.pk),
                "label": customer_label(customer),
                "detail": customer.get_on_hold_display() if customer.on_hold != "no" else "",
            }
            for customer in customers
        ]
    return _results(request, rows, query)


@login_required
def party_search(request):
    """Customers and prospects (parties) by account number or name: one query."""
    _may_enter(request.user)
    query = request.GET.get("q", "").strip()
    rows = []
    if query:
        parties = (
            Party.objects.select_related("customer")
            .filter(Q(customer__account_number__istartswith=query) | Q(name__icontains=query))
            .order_by("name", "pk")[:SEARCH_LIMIT]
        )
        for party in parties:
            customer = getattr(party, "customer", None)
            rows.append(
                {
                    "pk": str(party.pk),
                    "label": party.name,
                    "detail": customer.account_number if customer else _("prospect"),
                }
            )
    return _results(request, rows, query)


@login_required
def item_search(request):
    """Items not blocked for sales by number (starting with) or name (containing): one query."""
    _may_enter(request.user)
    query = request.GET.get("q", "").strip()
    rows = []
    if query:
        items = (
            Item.objects.select_related("unit")
            .filter(blocked=False)
            .filter(Q(item_number__istartswith=query) | Q(name__icontains=query))
            .order_by("item_number")[:SEARCH_LIMIT]
        )
        rows = [
            {"pk": str(item.pk), "label": item_label(item), "detail": item.unit.code}
            for item in items
        ]
    return _results(request, rows, query)


# --- the grid's computation ---------------------------------------------------------------------
@dataclass
class GridLine:
    """One row of the grid as the clerk left it, and what the server makes of it."""

    index: int
    item: Item | None = None
    quantity: Decimal | None = None
    warehouse: Warehouse | None = None
    line: Any = None  # the priced (unsaved) line
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unit: str = ""
    source: str = ""

    @property
    def index_str(self) -> str:
        return str(self.index)


@dataclass
class Grid:
    lines: list[GridLine]
    indexes: list[int]  # every row index of the form (also blank and removed rows)
    customer: Customer | None
    currency_code: str
    ship_date: date | None
    ship_date_is_default: bool
    totals: Any
    warnings: list[str]
    errors: list[str]
    default_warehouse: Warehouse | None

    @property
    def slots(self) -> list[GridLine]:
        """A line for every row index of the form (blank ones clear their cells)."""
        by_index = {line.index: line for line in self.lines}
        return [by_index.get(index) or GridLine(index=index) for index in self.indexes]


def _pk(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _customer_of(data, kind: str) -> Customer | None:
    """The document's customer from the form (picked id, or the text typed)."""
    from .forms import find_customer

    queryset = Customer.objects.select_related(
        "party", "currency", "default_warehouse", "payment_terms", "price_group"
    )
    if kind == "order":
        pk = _pk(data.get("customer"))
        if pk is not None:
            return queryset.filter(pk=pk).first()
        text = (data.get("customer_lookup") or "").strip()
        found = find_customer(text) if text else None
        return queryset.filter(pk=found.pk).first() if found else None
    pk = _pk(data.get("party"))
    if pk is None:
        return None
    customer = queryset.filter(party_id=pk).first()
    if customer is None:  # a prospect: priced as the customer its template would make
        from .services.quotations import pricing_customer

        party = Party.objects.filter(pk=pk).first()
        try:
            customer = pricing_customer(party) if party is not None else None
        except DomainError:
            customer = None
    return customer


def _items(rows: list[dict[str, str]]) -> dict[str, Item]:
    """The items of the rows, by id ("12") or typed text ("#it00012"), in one query."""
    pks = {int(row["item"]) for row in rows if row["item"].isdigit()}
    texts = {row["item_lookup"].upper() for row in rows if not row["item"] and row["item_lookup"]}
    if not pks and not texts:
        return {}
    found: dict[str, Item] = {}
    items = (
        Item.objects.select_related("unit", "sales_tax_code")
        .annotate(number_upper=Upper("item_number"), name_upper=Upper("name"))
        .filter(Q(pk__in=pks) | Q(number_upper__in=texts) | Q(name_upper__in=texts))
    )
    for item in items:
        found[str(item.pk)] = item
        found.setdefault(f"#{item.number_upper}", item)
        found.setdefault(f"#{item.name_upper}", item)
    return found


def _rows(data) -> list[dict[str, str]]:
    try:
        total = min(int(data.get("lines-TOTAL_FORMS", "0")), 1000)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        prefix = f"lines-{index}-"
        rows.append(
            {
                "index": index,
                "id": (data.get(f"{prefix}id") or "").strip(),
                "deleted": data.get(f"{prefix}DELETE") in ("on", "true", "1"),
                "item": (data.get(f"{prefix}item") or "").strip(),
                "item_lookup": (data.get(f"{prefix}item_lookup") or "").strip(),
                "warehouse": (data.get(f"{prefix}warehouse") or "").strip(),
                "quantity": (data.get(f"{prefix}quantity") or "").strip(),
                "supply_type": (data.get(f"{prefix}supply_type") or "").strip(),
                **{name: (data.get(f"{prefix}{name}") or "").strip() for name in PRICE_FIELDS},
            }
        )
    return rows


def _price_overrides(row: dict[str, str], grid_line: GridLine) -> dict[str, Decimal]:
    given = {}
    for name in PRICE_FIELDS:
        if row[name]:
            try:
                given[name] = parse_number(row[name])
            except InvalidOperation:
                grid_line.errors[name] = str(QUANTITY_MESSAGES["invalid"])
    return given


def grid_compute(data, *, kind: str, document=None, actor=None) -> Grid:
    """Price, total and check the grid as posted (`data`: the entry form's fields), in a
    constant number of queries whatever the number of lines."""
    customer = _customer_of(data, kind)
    rows = [row for row in _rows(data)]
    indexes = [row["index"] for row in rows]
    rows = [row for row in rows if not row["deleted"]]
    items = _items(rows)
    warehouses = {str(w.pk): w for w in Warehouse.objects.all()}
    errors: list[str] = []
    currency = None
    currency_pk = _pk(data.get("currency"))
    if currency_pk is not None:
        from salesmkt.finance.models import Currency

        currency = Currency.objects.filter(pk=currency_pk).first()
    currency_code = (
        currency.code if currency else (customer.currency.code if customer is not None else "")
    )
    raw_date = (data.get("requested_ship_date") or "").strip()
    try:
        ship_date = parse_date(raw_date) if raw_date else None
    except ValueError:
        ship_date = None
    ship_date_is_default = ship_date is None
    if ship_date is None and customer is not None:
        ship_date = default_ship_date(customer)
    stored = {}
    if document is not None and document.pk and kind == "order":
        stored = {
            line.pk: line
            for line in document.lines.only("pk", "delivered_quantity", "purchase_line_id")
        }
    agreement = None
    if kind == "order":
        agreement_pk = _pk(data.get("sales_agreement"))
        if agreement_pk is not None:
            from agreements.models import SalesAgreement

            agreement = SalesAgreement.objects.filter(pk=agreement_pk).first()
    line_model = SalesOrderLine if kind == "order" else SalesQuotationLine
    grid_lines: list[GridLine] = []
    priced: list[tuple[GridLine, dict[str, Any]]] = []
    for row in rows:
        grid_line = GridLine(index=row["index"])
        grid_lines.append(grid_line)
        if row["item"] or row["item_lookup"]:
            key = row["item"] if row["item"] else f"#{row['item_lookup'].upper()}"
            grid_line.item = items.get(key)
            if grid_line.item is None and not row["item"] and " · " in row["item_lookup"]:
                grid_line.item = items.get(f"#{row['item_lookup'].split(' · ', 1)[0].upper()}")
            if grid_line.item is None:
                grid_line.errors["item"] = _("No item has the number or name “%(text)s”.") % {
                    "text": row["item_lookup"] or row["item"]
                }
            else:
                grid_line.unit = grid_line.item.unit.code
                if grid_line.item.blocked:
                    grid_line.errors["item"] = _("%(item)s is blocked for sales.") % {
                        "item": grid_line.item.item_number
                    }
        if row["quantity"] and (row["item"] or row["item_lookup"]):  # else a blank line
            try:
                grid_line.quantity = parse_number(row["quantity"])
            except InvalidOperation:
                grid_line.errors["quantity"] = str(QUANTITY_MESSAGES["invalid"])
            else:
                if grid_line.quantity <= 0:
                    grid_line.errors["quantity"] = str(QUANTITY_MESSAGES["min_value"])
        grid_line.warehouse = warehouses.get(row["warehouse"])
        if grid_line.warehouse is None and grid_line.item is not None:
            if customer is not None and customer.default_warehouse_id:
                grid_line.warehouse = customer.default_warehouse
            elif customer is not None:
                grid_line.errors["warehouse"] = _(
                    "Pick the warehouse: the customer has no default warehouse."
                )
        overrides = _price_overrides(row, grid_line)
        if (
            grid_line.item is not None
            and grid_line.quantity is not None
            and not grid_line.errors
            and customer is not None
        ):
            line = line_model(
                item=grid_line.item,
                quantity=grid_line.quantity,
                warehouse=grid_line.warehouse,
                sales_tax_code=grid_line.item.sales_tax_code,
            )
            if kind == "order":
                line.supply_type = row["supply_type"] or SalesOrderLine.SupplyType.STOCK
                line.pk = _pk(row["id"]) if _pk(row["id"]) in stored else -(row["index"] + 1)
            grid_line.line = line
            priced.append((grid_line, overrides))
    if priced:
        pricing = Pricing(
            customer=customer,
            currency=currency,
            on=ship_date,
            sales_agreement=agreement,
        )
        for grid_line, overrides in priced:
            pricing.add(grid_line.line, overrides)
        try:
            pricing.apply(actor)
        except DomainError as exc:
            errors.append(str(exc.message))
            pricing.entries = [(line, {}, trusted) for line, _row, trusted in pricing.entries]
            pricing.apply(actor)
        for number, (grid_line, overrides) in enumerate(priced):
            try:
                check_price_fields(grid_line.line, number, list(overrides))
            except ValidationError as exc:
                for key, messages_ in exc.message_dict.items():
                    grid_line.errors[key.rsplit(".", 1)[-1]] = " ".join(messages_)
            grid_line.source = price_source_label(grid_line.line.price_source)
    if agreement is not None:
        _agreement_warnings(agreement, [g for g in grid_lines if g.line is not None])
    valid = [g.line for g in grid_lines if g.line is not None and not g.errors]
    totals = document_totals(valid)
    warnings: list[str] = []
    if customer is not None:
        warnings.extend(
            _customer_warnings(customer, totals.net, document if kind == "order" else None)
        )
        order_type = data.get("order_type") or (
            document.order_type if kind == "order" and document is not None else "sales"
        )
        if order_type in ("sales", "subscription", "item_requirements", ""):
            _stock_warnings([g for g in grid_lines if g.line is not None and not g.errors], stored)
    return Grid(
        lines=grid_lines,
        indexes=indexes,
        customer=customer,
        currency_code=currency_code,
        ship_date=ship_date,
        ship_date_is_default=ship_date_is_default,
        totals=totals,
        warnings=warnings,
        errors=errors,
        default_warehouse=customer.default_warehouse if customer is not None else None,
    )


def _customer_warnings(customer: Customer, net: Decimal, order: SalesOrder | None) -> list[str]:
    """The credit limit (open orders and receivables plus this document, as approval counts
    them) and a hold, while typing."""
    warnings = []
    if customer.on_hold != Customer.OnHold.NO:
        warnings.append(
            _("The customer is on hold (%(hold)s).") % {"hold": customer.get_on_hold_display()}
        )
    if customer.pk and customer.credit_limit:
        open_amount = open_order_amount(customer, exclude=order) + open_receivables(customer)
        exposure = round_money(open_amount + net)
        if exposure > customer.credit_limit:
            warnings.append(
                _(
                    "Credit limit exceeded: open orders and receivables %(open)s plus this "
                    "document %(total)s make %(exposure)s, over the credit limit of %(limit)s. "
                    "Saved, it waits for approval."
                )
                % {
                    "open": round_money(open_amount),
                    "total": net,
                    "exposure": exposure,
                    "limit": customer.credit_limit,
                }
            )
    return warnings


def _agreement_warnings(agreement, grid_lines: list[GridLine]) -> None:
    """What the sales agreement has left of each item (committed less released, one query),
    against what the grid asks for."""
    from agreements.models import SalesAgreementLine

    left = {
        line.item_id: line.committed_quantity - line.released_quantity
        for line in SalesAgreementLine.objects.filter(
            agreement=agreement, item_id__in={g.item.pk for g in grid_lines}
        ).only("item_id", "committed_quantity", "released_quantity")
        if line.committed_quantity
    }
    asked: dict[int, Decimal] = {}
    for grid_line in grid_lines:
        item_id = grid_line.item.pk
        if item_id not in left:
            continue
        asked[item_id] = asked.get(item_id, Decimal(0)) + grid_line.quantity
        if asked[item_id] > left[item_id]:
            grid_line.warnings.append(
                _(
                    "The sales agreement has %(left)s %(unit)s of this item left; the order "
                    "asks for %(asked)s."
                )
                % {
                    "left": _number(max(left[item_id], Decimal(0))),
                    "unit": grid_line.unit,
                    "asked": _number(asked[item_id]),
                }
            )


def _stock_warnings(grid_lines: list[GridLine], stored: dict[int, Any]) -> None:
    """Lines whose quantity the warehouse cannot ship today: how much is short and the date
    available to promise (`promising.promises`, four queries for all lines)."""
    order = SalesOrder(status=SalesOrder.Status.OPEN, order_type=SalesOrder.OrderType.SALES)
    lines, by_pk = [], {}
    for grid_line in grid_lines:
        priced = grid_line.line
        if priced.warehouse is None:
            continue
        # An order line (a quotation's too) as promising sees it: a stored line keeps its id
        # (its own reservation counts), a new one ranks after every backorder.
        pk = priced.pk if priced.pk in stored else -(grid_line.index + 1)
        stored_line = stored.get(pk)
        delivered = stored_line.delivered_quantity if stored_line is not None else Decimal(0)
        line = SalesOrderLine(
            pk=pk,
            item=priced.item,
            warehouse=priced.warehouse,
            quantity=priced.quantity,
            deliver_remainder=priced.quantity - delivered,
            supply_type=getattr(priced, "supply_type", SalesOrderLine.SupplyType.STOCK),
            purchase_line_id=stored_line.purchase_line_id if stored_line is not None else None,
        )
        line.order = order
        lines.append(line)
        by_pk[pk] = grid_line
    if not lines:
        return
    found = promises(lines)
    for pk, promise in found.items():
        grid_line = by_pk[pk]
        if promise.promised_date is None or promise.available_now >= promise.quantity:
            continue
        values = {
            "available": _number(promise.available_now),
            "unit": grid_line.unit,
            "warehouse": grid_line.line.warehouse.code,
        }
        if promise.atp_date is not None:
            grid_line.warnings.append(
                _(
                    "Only %(available)s %(unit)s in %(warehouse)s now; all of it on %(date)s "
                    "(available to promise)."
                )
                % {**values, "date": promise.atp_date.isoformat()}
            )
        else:
            grid_line.warnings.append(
                _(
                    "Only %(available)s %(unit)s in %(warehouse)s now and no supply on order; "
                    "a purchase now brings it on %(date)s."
                )
                % {**values, "date": promise.ctp_date.isoformat()}
            )


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def grid_response(request, grid: Grid):
    return render(
        request,
        "orders/entry/_grid_update.html",
        {"grid": grid, "can_override": request.user.has_perm("orders.override_price")},
    )


def _grid_endpoint(request, kind: str, model):
    _may_enter(request.user)
    document = None
    pk = _pk(request.GET.get("document"))
    if pk is not None:
        document = model.objects.filter(pk=pk).first()
    grid = grid_compute(request.POST, kind=kind, document=document, actor=request.user)
    return grid_response(request, grid)


@login_required
@require_POST
def order_grid(request):
    """The order grid's live figures (htmx)."""
    return _grid_endpoint(request, "order", SalesOrder)


@login_required
@require_POST
def quotation_grid(request):
    """The quotation grid's live figures (htmx)."""
    return _grid_endpoint(request, "quotation", SalesQuotation)


# --- the entry page -------------------------------------------------------------------------------
class EntryFormView(RecordFormView):
    """The new and edit pages of an order or quotation as a line grid."""

    kind = "order"
    grid_url_name = "orders:entry-order-grid"

    def render_forms(self, bound, instance, status=200):
        form, lines = bound["form"], bound["lines"]
        data = self.request.POST if self.request.method == "POST" else None
        if data is None:
            data = _initial_data(form, lines, self.kind)
        grid = grid_compute(data, kind=self.kind, document=instance, actor=self.request.user)
        by_index = {line.index: line for line in grid.lines}
        for index, row in enumerate(lines.forms):
            row.grid_line = by_index.get(index)
        grid_url = reverse(self.grid_url_name)
        if instance is not None:
            grid_url += f"?document={instance.pk}"
        context = {
            **self.base_context(),
            "obj": instance,
            "form": form,
            "lines": lines,
            "kind": self.kind,
            "grid": grid,
            "grid_url": grid_url,
            "can_override": self.request.user.has_perm("orders.override_price"),
            "cancel_url": (
                reverse(self.resource.url_name("detail"), args=[instance.pk])
                if instance
                else reverse(self.resource.url_name("list"))
            ),
        }
        return render(self.request, "orders/entry/document_form.html", context, status=status)

    def place_validation_error(self, bound, exc: ValidationError) -> None:
        place_errors(bound, exc)

    def place_domain_error(self, bound, exc: DomainError) -> None:
        target = bound["form"]
        if exc.field and exc.field in target.fields:
            target.add_error(exc.field, str(exc.message))
        else:
            target.add_error(None, str(exc.message))


def place_errors(bound: dict[str, Any], exc: ValidationError) -> None:
    """A service's refusal next to the field it names: `lines[i].field` is the i-th line the
    service was given (the grid's rows without blank and removed ones)."""
    form, formset = bound["form"], bound["lines"]
    given = [
        row
        for row in formset.forms
        if not (
            (not row.has_changed() and row.instance.pk is None) or row.cleaned_data.get("DELETE")
        )
    ]
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for key, field_errors in errors.items():
        target, name = form, key if key in form.fields else None
        if key and key.startswith("lines[") and "]" in key:
            position, _dot, field_name = key[len("lines[") :].partition("]")
            field_name = field_name.lstrip(".")
            if position.isdigit() and int(position) < len(given):
                target = given[int(position)]
                name = field_name if field_name in target.fields else None
        for message in field_errors:
            if target is form and name is None and key not in (None, "__all__"):
                message = f"{key}: {message}"
            target.add_error(name, message)


def _initial_data(form, formset, kind: str) -> dict[str, str]:
    """The unbound page as the grid endpoint would get it posted (an edited document's figures
    show at once)."""
    data: dict[str, str] = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else str(getattr(value, "pk", value))
    data["lines-TOTAL_FORMS"] = str(len(formset.forms))
    for index, row in enumerate(formset.forms):
        for name in ("id", "item", "warehouse", "quantity", "supply_type"):
            if name in row.fields:
                value = row[name].value()
                data[f"lines-{index}-{name}"] = (
                    "" if value is None else str(getattr(value, "pk", value))
                )
    return data


class OrderEntryView(EntryFormView):
    kind = "order"
    grid_url_name = "orders:entry-order-grid"


class QuotationEntryView(EntryFormView):
    kind = "quotation"
    grid_url_name = "orders:entry-quotation-grid"


def entry_urls(resource, view) -> list:
    """The new and edit pages of `resource` as the grid."""
    return [
        path(
            f"{resource.slug}/new/", view.as_view(resource=resource), name=f"{resource.slug}-create"
        ),
        path(
            f"{resource.slug}/<int:pk>/edit/",
            view.as_view(resource=resource),
            name=f"{resource.slug}-update",
        ),
    ]


urlpatterns = [
    path("entry/customers/", customer_search, name="entry-customers"),
    path("entry/parties/", party_search, name="entry-parties"),
    path("entry/items/", item_search, name="entry-items"),
    path("entry/sales-orders/grid/", order_grid, name="entry-order-grid"),
    path("entry/quotations/grid/", quotation_grid, name="entry-quotation-grid"),
]
