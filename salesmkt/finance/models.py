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
