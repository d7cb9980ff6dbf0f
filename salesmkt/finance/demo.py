"""Demo finance setup of Nordlys Engros AS, a Norwegian wholesaler selling across Europe."""

from decimal import Decimal

from django.utils import timezone

from .models import (
    Currency,
    ExchangeRate,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)

CURRENCIES = [
    ("NOK", "Norwegian krone"),
    ("EUR", "Euro"),
    ("SEK", "Swedish krona"),
    ("USD", "US dollar"),
]
# Kroner per unit, from the start of the year (the VAT of foreign-currency invoices in NOK).
EXCHANGE_RATES = [("EUR", "11.7250"), ("SEK", "1.0130"), ("USD", "10.9800")]
PAYMENT_TERMS = [
    ("N14", "Net 14 days", 14),
    ("N30", "Net 30 days", 30),
    ("N60", "Net 60 days", 60),
    ("CASH", "Cash on delivery", 0),
]
ACCOUNTS = [
    ("1500", "Customer receivables (domestic)", "asset"),
    ("1510", "Customer receivables (foreign)", "asset"),
    ("1920", "Bank", "asset"),
    ("2400", "Vendor payables", "liability"),
    ("2700", "Output VAT, high rate", "liability"),
    ("2701", "Output VAT, reduced rate", "liability"),
    ("3000", "Sales revenue, taxable", "revenue"),
    ("3100", "Sales revenue, tax exempt", "revenue"),
    ("3200", "Sales revenue, export", "revenue"),
    ("3900", "Other operating revenue", "revenue"),
    ("4000", "Cost of goods sold", "expense"),
]
TAX_CODES = [
    ("S25", "VAT 25 %", Decimal("25.00"), "S", "", "2700"),
    ("S15", "VAT 15 % (food)", Decimal("15.00"), "S", "", "2701"),
    ("Z0", "Zero rated", Decimal("0"), "Z", "", None),
    ("E0", "Exempt", Decimal("0"), "E", "Exempt from VAT", None),
    ("K0", "Intra-community supply", Decimal("0"), "K", "Intra-community supply", None),
    ("G0", "Export", Decimal("0"), "G", "Export outside the EU", None),
    ("AE0", "Reverse charge", Decimal("0"), "AE", "Reverse charge", None),
]


def load(actor=None) -> None:
    for code, name in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, days in PAYMENT_TERMS:
        PaymentTerms.objects.get_or_create(code=code, defaults={"name": name, "net_days": days})
    for number, name, kind in ACCOUNTS:
        LedgerAccount.objects.get_or_create(
            number=number, defaults={"name": name, "account_type": kind}
        )
    PostingProfile.objects.get_or_create(
        code="DOM",
        defaults={
            "name": "Domestic customers",
            "summary_account": LedgerAccount.objects.get(number="1500"),
        },
    )
    PostingProfile.objects.get_or_create(
        code="FOR",
        defaults={
            "name": "Foreign customers",
            "summary_account": LedgerAccount.objects.get(number="1510"),
        },
    )
    for code, revenue in (("DOM", "3000"), ("FOR", "3200")):
        PostingProfile.objects.filter(code=code, revenue_account__isnull=True).update(
            revenue_account=LedgerAccount.objects.get(number=revenue)
        )
    for code, name, rate, category, reason, account in TAX_CODES:
        SalesTaxCode.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "rate": rate,
                "category": category,
                "exemption_reason": reason,
                "tax_account": LedgerAccount.objects.get(number=account) if account else None,
            },
        )
    start_of_year = timezone.localdate().replace(month=1, day=1)
    for code, rate in EXCHANGE_RATES:
        ExchangeRate.objects.get_or_create(
            currency=Currency.objects.get(code=code),
            valid_from=start_of_year.replace(year=start_of_year.year - 1),
            defaults={"rate": Decimal(rate)},
        )
