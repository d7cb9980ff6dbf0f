from salesmkt.core.api.viewsets import ServiceModelViewSet

from ..models import Currency, LedgerAccount, PaymentTerms, PostingProfile, SalesTaxCode
from . import serializers


class CurrencyViewSet(ServiceModelViewSet):
    queryset = Currency.objects.all()
    serializer_class = serializers.CurrencySerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code"]


class PaymentTermsViewSet(ServiceModelViewSet):
    queryset = PaymentTerms.objects.all()
    serializer_class = serializers.PaymentTermsSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "net_days"]


class LedgerAccountViewSet(ServiceModelViewSet):
    queryset = LedgerAccount.objects.all()
    serializer_class = serializers.LedgerAccountSerializer
    filterset_fields = ["account_type", "blocked"]
    search_fields = ["number", "name"]
    ordering_fields = ["number", "name"]


class PostingProfileViewSet(ServiceModelViewSet):
    queryset = PostingProfile.objects.select_related("summary_account")
    serializer_class = serializers.PostingProfileSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code"]


class SalesTaxCodeViewSet(ServiceModelViewSet):
    queryset = SalesTaxCode.objects.all()
    serializer_class = serializers.SalesTaxCodeSerializer
    filterset_fields = ["category"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "rate"]
