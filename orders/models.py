"""Sales orders of five types, their lines with deliver and invoice remainders, and packing slips."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from agreements.models import PricedLine, SalesAgreement, SalesAgreementLine
from crm.models import Customer
from inventory.models import Item, PurchaseOrderLine, Warehouse
from salesmkt.core.money import MoneyField, QuantityField
from salesmkt.finance.models import Currency

APPROVAL_CHOICES = [
    ("not_required", _("Not required")),
    ("pending", _("Pending")),
    ("approved", _("Approved")),
    ("rejected", _("Rejected")),
]


def approval_status_field():
    return FSMField(
        _("approval"),
        max_length=20,
        choices=APPROVAL_CHOICES,
        default="not_required",
        editable=False,
        protected=True,
    )


class ApprovalTransitions:
    """The approval status of a quotation or order, a state machine of its own beside the
    document's status: a rule asks for approval (again, after a change of an approved
    document's total), a sales manager approves or rejects what is pending, and a document
    that no rule catches any more needs none. `orders.services.approval` runs them."""

    @transition(
        field="approval_status", source=["not_required", "approved", "rejected"], target="pending"
    )
    def ask_approval(self, *, reason: str):
        self.approval_reason = reason[:300]
        self.approved_total = None

    @transition(field="approval_status", source="pending", target="approved")
    def approve(self, *, total):
        self.approved_total = total

    @transition(field="approval_status", source="pending", target="rejected")
    def reject(self, *, reason: str = ""):
        self.approved_total = None

    @transition(
        field="approval_status", source=["pending", "approved", "rejected"], target="not_required"
    )
    def waive_approval(self):
        self.approval_reason = ""
        self.approved_total = None


class SalesOrder(ApprovalTransitions, FSMModelMixin, models.Model):
    class OrderType(models.TextChoices):
        JOURNAL = "journal", _("Journal")
        SUBSCRIPTION = "subscription", _("Subscription")
        SALES = "sales", _("Sales order")
        RETURNED = "returned", _("Returned order")
        ITEM_REQUIREMENTS = "item_requirements", _("Item requirements")

    class Status(models.TextChoices):
        OPEN = "open", _("Open order")
        DELIVERED = "delivered", _("Delivered")
        INVOICED = "invoiced", _("Invoiced")
        CANCELED = "canceled", _("Canceled")

    class DocumentStatus(models.TextChoices):
        NONE = "none", _("None")
        QUOTATION = "quotation", _("Quotation")
        CONFIRMATION = "confirmation", _("Confirmation")
        PICKING_LIST = "picking_list", _("Picking list")
        PACKING_SLIP = "packing_slip", _("Packing slip")
        INVOICE = "invoice", _("Invoice")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    order_type = models.CharField(
        _("order type"), max_length=20, choices=OrderType.choices, default=OrderType.SALES
    )
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=True)
    document_status = models.CharField(
        _("document status"),
        max_length=20,
        choices=DocumentStatus.choices,
        default=DocumentStatus.NONE,
        editable=False,
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    requested_ship_date = models.DateField(_("requested ship date"))
    confirmed_ship_date = models.DateField(_("confirmed ship date"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_(
            "1 (first) to 9 (last): allocation serves backorders by requested ship date, then by "
            "priority, then by order date."
        ),
    )
    delivery_name = models.CharField(_("deliver to"), max_length=200, blank=True)
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(_("delivery country"), max_length=2, blank=True)
    sales_agreement = models.ForeignKey(
        SalesAgreement,
        verbose_name=_("sales agreement"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    project = models.ForeignKey(
        "orders.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
        editable=False,
    )
    period = models.PositiveIntegerField(
        _("period"), default=1, editable=False, help_text=_("A subscription's current period.")
    )
    rma_number = models.CharField(_("RMA number"), max_length=30, blank=True, editable=False)
    approval_status = approval_status_field()
    approval_reason = models.CharField(
        _("approval needed because"), max_length=300, blank=True, editable=False
    )
    approved_total = MoneyField(
        _("approved total"), null=True, blank=True, default=None, editable=False
    )

    return_reason = models.CharField(_("return reason"), max_length=200, blank=True)
    original_invoice_number = models.CharField(
        _("original invoice"),
        max_length=30,
        blank=True,
        help_text=_(
            "For a return: the posted invoice of the customer the goods were sold on. Left "
            "empty, it is the invoice of the first line that names the line it returns."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
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
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("override_price", _("Can override line prices and discounts")),
            ("approve_documents", _("Can approve quotations and sales orders")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rma_number"], condition=~models.Q(rma_number=""), name="rma_number_unique"
            )
        ]

    # `str()` shows the customer's name: a transition's lock reads it along (`transitions.lock`).
    LOCK_RELATED = ("customer__party",)

    def __str__(self) -> str:
        return f"{self.number} {self.customer.party.name if self.customer_id else ''}".strip()

    @property
    def is_journal(self) -> bool:
        return self.order_type == self.OrderType.JOURNAL

    @property
    def is_return(self) -> bool:
        return self.order_type == self.OrderType.RETURNED

    @transition(field=status, source=Status.OPEN, target=Status.DELIVERED)
    def deliver(self):
        pass

    @transition(field=status, source=[Status.OPEN, Status.DELIVERED], target=Status.INVOICED)
    def invoice(self):
        pass

    @transition(field=status, source=Status.INVOICED, target=Status.DELIVERED)
    def reopen_invoicing(self):
        """A credit note takes invoiced quantities back: the order waits to be invoiced again."""

    @transition(field=status, source=Status.INVOICED, target=Status.OPEN)
    def renew(self):
        """A subscription returns to open when invoiced: the next period's deliveries."""

    @transition(field=status, source=Status.OPEN, target=Status.CANCELED)
    def cancel(self):
        pass


