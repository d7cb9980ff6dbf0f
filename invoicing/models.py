"""Invoices (customer, free text, pro forma), their lines, the ledger vouchers posting writes,
and the customer's open items."""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from agreements.models import PricedLine
from crm.models import Customer
from crm.models.parties import country_code
from inventory.models import Item
from orders.models import PackingSlip, SalesOrder, SalesOrderLine
from salesmkt.core.money import MoneyField, PercentField, QuantityField
from salesmkt.finance.models import Currency, LedgerAccount


class LedgerVoucher(models.Model):
    """One posting in the general ledger; its entries balance (debits = credits)."""

    number = models.CharField(_("voucher"), max_length=30, unique=True)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger voucher")
        verbose_name_plural = _("ledger vouchers")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"


class LedgerEntry(models.Model):
    voucher = models.ForeignKey(
        LedgerVoucher, verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("ledger account"), on_delete=models.PROTECT, related_name="+"
    )
    debit = MoneyField(_("debit"))
    credit = MoneyField(_("credit"))
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["voucher", "id"]

    def __str__(self) -> str:
        return f"{self.voucher.number} {self.account.number} {self.debit}/{self.credit}"


BUYER_ADDRESS_FIELDS = ["street", "street2", "postal_code", "city", "country"]
BUYER_IDENTIFIER_FIELDS = [
    "registration_scheme",
    "registration_id",
    "endpoint_scheme",
    "endpoint_id",
]


@dataclass(frozen=True)
class Buyer:
    """An invoice's buyer (EN 16931 BG-7): what its PDF, e-invoice and chain hash show."""

    FIELDS: ClassVar[list[str]] = [
        "account_number",
        "name",
        "vat_number",
        *BUYER_ADDRESS_FIELDS,
        *BUYER_IDENTIFIER_FIELDS,
    ]

    account_number: str
    name: str
    vat_number: str
    street: str
    street2: str
    postal_code: str
    city: str
    country: str
    # The legal registration (BT-47) and electronic address (BT-49), each with its scheme.
    registration_scheme: str = ""
    registration_id: str = ""
    endpoint_scheme: str = ""
    endpoint_id: str = ""

    @property
    def has_address(self) -> bool:
        return any(getattr(self, field) for field in BUYER_ADDRESS_FIELDS)


BUYER_FIELDS = [f"buyer_{field}" for field in Buyer.FIELDS]
# An invoice's own document data (references, delivery, period): kept by its credit notes.
DOCUMENT_FIELDS = [
    "buyer_reference",
    "order_reference",
    "delivery_date",
    "period_start",
    "period_end",
    "delivery_name",
    "delivery_street",
    "delivery_street2",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
]


