from rest_framework import serializers

from ..models import Currency, LedgerAccount, PaymentTerms, PostingProfile, SalesTaxCode


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
