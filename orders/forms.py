from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from salesmkt.core.dates import BoundedDatesFormMixin

from .models import SalesOrder, SalesOrderLine

# Plain words for what a clerk types wrong in a line (instead of "Ensure this value is greater
# than or equal to 0.0001").
QUANTITY_MESSAGES = {
    "min_value": _("Enter a quantity above zero."),
    "invalid": _("Enter a number, such as 12 or 2.5."),
    "max_decimal_places": _("Enter at most 4 decimals."),
    "max_digits": _("This number is too large."),
    "max_whole_digits": _("This number is too large."),
    "required": _("Enter the quantity."),
}
AMOUNT_MESSAGES = {
    "min_value": _("Cannot be below zero."),
    "max_value": _("Cannot be above 100."),
    "invalid": _("Enter a number, such as 12 or 2.5."),
    "max_decimal_places": _("Too many decimals."),
    "max_digits": _("This number is too large."),
    "max_whole_digits": _("This number is too large."),
}


class LookupValue(str):
    """A lookup field's posted value: the picked record's id (may be empty) and the text the
    clerk sees or typed."""

    def __new__(cls, pk: str, text: str):
        value = super().__new__(cls, pk)
        value.text = text
        return value


class LookupInput(forms.Widget):
    """Type-ahead for a record among many (customers, items): a text box the clerk types a
    number or name into (entry-grid.js lists the matches from `data-search`) and a hidden field
    with the picked record's id. Without a pick the server resolves the typed text."""

    def __init__(self, *, search_url: str = "", placeholder="", attrs=None):
        super().__init__(attrs)
        self.search_url = search_url
        self.placeholder = placeholder
        self.label = ""  # the current record's label, set by the form

    def value_from_datadict(self, data, files, name):
        return LookupValue(
            (data.get(name) or "").strip(), (data.get(f"{name}_lookup") or "").strip()
        )

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_lookup" not in data

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**self.attrs, **(attrs or {})}
        element_id = attrs.get("id") or f"id_{name}"
        if isinstance(value, LookupValue):
            pk, text = str(value), value.text
        else:
            pk = "" if value in (None, "") else str(getattr(value, "pk", value))
            text = self.label if pk else ""
        css = attrs.get("class", "form-control")
        return format_html(
            '<div class="lookup position-relative">'
            '<input type="text" class="{}" id="{}" name="{}_lookup" value="{}" '
            'placeholder="{}" autocomplete="off" role="combobox" aria-autocomplete="list" '
            'aria-expanded="false" aria-controls="{}_results" data-lookup="{}" '
            'data-search="{}"{}>'
            '<input type="hidden" name="{}" value="{}" data-lookup-value>'
            '<div class="lookup-results list-group position-absolute w-100 shadow d-none" '
            'id="{}_results" role="listbox"></div></div>',
            css,
            element_id,
            name,
            text,
            self.placeholder,
            element_id,
            name,
            self.search_url,
            format_html(" disabled") if attrs.get("disabled") else "",
            name,
            pk,
            element_id,
        )


class LookupChoiceField(forms.ModelChoiceField):
    """A model choice picked by id, or found by the text typed (`resolve`)."""

    widget = LookupInput

    def __init__(self, queryset, *, resolve, not_found, **kwargs):
        self.resolve = resolve
        self.not_found = not_found
        super().__init__(queryset, **kwargs)

    def to_python(self, value):
        if isinstance(value, LookupValue) and not str(value) and value.text:
            found = self.resolve(value.text)
            if found is None:
                raise ValidationError(self.not_found % {"text": value.text}, code="invalid_choice")
            return found
        return super().to_python(value)

    def has_changed(self, initial, data):
        if isinstance(data, LookupValue) and not str(data) and data.text:
            return True
        return super().has_changed(initial, data)


def find_item(text: str):
    """The item a clerk typed: its number (any case), else the only item of that name."""
    from inventory.models import Item

    found = Item.objects.filter(item_number__iexact=text).first()
    if found is None:
        found = Item.objects.filter(name__iexact=text).first()
    if found is None and " · " in text:  # a label picked earlier: "number · name"
        found = Item.objects.filter(item_number__iexact=text.split(" · ", 1)[0]).first()
    return found


def find_customer(text: str):
    """The customer a clerk typed: account number (any case), else the party's exact name."""
    from crm.models import Customer

    found = Customer.objects.filter(account_number__iexact=text).first()
    if found is None:
        found = Customer.objects.filter(party__name__iexact=text).first()
    if found is None and " · " in text:
        found = Customer.objects.filter(account_number__iexact=text.split(" · ", 1)[0]).first()
    return found


