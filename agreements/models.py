"""Trade agreements (price and line-discount records), sales agreements (commitments with their
own prices that overrule trade agreements) and up-sell/cross-sell rules."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from crm.models import Customer, CustomerGroup, PriceGroup
from inventory.models import Item, ItemDiscountGroup
from salesmkt.core.money import MoneyField, PercentField, PriceField, QuantityField
from salesmkt.finance.models import Currency, SalesTaxCode

percent_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class TradeAgreement(models.Model):
    """One price or line-discount record. The price lookup picks the most specific valid one:
    customer over price group over all customers, then item over discount group over all items,
    then the narrowest quantity band."""

    class Kind(models.TextChoices):
        PRICE = "price", _("Price")
        LINE_DISCOUNT = "line_discount", _("Line discount")

    class CustomerScope(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        GROUP = "group", _("Price group")
        ALL = "all", _("All customers")

    class ItemScope(models.TextChoices):
        ITEM = "item", _("Item")
        GROUP = "group", _("Item discount group")
        ALL = "all", _("All items")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.PRICE)
    customer_scope = models.CharField(
        _("customers"), max_length=10, choices=CustomerScope.choices, default=CustomerScope.ALL
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="trade_agreements",
        null=True,
        blank=True,
    )
    price_group = models.ForeignKey(
        PriceGroup,
        verbose_name=_("price group"),
        on_delete=models.PROTECT,
        related_name="trade_agreements",
        null=True,
        blank=True,
    )
    item_scope = models.CharField(
        _("items"), max_length=10, choices=ItemScope.choices, default=ItemScope.ITEM
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="trade_agreements",
        null=True,
        blank=True,
    )
    discount_group = models.ForeignKey(
        ItemDiscountGroup,
        verbose_name=_("item discount group"),
        on_delete=models.PROTECT,
        related_name="trade_agreements",
        null=True,
        blank=True,
    )
    quantity_from = QuantityField(
        _("from quantity"),
        validators=[MinValueValidator(0)],
        help_text=_("Applies from this quantity (inclusive)."),
    )
    quantity_to = QuantityField(
        _("to quantity"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Applies below this quantity (exclusive); empty: no upper limit."),
    )
    amount = PriceField(
        _("amount"),
        validators=[MinValueValidator(0)],
        help_text=_("Unit price (price) or discount per unit (line discount)."),
    )
    percent = PercentField(
        _("discount (%)"), validators=percent_validators, help_text=_("Line discounts only.")
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trade agreement")
        verbose_name_plural = _("trade agreements")
        ordering = ["kind", "customer_scope", "item_scope", "quantity_from", "id"]
        indexes = [
            models.Index(fields=["kind", "item", "currency"], name="trade_agreement_item"),
            models.Index(
                fields=["kind", "discount_group", "currency"], name="trade_agreement_group"
            ),
            models.Index(fields=["kind", "item_scope", "currency"], name="trade_agreement_scope"),
        ]

    def __str__(self) -> str:
        who = {
            self.CustomerScope.CUSTOMER: str(self.customer) if self.customer_id else "",
            self.CustomerScope.GROUP: str(self.price_group) if self.price_group_id else "",
        }.get(self.customer_scope, str(_("All customers")))
        what = {
            self.ItemScope.ITEM: str(self.item) if self.item_id else "",
            self.ItemScope.GROUP: str(self.discount_group) if self.discount_group_id else "",
        }.get(self.item_scope, str(_("All items")))
        return f"{self.get_kind_display()}: {who} / {what}"

    def clean(self):
        errors = {}
        needs = {
            "customer": self.customer_scope == self.CustomerScope.CUSTOMER,
            "price_group": self.customer_scope == self.CustomerScope.GROUP,
            "item": self.item_scope == self.ItemScope.ITEM,
            "discount_group": self.item_scope == self.ItemScope.GROUP,
        }
        for field, needed in needs.items():
            has = getattr(self, f"{field}_id") is not None
            if needed and not has:
                errors[field] = _("Required for this scope.")
            elif has and not needed:
                errors[field] = _("Leave empty for this scope.")
        if self.kind == self.Kind.PRICE and self.item_scope != self.ItemScope.ITEM:
            errors["item_scope"] = _("A price is agreed for one item.")
        if self.kind == self.Kind.PRICE and self.percent:
            errors["percent"] = _("A price record has no discount percent.")
        if self.quantity_to is not None and self.quantity_to <= (self.quantity_from or 0):
            errors["quantity_to"] = _("The band must end above its start.")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The validity ends before it starts.")
        if errors:
            raise ValidationError(errors)


class SalesAgreement(FSMModelMixin, models.Model):
    """A customer's commitment to buy a quantity or an amount over a period, at agreed prices."""

    class Status(models.TextChoices):
        ON_HOLD = "on_hold", _("On hold")
        EFFECTIVE = "effective", _("Effective")
        CLOSED = "closed", _("Closed")

    class Commitment(models.TextChoices):
        PRODUCT_QUANTITY = "product_quantity", _("Product quantity")
        PRODUCT_AMOUNT = "product_amount", _("Product amount")
        TOTAL_AMOUNT = "total_amount", _("Total amount")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="sales_agreements",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    status = FSMField(_("status"), default=Status.ON_HOLD, choices=Status.choices, protected=True)
    effective_date = models.DateField(_("effective date"))
    expiration_date = models.DateField(_("expiration date"))
    commitment_type = models.CharField(
        _("commitment"),
        max_length=20,
        choices=Commitment.choices,
        default=Commitment.PRODUCT_QUANTITY,
    )
    total_commitment = MoneyField(
        _("total commitment"),
        validators=[MinValueValidator(0)],
        help_text=_("For a total amount commitment: the amount across all lines."),
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    over_release_tolerance = PercentField(
        _("over-release tolerance (%)"),
        validators=percent_validators,
        help_text=_("How far releases may exceed the commitment."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales agreement")
        verbose_name_plural = _("sales agreements")
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.customer.party.name if self.customer_id else ''}".strip()

    def clean(self):
        if (
            self.effective_date
            and self.expiration_date
            and self.expiration_date < self.effective_date
        ):
            raise ValidationError(
                {"expiration_date": _("The agreement expires before it takes effect.")}
            )
        if self.commitment_type == self.Commitment.TOTAL_AMOUNT and not self.total_commitment:
            raise ValidationError(
                {"total_commitment": _("A total amount commitment needs its amount.")}
            )

    @transition(field=status, source=Status.ON_HOLD, target=Status.EFFECTIVE)
    def make_effective(self):
        pass

    @transition(field=status, source=Status.EFFECTIVE, target=Status.ON_HOLD)
    def put_on_hold(self):
        pass

    @transition(field=status, source=[Status.ON_HOLD, Status.EFFECTIVE], target=Status.CLOSED)
    def close(self, *, at):
        self.closed_at = at


class SalesAgreementLine(models.Model):
    agreement = models.ForeignKey(
        SalesAgreement,
        verbose_name=_("sales agreement"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    committed_quantity = QuantityField(_("committed quantity"), validators=[MinValueValidator(0)])
    committed_amount = MoneyField(_("committed amount"), validators=[MinValueValidator(0)])
    unit_price = PriceField(_("agreed unit price"), validators=[MinValueValidator(0)])
    discount_percent = PercentField(_("discount (%)"), validators=percent_validators)
    released_quantity = QuantityField(_("released quantity"), editable=False)
    released_amount = MoneyField(_("released amount"), editable=False)
    delivered_quantity = QuantityField(_("delivered quantity"), editable=False)
    delivered_amount = MoneyField(_("delivered amount"), editable=False)
    invoiced_quantity = QuantityField(_("invoiced quantity"), editable=False)
    invoiced_amount = MoneyField(_("invoiced amount"), editable=False)

    class Meta:
        verbose_name = _("sales agreement line")
        verbose_name_plural = _("sales agreement lines")
        ordering = ["agreement", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "item"], name="sales_agreement_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.agreement.number}: {self.item}"


class SalesAgreementRelease(models.Model):
    """One release (an order, or a line of one) against a sales agreement line."""

    agreement = models.ForeignKey(
        SalesAgreement,
        verbose_name=_("sales agreement"),
        on_delete=models.PROTECT,
        related_name="releases",
    )
    line = models.ForeignKey(
        SalesAgreementLine,
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="releases",
    )
    quantity = QuantityField(_("quantity"))
    amount = MoneyField(_("amount"))
    requested_ship_date = models.DateField(_("requested ship date"))
    reference = models.CharField(
        _("reference"), max_length=100, help_text=_("The releasing document.")
    )
    released_at = models.DateTimeField(_("released at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("sales agreement release")
        verbose_name_plural = _("sales agreement releases")
        ordering = ["-released_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} × {self.line.item}"


class SellRule(models.Model):
    """Up-sell (instead of the item) or cross-sell (in addition to it) suggestion."""

    class Kind(models.TextChoices):
        UP_SELL = "up_sell", _("Up-sell")
        CROSS_SELL = "cross_sell", _("Cross-sell")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="sell_rules"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.CROSS_SELL)
    suggested_item = models.ForeignKey(
        Item, verbose_name=_("suggested item"), on_delete=models.CASCADE, related_name="+"
    )
    customer_group = models.ForeignKey(
        CustomerGroup,
        verbose_name=_("customer group"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: every customer."),
    )
    min_quantity = QuantityField(_("minimum quantity"), null=True, blank=True, default=None)
    min_line_amount = MoneyField(_("minimum line amount"), null=True, blank=True, default=None)
    pitch = models.CharField(_("pitch"), max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=10, help_text=_("1 comes first.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("up-sell/cross-sell rule")
        verbose_name_plural = _("up-sell/cross-sell rules")
        ordering = ["item", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.item} → {self.suggested_item} ({self.get_kind_display()})"

    def clean(self):
        if self.item_id and self.item_id == self.suggested_item_id:
            raise ValidationError(
                {"suggested_item": _("Suggest another item than the item itself.")}
            )


class PricedLine(models.Model):
    """What every priced document line has (quotation, order, invoice): quantity, price,
    discounts, tax code and the line net amount computed by one rule."""

    quantity = QuantityField(_("quantity"), validators=[MinValueValidator(Decimal("0.0001"))])
    unit_price = PriceField(_("unit price"), validators=[MinValueValidator(0)])
    discount_amount = PriceField(_("discount per unit"), validators=[MinValueValidator(0)])
    discount_percent = PercentField(_("discount (%)"), validators=percent_validators)
    sales_tax_code = models.ForeignKey(
        SalesTaxCode, verbose_name=_("sales tax code"), on_delete=models.PROTECT, related_name="+"
    )
    # The quantity the unit price is for (EN 16931 BT-149): a price per 12 or per 1,000.
    price_base_quantity = QuantityField(
        _("price per"),
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("The quantity the unit price is for, e.g. 1,000 for a price per thousand."),
    )
    line_amount = MoneyField(_("line amount"), editable=False)

    class Meta:
        abstract = True

    def net_amount_of(self, quantity: Decimal) -> Decimal:
        """What `quantity` of this line comes to at its price, discounts and price base."""
        from .services.pricing import net_amount

        return net_amount(
            quantity,
            self.unit_price,
            self.discount_amount,
            self.discount_percent,
            self.price_base_quantity,
        )

    def compute_line_amount(self) -> Decimal:
        self.line_amount = self.net_amount_of(self.quantity)
        return self.line_amount
