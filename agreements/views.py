from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from crm.forms import formset_rows
from salesmkt.core.ui import Column, RecordAction, RecordViews, simple_views

from .forms import (
    PriceLookupForm,
    SalesAgreementForm,
    SalesAgreementLineFormSet,
    TradeAgreementForm,
)
from .models import SalesAgreement, SalesAgreementRelease, SellRule, TradeAgreement
from .services import sales_agreements
from .services.pricing import price_lookup
from .services.suggestions import sales_suggestions


def _scope(record, scope_field, mapping, default):
    target = mapping.get(getattr(record, scope_field))
    return getattr(record, target) if target else default


class TradeAgreementViews(RecordViews):
    model = TradeAgreement
    namespace = "agreements"
    slug = "trade-agreements"
    icon = "bi-tags"
    columns = [
        Column(_("type"), "kind", link=True, sort="kind"),
        Column(
            _("customers"),
            lambda r: _scope(
                r,
                "customer_scope",
                {"customer": "customer", "group": "price_group"},
                _("All customers"),
            ),
        ),
        Column(
            _("items"),
            lambda r: _scope(
                r, "item_scope", {"item": "item", "group": "discount_group"}, _("All items")
            ),
        ),
        Column(_("from quantity"), "quantity_from", align="end", sort="quantity_from"),
        Column(_("to quantity"), "quantity_to", align="end"),
        Column(_("amount"), "amount", align="end", sort="amount"),
        Column(_("discount (%)"), "percent", align="end"),
        Column(_("currency"), "currency.code"),
        Column(_("valid from"), "valid_from", sort="valid_from"),
        Column(_("valid to"), "valid_to", sort="valid_to"),
    ]
    search_fields = ["item__item_number", "item__name", "customer__party__name", "note"]
    filter_fields = [
        "kind",
        "customer_scope",
        "item_scope",
        "currency",
        "price_group",
        "discount_group",
    ]
    detail_fields = [
        "kind",
        "customer_scope",
        "customer",
        "price_group",
        "item_scope",
        "item",
        "discount_group",
        "quantity_from",
        "quantity_to",
        "amount",
        "percent",
        "currency",
        "valid_from",
        "valid_to",
        "note",
    ]
    form_class = TradeAgreementForm

    @classmethod
    def get_queryset(cls):
        return TradeAgreement.objects.select_related(
            "customer__party", "price_group", "item", "discount_group", "currency"
        )


class SalesAgreementViews(RecordViews):
    model = SalesAgreement
    namespace = "agreements"
    slug = "sales-agreements"
    icon = "bi-file-earmark-check"
    detail_template = "agreements/sales_agreement_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("customer"), "customer.party.name", link=True, sort="customer__party__name"),
        Column(_("description"), "description"),
        Column(_("status"), "status", sort="status"),
        Column(_("commitment"), "commitment_type"),
        Column(_("effective date"), "effective_date", sort="effective_date"),
        Column(_("expiration date"), "expiration_date", sort="expiration_date"),
    ]
    search_fields = ["number", "description", "customer__party__name", "customer__account_number"]
    filter_fields = ["status", "commitment_type", "customer"]
    detail_fields = [
        "number",
        "customer",
        "description",
        "status",
        "effective_date",
        "expiration_date",
        "commitment_type",
        "total_commitment",
        "currency",
        "over_release_tolerance",
        "owner",
        "closed_at",
    ]
    create_service = sales_agreements.sales_agreement_create
    update_service = sales_agreements.sales_agreement_update
    delete_service = sales_agreements.sales_agreement_delete
    actions = [
        RecordAction(
            "make-effective",
            _("Make effective"),
            lambda a, user, data: sales_agreements.sales_agreement_make_effective(
                agreement=a, actor=user
            ),
            style="success",
            icon="bi-play-circle",
        ),
        RecordAction(
            "put-on-hold",
            _("Put on hold"),
            lambda a, user, data: sales_agreements.sales_agreement_put_on_hold(
                agreement=a, actor=user
            ),
            icon="bi-pause-circle",
        ),
        RecordAction(
            "close",
            _("Close"),
            lambda a, user, data: sales_agreements.sales_agreement_close(agreement=a, actor=user),
            style="outline-danger",
            icon="bi-x-circle",
            confirm=_("Close the agreement? No more orders can be released from it."),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        # `has_releases`: for the declared delete (SALES_AGREEMENT)
        return SalesAgreement.objects.select_related(
            "customer__party", "currency", "owner"
        ).annotate(
            has_releases=Exists(SalesAgreementRelease.objects.filter(agreement=OuterRef("pk")))
        )

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": SalesAgreementForm(data, instance=instance),
            "lines": SalesAgreementLineFormSet(
                data, instance=instance or SalesAgreement(), prefix="lines"
            ),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = dict(bound["form"].cleaned_data)
        if not data.get("currency"):
            data.pop("currency", None)
        data["lines"] = formset_rows(bound["lines"])
        return data

    @classmethod
    def detail_context(cls, request, obj):
        return {
            "fulfilment": sales_agreements.fulfilment(obj),
            "releases": obj.releases.select_related("line__item", "released_by")[:100],
        }


SellRuleViews = simple_views(
    SellRule,
    namespace="agreements",
    slug="sell-rules",
    fields=[
        "item",
        "kind",
        "suggested_item",
        "customer_group",
        "min_quantity",
        "min_line_amount",
        "pitch",
        "priority",
        "active",
    ],
    list_fields=["item", "kind", "suggested_item", "customer_group", "priority", "active"],
    search_fields=["item__item_number", "item__name", "pitch"],
    filter_fields=["kind", "active", "customer_group"],
)


@login_required
@permission_required("agreements.view_tradeagreement", raise_exception=True)
def price_lookup_page(request):
    """Ask the price lookup what a customer pays, and see which record answered."""
    form = PriceLookupForm(request.GET or None)
    result = suggestions = None
    if form.is_valid():
        data = form.cleaned_data
        result = price_lookup(
            customer=data["customer"],
            item=data["item"],
            quantity=data["quantity"],
            currency=data.get("currency"),
            on=data.get("date"),
        )
        result = {"price": result, "line_amount": result.line_amount(data["quantity"])}
        for key in ("price_record", "discount_record"):
            record_id = getattr(result["price"], key)
            source = getattr(result["price"], key.replace("record", "source"))
            result[key] = (
                TradeAgreement.objects.filter(pk=record_id).first()
                if source == "trade_agreement"
                else None
            )
        suggestions = sales_suggestions(
            item=data["item"], customer=data["customer"], quantity=data["quantity"]
        )
    return render(
        request,
        "agreements/price_lookup.html",
        {"form": form, "result": result, "suggestions": suggestions},
    )


def urls():
    return [
        path("price-lookup/", price_lookup_page, name="price-lookup"),
        *TradeAgreementViews.urls(),
        *SalesAgreementViews.urls(),
        *SellRuleViews.urls(),
    ]