class Invoice(FSMModelMixin, models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer invoice")
        FREE_TEXT = "free_text", _("Free text invoice")
        PRO_FORMA = "pro_forma", _("Pro forma invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")

    class PaymentState(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.CUSTOMER)
    number = models.CharField(_("number"), max_length=30, blank=True, editable=False)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    sales_order = models.ForeignKey(
        SalesOrder,
        verbose_name=_("sales order"),
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
    )
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("credited invoice"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
        null=True,
        blank=True,
        editable=False,
    )
    packing_slips = models.ManyToManyField(
        PackingSlip, verbose_name=_("packing slips"), related_name="invoices", blank=True
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    net_amount = MoneyField(_("net amount"), editable=False)
    tax_amount = MoneyField(_("tax amount"), editable=False)
    total_amount = MoneyField(_("total amount"), editable=False)
    # Changed only by its transitions, through `run_transition` (an audit event each).
    payment_state = FSMField(
        _("payment"),
        max_length=20,
        choices=PaymentState.choices,
        default=PaymentState.UNPAID,
        editable=False,
        protected=True,
    )
    voucher = models.OneToOneField(
        LedgerVoucher,
        verbose_name=_("voucher"),
        on_delete=models.PROTECT,
        related_name="invoice",
        null=True,
        blank=True,
        editable=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    # What the buyer's accounts payable matches the invoice with: its own reference (BT-10) and
    # the number of its purchase order (BT-13); drafted from the sales order.
    buyer_reference = models.CharField(_("buyer reference"), max_length=100, blank=True)
    order_reference = models.CharField(_("buyer's order number"), max_length=50, blank=True)
    # When the goods were delivered (BT-72), or the period invoiced (BG-14): drafted from the
    # packing slips or the subscription period.
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    period_start = models.DateField(_("invoicing period from"), null=True, blank=True)
    period_end = models.DateField(_("invoicing period to"), null=True, blank=True)
    # Where the goods went (BG-13, BG-15): an intra-community supply must name it (BR-IC-11/12).
    delivery_name = models.CharField(_("deliver to"), max_length=200, blank=True)
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_street2 = models.CharField(_("delivery street (line 2)"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(
        _("delivery country"), max_length=2, blank=True, validators=[country_code]
    )
    # Paid before this invoice (BT-113): covered at posting by the customer's unapplied
    # payments, so the open item is the amount due.
    prepaid_amount = MoneyField(_("prepaid amount"), validators=[MinValueValidator(0)])
    # Company currency per unit of the invoice's currency on the invoice date, copied at posting
    # from the exchange rates (the VAT in the company's currency, BT-6/BT-111).
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=8, null=True, blank=True, editable=False
    )
    tax_currency_code = models.CharField(
        _("tax currency"), max_length=3, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True, editable=False)
    # Inalterability (in the manner of the French NF525 rules): SHA-256 over the previous
    # document's hash in the same series and this document's legal content, set at posting by
    # `invoicing.services.ledger_chain`; `verify_ledger` recomputes the chain.
    chain_hash = models.CharField(
        _("chain hash"), max_length=64, blank=True, editable=False, db_index=True
    )
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    # The buyer as invoiced, copied from the customer at posting: a posted invoice never changes,
    # so renaming a customer or moving its address later leaves the printed invoice, its
    # e-invoice and its chain hash as they were. Empty on drafts, which follow the customer.
    buyer_account_number = models.CharField(
        _("buyer account number"), max_length=30, blank=True, editable=False
    )
    buyer_name = models.CharField(_("buyer name"), max_length=200, blank=True, editable=False)
    buyer_vat_number = models.CharField(
        _("buyer VAT number"), max_length=30, blank=True, editable=False
    )
    buyer_street = models.CharField(_("buyer street"), max_length=200, blank=True, editable=False)
    buyer_street2 = models.CharField(
        _("buyer street (line 2)"), max_length=200, blank=True, editable=False
    )
    buyer_postal_code = models.CharField(
        _("buyer postal code"), max_length=20, blank=True, editable=False
    )
    buyer_city = models.CharField(_("buyer city"), max_length=100, blank=True, editable=False)
    buyer_country = models.CharField(_("buyer country"), max_length=2, blank=True, editable=False)
    buyer_registration_scheme = models.CharField(
        _("buyer registration scheme"), max_length=4, blank=True, editable=False
    )
    buyer_registration_id = models.CharField(
        _("buyer organisation number"), max_length=40, blank=True, editable=False
    )
    buyer_endpoint_scheme = models.CharField(
        _("buyer electronic address scheme"), max_length=4, blank=True, editable=False
    )
    buyer_endpoint_id = models.CharField(
        _("buyer electronic address"), max_length=60, blank=True, editable=False
    )
    # The currency's code as invoiced (the chain hash reads it), copied at posting.
    currency_code = models.CharField(_("currency code"), max_length=3, blank=True, editable=False)
    # The seller as invoiced (`salesmkt.finance.company.seller_snapshot`: name, address,
    # identifiers, legal texts, the bank account it is paid into), copied from the company
    # profile at posting: changing the profile later alters no posted document.
    seller = models.JSONField(_("seller"), default=dict, blank=True, editable=False)
    # The structured reference the customer pays with (KID, OCR or RF), made at posting.
    payment_reference = models.CharField(
        _("payment reference"), max_length=35, blank=True, editable=False, db_index=True
    )
    # Which legal content the chain hash covers: 1 before the seller, the buyer's identifiers
    # and the payment reference were frozen on the document, 2 since.
    chain_version = models.PositiveSmallIntegerField(_("chain version"), default=1, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        permissions = [("post_invoice", _("Can post invoices"))]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="invoice_number_unique"
            )
        ]

    # `str()` shows the customer's name: a transition's lock reads it along (`transitions.lock`).
    LOCK_RELATED = ("customer__party",)

    def __str__(self) -> str:
        return f"{self.number or _('draft')} {self.customer.party.name if self.customer_id else ''}".strip()

    @transition(field=status, source=Status.DRAFT, target=Status.POSTED)
    def post(self, *, at):
        self.posted_at = at

    # The payment state follows the open item: settled in part, in full, opened again when a
    # settlement is taken back, and credited once posted credit notes cover the whole invoice.
    @transition(
        field=payment_state,
        source=[PaymentState.UNPAID, PaymentState.PAID],
        target=PaymentState.PARTLY_PAID,
    )
    def pay_in_part(self):
        pass

    @transition(
        field=payment_state,
        source=[PaymentState.UNPAID, PaymentState.PARTLY_PAID],
        target=PaymentState.PAID,
    )
    def pay_in_full(self):
        pass

    @transition(
        field=payment_state,
        source=[PaymentState.PARTLY_PAID, PaymentState.PAID],
        target=PaymentState.UNPAID,
    )
    def reopen_payment(self):
        pass

    @transition(
        field=payment_state,
        source=[PaymentState.UNPAID, PaymentState.PARTLY_PAID, PaymentState.PAID],
        target=PaymentState.CREDITED,
    )
    def mark_credited(self):
        pass

    def _customer_as_buyer(self) -> Buyer:
        party = self.customer.party
        address = party.invoice_address
        return Buyer(
            account_number=self.customer.account_number,
            name=party.name,
            vat_number=party.vat_number,
            **{
                field: getattr(address, field, "") if address else ""
                for field in BUYER_ADDRESS_FIELDS
            },
            **{field: getattr(party, field) for field in BUYER_IDENTIFIER_FIELDS},
        )

    def take_snapshot(self, company=None) -> list[str]:
        """Copy the buyer's legal details from the customer, the seller's from the company
        profile (`company`, read when not given), and the currency's code; returns the fields
        to save."""
        from salesmkt.finance.company import current_company, seller_snapshot

        buyer = self._customer_as_buyer()
        for field in Buyer.FIELDS:
            setattr(self, f"buyer_{field}", getattr(buyer, field))
        self.currency_code = self.currency.code
        self.seller = seller_snapshot(company or current_company(), self.currency_code)
        self.chain_version = 2
        return [*BUYER_FIELDS, "currency_code", "seller", "chain_version"]

    @property
    def seller_as_invoiced(self) -> dict:
        """The seller as posted (the snapshot); a draft, or a document posted before the
        snapshot existed, shows today's company profile."""
        if self.status == self.Status.POSTED and self.seller:
            return self.seller
        from salesmkt.finance.company import current_company, seller_snapshot

        return seller_snapshot(current_company(), self.currency.code)

    @property
    def buyer(self) -> Buyer:
        """Who the invoice is addressed to: as posted (the snapshot), else as the customer is."""
        if self.status == self.Status.POSTED:
            return Buyer(**{field: getattr(self, f"buyer_{field}") for field in Buyer.FIELDS})
        return self._customer_as_buyer()


class InvoiceLine(PricedLine):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField(_("line"))
    # Negative on a correction line of a free text invoice (EN 16931 allows it); never zero.
    quantity = QuantityField(_("quantity"))
    # The line's unit (UN/ECE Rec. 20, BT-130): an item line's comes from its item at posting,
    # a free text line names its own.
    unit_code = models.CharField(_("unit"), max_length=3, blank=True, default="C62")
    order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        null=True,
        blank=True,
    )
    packing_slip = models.ForeignKey(
        PackingSlip,
        verbose_name=_("packing slip"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    credited_line = models.ForeignKey(
        "self",
        verbose_name=_("credited line"),
        on_delete=models.PROTECT,
        related_name="credit_lines",
        null=True,
        blank=True,
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    ledger_account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("ledger account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Free text lines post to this account."),
    )
    description = models.CharField(_("description"), max_length=200)
    # The tax as invoiced, copied at posting (from the tax code, or for a credit note line from
    # the line it credits): editing a tax code's rate later changes no posted invoice. Empty on
    # drafts, whose totals follow the tax code (`core.tax.document_totals`).
    tax_rate = PercentField(_("tax rate (%)"), null=True, blank=True, default=None, editable=False)
    tax_category = models.CharField(_("tax category"), max_length=2, blank=True, editable=False)
    # The identifiers as invoiced, copied at posting like the tax: the chain hash reads these, so
    # renumbering an item, an account or a tax code later alters no posted document.
    item_number = models.CharField(_("item number"), max_length=40, blank=True, editable=False)
    ledger_account_number = models.CharField(
        _("account number"), max_length=20, blank=True, editable=False
    )
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True, editable=False)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "line_number"]

    def __str__(self) -> str:
        return f"{self.invoice}/{self.line_number} {self.description}"

    SNAPSHOT_FIELDS = [
        "tax_rate",
        "tax_category",
        "item_number",
        "ledger_account_number",
        "tax_code",
        "unit_code",
    ]

    def item_unit_code(self) -> str:
        """An item line's unit: its item's UN/ECE code (empty for a free text line)."""
        if self.item_id and self.item.unit_id:
            return self.item.unit.un_ece_code
        return ""

    @property
    def invoiced_unit_code(self) -> str:
        """The unit the line is invoiced in: as posted; on a draft an item line follows its
        item (posting copies it), a free text line names its own."""
        if self.invoice.status == Invoice.Status.POSTED:
            return self.unit_code
        return self.item_unit_code() or self.unit_code

    def take_snapshot(self) -> list[str]:
        """Fix the line's legal content as invoiced: its tax rate and category (a credit note
        line credits at the rate its invoice line was posted with, whatever the tax code says
        today) and the item, account and tax code identifiers. Returns the fields to save."""
        source = self.credited_line if self.credited_line_id else None
        if source is not None and source.tax_rate is not None:
            self.tax_rate, self.tax_category = source.tax_rate, source.tax_category
        else:
            self.tax_rate = self.sales_tax_code.rate
            self.tax_category = self.sales_tax_code.category
        self.item_number = self.item.item_number if self.item_id else ""
        self.unit_code = self.item_unit_code() or self.unit_code or "C62"
        self.ledger_account_number = self.ledger_account.number if self.ledger_account_id else ""
        self.tax_code = self.sales_tax_code.code
        return self.SNAPSHOT_FIELDS


class InvoiceAllowanceCharge(models.Model):
    """A document-level allowance (a discount on the whole invoice) or charge (freight,
    handling): EN 16931 BG-20 and BG-21. An amount, or a percentage of a base amount; it is
    taxed in its own tax category and rate and counted in that category's taxable amount."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.CASCADE,
        related_name="allowance_charges",
    )
    is_charge = models.BooleanField(_("charge"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # UNTDID 5189 (allowances, e.g. 95 discount) or 7161 (charges, e.g. FC freight).
    reason_code = models.CharField(_("reason code"), max_length=3, blank=True)
    percent = PercentField(
        _("percent"), null=True, blank=True, default=None, validators=[MinValueValidator(0)]
    )
    base_amount = MoneyField(_("base amount"), null=True, blank=True, default=None)
    amount = MoneyField(_("amount"), validators=[MinValueValidator(0)])
    sales_tax_code = models.ForeignKey(
        "finance.SalesTaxCode",
        verbose_name=_("sales tax code"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    ledger_account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("ledger account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: the posting profile's revenue account."),
    )
    # Fixed at posting, like a line's.
    tax_rate = PercentField(_("tax rate (%)"), null=True, blank=True, default=None, editable=False)
    tax_category = models.CharField(_("tax category"), max_length=2, blank=True, editable=False)
    tax_code = models.CharField(_("tax code"), max_length=20, blank=True, editable=False)

    SNAPSHOT_FIELDS = ["tax_rate", "tax_category", "tax_code"]
    # What a clerk or an integrator gives (the rest is fixed at posting).
    INPUT_FIELDS = [
        "is_charge",
        "reason",
        "reason_code",
        "percent",
        "base_amount",
        "amount",
        "sales_tax_code",
        "ledger_account",
    ]

    class Meta:
        verbose_name = _("allowance or charge")
        verbose_name_plural = _("allowances and charges")
        ordering = ["invoice", "id"]

    def __str__(self) -> str:
        kind = _("Charge") if self.is_charge else _("Allowance")
        return f"{kind} {self.reason} {self.amount}".strip()

    @property
    def signed_amount(self):
        """What it adds to the taxable amount: a charge adds, an allowance takes off."""
        return self.amount if self.is_charge else -self.amount

    def compute_amount(self):
        from salesmkt.core.money import percent_of

        if self.percent is not None and self.base_amount is not None:
            self.amount = percent_of(self.base_amount, self.percent)
        return self.amount

    def take_snapshot(self) -> list[str]:
        self.tax_rate = self.sales_tax_code.rate
        self.tax_category = self.sales_tax_code.category
        self.tax_code = self.sales_tax_code.code
        return self.SNAPSHOT_FIELDS


class CustomerTransaction(models.Model):
    """An open item of a customer: a posted invoice (positive) until it is paid."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="transactions"
    )
    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="open_item",
        null=True,
        blank=True,
    )
    date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))
    remaining = MoneyField(_("remaining"))
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("customer transaction")
        verbose_name_plural = _("customer transactions")
        ordering = ["customer", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount} ({self.remaining} open)"


