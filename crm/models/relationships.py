"""The relationship flow on one party: prospect -> lead -> opportunity -> customer, and the
activities (calls, tasks, appointments) that move it along."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from salesmkt.core.money import MoneyField, PercentField
from salesmkt.finance.models import Currency, PaymentTerms, PostingProfile

from .parties import ContactPerson, CustomerGroup, Party, PriceGroup, SalesTaxGroup


class CustomerTemplate(models.Model):
    """The account settings a prospect gets when it becomes a customer (won opportunity,
    confirmed quotation, or by hand)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    customer_group = models.ForeignKey(
        CustomerGroup, verbose_name=_("customer group"), on_delete=models.PROTECT, related_name="+"
    )
    payment_terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
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
    credit_limit = MoneyField(_("credit limit"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("customer template")
        verbose_name_plural = _("customer templates")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_customer_template",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Source(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    TRADE_SHOW = "trade_show", _("Trade show")
    WEB = "web", _("Web")
    REFERRAL = "referral", _("Referral")
    OTHER = "other", _("Other")


class Prospect(models.Model):
    """The prospect role of a party: a potential customer."""

    party = models.OneToOneField(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="prospect"
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    customer_template = models.ForeignKey(
        CustomerTemplate,
        verbose_name=_("customer template"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Account settings when the prospect becomes a customer; empty: the default."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        ordering = ["party__name"]

    def __str__(self) -> str:
        return self.party.name


class Lead(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")

    class Rating(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="leads"
    )
    contact = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.SET_NULL,
        related_name="leads",
        null=True,
        blank=True,
    )
    topic = models.CharField(_("topic"), max_length=200)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    campaign = models.ForeignKey(
        "crm.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="leads",
        null=True,
        blank=True,
    )
    rating = models.CharField(
        _("rating"), max_length=10, choices=Rating.choices, default=Rating.WARM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=True)
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.topic}"

    @transition(field=status, source=Status.OPEN, target=Status.QUALIFIED)
    def qualify(self, *, at):
        self.closed_at = at

    @transition(field=status, source=Status.OPEN, target=Status.DISQUALIFIED)
    def disqualify(self, *, reason: str, at):
        self.disqualify_reason = reason
        self.closed_at = at


class SalesStage(models.Model):
    """A step of the sales pipeline an open opportunity goes through (qualification, proposal,
    ...), with the probability of winning that it stands for. Won and lost are not stages: they
    are the opportunity's status."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sequence = models.PositiveIntegerField(
        _("sequence"), default=10, help_text=_("The stages are shown in this order.")
    )
    probability = PercentField(
        _("probability (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("An opportunity moved to this stage gets this probability."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sales stage")
        verbose_name_plural = _("sales stages")
        ordering = ["sequence", "id"]

    def __str__(self) -> str:
        return self.name


def first_sales_stage():
    """The stage a new opportunity starts in: the first active one (none set up: no stage)."""
    return (
        SalesStage.objects.filter(active=True)
        .order_by("sequence", "id")
        .values_list("pk", flat=True)
        .first()
    )


class Opportunity(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        CANCELED = "canceled", _("Canceled")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="opportunities"
    )
    contact = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.SET_NULL,
        related_name="opportunities",
        null=True,
        blank=True,
    )
    lead = models.OneToOneField(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        related_name="opportunity",
        null=True,
        blank=True,
        editable=False,
    )
    campaign = models.ForeignKey(
        "crm.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        null=True,
        blank=True,
    )
    topic = models.CharField(_("topic"), max_length=200)
    estimated_revenue = MoneyField(_("estimated revenue"), validators=[MinValueValidator(0)])
    currency = models.ForeignKey(
        Currency,
        verbose_name=_("currency"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    probability = PercentField(
        _("probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    stage = models.ForeignKey(
        SalesStage,
        verbose_name=_("sales stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        null=True,
        blank=True,
        default=first_sales_stage,
    )
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=True)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.topic}"

    @property
    def weighted_revenue(self):
        from salesmkt.core.money import percent_of

        return percent_of(self.estimated_revenue, self.probability)

    @transition(field=status, source=Status.OPEN, target=Status.WON)
    def win(self, *, at):
        self.probability = 100
        self.closed_at = at

    @transition(field=status, source=Status.OPEN, target=Status.LOST)
    def lose(self, *, reason: str, at):
        self.lost_reason = reason
        self.probability = 0
        self.closed_at = at

    @transition(field=status, source=Status.OPEN, target=Status.CANCELED)
    def cancel(self, *, at):
        self.closed_at = at


class Activity(models.Model):
    """A note or a scheduled activity (call, meeting, to-do) about one record: a customer, an
    opportunity, a quotation, an order... (`about`, by content type and id, as audit events
    name their record). The party it concerns is kept too, for the party's own history."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TODO = "todo", _("To-do")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.TODO)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="activities"
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="activities",
        null=True,
        blank=True,
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="activities",
        null=True,
        blank=True,
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    about_repr = models.CharField(_("record"), max_length=200, blank=True, editable=False)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["done", "due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "done", "due_at"]),
            models.Index(fields=["content_type", "object_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="note") | models.Q(due_at__isnull=False),
                name="scheduled_activity_has_due_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
