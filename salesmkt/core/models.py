"""Shared technical records: number series, the audit trail and idempotency keys."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSeries(models.Model):
    """A series of document numbers; `salesmkt.core.numbering` hands out the next one.

    A gapless series (invoices, credit notes: the law wants no gaps) counts in this row, locked
    by the transaction that takes a number until it commits. Any other series (orders,
    quotations, RMAs) draws from a database sequence on PostgreSQL: no lock, and a rolled-back
    document leaves a gap."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    padding = models.PositiveSmallIntegerField(_("digits"), default=6)
    next_value = models.PositiveBigIntegerField(_("next value"), default=1)
    gapless = models.BooleanField(
        _("gapless"),
        default=True,
        help_text=_(
            "Gapless: numbers follow on without gaps, one transaction at a time (invoices, "
            "credit notes, vouchers). Otherwise numbers come from a database sequence: "
            "concurrent documents never wait for each other, and a canceled entry leaves a gap."
        ),
    )

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.format(self.next_value)})"

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.padding}d}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only: who did what to which record, when, from which status to which.

    Written only by `salesmkt.core.audit.record_event`.
    """

    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=60)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    from_status = models.CharField(_("from status"), max_length=40, blank=True)
    to_status = models.CharField(_("to status"), max_length=40, blank=True)
    data = models.JSONField(_("parameters"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events cannot be deleted."))


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, kept per user."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # An unfinished claim that was committed (normally the claim commits only with its answer)
    # is taken over by a retry after this.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class Document(models.Model):
    """A printable document (confirmation, packing slip, quotation...) recorded before it is
    rendered: a worker renders the PDF (and mails it); a lost task is found again by the sweep."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RENDERED = "rendered", _("Rendered")
        FAILED = "failed", _("Failed")

    class MailStatus(models.TextChoices):
        NONE = "", _("Not to be mailed")
        PENDING = "pending", _("To be mailed")
        SENDING = "sending", _("Being mailed")
        SENT = "sent", _("Mailed")
        FAILED = "failed", _("Mail failed")
        INTERRUPTED = "interrupted", _("Mail interrupted (may have been delivered)")

    kind = models.CharField(_("document"), max_length=40)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    file = models.CharField(_("file"), max_length=300, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    email_to = models.EmailField(_("mail to"), blank=True)
    mail_status = models.CharField(
        _("mail"), max_length=20, choices=MailStatus.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)
    mail_claimed_at = models.DateTimeField(_("mail claimed at"), null=True, blank=True)
    # The worker rendering or mailing the document holds it until then (renewed as it works);
    # past it, the worker is taken for dead and the sweep takes over.
    lease_until = models.DateTimeField(_("held by a worker until"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class SignInFailure(models.Model):
    """One failed sign-in (wrong password or second-factor code) at any door: the clerk page, the
    admin, the API's token endpoint. Counted by `salesmkt.core.login_throttle`; the cache only
    remembers lockouts in front of these rows, so neither a Redis outage nor a restart lifts one.
    The username is kept as a keyed hash: people type their password into the username field."""

    username_digest = models.CharField(_("username (hashed)"), max_length=64)
    address = models.CharField(_("address"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(
                fields=["username_digest", "address", "occurred_at"],
                name="sign_in_failure_pair",
            ),
            models.Index(fields=["username_digest", "occurred_at"], name="sign_in_failure_user"),
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.occurred_at:%Y-%m-%d %H:%M:%S}"
