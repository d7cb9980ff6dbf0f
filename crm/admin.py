from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesmkt.core.actions import actions_of
from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin
from salesmkt.core.errors import DomainError

from .models import (
    Activity,
    Campaign,
    CampaignCall,
    CampaignSend,
    CampaignTarget,
    ContactPerson,
    Customer,
    CustomerGroup,
    CustomerTemplate,
    Lead,
    Opportunity,
    Party,
    PartyAddress,
    PriceGroup,
    Prospect,
    SalesStage,
    SalesTaxGroup,
    Vendor,
)
from .services import activities, campaigns, parties, relationships, stages


class PartyAddressInline(admin.TabularInline):
    model = PartyAddress
    extra = 0


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(Party)
class PartyAdmin(ServiceAdmin):
    list_display = ["name", "party_type", "email", "phone", "vat_number", "language"]
    search_fields = ["name", "email", "vat_number", "phone", "registration_id", "endpoint_id"]
    list_filter = ["party_type", "language", "peppol_receiver"]
    inlines = [PartyAddressInline, ContactPersonInline]


class RoleAdmin(ServiceAdmin):
    autocomplete_fields = ["party"]
    readonly_fields = ["account_number", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The party of an existing role does not change.
        return [*self.readonly_fields, "party"] if obj else self.readonly_fields

    @admin.display(description=Party._meta.get_field("name").verbose_name, ordering="party__name")
    def party_name(self, obj):
        return obj.party.name


@admin.register(Customer)
class CustomerAdmin(RoleAdmin):
    list_display = [
        "account_number",
        "party_name",
        "customer_group",
        "currency",
        "credit_limit",
        "on_hold",
    ]
    list_filter = ["customer_group", "currency", "on_hold", "price_group", "sales_tax_group"]
    search_fields = ["account_number", "party__name", "party__email", "party__vat_number"]
    list_select_related = ["party", "customer_group", "currency"]
    create_service = parties.customer_create
    update_service = parties.customer_update


@admin.register(Vendor)
class VendorAdmin(RoleAdmin):
    list_display = ["account_number", "party_name", "currency", "payment_terms", "blocked"]
    list_filter = ["currency", "blocked"]
    search_fields = ["account_number", "party__name", "party__email"]
    list_select_related = ["party", "currency", "payment_terms"]
    create_service = parties.vendor_create
    update_service = parties.vendor_update


@admin.register(CustomerGroup, PriceGroup, SalesTaxGroup)
class CodeNameAdmin(ServiceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(ContactPerson)
class ContactPersonAdmin(ServiceAdmin):
    list_display = ["__str__", "party", "job_title", "email", "phone", "is_primary"]
    search_fields = ["first_name", "last_name", "email", "party__name"]
    list_select_related = ["party"]
    autocomplete_fields = ["party"]


# --- relationship flow and campaigns ----------------------------------------------------------
class TransitionAdminMixin:
    """Admin actions that run a service per selected record; refusals are reported, not raised.

    When the model declares its actions (`salesmkt.core.actions`), an admin action given its
    declared `action` runs the service only on the rows the declaration allows and tells the
    reason for each other row; the declared `update` and `delete` decide whether a record's
    form is editable and whether it may be deleted (through `delete_service`, when set)."""

    delete_service = None

    def _declared_refusal(self, obj, action: str | None):
        declared = actions_of(obj)
        if action is None or declared is None or action not in declared:
            return None
        return declared.refusal(obj, action)

    def run_each(self, request, queryset, service, done_message, *, action: str | None = None):
        done = 0
        for obj in queryset:
            refusal = self._declared_refusal(obj, action)
            if refusal is not None:
                self.message_user(request, f"{obj}: {refusal.message}", messages.WARNING)
                continue
            try:
                service(obj, request.user)
                done += 1
            except (DomainError, ValidationError) as exc:
                self.message_user(
                    request, f"{obj}: {getattr(exc, 'message', exc)}", messages.WARNING
                )
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and self._declared_refusal(obj, "update") is not None:
            return list(dict.fromkeys([*fields, *(f.name for f in obj._meta.fields)]))
        return fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._declared_refusal(obj, "delete") is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        if self.delete_service is None:
            return super().delete_model(request, obj)
        type(self).delete_service(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            refusal = self._declared_refusal(obj, "delete")
            if refusal is not None:
                self.message_user(request, f"{obj}: {refusal.message}", messages.WARNING)
                continue
            try:
                self.delete_model(request, obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.WARNING)


@admin.register(CustomerTemplate)
class CustomerTemplateAdmin(ServiceAdmin):
    list_display = ["code", "name", "is_default", "customer_group", "currency", "payment_terms"]
    search_fields = ["code", "name"]


@admin.register(Prospect)
class ProspectAdmin(ServiceAdmin):
    list_display = ["party", "source", "segment", "owner", "created_at"]
    list_filter = ["source", "segment"]
    search_fields = ["party__name", "segment"]
    autocomplete_fields = ["party"]
    list_select_related = ["party", "owner"]


@admin.register(Lead)
class LeadAdmin(TransitionAdminMixin, ServiceAdmin):
    list_display = ["number", "topic", "party", "status", "rating", "source", "owner", "created_at"]
    list_filter = ["status", "rating", "source"]
    search_fields = ["number", "topic", "party__name"]
    autocomplete_fields = ["party", "contact", "campaign"]
    readonly_fields = ["number", "status", "disqualify_reason", "closed_at"]
    list_select_related = ["party", "owner"]
    actions = ["qualify"]
    create_service = relationships.lead_create
    update_service = relationships.lead_update
    delete_service = relationships.lead_delete

    @admin.action(description=_("Qualify the selected leads"))
    def qualify(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda lead, user: relationships.lead_qualify(lead=lead, actor=user),
            _("%(count)d leads qualified."),
            action="qualify",
        )


@admin.register(Opportunity)
class OpportunityAdmin(TransitionAdminMixin, ServiceAdmin):
    list_display = [
        "number",
        "topic",
        "party",
        "stage",
        "status",
        "estimated_revenue",
        "probability",
        "expected_close_date",
        "owner",
    ]
    list_filter = ["status", "stage", "owner"]
    search_fields = ["number", "topic", "party__name"]
    autocomplete_fields = ["party", "contact", "campaign"]
    readonly_fields = ["number", "lead", "status", "lost_reason", "closed_at"]
    list_select_related = ["party", "owner", "stage"]
    actions = ["win", "cancel"]
    create_service = relationships.opportunity_create
    update_service = relationships.opportunity_update
    delete_service = relationships.opportunity_delete

    @admin.action(description=_("Win the selected opportunities"))
    def win(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda opp, user: relationships.opportunity_win(opportunity=opp, actor=user),
            _("%(count)d opportunities won."),
            action="win",
        )

    @admin.action(description=_("Cancel the selected opportunities"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda opp, user: relationships.opportunity_cancel(opportunity=opp, actor=user),
            _("%(count)d opportunities canceled."),
            action="cancel",
        )


@admin.register(SalesStage)
class SalesStageAdmin(ServiceAdmin):
    list_display = ["sequence", "code", "name", "probability", "active"]
    list_display_links = ["code", "name"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    ordering = ["sequence", "id"]
    create_service = stages.sales_stage_create
    update_service = stages.sales_stage_update
    delete_service = stages.sales_stage_delete


@admin.register(Activity)
class ActivityAdmin(ServiceAdmin):
    list_display = ["subject", "kind", "about_repr", "party", "due_at", "owner", "done"]
    list_filter = ["kind", "done", "owner", "content_type"]
    search_fields = ["subject", "party__name", "about_repr"]
    autocomplete_fields = ["party", "lead", "opportunity"]
    readonly_fields = ["about_repr", "done_at", "done_by"]
    list_select_related = ["party", "owner"]
    actions = ["mark_done"]
    create_service = relationships.activity_create
    update_service = relationships.activity_update

    @admin.action(description=_("Mark the selected activities done"))
    def mark_done(self, request, queryset):
        done = 0
        for activity in queryset.filter(done=False):
            try:
                activities.activity_mark_done(activity=activity, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{activity}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(count)d activities marked done.") % {"count": done})


class CampaignTargetInline(admin.TabularInline):
    model = CampaignTarget
    extra = 0
    fields = ["party", "contact", "origin", "response", "call_outcome", "follow_up_date"]
    readonly_fields = ["party", "contact", "origin", "response", "call_outcome", "follow_up_date"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(TransitionAdminMixin, ServiceAdmin):
    list_display = ["number", "name", "kind", "status", "start_date", "end_date", "owner", "budget"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "name"]
    readonly_fields = ["number", "status", "launched_at", "closed_at"]
    inlines = [CampaignTargetInline]
    actions = ["launch", "complete", "cancel"]
    create_service = campaigns.campaign_create
    update_service = campaigns.campaign_update
    delete_service = campaigns.campaign_delete

    @admin.action(description=_("Launch the selected campaigns"))
    def launch(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda c, user: campaigns.campaign_launch(campaign=c, actor=user),
            _("%(count)d campaigns launched."),
            action="launch",
        )

    @admin.action(description=_("Complete the selected campaigns"))
    def complete(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda c, user: campaigns.campaign_complete(campaign=c, actor=user),
            _("%(count)d campaigns completed."),
            action="complete",
        )

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda c, user: campaigns.campaign_cancel(campaign=c, actor=user),
            _("%(count)d campaigns canceled."),
            action="cancel",
        )


class CampaignCallInline(admin.TabularInline):
    model = CampaignCall
    extra = 0
    readonly_fields = ["called_at", "caller", "outcome", "follow_up_date", "notes"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CampaignTarget)
class CampaignTargetAdmin(admin.ModelAdmin):
    list_display = [
        "campaign",
        "party",
        "contact",
        "origin",
        "response",
        "call_outcome",
        "follow_up_date",
    ]
    list_filter = ["response", "origin", "call_outcome", "campaign"]
    search_fields = ["party__name", "contact__last_name", "campaign__name"]
    readonly_fields = [
        "campaign",
        "party",
        "contact",
        "origin",
        "response",
        "responded_at",
        "call_outcome",
        "follow_up_date",
        "lead",
        "opportunity",
    ]
    list_select_related = ["campaign", "party", "contact"]
    inlines = [CampaignCallInline]

    def has_add_permission(self, request):
        return False


@admin.register(CampaignSend)
class CampaignSendAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "email", "status", "sent_at", "error"]
    list_filter = ["status", "campaign"]
    search_fields = ["email", "campaign__name"]
    list_select_related = ["campaign"]