def item_label(item) -> str:
    return f"{item.item_number} · {item.name}"


def customer_label(customer) -> str:
    return f"{customer.account_number} · {customer.party.name}"


def plain_line_messages(form) -> None:
    """Plain-word errors for a line's quantity and prices."""
    for name, field in form.fields.items():
        if name == "quantity":
            field.error_messages.update(QUANTITY_MESSAGES)
        elif name in ("unit_price", "discount_amount", "discount_percent"):
            field.error_messages.update(AMOUNT_MESSAGES)
    if "item" in form.fields:
        form.fields["item"].error_messages["required"] = _("Pick an item.")


def customer_lookup_field(original, current) -> LookupChoiceField:
    from django.urls import reverse_lazy

    field = LookupChoiceField(
        original.queryset.select_related("party"),
        resolve=find_customer,
        not_found=_("No customer has the number or name “%(text)s”."),
        label=original.label,
        widget=LookupInput(
            search_url=reverse_lazy("orders:entry-customers"),
            placeholder=_("Account number or name"),
        ),
        error_messages={"required": _("Pick the customer.")},
    )
    if current is not None:
        field.widget.label = customer_label(current)
    return field


def party_lookup_field(original, current) -> LookupChoiceField:
    """A quotation's customer or prospect, found by name (a customer also by account number)."""
    from django.urls import reverse_lazy

    from crm.models import Party

    def find_party(text):
        customer = find_customer(text)
        if customer is not None:
            return customer.party
        return Party.objects.filter(name__iexact=text).first()

    field = LookupChoiceField(
        original.queryset,
        resolve=find_party,
        not_found=_("No customer or prospect has the number or name “%(text)s”."),
        label=original.label,
        widget=LookupInput(
            search_url=reverse_lazy("orders:entry-parties"),
            placeholder=_("Account number or name"),
        ),
        error_messages={"required": _("Pick the customer or prospect.")},
    )
    if current is not None:
        field.widget.label = current.name
    return field


def line_lookup_fields(form) -> None:
    """A grid line: the item by type-ahead, the warehouse optional (the customer's default)."""
    from django.urls import reverse_lazy

    original = form.fields["item"]
    form.fields["item"] = LookupChoiceField(
        original.queryset.select_related("unit"),
        resolve=find_item,
        not_found=_("No item has the number or name “%(text)s”."),
        label=original.label,
        widget=LookupInput(
            search_url=reverse_lazy("orders:entry-items"), placeholder=_("Item number or name")
        ),
        disabled=original.disabled,
    )
    if form.instance.item_id:
        form.fields["item"].widget.label = item_label(form.instance.item)
    if not form.instance.pk:
        form.initial["quantity"] = None  # a new line's quantity is typed, not 0
    warehouse = form.fields["warehouse"]
    warehouse.required = False
    warehouse.empty_label = _("Customer's default")
    plain_line_messages(form)


class SalesOrderForm(BoundedDatesFormMixin, forms.ModelForm):
    legend = _("Sales order")

    class Meta:
        model = SalesOrder
        fields = [
            "customer",
            "order_type",
            "requested_ship_date",
            "customer_reference",
            "currency",
            "sales_agreement",
            "delivery_name",
            "delivery_street",
            "delivery_postal_code",
            "delivery_city",
            "delivery_country",
            "return_reason",
            "original_invoice_number",
            "notes",
        ]
        widgets = {"requested_ship_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"] = customer_lookup_field(
            self.fields["customer"], self.instance.customer if self.instance.customer_id else None
        )
        self.fields["requested_ship_date"].required = False
        self.fields["requested_ship_date"].help_text = _(
            "Empty: today plus the customer's shipping lead time."
        )
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Empty: the customer's currency.")
        self.fields["delivery_street"].help_text = _("Empty: the customer's delivery address.")
        if self.instance.pk:
            self.fields["order_type"].disabled = True
            self.fields["order_type"].help_text = _("Change the type with the Change type button.")


