"""API of invoice runs: POST starts one ("every invoiceable packing slip up to a date, one
invoice per customer"), GET follows its progress and lists each customer's invoice or reason."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.viewsets import ServiceModelViewSet
from salesmkt.core.dates import BoundedDatesMixin

from .. import actions  # noqa: F401  (the declarations `allowed_actions` reads)
from ..models import InvoiceRun, InvoiceRunCustomer
from ..selectors import run_progress, runs_with_progress
from ..services import runs


class InvoiceRunRowSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.party.name", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, default="")

    class Meta:
        model = InvoiceRunCustomer
        fields = [
            "id",
            "customer",
            "customer_name",
            "currency",
            "packing_slips",
            "status",
            "invoice",
            "invoice_number",
            "error",
        ]
        read_only_fields = fields


class RunProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    posted = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    percent = serializers.IntegerField()


class InvoiceRunSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    rows = InvoiceRunRowSerializer(many=True, read_only=True)
    allowed_actions = AllowedActionsField(InvoiceRun)

    class Meta:
        model = InvoiceRun
        fields = [
            "id",
            "up_to_date",
            "invoice_date",
            "customer_group",
            "status",
            "progress",
            "rows",
            "created_by",
            "created_at",
            "finished_at",
            "allowed_actions",
        ]
        read_only_fields = ["status", "created_by", "created_at", "finished_at"]
        extra_kwargs = {"invoice_date": {"required": False}}

    @extend_schema_field(RunProgressSerializer)
    def get_progress(self, run):
        return run_progress(run)


def _create(*, data, actor):
    return runs.invoice_run_create(actor=actor, **data)


class InvoiceRunViewSet(ServiceModelViewSet):
    """Invoice runs. POST records the run (one row per customer and currency with its packing
    slips) and queues it; each customer's invoice is posted in its own transaction, and a
    customer that fails is listed with its reason while the others go on."""

    http_method_names = ["get", "post", "head", "options"]
    # The progress counts group the rows, which drops the model's ordering: order again so that
    # pages are stable.
    queryset = runs_with_progress(
        InvoiceRun.objects.prefetch_related(
            "rows__customer__party", "rows__invoice", "rows__packing_slips"
        )
    ).order_by("-created_at", "-id")
    serializer_class = InvoiceRunSerializer
    filterset_fields = ["status", "up_to_date"]
    ordering_fields = ["created_at", "up_to_date"]
    create_service = _create
    action_permissions = {"create": ["invoicing.add_invoicerun", "invoicing.post_invoice"]}
