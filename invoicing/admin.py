from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from crm.admin import TransitionAdminMixin
from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin
from salesmkt.core.dates import BoundedDatesFormMixin

from .actions import INVOICE, INVOICE_RUN
from .forms import AllowanceChargeForm, allowance_charge_rows
from .models import (
    Buyer,
    CustomerTransaction,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunCustomer,
    LedgerEntry,
    LedgerVoucher,
    Payment,
    PaymentApplication,
)
from .services import invoices, runs


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
        "unit_code",
        "unit_price",
        "price_base_quantity",
        "discount_percent",
        "sales_tax_code",
        "line_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _draft(obj) -> bool:
    """A draft's header, allowances and charges change (`INVOICE`'s `update` action)."""
    return obj is not None and INVOICE.refusal(obj, "update") is None


def run_allowed(admin_page, request, queryset, actions, name, service, done_message):
    """Run `service` on each selected row the declaration allows `name` on now (by the same
    service a page or the API calls, which checks it again on the locked row); the others are
    named with the reason they are refused."""
    allowed = []
    for obj in queryset:
        refusal = actions.refusal(obj, name)
        if refusal is None:
            allowed.append(obj)
        else:
            admin_page.message_user(request, f"{obj}: {refusal.message}", messages.WARNING)
    admin_page.run_each(request, allowed, service, done_message)


class InvoiceAllowanceChargeInline(admin.TabularInline):
    """A draft's document allowances and charges, saved with it by the service (which replaces
    them all); a posted invoice's are read-only, like its lines. Part of the invoice: whoever
    may see or change the invoice may see or change them."""

    model = InvoiceAllowanceCharge
    form = AllowanceChargeForm
    extra = 0
    fields = [*InvoiceAllowanceCharge.INPUT_FIELDS, *InvoiceAllowanceCharge.SNAPSHOT_FIELDS]
    readonly_fields = InvoiceAllowanceCharge.SNAPSHOT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if _draft(obj) else self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("invoicing.view_invoice") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("invoicing.change_invoice") and (obj is None or _draft(obj))

    def has_add_permission(self, request, obj=None):
        return _draft(obj) and request.user.has_perm("invoicing.change_invoice")

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


# The invoice's fields in the admin, grouped; a draft's header (`HEADER_FIELDS`) is edited, the
# rest (set by drafting and posting, `editable=False` on the model) is shown.
INVOICE_FIELDSETS = [
    (
        None,
        {
            "fields": [
                "number",
                "kind",
                "status",
                "customer",
                "sales_order",
                "credited_invoice",
                "currency",
                "invoice_date",
                "due_date",
                "notes",
            ]
        },
    ),
    (_("Buyer's references"), {"fields": ["buyer_reference", "order_reference"]}),
    (
        _("Delivery"),
        {
            "fields": [
                "delivery_date",
                "period_start",
                "period_end",
                "delivery_name",
                "delivery_street",
                "delivery_street2",
                "delivery_postal_code",
                "delivery_city",
                "delivery_country",
            ]
        },
    ),
    (
        _("Amounts and payment"),
        {
            "fields": [
                "net_amount",
                "tax_amount",
                "total_amount",
                "prepaid_amount",
                "payment_state",
                "payment_reference",
                "exchange_rate",
                "tax_currency_code",
                "currency_code",
            ]
        },
    ),
    (
        _("Buyer as invoiced"),
        {"classes": ["collapse"], "fields": [f"buyer_{name}" for name in Buyer.FIELDS]},
    ),
    (_("Seller as invoiced"), {"classes": ["collapse"], "fields": ["seller"]}),
    (
        _("Posting"),
        {
            "fields": [
                "voucher",
                "packing_slips",
                "created_by",
                "created_at",
                "posted_at",
                "chain_version",
                "chain_hash",
                "previous_hash",
            ]
        },
    ),
]


class InvoiceAdminForm(BoundedDatesFormMixin, forms.ModelForm):
    """A draft's header in the admin: its dates within the bounds of every date."""

    class Meta:
        model = Invoice
        fields = invoices.HEADER_FIELDS


@admin.register(Invoice)
class InvoiceAdmin(TransitionAdminMixin, ServiceAdmin):
    form = InvoiceAdminForm
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
    fieldsets = INVOICE_FIELDSETS
    readonly_fields = [
        *[f.name for f in Invoice._meta.fields if f.name not in invoices.HEADER_FIELDS],
        "packing_slips",
    ]
    inlines = [InvoiceAllowanceChargeInline, InvoiceLineInline]
    actions = ["post"]

    def get_readonly_fields(self, request, obj=None):
        if _draft(obj):
            return self.readonly_fields
        return [*(f.name for f in Invoice._meta.fields), "packing_slips"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A posted invoice never changes: its page is read-only.
        return super().has_change_permission(request, obj) and (obj is None or _draft(obj))

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing here: `save_related` saves the header with the allowances and charges, in
        one call of the service."""

    def save_related(self, request, form, formsets, change):
        data = {
            name: form.cleaned_data[name]
            for name in invoices.HEADER_FIELDS
            if name in form.cleaned_data
        }
        for formset in formsets:
            if formset.model is InvoiceAllowanceCharge and formset.is_bound:
                data["allowance_charges"] = allowance_charge_rows(formset)
            # What the admin's change message reads (`formset.save` would have set it).
            formset.new_objects = [
                form.instance
                for form in formset.forms
                if form.instance.pk is None
                and form.has_changed()
                and form not in formset.deleted_forms
            ]
            formset.changed_objects = [
                (form.instance, form.changed_data)
                for form in formset.initial_forms
                if form.has_changed() and form not in formset.deleted_forms
            ]
            formset.deleted_objects = [form.instance for form in formset.deleted_forms]
        stored = Invoice.objects.get(pk=form.instance.pk)
        invoices.free_text_invoice_update(instance=stored, data=data, actor=request.user)

    @admin.action(description=_("Post the selected invoices"), permissions=["post"])
    def post(self, request, queryset):
        run_allowed(
            self,
            request,
            queryset,
            INVOICE,
            "post",
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
class InvoiceRunAdmin(TransitionAdminMixin, ReadOnlyAdmin):
    list_display = ["id", "up_to_date", "invoice_date", "customer_group", "status", "created_at"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    inlines = [InvoiceRunCustomerInline]
    actions = ["resume"]

    @admin.action(description=_("Resume the selected invoice runs"), permissions=["resume"])
    def resume(self, request, queryset):
        run_allowed(
            self,
            request,
            queryset,
            INVOICE_RUN,
            "resume",
            lambda run, user: runs.invoice_run_resume(run=run, actor=user),
            _("%(count)d invoice runs resumed."),
        )

    def has_resume_permission(self, request):
        return request.user.has_perm(INVOICE_RUN.permission("resume"))
