from dataclasses import asdict

from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from salesmkt.core.api.filters import refuse_unknown_query_parameters
from salesmkt.core.api.permissions import require_perms
from salesmkt.core.api.viewsets import ServiceModelViewSet

from ..models import SalesAgreement, SalesAgreementRelease, SellRule, TradeAgreement
from ..services import sales_agreements
from ..services.pricing import price_lookup
from ..services.suggestions import sales_suggestions
from . import serializers


class TradeAgreementViewSet(ServiceModelViewSet):
    """Price and line-discount records; the price lookup picks the most specific valid one."""

    queryset = TradeAgreement.objects.all()
    serializer_class = serializers.TradeAgreementSerializer
    filterset_fields = [
        "kind",
        "customer_scope",
        "customer",
        "price_group",
        "item_scope",
        "item",
        "discount_group",
        "currency",
    ]
    search_fields = ["note", "item__item_number", "item__name", "customer__party__name"]
    ordering_fields = ["kind", "quantity_from", "valid_from", "created_at"]


class SalesAgreementViewSet(ServiceModelViewSet):
    """Sales agreements with their lines (nested) and fulfilment."""

    queryset = (
        SalesAgreement.objects.select_related("customer__party")
        .prefetch_related("lines")
        # for `allowed_actions` (delete): whether orders were released from it
        .annotate(
            has_releases=Exists(SalesAgreementRelease.objects.filter(agreement=OuterRef("pk")))
        )
    )
    serializer_class = serializers.SalesAgreementSerializer
    delete_service = sales_agreements.sales_agreement_delete
    filterset_fields = ["status", "customer", "commitment_type", "currency"]
    search_fields = ["number", "description", "customer__party__name", "customer__account_number"]
    ordering_fields = ["number", "effective_date", "expiration_date", "created_at"]
    create_service = sales_agreements.sales_agreement_create
    update_service = sales_agreements.sales_agreement_update

    def _respond(self, agreement):
        return Response(self.get_serializer(self.get_queryset().get(pk=agreement.pk)).data)

    @extend_schema(request=None, responses={200: serializers.SalesAgreementSerializer})
    @action(detail=True, methods=["post"], url_path="make-effective")
    def make_effective(self, request, pk=None):
        """On hold -> effective: orders can be released from it."""
        return self._respond(
            sales_agreements.sales_agreement_make_effective(
                agreement=self.get_object(), actor=request.user
            )
        )

    @extend_schema(request=None, responses={200: serializers.SalesAgreementSerializer})
    @action(detail=True, methods=["post"], url_path="put-on-hold")
    def put_on_hold(self, request, pk=None):
        return self._respond(
            sales_agreements.sales_agreement_put_on_hold(
                agreement=self.get_object(), actor=request.user
            )
        )

    @extend_schema(request=None, responses={200: serializers.SalesAgreementSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._respond(
            sales_agreements.sales_agreement_close(agreement=self.get_object(), actor=request.user)
        )


class SellRuleViewSet(ServiceModelViewSet):
    queryset = SellRule.objects.all()
    serializer_class = serializers.SellRuleSerializer
    filterset_fields = ["item", "kind", "suggested_item", "customer_group", "active"]
    search_fields = ["pitch", "item__item_number", "item__name"]
    ordering_fields = ["priority", "item"]


class PriceLookupView(APIView):
    """Price and discount for a customer, item, quantity, currency and date, and which record
    gave them."""

    permission_classes = [require_perms("agreements.view_tradeagreement")]

    @extend_schema(
        parameters=[serializers.PriceLookupQuerySerializer],
        responses={200: serializers.PriceLookupResultSerializer},
    )
    def get(self, request):
        refuse_unknown_query_parameters(request, self, serializers.PriceLookupQuerySerializer)
        query = serializers.PriceLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = price_lookup(
            customer=data["customer"],
            item=data["item"],
            quantity=data["quantity"],
            currency=data.get("currency"),
            on=data.get("date") or timezone.localdate(),
            sales_agreement=data.get("sales_agreement"),
        )
        payload = {**asdict(result), "line_amount": result.line_amount(data["quantity"])}
        return Response(serializers.PriceLookupResultSerializer(payload).data)


class SalesSuggestionsView(APIView):
    """Up-sell and cross-sell suggestions for an item being entered, best first."""

    permission_classes = [require_perms("agreements.view_sellrule")]

    @extend_schema(
        parameters=[serializers.SuggestionQuerySerializer],
        responses={200: serializers.SuggestionSerializer(many=True)},
    )
    def get(self, request):
        refuse_unknown_query_parameters(request, self, serializers.SuggestionQuerySerializer)
        query = serializers.SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        rules = sales_suggestions(
            item=data["item"],
            customer=data.get("customer"),
            quantity=data["quantity"],
            line_amount=data.get("line_amount"),
        )
        return Response(serializers.SuggestionSerializer(rules, many=True).data)
