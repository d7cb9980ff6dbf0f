from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from crm.api.marketing import ReasonSerializer
from inventory.api.serializers import PurchaseOrderSerializer
from inventory.api.views import PurchaseOrderViewSet
from salesmkt.core.api.viewsets import (
    ActionInputMixin,
    IdempotentMixin,
    PreparedPageMixin,
    ServiceModelViewSet,
)
from salesmkt.core.errors import ConflictError, DomainError

from ..actions import SALES_ORDER
from ..models import (
    PackingSlip,
    PackingSlipLine,
    Project,
    SalesOrder,
    SalesOrderLine,
    SalesQuotation,
    SalesQuotationLine,
)
from ..selectors.returns import with_returned_quantity
from ..services import approval, delivery, orders, projects, quotations, returns, supply
from . import allocation as allocation_api
from . import serializers


class ApprovalActionsMixin:
    """approve/ and reject/ of quotations and orders, for users who may approve."""

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A sales manager approves the pending document."""
        return self._respond(approval.approve(self.get_object(), actor=request.user))

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        return self._respond(
            approval.reject(self.get_object(), reason=data["reason"], actor=request.user)
        )


LINE_ID = OpenApiParameter("line_id", OpenApiTypes.INT, OpenApiParameter.PATH)
# A change of one line is refused like a change of its document, and like that line's change
# in a document write.
LINE_REFUSALS = (
    "order_not_open",
    "released_from_agreement",
    "line_delivered",
    "quantity_below_delivered",
    "line_purchased",
    "return_exceeds_sold",
)


def line_endpoints(
    *, line_model, serializer, document_field: str, add, change, delete, add_help, change_help
) -> type:
    """A mixin with a document's `lines/` (POST: add a line) and `lines/{line_id}/` (PATCH:
    change it, DELETE: remove it): one line changes, the document's other lines are not touched.
    The document is read without its lines. `add(<document_field>=document, data, actor)`,
    `change(line, data, actor)` and `delete(line, actor)` are the services; `serializer` shapes
    a line in and out. Permissions as for the document's own methods: adding and changing a
    line needs the change permission, removing one the delete permission."""

    class LineEndpoints:
        def _document(self):
            document = get_object_or_404(self.queryset.model.objects.all(), pk=self.kwargs["pk"])
            self.check_object_permissions(self.request, document)
            return document

        def _line_input(self, *, partial: bool) -> dict:
            given = serializer(
                data=self.request.data, partial=partial, context=self.get_serializer_context()
            )
            given.is_valid(raise_exception=True)
            return dict(given.validated_data)

        def _line_response(self, line, status_code=status.HTTP_200_OK):
            answer = serializer(line, context=self.get_serializer_context())
            return Response(answer.data, status=status_code)

        @extend_schema(request=serializer, responses={201: serializer}, description=add_help)
        @action(detail=True, methods=["post"], url_path="lines")
        def add_line(self, request, pk=None):
            document = self._document()
            data = self._line_input(partial=False)
            line = add(**{document_field: document}, data=data, actor=request.user)
            return self._line_response(line, status.HTTP_201_CREATED)

        @extend_schema(
            methods=["PATCH"],
            parameters=[LINE_ID],
            request=serializer,
            responses={200: serializer},
            description=change_help,
        )
        @extend_schema(
            methods=["DELETE"],
            parameters=[LINE_ID],
            request=None,
            responses={204: None},
            description=change_help,
        )
        @action(detail=True, methods=["patch", "delete"], url_path=r"lines/(?P<line_id>[0-9]+)")
        def change_line(self, request, pk=None, line_id=None):
            line = get_object_or_404(
                line_model.objects.select_related("item"),
                pk=line_id,
                **{document_field: self._document()},
            )
            if request.method == "DELETE":
                delete(line=line, actor=request.user)
                return Response(status=status.HTTP_204_NO_CONTENT)
            data = self._line_input(partial=True)
            return self._line_response(change(line=line, data=data, actor=request.user))

    return LineEndpoints


SALES_ORDER_LINES = line_endpoints(
    line_model=SalesOrderLine,
    serializer=serializers.SalesOrderLineInputSerializer,
    document_field="order",
    add=orders.sales_order_line_add,
    change=orders.sales_order_line_change,
    delete=orders.sales_order_line_delete,
    add_help=(
        "Add one line to an open order, priced by the price lookup; the other lines are not "
        "touched. Answers the line."
    ),
    change_help=(
        "PATCH: change one line of an open order (what is given; repriced when its item or "
        "quantity changes); DELETE: remove it. Only that line and its inventory movements are "
        "written."
    ),
)
QUOTATION_LINES = line_endpoints(
    line_model=SalesQuotationLine,
    serializer=serializers.SalesQuotationLineInputSerializer,
    document_field="quotation",
    add=quotations.quotation_line_add,
    change=quotations.quotation_line_change,
    delete=quotations.quotation_line_delete,
    add_help=(
        "Add one line to a created or sent quotation (a revision); the other lines are not "
        "touched. Answers the line."
    ),
    change_help=(
        "PATCH: change one line of a created or sent quotation (priced again); DELETE: remove "
        "it. Each is a revision; only that line is written."
    ),
)


class SalesOrderViewSet(SALES_ORDER_LINES, ApprovalActionsMixin, ServiceModelViewSet):
    """Sales orders of the five types, lines nested. State changes are POST actions."""

    queryset = SalesOrder.objects.select_related("customer__party").prefetch_related(
        Prefetch(
            "lines",
            queryset=with_returned_quantity(SalesOrderLine.objects.order_by("line_number")),
        ),
        # for `allowed_actions` (delete): whether the order has packing slips
        Prefetch("packing_slips", queryset=PackingSlip.objects.only("pk", "order_id")),
    )
    # Writing a return's lines: more than was sold and not returned yet.
    refusal_codes = {
        "create": ("return_exceeds_sold",),
        "update": ("return_exceeds_sold",),
        "partial_update": ("return_exceeds_sold",),
        "arrive": ("not_a_return", *SALES_ORDER.actions["deliver"].codes, "over_delivery"),
        "add_line": LINE_REFUSALS,
        "change_line": LINE_REFUSALS,
    }
    serializer_class = serializers.SalesOrderSerializer
    filterset_fields = {
        "order_type": ["exact"],
        "status": ["exact"],
        "document_status": ["exact"],
        "customer": ["exact"],
        "requested_ship_date": ["exact", "gte", "lte"],
        "created_at": ["gte", "lte"],
        "sales_agreement": ["exact"],
        "original_invoice_number": ["exact"],
    }
    search_fields = [
        "number",
        "rma_number",
        "customer__party__name",
        "customer__account_number",
        "customer_reference",
    ]
    ordering_fields = ["number", "requested_ship_date", "created_at"]
    create_service = orders.sales_order_create
    update_service = orders.sales_order_update
    delete_service = orders.sales_order_delete
    action_permissions = {
        "approve": ["orders.approve_documents"],
        "reject": ["orders.approve_documents"],
        "purchase": ["orders.change_salesorder", "inventory.add_purchaseorder"],
        "create_return": ["orders.add_salesorder"],
    }

    def _respond(self, order):
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        order = serializer.instance
        # The answer shows the lines as entered (a new order has no packing slips yet).
        orders.cache_lines(order, order.entered_lines)
        order._prefetched_objects_cache["packing_slips"] = order.packing_slips.none()

    @extend_schema(responses={200: serializers.LineSuggestionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def suggestions(self, request, pk=None):
        """Up-sell and cross-sell suggestions for the order's lines, best first per line."""
        from agreements.services.suggestions import sales_suggestions

        order = self.get_object()
        rows = [
            {
                "line": line.pk,
                "line_number": line.line_number,
                "rule": rule.pk,
                "kind": rule.kind,
                "item": rule.suggested_item_id,
                "item_number": rule.suggested_item.item_number,
                "item_name": rule.suggested_item.name,
                "pitch": rule.pitch,
            }
            for line in order.lines.select_related("item").order_by("line_number")
            for rule in sales_suggestions(
                item=line.item,
                customer=order.customer,
                quantity=line.quantity,
                line_amount=line.line_amount,
            )
        ]
        return Response(serializers.LineSuggestionSerializer(rows, many=True).data)

    @extend_schema(
        request=allocation_api.ConfirmSerializer, responses={200: serializers.SalesOrderSerializer}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm to the customer; fixes the confirmed ship date (the one given, e.g. the
        `offered_confirmed_ship_date` of promising/; else the requested ship date)."""
        data = self.validated(allocation_api.ConfirmSerializer)
        return self._respond(
            orders.sales_order_confirm(
                order=self.get_object(),
                actor=request.user,
                confirmed_ship_date=data.get("confirmed_ship_date"),
            )
        )

    @extend_schema(responses={200: allocation_api.OrderPromiseSerializer})
    @action(detail=True, methods=["get"])
    def promising(self, request, pk=None):
        """Order promising per line: available now, available-to-promise and capable-to-promise
        dates, the promised date and the shortfall; and the confirmed ship date to offer."""
        from ..services import promising

        order = self.get_object()
        found = promising.order_promises(order)
        return Response(
            allocation_api.OrderPromiseSerializer(
                allocation_api.order_promise_data(order, found)
            ).data
        )

    @extend_schema(request=None, responses={200: serializers.PickingLineSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="picking-list", pagination_class=None)
    def picking_list(self, request, pk=None):
        """Produce the picking list: what to pick per warehouse."""
        order = orders.sales_order_picking_list(order=self.get_object(), actor=request.user)
        rows = [
            {
                "warehouse": warehouse.code,
                "line_number": line.line_number,
                "item": str(line.item),
                "quantity": line.deliver_remainder,
            }
            for warehouse, lines in orders.picking_list(order).items()
            for line in lines
        ]
        return Response(serializers.PickingLineSerializer(rows, many=True).data)

    @extend_schema(request=None, responses={200: serializers.SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(orders.sales_order_cancel(order=self.get_object(), actor=request.user))

    @extend_schema(
        request=serializers.ChangeTypeSerializer, responses={200: serializers.SalesOrderSerializer}
    )
    @action(detail=True, methods=["post"], url_path="change-type")
    def change_type(self, request, pk=None):
        data = self.validated(serializers.ChangeTypeSerializer)
        return self._respond(
            orders.sales_order_change_type(
                order=self.get_object(), order_type=data["order_type"], actor=request.user
            )
        )

    @extend_schema(
        request=serializers.CancelRemainderSerializer,
        responses={200: serializers.SalesOrderSerializer},
    )
    @action(detail=True, methods=["post"], url_path="cancel-remainder")
    def cancel_remainder(self, request, pk=None):
        """Close what is left to deliver on one line."""
        data = self.validated(serializers.CancelRemainderSerializer)
        order = self.get_object()
        orders.sales_order_cancel_remainder(
            line=order.lines.get(pk=data["line"].pk), actor=request.user
        )
        return self._respond(order)

    @extend_schema(
        request=serializers.LinePurchaseSerializer,
        responses={201: PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def purchase(self, request, pk=None):
        """Purchase a drop-shipment or special-order line: it joins an open purchase order to
        the vendor (the item's primary vendor unless given) or starts one; answers that order."""
        data = self.validated(serializers.LinePurchaseSerializer)
        order = self.get_object()
        if data["order_line"].order_id != order.pk:
            raise DomainError(
                _("The line is not on this sales order."),
                code="line_not_on_order",
                field="order_line",
            )
        purchase_line = supply.sales_line_purchase(
            line=data["order_line"], vendor=data.get("vendor"), actor=request.user
        )
        purchase = PurchaseOrderViewSet.queryset.get(pk=purchase_line.order_id)
        return Response(PurchaseOrderSerializer(purchase).data, status=201)

    @extend_schema(request=None, responses={201: serializers.SalesOrderSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def create_return(self, request, pk=None):
        """Make a draft return of an invoiced (or partly invoiced) order: a return order for
        the same customer with one line per line that has invoiced quantities no return takes
        back yet, of that quantity, each referring to the line it returns. Lower the quantities
        to what comes back, then confirm. 409 `nothing_to_return` when nothing is left."""
        order = returns.sales_order_create_return(order=self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data, status=201)

    @extend_schema(
        request=serializers.ArrivalSerializer, responses={201: serializers.PackingSlipSerializer}
    )
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None):
        """A returned order's arrival: the items come back into stock (a return receipt)."""
        data = self.validated(serializers.ArrivalSerializer)
        order = self.get_object()
        if not order.is_return:
            raise ConflictError(
                _("Only a returned order arrives; deliver others with a packing slip."),
                code="not_a_return",
            )
        slip = delivery.packing_slip_post(
            order=order,
            lines=data["lines"],
            actor=request.user,
            delivery_date=data.get("delivery_date"),
        )
        return Response(serializers.PackingSlipSerializer(slip).data, status=201)


class PackingSlipViewSet(
    PreparedPageMixin,
    IdempotentMixin,
    ActionInputMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Posted packing slips. POST posts one: the order, and the lines with their quantities."""

    queryset = PackingSlip.objects.select_related("order").prefetch_related(
        Prefetch("lines", queryset=PackingSlipLine.objects.order_by("id"))
    )
    # The refusals of posting one (the order's deliver action, then stock and quantities).
    refusal_codes = {
        "create": (
            *SALES_ORDER.actions["deliver"].codes,
            "insufficient_stock",
            "stock_shortfall",
            "over_delivery",
            "drop_shipment_line",
        )
    }
    serializer_class = serializers.PackingSlipSerializer
    filterset_fields = ["order", "invoiced", "delivery_date"]
    search_fields = ["number", "order__number"]
    ordering_fields = ["number", "delivery_date", "posted_at"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = delivery.packing_slip_post(
            order=data["order"],
            lines=data["lines"],
            actor=self.request.user,
            delivery_date=data.get("delivery_date"),
            accept_shortfall=data.get("accept_shortfall", False),
        )


class SalesQuotationViewSet(QUOTATION_LINES, ApprovalActionsMixin, ServiceModelViewSet):
    """Quotations for customers and prospects; confirming one makes the sales order."""

    queryset = SalesQuotation.objects.select_related("party").prefetch_related(
        Prefetch("lines", queryset=SalesQuotationLine.objects.order_by("line_number"))
    )
    serializer_class = serializers.SalesQuotationSerializer
    refusal_codes = {"add_line": ("quotation_closed",), "change_line": ("quotation_closed",)}
    filterset_fields = {
        "status": ["exact"],
        "party": ["exact"],
        "expiry_date": ["exact", "gte", "lte"],
    }
    search_fields = ["number", "party__name", "customer_reference"]
    ordering_fields = ["number", "expiry_date", "created_at"]
    create_service = quotations.quotation_create
    update_service = quotations.quotation_update
    action_permissions = {
        "approve": ["orders.approve_documents"],
        "reject": ["orders.approve_documents"],
    }

    def _respond(self, quotation):
        return Response(self.get_serializer(self.get_queryset().get(pk=quotation.pk)).data)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        orders.cache_lines(serializer.instance, serializer.instance.entered_lines)

    @extend_schema(request=None, responses={200: serializers.SalesQuotationSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._respond(
            quotations.quotation_send(quotation=self.get_object(), actor=request.user)
        )

    @extend_schema(request=None, responses={201: serializers.SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm: the sales order is made (and a prospect becomes a customer)."""
        order = quotations.quotation_confirm(quotation=self.get_object(), actor=request.user)
        return Response(
            serializers.SalesOrderSerializer(SalesOrderViewSet.queryset.get(pk=order.pk)).data,
            status=201,
        )

    @extend_schema(request=ReasonSerializer, responses={200: serializers.SalesQuotationSerializer})
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        data = self.validated(ReasonSerializer)
        return self._respond(
            quotations.quotation_lose(
                quotation=self.get_object(), reason=data["reason"], actor=request.user
            )
        )

    @extend_schema(request=None, responses={200: serializers.SalesQuotationSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._respond(
            quotations.quotation_cancel(quotation=self.get_object(), actor=request.user)
        )


class ProjectViewSet(ServiceModelViewSet):
    """Projects; an item sold through one lands on its item-requirements order."""

    queryset = Project.objects.select_related("customer__party")
    serializer_class = serializers.ProjectSerializer
    filterset_fields = ["customer"]
    search_fields = ["number", "name", "customer__party__name"]
    ordering_fields = ["number", "created_at"]
    create_service = projects.project_create

    @extend_schema(
        request=serializers.ItemSaleSerializer, responses={201: serializers.ProjectSerializer}
    )
    @action(detail=True, methods=["post"], url_path="record-item-sale")
    def record_item_sale(self, request, pk=None):
        """Record an item sold through the project (on its item-requirements order)."""
        data = self.validated(serializers.ItemSaleSerializer)
        project = self.get_object()
        projects.project_record_item_sale(project=project, actor=request.user, **data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=project.pk)).data, status=201
        )