class SalesOrderLineForm(forms.ModelForm):
    class Meta:
        model = SalesOrderLine
        fields = [
            "item",
            "warehouse",
            "quantity",
            "unit_price",
            "discount_amount",
            "discount_percent",
            "supply_type",
            "returned_line",
        ]

    def __init__(self, *args, order: SalesOrder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        line_lookup_fields(self)
        if "returned_line" in self.fields:
            self._offer_sold_lines(order)
        for name in ("unit_price", "discount_amount", "discount_percent"):
            self.fields[name].required = False
            self.fields[name].help_text = _("Empty: from the price lookup.")
        if not self.instance.pk:
            for name in ("unit_price", "discount_amount", "discount_percent"):
                self.initial[name] = None
        if "supply_type" in self.fields:
            self.fields["supply_type"].required = False
            if self.instance.purchase_line_id:
                # Purchased: the purchase order line serves this supply, item and warehouse.
                for name in ("item", "warehouse", "supply_type"):
                    self.fields[name].disabled = True

    def clean_supply_type(self):
        """Left out (API-like posts, older pages): the line keeps its supply, from stock."""
        return self.cleaned_data.get("supply_type") or self.instance.supply_type

    def _offer_sold_lines(self, order: SalesOrder | None) -> None:
        """A return's line picks the line it returns among its customer's invoiced lines; other
        orders' lines (and a new order's, whose type and customer are not known yet) do not
        show the field. The service checks what is picked."""
        if order is None or order.pk is None or not order.is_return:
            del self.fields["returned_line"]
            return
        field = self.fields["returned_line"]
        field.queryset = (
            SalesOrderLine.objects.filter(order__customer_id=order.customer_id)
            .filter(Q(invoiced_quantity__gt=0) | Q(pk=self.instance.returned_line_id))
            .exclude(order__order_type=SalesOrder.OrderType.RETURNED)
            .select_related("order", "item")
            .order_by("-order__created_at", "line_number")
        )
        field.label_from_instance = lambda line: (
            _("%(order)s/%(line)d %(item)s (invoiced %(invoiced)s)")
            % {
                "order": line.order.number,
                "line": line.line_number,
                "item": line.item,
                "invoiced": format(line.invoiced_quantity.normalize(), "f"),
            }
        )
        if self.instance.delivered_quantity:  # arrived: the line it returns stays
            field.disabled = True


class SalesOrderLineInlineFormSet(BaseInlineFormSet):
    """The order's lines; each form knows its order (a return's lines pick their sold line)."""

    def get_queryset(self):
        return super().get_queryset().select_related("item__unit", "warehouse")

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "order": self.instance}


class QuotationLineInlineFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset().select_related("item__unit", "warehouse")


SalesOrderLineFormSet = inlineformset_factory(
    SalesOrder,
    SalesOrderLine,
    form=SalesOrderLineForm,
    formset=SalesOrderLineInlineFormSet,
    extra=1,
    can_delete=True,
)


class ChangeTypeForm(forms.Form):
    order_type = forms.ChoiceField(label=_("order type"), choices=SalesOrder.OrderType.choices)


class SalesQuotationForm(BoundedDatesFormMixin, forms.ModelForm):
    legend = _("Sales quotation")

    class Meta:
        from .models import SalesQuotation

        model = SalesQuotation
        fields = [
            "party",
            "expiry_date",
            "requested_ship_date",
            "customer_reference",
            "currency",
            "notes",
        ]
        widgets = {
            "expiry_date": DateInput(),
            "requested_ship_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"] = party_lookup_field(
            self.fields["party"], self.instance.party if self.instance.party_id else None
        )
        self.fields["expiry_date"].required = False
        self.fields["expiry_date"].help_text = _("Empty: 30 days from today.")
        self.fields["requested_ship_date"].required = False
        self.fields["requested_ship_date"].help_text = _(
            "Empty: today plus the customer's shipping lead time."
        )
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _(
            "Empty: the customer's (or the prospect's template) currency."
        )


class SalesQuotationLineForm(SalesOrderLineForm):
    class Meta(SalesOrderLineForm.Meta):
        from .models import SalesQuotationLine

        model = SalesQuotationLine
        # Its own list: an inline formset appends its foreign key to the list it is given.
        fields = [
            "item",
            "warehouse",
            "quantity",
            "unit_price",
            "discount_amount",
            "discount_percent",
        ]


def quotation_line_formset():
    from .models import SalesQuotation, SalesQuotationLine

    return inlineformset_factory(
        SalesQuotation,
        SalesQuotationLine,
        form=SalesQuotationLineForm,
        formset=QuotationLineInlineFormSet,
        extra=1,
        can_delete=True,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class ItemSaleForm(forms.Form):
    from inventory.models import Item, Warehouse

    item = forms.ModelChoiceField(label=_("item"), queryset=Item.objects.all())
    quantity = forms.DecimalField(
        label=_("quantity"), min_value=Decimal("0.0001"), decimal_places=4
    )
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.filter(active=True)
    )
