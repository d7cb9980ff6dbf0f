"""Marketing campaigns, their targets (party and contact), telemarketing calls and the email
sends recorded before any mail leaves."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from salesmkt.core.money import MoneyField
from salesmkt.finance.models import Currency

from .parties import ContactPerson, Party


class Campaign(FSMModelMixin, models.Model):
    class Kind(models.TextChoices):
        TELEMARKETING = "telemarketing", _("Telemarketing")
        MAILING = "mailing", _("Mailing")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELED = "canceled", _("Canceled")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.EMAIL)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    budget = MoneyField(_("budget"), validators=[MinValueValidator(0)])
    currency = models.ForeignKey(
        Currency,
        verbose_name=_("currency"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    subject = models.CharField(
        _("email subject"),
        max_length=200,
        blank=True,
        help_text=_("Merge fields: {{ name }}, {{ contact }}, {{ company }}."),
    )
    body_text = models.TextField(
        _("email text"),
        blank=True,
        help_text=_("Plain text body. Merge fields: {{ name }}, {{ contact }}, {{ company }}."),
    )
    body_html = models.TextField(
        _("email HTML"), blank=True, help_text=_("Optional HTML body with the same merge fields.")
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_email(self) -> bool:
        return self.kind == self.Kind.EMAIL

    def has_mail_content(self) -> bool:
        return bool(self.subject.strip() and (self.body_text.strip() or self.body_html.strip()))

    @transition(field=status, source=Status.DRAFT, target=Status.ACTIVE)
    def launch(self, *, at):
        self.launched_at = at

    @transition(field=status, source=Status.ACTIVE, target=Status.COMPLETED)
    def complete(self, *, at):
        self.closed_at = at

    @transition(field=status, source=[Status.DRAFT, Status.ACTIVE], target=Status.CANCELED)
    def cancel(self, *, at):
        self.closed_at = at


class CampaignTarget(models.Model):
    """A party (and optionally one of its contacts) reached by a campaign, with the response."""

    class Origin(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        LEAD = "lead", _("Lead")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")
        MANUAL = "manual", _("Chosen by hand")

    class Response(models.TextChoices):
        NONE = "none", _("None")
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")
        BOUNCED = "bounced", _("Bounced")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class CallOutcome(models.TextChoices):
        NOT_CALLED = "", _("Not called yet")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        CALL_BACK = "call_back", _("Call back")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="campaign_targets"
    )
    contact = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="campaign_targets",
        null=True,
        blank=True,
    )
    origin = models.CharField(
        _("selected as"), max_length=20, choices=Origin.choices, default=Origin.MANUAL
    )
    response = models.CharField(
        _("response"), max_length=20, choices=Response.choices, default=Response.NONE
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    call_outcome = models.CharField(
        _("last call outcome"), max_length=20, choices=CallOutcome.choices, blank=True
    )
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "party__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "party"],
                condition=models.Q(contact__isnull=True),
                name="campaign_target_once_per_party",
            ),
            models.UniqueConstraint(
                fields=["campaign", "party", "contact"],
                condition=models.Q(contact__isnull=False),
                name="campaign_target_once_per_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party.name}, {self.contact}" if self.contact_id else self.party.name

    @property
    def email(self) -> str:
        return (self.contact.email if self.contact_id else "") or self.party.email


# The outcomes a clerk records for a call (the target's "not called yet" is no outcome).
CALL_OUTCOMES = CampaignTarget.CallOutcome.choices[1:]
# Where targets can be selected from by filter.
TARGET_SOURCES = [c for c in CampaignTarget.Origin.choices if c[0] != "manual"]


class CampaignCall(models.Model):
    """One telemarketing call to a target, as the clerk records it."""

    target = models.ForeignKey(
        CampaignTarget, verbose_name=_("target"), on_delete=models.CASCADE, related_name="calls"
    )
    called_at = models.DateTimeField(_("called at"))
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=CALL_OUTCOMES)
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("campaign call")
        verbose_name_plural = _("campaign calls")
        ordering = ["-called_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target} {self.called_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class CampaignSend(models.Model):
    """One email of a campaign to one target, recorded before it is sent.

    pending -> sending (claimed by a worker's batch) -> sent | bounced | failed. A batch left in
    `sending` by a dead worker is recovered: its first unconfirmed row may have reached the SMTP
    server, so it becomes `interrupted` (never resent); the rest go back to `pending`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (unsubscribed or no address)")
        INTERRUPTED = "interrupted", _("Interrupted (not resent)")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="sends"
    )
    target = models.OneToOneField(
        CampaignTarget, verbose_name=_("target"), on_delete=models.CASCADE, related_name="send"
    )
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    batch = models.CharField(_("batch"), max_length=40, blank=True, db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("campaign email")
        verbose_name_plural = _("campaign emails")
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"