class ItemLine(PricedLine):
    """A numbered line of an item from a warehouse, priced by the price lookup."""

    line_number = models.PositiveIntegerField(_("line"), editable=False)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    price_source = models.CharField(_("price from"), max_length=20, blank=True, editable=False)

    class Meta:
        abstract = True


class SalesOrderLine(ItemLine):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DELIVERED = "delivered", _("Delivered")
        INVOICED = "invoiced", _("Invoiced")
        CANCELED = "canceled", _("Canceled")

    class SupplyType(models.TextChoices):
        STOCK = "stock", _("From stock")
        DROP_SHIPMENT = "drop_shipment", _("Drop shipment")
        SPECIAL_ORDER = "special_order", _("Special order")

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    agreement_line = models.ForeignKey(
        SalesAgreementLine,
        verbose_name=_("sales agreement line"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    deliver_remainder = QuantityField(_("deliver remainder"), editable=False)
    invoice_remainder = QuantityField(_("invoice remainder"), editable=False)
    delivered_quantity = QuantityField(_("delivered quantity"), editable=False)
    invoiced_quantity = QuantityField(_("invoiced quantity"), editable=False)
    status = models.CharField(
        _("line status"), max_length=20, choices=Status.choices, default=Status.OPEN, editable=False
    )
    supply_type = models.CharField(
        _("supply"),
        max_length=20,
        choices=SupplyType.choices,
        default=SupplyType.STOCK,
        help_text=_(
            "Drop shipment: the vendor ships to the customer. Special order: a purchase for this "
            "line, received into our warehouse and reserved for it."
        ),
    )
    purchase_line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("purchase order line"),
        on_delete=models.PROTECT,
        related_name="sales_lines",
        null=True,
        blank=True,
        editable=False,
    )
    # A return order's line: the sold (invoiced) line whose goods come back. At most what that
    # line invoiced, less what other returns take back, is returned (`services.returns`).
    returned_line = models.ForeignKey(
        "self",
        verbose_name=_("returns line"),
        on_delete=models.PROTECT,
        related_name="returns",
        null=True,
        blank=True,
        help_text=_("For a return: the invoiced order line whose goods come back."),
    )

    class Meta:
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "line_number"], name="sales_order_line_number"
            ),
            models.CheckConstraint(
                condition=models.Q(deliver_remainder__gte=0), name="deliver_remainder_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(delivered_quantity__lte=models.F("quantity")),
                name="no_over_delivery",
            ),
        ]
        indexes = [
            # Backorders: the open lines of an item and warehouse, a small part of all lines
            # once orders have been delivered for a while.
            models.Index(
                fields=["item", "warehouse"],
                condition=models.Q(status="open", deliver_remainder__gt=0),
                name="sales_line_backorder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_number} {self.item}"

    @cached_property
    def returned_quantity(self) -> Decimal:
        """What return orders take back of this line, arrived or still expected (a canceled
        return takes nothing). Lists annotate it (`selectors.returns.with_returned_quantity`)
        instead of asking once per line."""
        from .selectors.returns import returned_quantities

        return returned_quantities([self.pk]).get(self.pk, Decimal(0)) if self.pk else Decimal(0)

    def clean(self):
        if self.item_id and self.item.blocked:
            raise ValidationError({"item": _("The item is blocked for sales.")})


class PackingSlip(models.Model):
    """A posted delivery of some quantities of an order's lines. Posted documents never change."""

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="packing_slips"
    )
    delivery_date = models.DateField(_("delivery date"))
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    invoiced = models.BooleanField(_("invoiced"), default=False, editable=False)

    class Meta:
        verbose_name = _("packing slip")
        verbose_name_plural = _("packing slips")
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.order.number})"


