from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from salesmkt.core.api.permissions import ModelPermissions
from salesmkt.core.api.viewsets import ServiceModelViewSet

from .. import company
from ..models import (
    CompanyProfile,
    Currency,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)
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


class CompanyProfileView(GenericAPIView):
    """The company (seller) profile: one record, read by everyone who reads finance setup and
    changed by those who may change it. Posted invoices keep the seller they were posted with."""

    serializer_class = serializers.CompanyProfileSerializer
    queryset = CompanyProfile.objects.all()
    permission_classes = [ModelPermissions]

    def get_object(self):
        return company.current_company()

    def get(self, request):
        return Response(self.get_serializer(self.get_object()).data)

    def put(self, request):
        return self._update(request, partial=False)

    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        accounts = data.pop("bank_accounts", None)
        profile = company.company_profile_update(
            data=data,
            bank_accounts=[dict(row) for row in accounts] if accounts is not None else None,
            actor=request.user,
        )
        return Response(self.get_serializer(profile).data)
