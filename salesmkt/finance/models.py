"""Finance reference data shared by every area: currencies, payment terms, sales tax codes,
ledger (main) accounts and posting profiles.

It lives below crm and inventory because customers (posting profile, payment terms) and items
(sales tax code) both point at it.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesmkt.core.money import PercentField


class Currency(models.Model):
    code = models.CharField(
        _("code"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO 4217 code."))],
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PaymentTerms(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    net_days = models.PositiveSmallIntegerField(_("net days"), default=30)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LedgerAccount(models.Model):
    class AccountType(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        REVENUE = "revenue", _("Revenue")
        EXPENSE = "expense", _("Expense")

    number = models.CharField(_("account number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    account_type = models.CharField(_("account type"), max_length=20, choices=AccountType.choices)
    blocked = models.BooleanField(_("blocked"), default=False)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PostingProfile(models.Model):
    """Which ledger accounts a customer's documents post to."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    summary_account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("summary account (receivable)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revenue_account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("sales revenue account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Where the item lines of invoices post; free text lines name their own."),
    )

    class Meta:
        verbose_name = _("posting profile")
        verbose_name_plural = _("posting profiles")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self):
        if (
            self.summary_account_id
            and self.summary_account.account_type != LedgerAccount.AccountType.ASSET
        ):
            raise ValidationError(
                {"summary_account": _("The receivable summary account must be an asset account.")}
            )


