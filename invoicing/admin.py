from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import TransitionAdminMixin
from salesmkt.core.admin_base import ReadOnlyAdmin

from .models import (
    CustomerTransaction,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunCustomer,
    LedgerEntry,
    LedgerVoucher,
    Payment,
    PaymentApplication,
)
from .services import invoices


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "item",
        "ledger_account",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "sales_tax_code",
        "line_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "kind",
        "status",
        "customer",
        "invoice_date",
        "due_date",
        "total_amount",
        "payment_state",
    ]
    list_filter = ["kind", "status", "payment_state"]
    search_fields = ["number", "customer__party__name", "customer__account_number"]
    list_select_related = ["customer__party"]
    readonly_fields = [f.name for f in Invoice._meta.fields]
    inlines = [InvoiceLineInline]
    actions = ["post"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Post the selected invoices"), permissions=["post"])
    def post(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda i, user: invoices.invoice_post(invoice=i, actor=user),
            _("%(count)d invoices posted."),
        )

    def has_post_permission(self, request):
        return request.user.has_perm("invoicing.post_invoice")


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "debit", "credit", "description"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerVoucher)
class LedgerVoucherAdmin(ReadOnlyAdmin):
    list_display = ["number", "date", "description"]
    search_fields = ["number", "description"]
    inlines = [LedgerEntryInline]


@admin.register(CustomerTransaction)
class CustomerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["customer", "invoice", "date", "due_date", "amount", "remaining", "currency"]
    search_fields = ["customer__party__name", "invoice__number"]
    list_select_related = ["customer__party", "invoice", "currency"]


class PaymentApplicationInline(admin.TabularInline):
    model = PaymentApplication
    extra = 0
    can_delete = False
    fields = readonly_fields = ["transaction", "amount", "applied_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "date", "amount", "unapplied", "reference"]
    list_filter = ["date", "currency"]
    search_fields = ["number", "reference", "customer__party__name"]
    list_select_related = ["customer__party"]
    inlines = [PaymentApplicationInline]


@admin.register(PaymentApplication)
class PaymentApplicationAdmin(ReadOnlyAdmin):
    """Settlements: a payment or a credit note's open credit applied to an open item."""

    list_display = ["id", "payment", "credit", "transaction", "amount", "applied_at"]
    search_fields = [
        "payment__number",
        "credit__invoice__number",
        "transaction__invoice__number",
        "transaction__customer__party__name",
    ]
    list_select_related = [
        "payment",
        "credit__invoice__customer__party",
        "credit__customer__party",
        "transaction__invoice__customer__party",
        "transaction__customer__party",
    ]
    date_hierarchy = "applied_at"


class InvoiceRunCustomerInline(admin.TabularInline):
    model = InvoiceRunCustomer
    extra = 0
    can_delete = False
    fields = ["customer", "currency", "status", "invoice", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "up_to_date", "invoice_date", "customer_group", "status", "created_at"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    inlines = [InvoiceRunCustomerInline]
