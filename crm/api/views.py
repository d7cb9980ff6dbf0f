from salesmkt.core.api.viewsets import ServiceModelViewSet

from .. import selectors
from ..models import CustomerGroup, PriceGroup, SalesTaxGroup
from ..services import parties
from . import serializers
from .marketing import PartyMergeMixin


class PartyViewSet(PartyMergeMixin, ServiceModelViewSet):
    """Organizations and persons, with their addresses and contact persons nested."""

    queryset = selectors.party_list()
    serializer_class = serializers.PartySerializer
    filterset_fields = ["party_type", "language"]
    search_fields = ["name", "email", "vat_number", "phone"]
    ordering_fields = ["name", "created_at", "id"]
    create_service = parties.party_create
    update_service = parties.party_update
    delete_service = parties.party_delete


class CustomerViewSet(ServiceModelViewSet):
    """Customers: the customer role of a party, with a numbered account."""

    queryset = selectors.customer_list()
    serializer_class = serializers.CustomerSerializer
    filterset_fields = ["customer_group", "currency", "on_hold", "price_group", "sales_tax_group"]
    search_fields = ["account_number", "party__name", "party__email", "party__vat_number"]
    ordering_fields = ["account_number", "party__name", "credit_limit", "created_at"]
    create_service = parties.customer_create
    update_service = parties.customer_update


class VendorViewSet(ServiceModelViewSet):
    queryset = selectors.vendor_list()
    serializer_class = serializers.VendorSerializer
    filterset_fields = ["currency", "blocked"]
    search_fields = ["account_number", "party__name", "party__email"]
    ordering_fields = ["account_number", "party__name", "created_at"]
    create_service = parties.vendor_create
    update_service = parties.vendor_update


class CustomerGroupViewSet(ServiceModelViewSet):
    queryset = CustomerGroup.objects.all()
    serializer_class = serializers.CustomerGroupSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class PriceGroupViewSet(CustomerGroupViewSet):
    queryset = PriceGroup.objects.all()
    serializer_class = serializers.PriceGroupSerializer


class SalesTaxGroupViewSet(CustomerGroupViewSet):
    queryset = SalesTaxGroup.objects.all()
    serializer_class = serializers.SalesTaxGroupSerializer
