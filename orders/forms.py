from decimal import Decimal

from django import forms
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from salesmkt.core.dates import BoundedDatesFormMixin

from .models import SalesOrder, SalesOrderLine


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

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "order": self.instance}


SalesOrderLineFormSet = inlineformset_factory(
    SalesOrder,
    SalesOrderLine,
    form=SalesOrderLineForm,
    formset=SalesOrderLineInlineFormSet,
    extra=3,
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
        SalesQuotation, SalesQuotationLine, form=SalesQuotationLineForm, extra=3, can_delete=True
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
