from rest_framework import serializers

from ..models import (
    CompanyBankAccount,
    CompanyProfile,
    Currency,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["id", "code", "name"]


class PaymentTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentTerms
        fields = ["id", "code", "name", "net_days"]


class LedgerAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerAccount
        fields = ["id", "number", "name", "account_type", "blocked"]


class PostingProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostingProfile
        fields = ["id", "code", "name", "summary_account"]


class SalesTaxCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesTaxCode
        fields = ["id", "code", "name", "rate", "category", "exemption_reason", "tax_account"]


class CompanyBankAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompanyBankAccount
        fields = [
            "id",
            "kind",
            "bank_name",
            "iban",
            "bic",
            "account_number",
            "currency",
            "is_default",
        ]
        read_only_fields = ["id"]


class CompanyProfileSerializer(serializers.ModelSerializer):
    """The seller. `bank_accounts`, when given, replaces the accounts; identifiers are checked
    by their registries' check digits (400 naming the field)."""

    bank_accounts = CompanyBankAccountSerializer(many=True, required=False)
    legal_lines = serializers.SerializerMethodField()

    class Meta:
        model = CompanyProfile
        fields = [
            *CompanyProfile.EDITABLE_FIELDS,
            "legal_lines",
            "bank_accounts",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def get_legal_lines(self, profile) -> list[str]:
        from ..company import seller_snapshot

        return seller_snapshot(profile, "")["legal_lines"]