class Payment(models.Model):
    """A customer payment; what is not applied to open items stays as the customer's credit."""

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField(_("date"))
    amount = MoneyField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    unapplied = MoneyField(_("unapplied"), editable=False)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    voucher = models.OneToOneField(
        LedgerVoucher,
        verbose_name=_("voucher"),
        on_delete=models.PROTECT,
        related_name="payment",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class PaymentApplication(models.Model):
    """A settlement: open credit applied to an open item of the same customer. The credit is a
    payment's unapplied amount or a posted credit note's open item, never both."""

    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
    )
    credit = models.ForeignKey(
        CustomerTransaction,
        verbose_name=_("credit note item"),
        on_delete=models.PROTECT,
        related_name="credit_applications",
        null=True,
        blank=True,
    )
    transaction = models.ForeignKey(
        CustomerTransaction,
        verbose_name=_("open item"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    amount = MoneyField(_("amount"))
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment application")
        verbose_name_plural = _("payment applications")
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False, credit__isnull=True)
                | models.Q(payment__isnull=True, credit__isnull=False),
                name="application_from_payment_or_credit_note",
            )
        ]

    def __str__(self) -> str:
        source = self.payment.number if self.payment_id else self.credit.invoice.number
        return f"{source} → {self.transaction}: {self.amount}"


class InvoiceRun(models.Model):
    """A batch: every invoiceable packing slip delivered up to a date, one invoice per customer
    (and currency), posted. Its rows are recorded first, so a lost worker's run is resumed and
    nothing is invoiced twice; one customer's failure is listed and does not stop the others."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    up_to_date = models.DateField(_("packing slips up to"))
    invoice_date = models.DateField(_("invoice date"))
    customer_group = models.ForeignKey(
        "crm.CustomerGroup",
        verbose_name=_("customer group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: every customer."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("invoice run")
        verbose_name_plural = _("invoice runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{_('Invoice run')} {self.pk} ({self.up_to_date})"


class InvoiceRunCustomer(models.Model):
    """One customer (and currency) of a run: pending until its invoice is posted or it fails."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        POSTED = "posted", _("Posted")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(
        InvoiceRun, verbose_name=_("invoice run"), on_delete=models.CASCADE, related_name="rows"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    packing_slips = models.ManyToManyField(
        PackingSlip, verbose_name=_("packing slips"), related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="run_row",
        null=True,
        blank=True,
    )
    error = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("invoice run customer")
        verbose_name_plural = _("invoice run customers")
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "customer", "currency"], name="invoice_run_customer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.customer} ({self.status})"
