"""API of allocation (runs that split an item's on-hand between its backorders and reserve it)
and of order promising (the earliest ship date of an order's lines)."""

from decimal import Decimal

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory.models import Item, Warehouse
from salesmkt.core.api.filters import refuse_unknown_query_parameters
from salesmkt.core.api.viewsets import ActionInputMixin, IdempotentMixin
from salesmkt.core.dates import BoundedDatesMixin

from ..models import AllocationRun, AllocationRunLine, SalesOrderLine
from ..services import allocation


class AllocationRunLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = AllocationRunLine
        fields = [
            "order_line",
            "reference",
            "warehouse",
            "deliver_remainder",
            "reserved_before",
            "quantity",
        ]
        read_only_fields = fields


class AllocationRunSerializer(serializers.ModelSerializer):
    lines = AllocationRunLineSerializer(many=True, read_only=True)

    class Meta:
        model = AllocationRun
        fields = ["id", "item", "warehouse", "method", "created_by", "created_at", "lines"]
        read_only_fields = fields


class ManualAllocationLineSerializer(serializers.Serializer):
    order_line = serializers.PrimaryKeyRelatedField(queryset=SalesOrderLine.objects.all())
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4, min_value=Decimal(0))


class AllocationRunInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(),
        required=False,
        allow_null=True,
        help_text="Left out: every warehouse, each split from its own on-hand.",
    )
    lines = ManualAllocationLineSerializer(
        many=True,
        required=False,
        help_text=(
            "Given: a run by hand; these lines get these reservations, lines not given keep "
            "theirs (409 `exceeds_remainder`, `exceeds_on_hand`). Left out: an automatic run."
        ),
    )


class ProposedLineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(source="line.pk")
    order = serializers.CharField(source="line.order.number")
    line_number = serializers.IntegerField(source="line.line_number")
    ship_date = serializers.DateField(help_text="Confirmed ship date, else requested.")
    priority = serializers.IntegerField(source="line.order.priority")
    order_date = serializers.DateTimeField(source="line.order.created_at")
    deliver_remainder = serializers.DecimalField(max_digits=20, decimal_places=4)
    reserved = serializers.DecimalField(max_digits=20, decimal_places=4)
    proposed = serializers.DecimalField(max_digits=20, decimal_places=4)


class ProposalSerializer(serializers.Serializer):
    warehouse = serializers.IntegerField(source="warehouse.pk")
    warehouse_code = serializers.CharField(source="warehouse.code")
    on_hand = serializers.DecimalField(max_digits=20, decimal_places=4)
    reserved_elsewhere = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        help_text="Reserved for lines that are not backorders of the split.",
    )
    available = serializers.DecimalField(max_digits=20, decimal_places=4)
    unallocated = serializers.DecimalField(max_digits=20, decimal_places=4)
    lines = ProposedLineSerializer(many=True, source="shares")


class AllocationRunViewSet(
    IdempotentMixin,
    ActionInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Allocation runs, newest first. POST run/ splits an item's on-hand between its backorders
    (by ship date, priority, order date) or as entered; GET proposal/ shows what an automatic
    run would do."""

    queryset = AllocationRun.objects.prefetch_related(
        Prefetch("lines", queryset=AllocationRunLine.objects.order_by("id"))
    )
    serializer_class = AllocationRunSerializer
    filterset_fields = ["item", "warehouse", "method"]
    ordering_fields = ["created_at"]
    action_permissions = {"run": ["orders.allocate_stock"]}

    @extend_schema(request=AllocationRunInputSerializer, responses={201: AllocationRunSerializer})
    @action(detail=False, methods=["post"])
    def run(self, request):
        data = self.validated(AllocationRunInputSerializer)
        run = allocation.allocation_run(
            item=data["item"],
            warehouse=data.get("warehouse"),
            lines=data.get("lines"),
            actor=request.user,
        )
        return Response(
            AllocationRunSerializer(self.get_queryset().get(pk=run.pk)).data, status=201
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("item", int, required=True),
            OpenApiParameter("warehouse", int, required=False),
        ],
        responses={200: ProposalSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def proposal(self, request):
        """What an automatic run would reserve now, per warehouse, backorders in allocation
        order."""
        refuse_unknown_query_parameters(request, self, ProposalQuerySerializer)
        params = ProposalQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        splits = allocation.allocation_proposal(
            item=params.validated_data["item"], warehouse=params.validated_data.get("warehouse")
        )
        return Response(ProposalSerializer(splits, many=True).data)


class ProposalQuerySerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True
    )


class LinePromiseSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    line_number = serializers.IntegerField()
    quantity = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="What is left to deliver."
    )
    reserved = serializers.DecimalField(max_digits=20, decimal_places=4)
    available_now = serializers.DecimalField(max_digits=20, decimal_places=4)
    atp_date = serializers.DateField(
        allow_null=True, help_text="Available to promise: on-hand and expected receipts."
    )
    ctp_date = serializers.DateField(
        allow_null=True, help_text="Capable to promise: today plus the purchase lead time."
    )
    promised_date = serializers.DateField(allow_null=True, help_text="The date to offer.")
    shortfall = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="What no known supply covers."
    )


class ConfirmSerializer(BoundedDatesMixin, serializers.Serializer):
    confirmed_ship_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Left out: the date already set, else the requested ship date.",
    )


class OrderPromiseSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    offered_confirmed_ship_date = serializers.DateField(
        help_text="The latest promised date of the lines, not before the requested ship date."
    )
    lines = LinePromiseSerializer(many=True)


def order_promise_data(order, found) -> dict:
    from ..services import promising

    numbers = dict(order.lines.values_list("pk", "line_number"))
    return {
        "order": order.pk,
        "offered_confirmed_ship_date": promising.offered_ship_date(order, found),
        "lines": [
            {**promise.as_dict(), "line_number": numbers[promise.line]}
            for promise in sorted(found.values(), key=lambda p: numbers[p.line])
        ],
    }