class PackingSlipLine(models.Model):
    packing_slip = models.ForeignKey(
        PackingSlip, verbose_name=_("packing slip"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="packing_slip_lines",
    )
    quantity = QuantityField(_("quantity"))

    class Meta:
        verbose_name = _("packing slip line")
        verbose_name_plural = _("packing slip lines")
        ordering = ["packing_slip", "order_line__line_number"]

    def __str__(self) -> str:
        return f"{self.packing_slip.number}: {self.quantity} × {self.order_line.item}"


class SalesQuotation(ApprovalTransitions, FSMModelMixin, models.Model):
    """An offer to a customer or a prospect; confirming it makes the sales order."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        SENT = "sent", _("Sent")
        CONFIRMED = "confirmed", _("Confirmed")
        LOST = "lost", _("Lost")
        CANCELED = "canceled", _("Canceled")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    party = models.ForeignKey(
        "crm.Party",
        verbose_name=_("customer or prospect"),
        on_delete=models.PROTECT,
        related_name="quotations",
    )
    status = FSMField(_("status"), default=Status.CREATED, choices=Status.choices, protected=True)
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    expiry_date = models.DateField(_("expiry date"))
    requested_ship_date = models.DateField(_("requested ship date"))
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=0, editable=False)
    approval_status = approval_status_field()
    approval_reason = models.CharField(
        _("approval needed because"), max_length=300, blank=True, editable=False
    )
    approved_total = MoneyField(
        _("approved total"), null=True, blank=True, default=None, editable=False
    )

    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True, editable=False)
    sales_order = models.OneToOneField(
        SalesOrder,
        verbose_name=_("sales order"),
        on_delete=models.PROTECT,
        related_name="quotation",
        null=True,
        blank=True,
        editable=False,
    )
    notes = models.TextField(_("notes"), blank=True)
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
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sales quotation")
        verbose_name_plural = _("sales quotations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.party.name if self.party_id else ''}".strip()

    @transition(field=status, source=[Status.CREATED, Status.SENT], target=Status.SENT)
    def send(self, *, at):
        self.sent_at = at

    @transition(field=status, source=Status.SENT, target=Status.CONFIRMED)
    def confirm(self, *, at):
        self.closed_at = at

    @transition(field=status, source=[Status.CREATED, Status.SENT], target=Status.LOST)
    def lose(self, *, reason: str, at):
        self.lost_reason = reason
        self.closed_at = at

    @transition(field=status, source=[Status.CREATED, Status.SENT], target=Status.CANCELED)
    def cancel(self, *, at):
        self.closed_at = at


class SalesQuotationLine(ItemLine):
    quotation = models.ForeignKey(
        SalesQuotation, verbose_name=_("quotation"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        verbose_name = _("sales quotation line")
        verbose_name_plural = _("sales quotation lines")
        ordering = ["quotation", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quotation", "line_number"], name="quotation_line_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quotation.number}/{self.line_number} {self.item}"


class Project(models.Model):
    """A customer project whose item sales collect on one item-requirements order."""

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="projects"
    )
    item_requirements_order = models.OneToOneField(
        SalesOrder,
        verbose_name=_("item requirements order"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class SubscriptionPeriod(models.Model):
    """A period of a subscription order that was invoiced; the order then renews."""

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="periods"
    )
    period = models.PositiveIntegerField(_("period"))
    invoice_number = models.CharField(_("invoice number"), max_length=30)
    invoiced_amount = MoneyField(_("invoiced amount"))
    invoiced_at = models.DateTimeField(_("invoiced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription period")
        verbose_name_plural = _("subscription periods")
        ordering = ["order", "period"]
        constraints = [
            models.UniqueConstraint(fields=["order", "period"], name="subscription_period_once")
        ]

    def __str__(self) -> str:
        return f"{self.order.number} #{self.period}: {self.invoice_number}"


class InvoicedAhead(models.Model):
    """Quantities of an order line invoiced before they were delivered (an invoice of ordered
    quantities, e.g. for prepayment). The deliveries that follow are sold on this invoice: their
    inventory transactions get its number. Invoicing posts these; deliveries and credit notes
    draw `open_quantity` down, oldest invoice first (credit notes newest first)."""

    order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="invoiced_ahead",
    )
    invoice_number = models.CharField(_("invoice number"), max_length=30)
    quantity = QuantityField(_("quantity invoiced ahead"))
    open_quantity = QuantityField(_("not delivered yet"))
    invoiced_at = models.DateTimeField(_("invoiced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quantity invoiced ahead of delivery")
        verbose_name_plural = _("quantities invoiced ahead of delivery")
        ordering = ["order_line", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(open_quantity__gte=0)
                & models.Q(open_quantity__lte=models.F("quantity")),
                name="invoiced_ahead_open_within_quantity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_line}: {self.open_quantity}/{self.quantity} ({self.invoice_number})"


class ApprovalRule(models.Model):
    """Quotations and orders matching the rule wait for a sales manager's approval."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    customer_group = models.ForeignKey(
        "crm.CustomerGroup",
        verbose_name=_("customer group"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    amount_threshold = MoneyField(
        _("from amount"),
        validators=[MinValueValidator(0)],
        help_text=_("Documents whose total reaches this amount need approval."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["amount_threshold", "id"]

    def __str__(self) -> str:
        who = self.customer or self.customer_group or _("all customers")
        return f"{who} ≥ {self.amount_threshold}"


class AllocationRun(models.Model):
    """One split of an item's on-hand between its backorders (per warehouse): automatic (by
    ship date, priority, order date) or entered by a clerk. Append-only: a later run re-decides
    the reservations and is recorded again."""

    class Method(models.TextChoices):
        AUTO = "auto", _("Automatic")
        MANUAL = "manual", _("Entered by hand")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="allocation_runs"
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: every warehouse, each split from its own on-hand."),
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-id"]
        permissions = [("allocate_stock", _("Can allocate stock to backorders"))]

    def __str__(self) -> str:
        return f"{self.item.item_number} {self.created_at:%Y-%m-%d %H:%M}"


class AllocationRunLine(models.Model):
    """What one backorder line has reserved after the run (and had before it)."""

    run = models.ForeignKey(
        AllocationRun,
        verbose_name=_("allocation run"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.SET_NULL,  # a line removed from its order later leaves the record
        related_name="allocations",
        null=True,
        blank=True,
    )
    reference = models.CharField(_("order line reference"), max_length=60)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    deliver_remainder = QuantityField(_("deliver remainder"))
    reserved_before = QuantityField(_("reserved before"))
    quantity = QuantityField(_("quantity reserved"))

    class Meta:
        verbose_name = _("allocation run line")
        verbose_name_plural = _("allocation run lines")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity}"
