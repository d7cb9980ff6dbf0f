"""Clerk UI of the relationship flow and campaigns."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from salesmkt.core.errors import DomainError
from salesmkt.core.ui import Column, RecordAction, RecordViews

from .. import cues
from ..actions import CAMPAIGN, OPPORTUNITY
from ..forms import (
    ActivityForm,
    AddTargetsForm,
    CampaignForm,
    ConvertResponsesForm,
    LeadForm,
    OpportunityForm,
    ProspectForm,
    QualifyForm,
    ReasonForm,
    RecordCallForm,
    WinForm,
)
from ..models import (
    Activity,
    Campaign,
    CampaignTarget,
    Lead,
    Opportunity,
    Prospect,
    SalesStage,
)
from ..services import campaigns, relationships
from .parties import RoleViews

ACTIVITY_COLUMNS = [
    Column(_("due"), "due_at"),
    Column(_("type"), "kind"),
    Column(_("subject"), "subject"),
    Column(_("owner"), "owner"),
    Column(_("done"), "done"),
]


def activity_section(queryset):
    return {
        "title": _("Activities"),
        "columns": ACTIVITY_COLUMNS,
        "rows": list(queryset.select_related("owner")),
    }


class ProspectViews(RoleViews):
    model = Prospect
    namespace = "crm"
    slug = "prospects"
    icon = "bi-person-plus"
    role_form = ProspectForm
    columns = [
        Column(_("name"), "party.name", link=True, sort="party__name"),
        Column(_("source"), "source", sort="source"),
        Column(_("segment"), "segment", sort="segment"),
        Column(_("owner"), "owner"),
        Column(_("created at"), "created_at", sort="created_at"),
    ]
    search_fields = ["party__name", "party__email", "segment"]
    filter_fields = ["source", "owner"]
    detail_fields = [
        (_("name"), lambda p: p.party.name),
        (_("email"), lambda p: p.party.email),
        "source",
        "segment",
        "owner",
        "customer_template",
        "created_at",
    ]
    create_service = relationships.prospect_create
    update_service = relationships.prospect_update
    actions = [
        RecordAction(
            "convert",
            _("Make customer"),
            lambda prospect, user, data: relationships.party_convert_to_customer(
                party=prospect.party, actor=user, template=data.get("customer_template")
            ),
            form_class=WinForm,
            icon="bi-person-check",
            redirect=lambda prospect, customer: reverse("crm:customers-detail", args=[customer.pk]),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return Prospect.objects.select_related("party", "owner", "customer_template")

    @classmethod
    def related_sections(cls, obj):
        return [*super().related_sections(obj), activity_section(obj.party.activities.all())]


class LeadViews(RecordViews):
    model = Lead
    namespace = "crm"
    slug = "leads"
    icon = "bi-funnel"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("topic"), "topic", link=True, sort="topic"),
        Column(_("party"), "party.name", sort="party__name"),
        Column(_("status"), "status", sort="status"),
        Column(_("rating"), "rating", sort="rating"),
        Column(_("source"), "source"),
        Column(_("owner"), "owner"),
        Column(_("created at"), "created_at", sort="created_at"),
    ]
    search_fields = ["number", "topic", "party__name"]
    filter_fields = ["status", "rating", "source", "owner", "campaign"]
    detail_fields = [
        "number",
        "topic",
        "party",
        "contact",
        "status",
        "rating",
        "source",
        "campaign",
        "owner",
        "disqualify_reason",
        "notes",
        "created_at",
        "closed_at",
        (_("opportunity"), lambda lead: getattr(lead, "opportunity", None) or "–"),
    ]
    form_class = LeadForm
    create_service = relationships.lead_create
    update_service = relationships.lead_update
    delete_service = relationships.lead_delete
    actions = [
        RecordAction(
            "qualify",
            _("Qualify"),
            lambda lead, user, data: relationships.lead_qualify(
                lead=lead,
                actor=user,
                opportunity_data={k: v for k, v in data.items() if v not in (None, "")},
            ),
            form_class=QualifyForm,
            style="success",
            icon="bi-check2-circle",
            redirect=lambda lead, opportunity: reverse(
                "crm:opportunities-detail", args=[opportunity.pk]
            ),
        ),
        RecordAction(
            "disqualify",
            _("Disqualify"),
            lambda lead, user, data: relationships.lead_disqualify(
                lead=lead, reason=data["reason"], actor=user
            ),
            form_class=ReasonForm,
            style="outline-danger",
            icon="bi-x-circle",
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return Lead.objects.select_related("party", "owner", "contact", "campaign")

    @classmethod
    def related_sections(cls, obj):
        return [activity_section(obj.activities.all())]


class OpportunityStageForm(OpportunityForm):
    """The opportunity's form with its sales stage (a new one starts in the first stage)."""

    class Meta(OpportunityForm.Meta):
        fields = [*OpportunityForm.Meta.fields[:4], "stage", *OpportunityForm.Meta.fields[4:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = SalesStage.objects.filter(active=True)
        if self.instance.stage_id:
            stages = SalesStage.objects.filter(Q(active=True) | Q(pk=self.instance.stage_id))
        self.fields["stage"].queryset = stages.order_by("sequence", "id")


class OpportunityViews(RecordViews):
    model = Opportunity
    namespace = "crm"
    slug = "opportunities"
    icon = "bi-graph-up"
    detail_template = "crm/opportunity_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("topic"), "topic", link=True, sort="topic"),
        Column(_("party"), "party.name", sort="party__name"),
        Column(_("sales stage"), "stage.name", sort="stage__sequence"),
        Column(_("status"), "status", sort="status"),
        Column(_("estimated revenue"), "estimated_revenue", align="end", sort="estimated_revenue"),
        Column(_("probability (%)"), "probability", align="end", sort="probability"),
        Column(_("expected close date"), "expected_close_date", sort="expected_close_date"),
        Column(_("owner"), "owner"),
    ]
    search_fields = ["number", "topic", "party__name"]
    filter_fields = ["status", "stage", "owner", "campaign"]
    detail_fields = [
        "number",
        "topic",
        "party",
        "contact",
        "stage",
        "status",
        "estimated_revenue",
        "currency",
        "probability",
        (_("weighted revenue"), lambda o: o.weighted_revenue),
        "expected_close_date",
        "lead",
        "campaign",
        "owner",
        "lost_reason",
        "notes",
        "created_at",
        "closed_at",
    ]
    form_class = OpportunityStageForm
    create_service = relationships.opportunity_create
    update_service = relationships.opportunity_update
    delete_service = relationships.opportunity_delete
    actions = [
        RecordAction(
            "win",
            _("Won"),
            lambda opp, user, data: relationships.opportunity_win(
                opportunity=opp, actor=user, customer_template=data.get("customer_template")
            ),
            form_class=WinForm,
            style="success",
            icon="bi-trophy",
        ),
        RecordAction(
            "lose",
            _("Lost"),
            lambda opp, user, data: relationships.opportunity_lose(
                opportunity=opp, reason=data["reason"], actor=user
            ),
            form_class=ReasonForm,
            style="outline-danger",
            icon="bi-hand-thumbs-down",
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda opp, user, data: relationships.opportunity_cancel(opportunity=opp, actor=user),
            style="outline-secondary",
            icon="bi-slash-circle",
            confirm=_("Cancel this opportunity?"),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return Opportunity.objects.select_related(
            "party", "owner", "contact", "campaign", "currency", "lead", "stage"
        )

    @classmethod
    def detail_context(cls, request, obj):
        """The "Move to stage" menu: the other active stages, when the opportunity is open."""
        movable = (
            request.user.has_perm("crm.change_opportunity")
            and OPPORTUNITY.refusal(obj, "move_stage") is None
        )
        return {
            "move_stages": list(
                SalesStage.objects.filter(active=True)
                .exclude(pk=obj.stage_id)
                .order_by("sequence", "id")
            )
            if movable
            else []
        }


class ActivityViews(RecordViews):
    model = Activity
    namespace = "crm"
    slug = "activities"
    icon = "bi-calendar-check"
    keep_params = ["mine"]
    columns = [
        Column(_("due"), "due_at", sort="due_at"),
        Column(_("type"), "kind", sort="kind"),
        Column(_("subject"), "subject", link=True, sort="subject"),
        Column(_("party"), "party.name", sort="party__name"),
        Column(_("about"), "about_repr"),
        Column(_("owner"), "owner"),
        Column(_("done"), "done", sort="done"),
    ]
    search_fields = ["subject", "notes", "party__name"]
    filter_fields = ["kind", "done", "owner"]

    @classmethod
    def filterset_class(cls):
        # the work queues the role centre's cues open (`?queue=...`)
        return cues.activity_filterset(super().filterset_class())

    default_ordering = "due_at"
    detail_fields = [
        "kind",
        "subject",
        "party",
        "lead",
        "opportunity",
        (_("about"), lambda a: a.about_repr or "–"),
        "due_at",
        "owner",
        "done",
        "done_at",
        "done_by",
        "notes",
    ]
    form_class = ActivityForm
    create_service = relationships.activity_create
    update_service = relationships.activity_update
    actions = [
        RecordAction(
            "complete",
            _("Mark done"),
            lambda activity, user, data: relationships.activity_complete(
                activity=activity, actor=user
            ),
            available=lambda activity: not activity.done,
            style="success",
            icon="bi-check2",
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return Activity.objects.select_related("party", "lead", "opportunity", "owner", "done_by")

    @classmethod
    def list_queryset(cls, request, queryset):
        if request.GET.get("mine"):
            return queryset.filter(owner=request.user, done=False)
        return queryset

    @classmethod
    def list_title(cls, request):
        return _("my open activities") if request.GET.get("mine") else super().list_title(request)


class CampaignViews(RecordViews):
    model = Campaign
    namespace = "crm"
    slug = "campaigns"
    icon = "bi-megaphone"
    detail_template = "crm/campaign_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("name"), "name", link=True, sort="name"),
        Column(_("type"), "kind", sort="kind"),
        Column(_("status"), "status", sort="status"),
        Column(_("start date"), "start_date", sort="start_date"),
        Column(_("end date"), "end_date", sort="end_date"),
        Column(_("targets"), "target_count", align="end", sort="target_count"),
        Column(_("budget"), "budget", align="end", sort="budget"),
    ]
    search_fields = ["number", "name"]
    filter_fields = ["status", "kind", "owner"]
    detail_fields = [
        "number",
        "name",
        "kind",
        "status",
        "start_date",
        "end_date",
        "owner",
        "budget",
        "currency",
        "description",
        "launched_at",
        "closed_at",
    ]
    form_class = CampaignForm
    create_service = campaigns.campaign_create
    update_service = campaigns.campaign_update
    delete_service = campaigns.campaign_delete
    actions = [
        RecordAction(
            "launch",
            _("Launch"),
            lambda c, user, data: campaigns.campaign_launch(campaign=c, actor=user),
            style="success",
            icon="bi-rocket-takeoff",
            confirm=_("Launch the campaign? An email campaign starts sending at once."),
        ),
        RecordAction(
            "convert-responses",
            _("Convert positive responses"),
            lambda c, user, data: campaigns.campaign_convert_responses(
                campaign=c, actor=user, into=data["into"]
            ),
            form_class=ConvertResponsesForm,
            icon="bi-arrow-right-circle",
        ),
        RecordAction(
            "complete",
            _("Complete"),
            lambda c, user, data: campaigns.campaign_complete(campaign=c, actor=user),
            icon="bi-flag",
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda c, user, data: campaigns.campaign_cancel(campaign=c, actor=user),
            style="outline-danger",
            icon="bi-slash-circle",
            confirm=_("Cancel the campaign? Mail not sent yet will not be sent."),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return (
            Campaign.objects.select_related("owner", "currency")
            .annotate(target_count=Count("targets"))
            .order_by("-created_at", "-id")
        )

    @classmethod
    def detail_context(cls, request, obj):
        targets = obj.targets.select_related(
            "party", "contact", "send", "lead", "opportunity"
        ).order_by("follow_up_date", "party__name", "id")
        responses = campaigns.response_summary(obj)
        return {
            "campaign": obj,
            "targets": targets[:500],
            "target_total": obj.target_count,
            "add_targets_form": AddTargetsForm(prefix="targets"),
            "call_form": RecordCallForm(prefix="call"),
            "response_choices": CampaignTarget.Response.choices,
            "responses_chart": {
                "labels": [str(label) for value, label in CampaignTarget.Response.choices],
                "values": [
                    responses.get(value, 0) for value, _label in CampaignTarget.Response.choices
                ],
            },
            "progress": campaigns.campaign_progress(obj)
            if obj.is_email and obj.status != Campaign.Status.DRAFT
            else None,
            "can_change_targets": request.user.has_perm("crm.change_campaigntarget"),
            "can_add_targets": request.user.has_perm("crm.change_campaign")
            and CAMPAIGN.refusal(obj, "add_targets") is None,
        }

    @classmethod
    def urls(cls):
        return [
            *super().urls(),
            path(f"{cls.slug}/<int:pk>/add-targets/", add_targets, name="campaigns-add-targets"),
            path(f"{cls.slug}/<int:pk>/progress/", send_progress, name="campaigns-progress"),
            path(
                f"{cls.slug}/targets/<int:pk>/response/",
                target_response,
                name="campaigns-target-response",
            ),
            path(f"{cls.slug}/targets/<int:pk>/call/", target_call, name="campaigns-target-call"),
        ]


@login_required
@permission_required("crm.change_campaign", raise_exception=True)
@require_POST
def add_targets(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = AddTargetsForm(request.POST, prefix="targets")
    if form.is_valid():
        try:
            added = campaigns.campaign_add_targets(
                campaign=campaign, actor=request.user, **form.service_arguments()
            )
            messages.success(request, _("%(count)d targets added.") % {"count": added})
        except (DomainError, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return HttpResponseRedirect(reverse("crm:campaigns-detail", args=[pk]) + "#targets")


@login_required
@permission_required("crm.view_campaign", raise_exception=True)
def send_progress(request, pk):
    """The progress bar, polled by htmx while mail is going out; 286 stops the polling."""
    campaign = get_object_or_404(Campaign, pk=pk)
    progress = campaigns.campaign_progress(campaign)
    response = render(
        request, "crm/_send_progress.html", {"campaign": campaign, "progress": progress}
    )
    if campaign.status != Campaign.Status.ACTIVE or not progress["remaining"]:
        response.status_code = 286
    return response


def _target_row(request, target, error=""):
    target = CampaignTarget.objects.select_related(
        "party", "contact", "send", "campaign", "lead", "opportunity"
    ).get(pk=target.pk)
    return render(
        request,
        "crm/_target_row.html",
        {
            "target": target,
            "campaign": target.campaign,
            "response_choices": CampaignTarget.Response.choices,
            "call_form": RecordCallForm(prefix="call"),
            "can_change_targets": True,
            "error": error,
        },
    )


@login_required
@permission_required("crm.change_campaigntarget", raise_exception=True)
@require_POST
def target_response(request, pk):
    target = get_object_or_404(CampaignTarget, pk=pk)
    try:
        target = campaigns.target_record_response(
            target=target, response=request.POST.get("response", ""), actor=request.user
        )
    except (DomainError, ValidationError) as exc:
        return _target_row(request, target, " ".join(getattr(exc, "messages", [str(exc)])))
    return _target_row(request, target)


@login_required
@permission_required("crm.change_campaigntarget", raise_exception=True)
@require_POST
def target_call(request, pk):
    target = get_object_or_404(CampaignTarget, pk=pk)
    form = RecordCallForm(request.POST, prefix="call")
    if not form.is_valid():
        return _target_row(
            request, target, " ".join(e for errors in form.errors.values() for e in errors)
        )
    try:
        campaigns.target_record_call(target=target, actor=request.user, **form.cleaned_data)
    except (DomainError, ValidationError) as exc:
        return _target_row(request, target, " ".join(getattr(exc, "messages", [str(exc)])))
    return _target_row(request, target)
