"""Items, units, warehouses, inventory transactions and purchase supply (purchase orders)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from crm.models import CodeNameModel, Vendor
from salesmkt.core.money import PriceField, QuantityField
from salesmkt.finance.models import SalesTaxCode


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=60)
    un_ece_code = models.CharField(
        _("UN/ECE code"),
        max_length=3,
        help_text=_("UN/ECE Recommendation 20 unit code used on e-invoices, e.g. C62, KGM, HUR."),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class NegativeStockPolicy(models.TextChoices):
    """What posting does when an issue would take a stocked item below zero on hand."""

    ALLOW = "allow", _("Allow negative stock")
    WARN = "warn", _("Warn, post when confirmed")
    REFUSE = "refuse", _("Refuse")


class ItemDiscountGroup(CodeNameModel):
    """Line discount group of items, used by trade agreements."""

    class Meta(CodeNameModel.Meta):
        verbose_name = _("item discount group")
        verbose_name_plural = _("item discount groups")


class Item(models.Model):
    class ItemType(models.TextChoices):
        PRODUCT = "product", _("Stocked product")
        SERVICE = "service", _("Service")

    item_number = models.CharField(
        _("item number"),
        max_length=40,
        unique=True,
        blank=True,
        help_text=_("Leave empty to take the next number from the item number series."),
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    description = models.TextField(_("description"), blank=True)
    item_type = models.CharField(
        _("item type"), max_length=20, choices=ItemType.choices, default=ItemType.PRODUCT
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    base_sales_price = PriceField(_("base sales price"), validators=[MinValueValidator(0)])
    cost_price = PriceField(_("cost price"), validators=[MinValueValidator(0)])
    sales_tax_code = models.ForeignKey(
        SalesTaxCode, verbose_name=_("sales tax code"), on_delete=models.PROTECT, related_name="+"
    )
    discount_group = models.ForeignKey(
        ItemDiscountGroup,
        verbose_name=_("discount group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    primary_vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("primary vendor"),
        on_delete=models.PROTECT,
        related_name="items",
        null=True,
        blank=True,
    )
    purchase_lead_time_days = models.PositiveSmallIntegerField(
        _("purchase lead time (days)"), default=0
    )
    blocked = models.BooleanField(_("blocked for sales"), default=False)
    negative_stock_policy = models.CharField(
        _("negative stock policy"),
        max_length=10,
        choices=NegativeStockPolicy.choices,
        blank=True,
        help_text=_(
            "What posting does when an issue would take this item below zero on hand. "
            "Leave empty to use the warehouse's policy."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["item_number"]

    def __str__(self) -> str:
        return f"{self.item_number} {self.name}"

    @property
    def is_stocked(self) -> bool:
        return self.item_type == self.ItemType.PRODUCT

    def negative_stock_policy_in(self, warehouse: "Warehouse") -> str:
        """The policy that applies to this item in `warehouse`: its own, else the warehouse's."""
        return self.negative_stock_policy or warehouse.negative_stock_policy


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    active = models.BooleanField(_("active"), default=True)
    negative_stock_policy = models.CharField(
        _("negative stock policy"),
        max_length=10,
        choices=NegativeStockPolicy.choices,
        default=NegativeStockPolicy.REFUSE,
        help_text=_(
            "What posting does when an issue would take a stocked item below zero on hand "
            "here, unless the item sets its own policy."
        ),
    )

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InventoryTransaction(models.Model):
    """A movement of an item in a warehouse: negative issues, positive receipts.

    Physical statuses (deducted, sold, received, purchased) make up on-hand; the others (on order,
    reserved, ordered) are expected movements.
    """

    class Status(models.TextChoices):
        ON_ORDER = "on_order", _("On order")
        RESERVED = "reserved", _("Reserved")
        DEDUCTED = "deducted", _("Deducted")
        SOLD = "sold", _("Sold")
        ORDERED = "ordered", _("Ordered")
        RECEIVED = "received", _("Received")
        PURCHASED = "purchased", _("Purchased")

    PHYSICAL = ("deducted", "sold", "received", "purchased")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="transactions"
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    quantity = QuantityField(_("quantity"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    source = models.CharField(
        _("source"), max_length=40, help_text=_("The document type, e.g. sales order line.")
    )
    source_id = models.PositiveBigIntegerField(_("source id"))
    reference = models.CharField(_("reference"), max_length=60)
    invoice_number = models.CharField(_("invoice number"), max_length=30, blank=True)
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inventory transaction")
        verbose_name_plural = _("inventory transactions")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["item", "warehouse", "status"], name="inventory_tx_on_hand"),
            models.Index(fields=["source", "source_id"], name="inventory_tx_source"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} {self.item} ({self.get_status_display()})"


class PurchaseOrder(FSMModelMixin, models.Model):
    """Supply from a vendor: to our warehouse, or (drop shipment) straight to a customer's
    delivery address. It exists for backorders, promising, drop shipments and special orders,
    not as a full purchasing module.

    open -> received (every line received or shipped) | canceled.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RECEIVED = "received", _("Received")
        CANCELED = "canceled", _("Canceled")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=True)
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    expected_receipt_date = models.DateField(_("expected receipt date"))
    drop_shipment = models.BooleanField(
        _("drop shipment"),
        default=False,
        help_text=_("The vendor ships to the customer; nothing passes through our warehouses."),
    )
    ship_to_name = models.CharField(_("ship to"), max_length=200, blank=True)
    ship_to_street = models.CharField(_("street"), max_length=200, blank=True)
    ship_to_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    ship_to_city = models.CharField(_("city"), max_length=100, blank=True)
    ship_to_country = models.CharField(_("country"), max_length=2, blank=True)
    vendor_reference = models.CharField(_("vendor reference"), max_length=60, blank=True)
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

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-order_date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.vendor.party.name if self.vendor_id else ''}".strip()

    def has_receipts(self) -> bool:
        """Something arrived (or was shipped): the vendor and the kind stay, the order stays."""
        return self.lines.filter(received_quantity__gt=0).exists()

    @transition(field=status, source=Status.OPEN, target=Status.RECEIVED)
    def receive(self):
        """Every line has arrived (or, for a drop shipment, was shipped)."""

    @transition(field=status, source=Status.OPEN, target=Status.CANCELED)
    def cancel(self):
        """Nothing more is expected from the vendor."""


class PurchaseOrderLine(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RECEIVED = "received", _("Received")
        CANCELED = "canceled", _("Canceled")

    order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    line_number = models.PositiveIntegerField(_("line"), editable=False)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("quantity"), validators=[MinValueValidator(Decimal("0.0001"))])
    unit_cost = PriceField(_("unit cost"), validators=[MinValueValidator(0)])
    expected_receipt_date = models.DateField(_("expected receipt date"))
    received_quantity = QuantityField(_("received quantity"), editable=False)
    receive_remainder = QuantityField(_("receive remainder"), editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, editable=False
    )

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="purchase_line_number"),
            models.CheckConstraint(
                condition=models.Q(receive_remainder__gte=0), name="receive_remainder_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(received_quantity__lte=models.F("quantity")),
                name="never_received_more_than_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "status"], name="purchase_line_item_status"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_number} {self.item.item_number}"

    @property
    def is_late(self) -> bool:
        return self.receive_remainder > 0 and self.expected_receipt_date < timezone.localdate()
