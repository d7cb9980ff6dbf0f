from rest_framework import serializers

from ..models import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ContactPerson,
    Customer,
    CustomerGroup,
    Party,
    PartyAddress,
    PriceGroup,
    SalesTaxGroup,
    Vendor,
)


class PartyAddressSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = PartyAddress
        fields = ["id", *ADDRESS_FIELDS]


class ContactPersonSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = ContactPerson
        fields = ["id", *CONTACT_FIELDS]


class PartySerializer(serializers.ModelSerializer):
    addresses = PartyAddressSerializer(many=True, required=False)
    contacts = ContactPersonSerializer(many=True, required=False)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "party_type",
            "name",
            "email",
            "phone",
            "vat_number",
            "registration_scheme",
            "registration_id",
            "endpoint_scheme",
            "endpoint_id",
            "peppol_receiver",
            "language",
            "addresses",
            "contacts",
            "roles",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["email_bounced", "created_at", "updated_at"]

    def get_roles(self, party) -> list[str]:
        return [role for role in ("customer", "vendor") if hasattr(party, role)]


class PartyRoleSerializer(serializers.ModelSerializer):
    """A role (customer, vendor) with its party nested: create both in one call, or point
    `party_id` at an existing party."""

    party = PartySerializer(required=False)
    party_id = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.all(), source="party_ref", write_only=True, required=False
    )
    name = serializers.CharField(source="party.name", read_only=True)

    def validate(self, attrs):
        party_data = attrs.pop("party", None)
        party = attrs.pop("party_ref", None)
        if self.instance is None and party is None and party_data is None:
            raise serializers.ValidationError({"party": ["Give a new party or a party_id."]})
        if party is not None:
            attrs["party"] = party
        if party_data is not None:
            attrs["party_data"] = party_data
        return attrs


class CustomerSerializer(PartyRoleSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "account_number",
            "name",
            "party",
            "party_id",
            "customer_group",
            "payment_terms",
            "credit_limit",
            "currency",
            "sales_tax_group",
            "price_group",
            "posting_profile",
            "on_hold",
            "default_warehouse",
            "shipping_lead_time_days",
            "created_at",
        ]
        read_only_fields = ["account_number", "created_at"]


class VendorSerializer(PartyRoleSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "account_number",
            "name",
            "party",
            "party_id",
            "currency",
            "payment_terms",
            "blocked",
            "created_at",
        ]
        read_only_fields = ["account_number", "created_at"]


class CodeNameSerializer(serializers.ModelSerializer):
    class Meta:
        fields = ["id", "code", "name"]


class CustomerGroupSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = CustomerGroup


class PriceGroupSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = PriceGroup


class SalesTaxGroupSerializer(CodeNameSerializer):
    class Meta(CodeNameSerializer.Meta):
        model = SalesTaxGroup
