"""Parties and the roles they take: customer, vendor, contact person (prospects come with CRM)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesmkt.core.money import MoneyField
from salesmkt.finance.models import Currency, PaymentTerms, PostingProfile

country_code = RegexValidator(r"^[A-Z]{2}$", _("Use the two-letter ISO 3166 country code."))


class Party(models.Model):
    """An organization or a person. Every role (customer, vendor, ...) hangs on one party."""

    class PartyType(models.TextChoices):
        ORGANIZATION = "organization", _("Organization")
        PERSON = "person", _("Person")

    party_type = models.CharField(
        _("party type"), max_length=20, choices=PartyType.choices, default=PartyType.ORGANIZATION
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    # The party's identifiers on e-invoices: its legal registration (BT-47, with its ISO 6523
    # scheme, e.g. 0192 and the Norwegian organisation number) and its electronic address
    # (BT-49: the Peppol endpoint its invoices are delivered to, e.g. 0088 and a GLN). An
    # e-mail address is never an endpoint.
    registration_scheme = models.CharField(
        _("registration scheme"),
        max_length=4,
        blank=True,
        help_text=_(
            "ISO 6523 code of the register: 0192 Norway, 0007 Sweden, 0106 KvK, 0208 Belgium."
        ),
    )
    registration_id = models.CharField(_("organisation number"), max_length=40, blank=True)
    endpoint_scheme = models.CharField(
        _("electronic address scheme"),
        max_length=4,
        blank=True,
        help_text=_("Peppol EAS code, e.g. 0192 (organisation number) or 0088 (GLN)."),
    )
    endpoint_id = models.CharField(_("electronic address"), max_length=60, blank=True)
    peppol_receiver = models.BooleanField(
        _("receives e-invoices over Peppol"),
        default=False,
        help_text=_("Its invoices must pass the Peppol BIS Billing 3.0 rules before posting."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    email_opt_out = models.BooleanField(
        _("no marketing email"),
        default=False,
        help_text=_("Unsubscribed: no campaign mails this party again."),
    )
    email_bounced = models.BooleanField(
        _("email bounced"),
        default=False,
        help_text=_(
            "The last campaign mail to this address bounced; cleared when the address changes."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from salesmkt.finance.company import (
            identifier_problem,
            normalise_identifiers,
            vat_problem,
        )

        normalise_identifiers(self, ("vat_number", "registration_id", "endpoint_id"))
        errors = {}
        if self.vat_number:
            problem = vat_problem(self.vat_number, None)
            if problem:
                errors["vat_number"] = problem
        for scheme_field, id_field in (
            ("registration_scheme", "registration_id"),
            ("endpoint_scheme", "endpoint_id"),
        ):
            scheme, value = getattr(self, scheme_field), getattr(self, id_field)
            if bool(scheme) != bool(value):
                errors[id_field if scheme else scheme_field] = _(
                    "Give both the scheme and the identifier, or neither."
                )
            elif scheme:
                problem = identifier_problem(scheme, value)
                if problem:
                    errors[id_field] = problem
        if self.peppol_receiver and not self.endpoint_id:
            errors["endpoint_id"] = _("A Peppol receiver needs its electronic address.")
        if errors:
            raise ValidationError(errors)

    def primary_address(self, purpose: str):
        """The primary address for `purpose`, else any of that purpose, else any address."""
        addresses = list(self.addresses.all())
        for candidates in (
            [a for a in addresses if a.purpose == purpose and a.is_primary],
            [a for a in addresses if a.purpose == purpose],
            addresses,
        ):
            if candidates:
                return candidates[0]
        return None

    @property
    def invoice_address(self):
        return self.primary_address(PartyAddress.Purpose.INVOICE)

    @property
    def delivery_address(self):
        return self.primary_address(PartyAddress.Purpose.DELIVERY)


class PartyAddress(models.Model):
    class Purpose(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        DELIVERY = "delivery", _("Delivery")

    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="addresses"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    is_primary = models.BooleanField(_("primary"), default=True)
    attention = models.CharField(_("attention"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200)
    street2 = models.CharField(_("street (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, validators=[country_code])

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["party", "purpose", "-is_primary", "id"]

    def __str__(self) -> str:
        return ", ".join(
            part
            for part in [self.street, self.street2, f"{self.postal_code} {self.city}", self.country]
            if part.strip()
        )


ADDRESS_FIELDS = [
    "purpose",
    "is_primary",
    "attention",
    "street",
    "street2",
    "postal_code",
    "city",
    "country",
]


class ContactPerson(models.Model):
    """A person to talk to at an organization."""

    party = models.ForeignKey(
        Party, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    email_opt_out = models.BooleanField(_("no marketing email"), default=False)
    email_bounced = models.BooleanField(_("email bounced"), default=False)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["party", "-is_primary", "last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


CONTACT_FIELDS = [
    "first_name",
    "last_name",
    "job_title",
    "email",
    "phone",
    "is_primary",
    "email_opt_out",
]


class CodeNameModel(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CustomerGroup(CodeNameModel):
    class Meta(CodeNameModel.Meta):
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")


class PriceGroup(CodeNameModel):
    """Customer price group, used by trade agreements."""

    class Meta(CodeNameModel.Meta):
        verbose_name = _("price group")
        verbose_name_plural = _("price groups")


class SalesTaxGroup(CodeNameModel):
    """Customer sales tax group (domestic, EU, export...)."""

    class Meta(CodeNameModel.Meta):
        verbose_name = _("sales tax group")
        verbose_name_plural = _("sales tax groups")


class PartyRole(models.Model):
    """A role a party takes (customer, vendor): one party, never a copy, with its own numbered
    account."""

    party = models.OneToOneField(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="%(class)s"
    )
    account_number = models.CharField(
        _("account number"), max_length=30, unique=True, editable=False
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["account_number"]

    def __str__(self) -> str:
        return f"{self.account_number} {self.party.name}"

    @property
    def name(self) -> str:
        return self.party.name


class Customer(PartyRole):
    """The customer role of a party."""

    class OnHold(models.TextChoices):
        NO = "no", _("No")
        INVOICE = "invoice", _("Invoice")
        ALL = "all", _("All")

    customer_group = models.ForeignKey(
        CustomerGroup, verbose_name=_("customer group"), on_delete=models.PROTECT, related_name="+"
    )
    payment_terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), on_delete=models.PROTECT, related_name="+"
    )
    credit_limit = MoneyField(_("credit limit"), validators=[MinValueValidator(0)])
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup, verbose_name=_("sales tax group"), on_delete=models.PROTECT, related_name="+"
    )
    price_group = models.ForeignKey(
        PriceGroup,
        verbose_name=_("price group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    posting_profile = models.ForeignKey(
        PostingProfile,
        verbose_name=_("posting profile"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_hold = models.CharField(
        _("on hold"), max_length=10, choices=OnHold.choices, default=OnHold.NO
    )
    # Order entry's defaults for this customer (Business Central's "Location Code" and
    # "Shipping Time"): the warehouse of a new line, and how many days after the order date the
    # requested ship date falls.
    default_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("default warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("The warehouse new order lines ship from unless the clerk picks another."),
    )
    shipping_lead_time_days = models.PositiveSmallIntegerField(
        _("shipping lead time (days)"),
        default=0,
        blank=True,  # left out or empty: none (0)
        validators=[MaxValueValidator(365)],
        help_text=_("Days from the order date to the requested ship date of a new order."),
    )

    class Meta(PartyRole.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def clean(self) -> None:
        super().clean()
        if self.shipping_lead_time_days is None:  # left empty on a form: no lead time
            self.shipping_lead_time_days = 0


class Vendor(PartyRole):
    """The vendor role of a party: who we buy from."""

    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    blocked = models.BooleanField(_("blocked"), default=False)

    class Meta(PartyRole.Meta):
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
