from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import TransitionAdminMixin
from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin

from .models import (
    SalesAgreement,
    SalesAgreementLine,
    SalesAgreementRelease,
    SellRule,
    TradeAgreement,
)
from .services import sales_agreements


@admin.register(TradeAgreement)
class TradeAgreementAdmin(ServiceAdmin):
    list_display = [
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
    ]
    list_filter = [
        "kind",
        "customer_scope",
        "item_scope",
        "currency",
        "price_group",
        "discount_group",
    ]
    search_fields = ["item__item_number", "item__name", "customer__party__name", "note"]
    autocomplete_fields = ["customer", "item"]
    list_select_related = ["customer__party", "price_group", "item", "discount_group", "currency"]


class SalesAgreementLineInline(admin.TabularInline):
    model = SalesAgreementLine
    extra = 0
    fields = [
        "item",
        "committed_quantity",
        "committed_amount",
        "unit_price",
        "discount_percent",
        "released_quantity",
        "released_amount",
        "delivered_quantity",
        "invoiced_quantity",
    ]
    readonly_fields = [
        "released_quantity",
        "released_amount",
        "delivered_quantity",
        "invoiced_quantity",
    ]
    autocomplete_fields = ["item"]


@admin.register(SalesAgreement)
class SalesAgreementAdmin(TransitionAdminMixin, ServiceAdmin):
    list_display = [
        "number",
        "customer",
        "status",
        "commitment_type",
        "effective_date",
        "expiration_date",
        "currency",
    ]
    list_filter = ["status", "commitment_type", "currency"]
    search_fields = ["number", "description", "customer__party__name", "customer__account_number"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["number", "status", "closed_at"]
    list_select_related = ["customer__party", "currency"]
    inlines = [SalesAgreementLineInline]
    actions = ["make_effective", "put_on_hold", "close"]
    delete_service = sales_agreements.sales_agreement_delete

    def save_model(self, request, obj, form, change):
        if not change:
            from salesmkt.core.numbering import next_number

            obj.number = next_number("sales-agreement")
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Make the selected agreements effective"))
    def make_effective(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a, user: sales_agreements.sales_agreement_make_effective(
                agreement=a, actor=user
            ),
            _("%(count)d agreements made effective."),
            action="make_effective",
        )

    @admin.action(description=_("Put the selected agreements on hold"))
    def put_on_hold(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a, user: sales_agreements.sales_agreement_put_on_hold(agreement=a, actor=user),
            _("%(count)d agreements put on hold."),
            action="put_on_hold",
        )

    @admin.action(description=_("Close the selected agreements"))
    def close(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a, user: sales_agreements.sales_agreement_close(agreement=a, actor=user),
            _("%(count)d agreements closed."),
            action="close",
        )


@admin.register(SalesAgreementRelease)
class SalesAgreementReleaseAdmin(ReadOnlyAdmin):
    list_display = [
        "agreement",
        "line",
        "quantity",
        "amount",
        "requested_ship_date",
        "reference",
        "released_at",
        "released_by",
    ]
    list_filter = ["agreement"]
    search_fields = ["reference", "agreement__number"]


@admin.register(SellRule)
class SellRuleAdmin(ServiceAdmin):
    list_display = [
        "item",
        "kind",
        "suggested_item",
        "customer_group",
        "min_quantity",
        "min_line_amount",
        "priority",
        "active",
    ]
    list_filter = ["kind", "active", "customer_group"]
    search_fields = ["item__item_number", "item__name", "suggested_item__name", "pitch"]
    autocomplete_fields = ["item", "suggested_item"]
