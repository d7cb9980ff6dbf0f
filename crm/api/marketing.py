"""API of the relationship flow and campaigns: resources and their transition actions."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.viewsets import ActionInputMixin, IdempotentMixin, ServiceModelViewSet

from .. import actions  # noqa: F401  (the declarations `allowed_actions` reads)
from ..models import (
    Activity,
    Campaign,
    CampaignCall,
    CampaignTarget,
    ContactPerson,
    CustomerTemplate,
    Lead,
    Opportunity,
    Party,
    Prospect,
    SalesStage,
)
from ..models.campaigns import TARGET_SOURCES
from ..services import activities, campaigns, merge, relationships, stages
from .serializers import PartyRoleSerializer, PartySerializer

User = get_user_model()


# --- serializers ------------------------------------------------------------------------------
class ProspectSerializer(PartyRoleSerializer):
    class Meta:
        model = Prospect
        fields = [
            "id",
            "name",
            "party",
            "party_id",
            "source",
            "segment",
            "owner",
            "customer_template",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class LeadSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    opportunity = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    allowed_actions = AllowedActionsField(Lead)

    class Meta:
        model = Lead
        fields = [
            "id",
            "number",
            "party",
            "party_name",
            "contact",
            "topic",
            "source",
            "campaign",
            "rating",
            "owner",
            "status",
            "disqualify_reason",
            "notes",
            "opportunity",
            "allowed_actions",
            "created_at",
            "closed_at",
        ]
        read_only_fields = ["number", "status", "disqualify_reason", "created_at", "closed_at"]


class SalesStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesStage
        fields = ["id", "code", "name", "sequence", "probability", "active"]


class OpportunitySerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True, allow_null=True)
    weighted_revenue = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    allowed_actions = AllowedActionsField(Opportunity)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "number",
            "party",
            "party_name",
            "contact",
            "lead",
            "campaign",
            "topic",
            "estimated_revenue",
            "currency",
            "stage",
            "stage_name",
            "probability",
            "weighted_revenue",
            "expected_close_date",
            "owner",
            "status",
            "lost_reason",
            "notes",
            "allowed_actions",
            "created_at",
            "closed_at",
        ]
        read_only_fields = ["number", "lead", "status", "lost_reason", "created_at", "closed_at"]


class ActivitySerializer(serializers.ModelSerializer):
    """A note or a scheduled activity. The record it is about is named by `content_type`
    ("app_label.model", e.g. "crm.customer", "orders.salesorder") and `object_id`, or by
    `opportunity`, `lead` or `party`; the party is filled from the record."""

    content_type = serializers.PrimaryKeyRelatedField(
        queryset=ContentType.objects.all(),
        required=False,
        allow_null=True,
        help_text="The record type's id; see `record_type` for its name.",
    )
    record_type = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "notes",
            "content_type",
            "record_type",
            "object_id",
            "about_repr",
            "party",
            "lead",
            "opportunity",
            "due_at",
            "owner",
            "done",
            "done_at",
            "done_by",
            "created_at",
        ]
        read_only_fields = ["about_repr", "done_at", "done_by", "created_at"]
        extra_kwargs = {"party": {"required": False}, "owner": {"required": False}}

    def get_record_type(self, activity) -> str:
        if activity.content_type_id is None:
            return ""
        content_type = ContentType.objects.get_for_id(activity.content_type_id)
        return f"{content_type.app_label}.{content_type.model}"

    def to_internal_value(self, data):
        # "crm.customer" is accepted for the content type, as well as its id
        raw = data.get("content_type") if hasattr(data, "get") else None
        if isinstance(raw, str) and "." in raw:
            app_label, _, model = raw.partition(".")
            found = ContentType.objects.filter(app_label=app_label, model=model).first()
            data = data.copy() if hasattr(data, "copy") else dict(data)
            data["content_type"] = found.pk if found else -1
        return super().to_internal_value(data)


class CampaignSerializer(serializers.ModelSerializer):
    target_count = serializers.SerializerMethodField()
    allowed_actions = AllowedActionsField(Campaign)

    class Meta:
        model = Campaign
        fields = [
            "id",
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
            "subject",
            "body_text",
            "body_html",
            "target_count",
            "allowed_actions",
            "launched_at",
            "closed_at",
            "created_at",
        ]
        read_only_fields = ["number", "status", "launched_at", "closed_at", "created_at"]

    def get_target_count(self, campaign) -> int:
        # Lists and details annotate the count; a campaign just created or updated counts here.
        annotated = getattr(campaign, "target_count", None)
        return annotated if annotated is not None else campaign.targets.count()


class CampaignTargetSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    email = serializers.EmailField(read_only=True)
    send_status = serializers.CharField(
        source="send.status", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = CampaignTarget
        fields = [
            "id",
            "campaign",
            "party",
            "party_name",
            "contact",
            "email",
            "origin",
            "response",
            "responded_at",
            "call_outcome",
            "follow_up_date",
            "lead",
            "opportunity",
            "send_status",
        ]
        read_only_fields = [
            "campaign",
            "party",
            "contact",
            "origin",
            "responded_at",
            "call_outcome",
            "follow_up_date",
            "lead",
            "opportunity",
        ]


class CustomerTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerTemplate
        fields = [
            "id",
            "code",
            "name",
            "is_default",
            "customer_group",
            "payment_terms",
            "currency",
            "sales_tax_group",
            "price_group",
            "posting_profile",
            "credit_limit",
        ]


class MoveStageSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=SalesStage.objects.all())


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class QualifySerializer(serializers.Serializer):
    estimated_revenue = serializers.DecimalField(
        max_digits=20, decimal_places=2, required=False, min_value=0
    )
    probability = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100
    )
    expected_close_date = serializers.DateField(required=False)


class WinSerializer(serializers.Serializer):
    customer_template = serializers.PrimaryKeyRelatedField(
        queryset=CustomerTemplate.objects.all(), required=False
    )


class AddTargetsSerializer(serializers.Serializer):
    parties = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.all(), many=True, required=False
    )
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=ContactPerson.objects.all(), many=True, required=False
    )
    source = serializers.ChoiceField(choices=TARGET_SOURCES, required=False)
    filters = serializers.DictField(
        required=False, help_text="customer_group, price_group, language, segment, rating, status"
    )


class AddTargetsResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()


class ConvertResponsesSerializer(serializers.Serializer):
    into = serializers.ChoiceField(choices=["lead", "opportunity"], default="lead")


class ConvertResponsesResultSerializer(serializers.Serializer):
    leads = serializers.ListField(child=serializers.IntegerField())
    opportunities = serializers.ListField(child=serializers.IntegerField())


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    remaining = serializers.IntegerField()
    percent = serializers.IntegerField()


class RecordCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignCall
        fields = ["id", "outcome", "follow_up_date", "notes", "called_at", "caller"]
        read_only_fields = ["called_at", "caller"]


class MergeSerializer(serializers.Serializer):
    duplicates = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all(), many=True)


# --- viewsets ---------------------------------------------------------------------------------
class ProspectViewSet(ServiceModelViewSet):
    queryset = Prospect.objects.select_related("party").prefetch_related(
        "party__addresses", "party__contacts", "party__customer", "party__vendor"
    )
    serializer_class = ProspectSerializer
    filterset_fields = ["source", "segment", "owner"]
    search_fields = ["party__name", "party__email", "segment"]
    ordering_fields = ["party__name", "created_at"]
    create_service = relationships.prospect_create
    update_service = relationships.prospect_update


class LeadViewSet(ServiceModelViewSet):
    queryset = Lead.objects.select_related("party", "opportunity")
    serializer_class = LeadSerializer
    filterset_fields = ["status", "source", "rating", "owner", "campaign", "party"]
    search_fields = ["number", "topic", "party__name"]
    ordering_fields = ["number", "created_at", "rating"]
    create_service = relationships.lead_create
    update_service = relationships.lead_update
    delete_service = relationships.lead_delete

    @extend_schema(request=QualifySerializer, responses={201: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def qualify(self, request, pk=None):
        """Qualify an open lead: it closes and a linked opportunity opens."""
        data = self.validated(QualifySerializer)
        opportunity = relationships.lead_qualify(
            lead=self.get_object(), actor=request.user, opportunity_data=data
        )
        return Response(
            OpportunitySerializer(opportunity, context=self.get_serializer_context()).data,
            status=201,
        )

    @extend_schema(request=ReasonSerializer, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def disqualify(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        lead = relationships.lead_disqualify(
            lead=self.get_object(), reason=data["reason"], actor=request.user
        )
        return Response(self.get_serializer(lead).data)


class OpportunityViewSet(ServiceModelViewSet):
    queryset = Opportunity.objects.select_related("party", "stage")
    serializer_class = OpportunitySerializer
    filterset_fields = ["status", "stage", "owner", "campaign", "party", "currency"]
    search_fields = ["number", "topic", "party__name"]
    ordering_fields = [
        "number",
        "created_at",
        "expected_close_date",
        "estimated_revenue",
        "probability",
    ]
    create_service = relationships.opportunity_create
    update_service = relationships.opportunity_update
    delete_service = relationships.opportunity_delete

    @extend_schema(request=WinSerializer, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        """Win the opportunity; a party that is not a customer yet becomes one."""
        data = self.validated(WinSerializer)
        opportunity = relationships.opportunity_win(
            opportunity=self.get_object(),
            actor=request.user,
            customer_template=data.get("customer_template"),
        )
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(request=ReasonSerializer, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        opportunity = relationships.opportunity_lose(
            opportunity=self.get_object(), reason=data["reason"], actor=request.user
        )
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(request=None, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        opportunity = relationships.opportunity_cancel(
            opportunity=self.get_object(), actor=request.user
        )
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(request=MoveStageSerializer, responses={200: OpportunitySerializer})
    @action(detail=True, methods=["post"], url_path="move-stage")
    def move_stage(self, request, pk=None):
        """Move an open opportunity to another sales stage (its probability becomes the
        stage's); a won, lost or canceled one is refused with 409 `opportunity_closed`."""
        data = self.validated(MoveStageSerializer)
        opportunity = stages.opportunity_move_stage(
            opportunity=self.get_object(), stage=data["stage"], actor=request.user
        )
        return Response(self.get_serializer(opportunity).data)


class SalesStageViewSet(ServiceModelViewSet):
    """The sales stages of the pipeline, in their sequence, with their probability."""

    queryset = SalesStage.objects.all()
    serializer_class = SalesStageSerializer
    filterset_fields = ["active"]
    search_fields = ["code", "name"]
    ordering_fields = ["sequence", "code", "name", "probability"]
    create_service = stages.sales_stage_create
    update_service = stages.sales_stage_update
    delete_service = stages.sales_stage_delete


class ActivityViewSet(ServiceModelViewSet):
    """Notes and scheduled activities; `?content_type=<id>&object_id=<id>` lists the ones on
    one record."""

    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    filterset_fields = [
        "kind",
        "owner",
        "done",
        "party",
        "lead",
        "opportunity",
        "content_type",
        "object_id",
    ]
    search_fields = ["subject", "notes", "party__name"]
    ordering_fields = ["due_at", "created_at"]
    create_service = relationships.activity_create
    update_service = relationships.activity_update

    @extend_schema(request=None, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        activity = relationships.activity_complete(activity=self.get_object(), actor=request.user)
        return Response(ActivitySerializer(activity).data)

    @extend_schema(request=None, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """Mark the activity done, by you, now; done already: 409 `activity_done`."""
        activity = activities.activity_mark_done(activity=self.get_object(), actor=request.user)
        return Response(ActivitySerializer(activity).data)


class CampaignViewSet(ServiceModelViewSet):
    serializer_class = CampaignSerializer
    filterset_fields = ["status", "kind", "owner"]
    search_fields = ["number", "name"]
    ordering_fields = ["number", "created_at", "start_date"]
    create_service = campaigns.campaign_create
    update_service = campaigns.campaign_update
    delete_service = campaigns.campaign_delete

    def get_queryset(self):
        from django.db.models import Count

        return Campaign.objects.annotate(target_count=Count("targets")).order_by(
            "-created_at", "-id"
        )

    def _respond(self, campaign):
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Activate the campaign; an email campaign starts sending on the workers."""
        return self._respond(
            campaigns.campaign_launch(campaign=self.get_object(), actor=request.user)
        )

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._respond(
            campaigns.campaign_complete(campaign=self.get_object(), actor=request.user)
        )

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(
            campaigns.campaign_cancel(campaign=self.get_object(), actor=request.user)
        )

    @extend_schema(request=AddTargetsSerializer, responses={200: AddTargetsResultSerializer})
    @action(detail=True, methods=["post"], url_path="add-targets")
    def add_targets(self, request, pk=None):
        """Add targets by hand (`parties`, `contacts`) or by filter (`source` + `filters`)."""
        data = self.validated(AddTargetsSerializer)
        added = campaigns.campaign_add_targets(
            campaign=self.get_object(), actor=request.user, **data
        )
        return Response({"added": added})

    @extend_schema(
        request=ConvertResponsesSerializer, responses={200: ConvertResponsesResultSerializer}
    )
    @action(detail=True, methods=["post"], url_path="convert-responses")
    def convert_responses(self, request, pk=None):
        """Turn positive responses into leads (or opportunities), once each."""
        data = self.validated(ConvertResponsesSerializer)
        created = campaigns.campaign_convert_responses(
            campaign=self.get_object(), actor=request.user, into=data["into"]
        )
        key = "leads" if data["into"] == "lead" else "opportunities"
        return Response({"leads": [], "opportunities": [], key: [r.pk for r in created]})

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Email sending progress: sent, failed, skipped and remaining."""
        return Response(campaigns.campaign_progress(self.get_object()))


class CampaignTargetViewSet(
    IdempotentMixin,
    ActionInputMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Targets of campaigns; filter by `campaign`. PATCH the `response`, or record a call.
    Targets are added with POST /campaigns/{id}/add-targets/."""

    http_method_names = ["get", "patch", "delete", "post", "head", "options"]
    queryset = CampaignTarget.objects.select_related("party", "contact", "send")
    serializer_class = CampaignTargetSerializer
    filterset_fields = ["campaign", "response", "call_outcome", "origin", "party"]
    search_fields = ["party__name", "party__email", "contact__email"]
    ordering_fields = ["party__name", "follow_up_date", "responded_at"]

    def perform_update(self, serializer):
        serializer.instance = campaigns.target_record_response(
            target=serializer.instance,
            response=serializer.validated_data.get("response", serializer.instance.response),
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        campaigns.campaign_remove_target(target=instance, actor=self.request.user)

    @extend_schema(request=RecordCallSerializer, responses={201: RecordCallSerializer})
    @action(detail=True, methods=["post"], url_path="record-call")
    def record_call(self, request, pk=None):
        data = self.validated(RecordCallSerializer)
        call = campaigns.target_record_call(target=self.get_object(), actor=request.user, **data)
        return Response(RecordCallSerializer(call).data, status=201)


class CustomerTemplateViewSet(ServiceModelViewSet):
    queryset = CustomerTemplate.objects.all()
    serializer_class = CustomerTemplateSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code"]


class PartyMergeMixin:
    action_permissions = {"merge": ["crm.change_party", "crm.delete_party"]}

    @extend_schema(request=MergeSerializer, responses={200: PartySerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge the `duplicates` into this party: every reference moves here, they are removed."""
        data = self.validated(MergeSerializer)
        party = merge.party_merge(
            survivor=self.get_object(), duplicates=data["duplicates"], actor=request.user
        )
        return Response(PartySerializer(self.get_queryset().get(pk=party.pk)).data)