class SalesTaxCode(models.Model):
    """A sales tax (VAT) rate with its EN 16931 tax category."""

    class Category(models.TextChoices):
        STANDARD = "S", _("S: standard rate")
        ZERO = "Z", _("Z: zero rated goods")
        EXEMPT = "E", _("E: exempt from tax")
        REVERSE_CHARGE = "AE", _("AE: reverse charge")
        INTRA_COMMUNITY = "K", _("K: intra-community supply")
        EXPORT = "G", _("G: export outside the EU")
        OUTSIDE_SCOPE = "O", _("O: outside the scope of tax")

    ZERO_RATE_CATEGORIES = {"Z", "E", "AE", "K", "G", "O"}
    EXEMPTION_REASON_CATEGORIES = {"E", "AE", "K", "G", "O"}

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rate = PercentField(
        _("rate (%)"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    category = models.CharField(
        _("tax category"), max_length=2, choices=Category.choices, default=Category.STANDARD
    )
    exemption_reason = models.CharField(_("exemption reason"), max_length=200, blank=True)
    tax_account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("sales tax account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("sales tax code")
        verbose_name_plural = _("sales tax codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.rate}%)"

    def clean(self):
        errors = {}
        if self.category == self.Category.STANDARD and (self.rate or 0) <= 0:
            errors["rate"] = _("A standard-rate tax code needs a rate above zero.")
        if self.category in self.ZERO_RATE_CATEGORIES and (self.rate or 0) != 0:
            errors["rate"] = _("Tax category %(category)s has a rate of zero.") % {
                "category": self.category
            }
        if self.category in self.EXEMPTION_REASON_CATEGORIES and not self.exemption_reason:
            errors["exemption_reason"] = _(
                "Tax category %(category)s needs an exemption reason on the invoice."
            ) % {"category": self.category}
        if errors:
            raise ValidationError(errors)


class CompanyProfile(models.Model):
    """The seller: the company whose invoices these are (EN 16931 BG-4). One row, edited by
    admins; the COMPANY_* settings only seed it on a fresh database. Posting copies what an
    invoice shows of it onto the invoice, so a later change never alters a posted document."""

    class PaymentReference(models.TextChoices):
        KID_MOD10 = "kid_mod10", _("Norwegian KID (MOD10)")
        KID_MOD11 = "kid_mod11", _("Norwegian KID (MOD11)")
        OCR = "ocr", _("Swedish OCR reference")
        OCR_LENGTH = "ocr_length", _("Swedish OCR reference with length digit")
        RF = "rf", _("RF creditor reference (ISO 11649)")
        INVOICE_NUMBER = "invoice_number", _("The invoice number")

    legal_name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street"), max_length=200)
    street2 = models.CharField(_("street (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use the two-letter ISO 3166 country code."))],
    )
    org_number = models.CharField(_("organisation number"), max_length=40)
    org_number_scheme = models.CharField(
        _("organisation number scheme"),
        max_length=4,
        help_text=_(
            "ISO 6523 code of the register: 0192 Norway, 0007 Sweden, 0106 KvK, 0208 Belgium."
        ),
    )
    vat_number = models.CharField(
        _("VAT number"),
        max_length=30,
        blank=True,
        help_text=_("Empty when the company is not registered for VAT."),
    )
    in_business_register = models.BooleanField(
        _("registered in the business register"),
        default=True,
        help_text=_("Norway: a limited company prints 'Foretaksregisteret' on its invoices."),
    )
    f_tax_approved = models.BooleanField(
        _("approved for F-tax"),
        default=False,
        help_text=_("Sweden: prints 'Godkänd för F-skatt'."),
    )
    registered_office = models.CharField(
        _("registered office"),
        max_length=100,
        blank=True,
        help_text=_("Sweden: the board's seat (säte); Belgium: the register's court (RPR/RPM)."),
    )
    legal_text = models.CharField(
        _("further legal text"),
        max_length=300,
        blank=True,
        help_text=_("Printed on every invoice after the legal texts the country requires."),
    )
    endpoint_scheme = models.CharField(
        _("Peppol endpoint scheme"), max_length=4, blank=True, help_text=_("e.g. 0192")
    )
    endpoint_id = models.CharField(_("Peppol endpoint ID"), max_length=60, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    contact_name = models.CharField(
        _("invoicing contact"),
        max_length=100,
        blank=True,
        help_text=_("The seller's contact (BT-41)."),
    )
    logo = models.FileField(_("logo"), upload_to="company/", blank=True)
    default_payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("default payment terms"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    payment_reference = models.CharField(
        _("payment reference"),
        max_length=20,
        choices=PaymentReference.choices,
        default=PaymentReference.RF,
        help_text=_("What posting prints as the reference the customer pays with."),
    )
    payment_reference_length = models.PositiveSmallIntegerField(
        _("payment reference length"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(25)],
        help_text=_(
            "KID and OCR: a fixed number of digits, check digit included; empty: as long as needed."
        ),
    )
    accounting_currency = models.CharField(
        _("accounting currency"),
        max_length=3,
        default="NOK",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO 4217 code."))],
        help_text=_("Invoices in another currency also show their VAT in this one."),
    )
    payment_reference_with_customer = models.BooleanField(
        _("customer number in the payment reference"),
        default=False,
        help_text=_("Build the reference from the customer number and the invoice number."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # What admins, the Setup page and the API change (the rest is the server's).
    EDITABLE_FIELDS = [
        "legal_name",
        "street",
        "street2",
        "postal_code",
        "city",
        "country",
        "org_number_scheme",
        "org_number",
        "vat_number",
        "in_business_register",
        "f_tax_approved",
        "registered_office",
        "legal_text",
        "endpoint_scheme",
        "endpoint_id",
        "email",
        "phone",
        "website",
        "contact_name",
        "default_payment_terms",
        "accounting_currency",
        "payment_reference",
        "payment_reference_length",
        "payment_reference_with_customer",
    ]

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="company_profile_single_row")
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self):
        from .company import normalise_identifiers, profile_problems

        normalise_identifiers(self)
        errors = profile_problems(self)
        if errors:
            raise ValidationError(errors)


class CompanyBankAccount(models.Model):
    """An account customers pay the company's invoices into: an IBAN with its BIC, or a national
    account (Norwegian account number, Swedish bankgiro or plusgiro)."""

    class Kind(models.TextChoices):
        IBAN = "iban", _("IBAN")
        NO_ACCOUNT = "no_account", _("Norwegian account number")
        SE_BANKGIRO = "se_bankgiro", _("Swedish bankgiro")
        SE_PLUSGIRO = "se_plusgiro", _("Swedish plusgiro")

    company = models.ForeignKey(
        CompanyProfile,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="bank_accounts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.IBAN)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=42, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_number = models.CharField(
        _("account number"),
        max_length=34,
        blank=True,
        help_text=_("A national account, bankgiro or plusgiro."),
    )
    currency = models.ForeignKey(
        Currency,
        verbose_name=_("currency"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Invoices in this currency are paid here; empty: any currency."),
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["company", "-is_default", "id"]

    def __str__(self) -> str:
        return " ".join(part for part in [self.bank_name, self.iban or self.account_number] if part)

    def clean(self):
        from .company import bank_account_problems, normalise_identifiers

        normalise_identifiers(self, ("iban", "bic", "account_number"))
        errors = bank_account_problems(self)
        if errors:
            raise ValidationError(errors)


class ExchangeRate(models.Model):
    """What one unit of a currency is worth in the company's accounting currency from a date
    on: an invoice in that currency shows its VAT in the accounting currency too, at the rate
    valid on its invoice date (copied onto the invoice at posting)."""

    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="rates"
    )
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("Accounting currency per one unit of this currency."),
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from"], name="exchange_rate_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.valid_from}: {self.rate}"
