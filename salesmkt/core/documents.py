"""Printable documents: recorded in the database, rendered to PDF by WeasyPrint in a Celery task,
in the recipient's language, and mailed as an attachment when asked.

Each area registers a builder per document kind: it returns the template and its context for the
record. An area may also register a finisher per kind, for PDFs that are more than a printout
(a posted invoice is a PDF/A-3 carrying its e-invoice XML). Rendering writes to a temporary file
and renames it, so no reader ever sees half a PDF.
"""

from __future__ import annotations

import logging
import os
import smtplib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .hygiene import printable
from .models import Document

log = logging.getLogger(__name__)

# kind -> builder(record) -> (template name, context, subject)
BUILDERS: dict[str, Callable[[Any], tuple[str, dict, str]]] = {}


@dataclass(frozen=True)
class PdfFinish:
    """How one record's PDF is written and completed: `write_options` go to WeasyPrint's
    `write_pdf` (e.g. `pdf_variant`), `finish` turns the written PDF into the stored one."""

    finish: Callable[[bytes], bytes]
    write_options: dict[str, Any] = field(default_factory=dict)


# kind -> finisher(record) -> PdfFinish, or None when the record's PDF stays a plain printout
FINISHERS: dict[str, Callable[[Any], PdfFinish | None]] = {}


def register(kind: str):
    def decorator(builder):
        BUILDERS[kind] = builder
        return builder

    return decorator


def register_finisher(kind: str):
    def decorator(finisher):
        FINISHERS[kind] = finisher
        return finisher

    return decorator


def document_request(
    *, obj: models.Model, kind: str, title: str, language: str = "en", email_to: str = ""
) -> Document:
    """Record a document to render (and mail); the rendering is queued when the caller's
    transaction commits."""
    document = Document.objects.create(
        kind=kind,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        title=title,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        email_to=email_to,
        mail_status=Document.MailStatus.PENDING if email_to else Document.MailStatus.NONE,
    )
    transaction.on_commit(lambda: _queue(document.pk))
    return document


def _queue(document_id: int) -> None:
    from .queueing import enqueue
    from .tasks import render_document

    enqueue(render_document, document_id)


def documents_for(obj: models.Model):
    return Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


# The seller as printed on documents: the finance app provides the company profile (it lives
# above core, so core asks for it instead of importing it).
company_provider: Callable[[], dict[str, Any]] | None = None


def company() -> dict[str, Any]:
    """The seller as printed on a document that does not freeze its own (a posted invoice does)."""
    if company_provider is not None:
        return company_provider()
    return {"name": settings.COMPANY_NAME, "address": settings.COMPANY_ADDRESS}


def storage_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Leased(Exception):
    """Another worker holds the document (its lease has not run out): it is left to that one."""

    def __init__(self, seconds_left: float) -> None:
        super().__init__(f"held by another worker for {seconds_left:.0f} s more")
        self.seconds_left = seconds_left


def _lease_until():
    return timezone.now() + settings.DOCUMENT_LEASE


def _unrendered(document_id: int):
    return Document.objects.filter(pk=document_id).exclude(status=Document.Status.RENDERED)


def _take_render_lease(document_id: int) -> bool:
    now = timezone.now()
    return bool(
        _unrendered(document_id)
        .filter(models.Q(lease_until__isnull=True) | models.Q(lease_until__lt=now))
        .update(lease_until=now + settings.DOCUMENT_LEASE)
    )


def _renew_render_lease(document_id: int) -> None:
    _unrendered(document_id).update(lease_until=_lease_until())


def render(document_id: int) -> Document:
    """Render the PDF of a pending document (safe to run twice: a rendered one is kept).

    The render is leased (`DOCUMENT_LEASE`, renewed between its steps), so the sweep leaves a
    render a live worker is busy with alone; `Leased` when another worker holds it. Two renders
    of one document would be harmless anyway (each writes its own file and renames it).
    """
    document = Document.objects.get(pk=document_id)
    if document.status == Document.Status.RENDERED:
        return document
    if not _take_render_lease(document_id):
        document.refresh_from_db()
        if document.status == Document.Status.RENDERED:
            return document
        held_until = document.lease_until or timezone.now()
        raise Leased((held_until - timezone.now()).total_seconds())
    try:
        return _render(document)
    except BaseException:
        # A failure (not a death) gives the render up at once, for the retry or the sweep.
        _unrendered(document_id).update(lease_until=None)
        raise


def _render(document: Document) -> Document:
    from weasyprint import HTML

    record = document.content_type.get_object_for_this_type(pk=document.object_id)
    with translation.override(document.language):
        template, context, _subject = BUILDERS[document.kind](record)
        html = render_to_string(template, {"company": company(), **context, "document": document})
    # Text stored before control characters were refused still prints (XML cannot hold them).
    html = printable(html)
    finisher = FINISHERS.get(document.kind)
    finish = finisher(record) if finisher else None
    _renew_render_lease(document.pk)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        **(finish.write_options if finish else {})
    )
    if finish:
        pdf = finish.finish(pdf)
    _renew_render_lease(document.pk)
    target = storage_dir() / f"{document.kind}-{document.pk}.pdf"
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(pdf)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.RENDERED,
        file=str(target.relative_to(settings.MEDIA_ROOT)),
        rendered_at=timezone.now(),
        error="",
        lease_until=None,
    )
    document.refresh_from_db()
    return document


def mail(document_id: int) -> bool:
    """Mail a rendered document at most once; returns whether a mail went out now.

    The mail is claimed (`sending`, committed, leased for `DOCUMENT_LEASE`, longer than handing
    one message to the SMTP server takes) before the SMTP server is spoken to and marked `sent`
    after it accepted the message. A worker that dies in between leaves the claim, which the
    sweep turns into `interrupted` once its lease ran out (it may have been delivered) instead of
    mailing it twice; the clerk sees that and sends the document again if the customer did not
    get it. A server that refuses the connection or the message leaves the mail pending for the
    task's retry.
    """
    now = timezone.now()
    claimed = Document.objects.filter(
        pk=document_id,
        mail_status=Document.MailStatus.PENDING,
        status=Document.Status.RENDERED,
    ).update(
        mail_status=Document.MailStatus.SENDING,
        mail_claimed_at=now,
        lease_until=now + settings.DOCUMENT_LEASE,
    )
    if not claimed:
        return False
    document = Document.objects.get(pk=document_id)
    try:
        message = _mail_message(document)
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        _mail_done(document, Document.MailStatus.FAILED, error=str(exc.recipients))
        return False
    except BaseException:
        _mail_done(document, Document.MailStatus.PENDING)  # never reached the server: retry
        raise
    _mail_done(document, Document.MailStatus.SENT)
    return True


def _mail_message(document: Document) -> EmailMessage:
    record = document.content_type.get_object_for_this_type(pk=document.object_id)
    with translation.override(document.language):
        _template, context, subject = BUILDERS[document.kind](record)
        body = render_to_string(
            "documents/mail_body.txt", {"company": company(), **context, "document": document}
        )
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[document.email_to],
        # Stable per document: a receiving server can recognise a message it already has.
        headers={"Message-ID": f"<document-{document.pk}@{domain}>"},
    )
    message.attach(
        f"{document.title}.pdf",
        (Path(settings.MEDIA_ROOT) / document.file).read_bytes(),
        "application/pdf",
    )
    return message


def _mail_done(document: Document, status: str, *, error: str = "") -> None:
    Document.objects.filter(pk=document.pk, mail_status=Document.MailStatus.SENDING).update(
        mail_status=status,
        mailed_at=timezone.now() if status == Document.MailStatus.SENT else None,
        mail_claimed_at=None if status == Document.MailStatus.PENDING else document.mail_claimed_at,
        error=error[:500] if error else document.error,
        lease_until=None,
    )


def queue_again(*, documents, actor) -> int:
    """Queue documents again by hand (admin): a failed render is rendered again; a failed mail, or
    one a dead worker left interrupted, is mailed again once someone has made sure the recipient
    did not get it. Returns how many documents were queued."""
    from .audit import record_event

    Mail = Document.MailStatus
    queued = 0
    with transaction.atomic():
        for document in Document.objects.select_for_update().filter(
            pk__in=[d.pk for d in documents]
        ):
            before = (document.status, document.mail_status)
            if document.status == Document.Status.FAILED:
                document.status = Document.Status.PENDING
            if document.mail_status in (Mail.FAILED, Mail.INTERRUPTED):
                document.mail_status, document.mail_claimed_at = Mail.PENDING, None
            if (document.status, document.mail_status) == before:
                continue
            document.error, document.lease_until = "", None
            document.save(
                update_fields=["status", "mail_status", "mail_claimed_at", "error", "lease_until"]
            )
            record_event(
                actor=actor,
                obj=document,
                action="queued_again",
                from_status="/".join(before),
                to_status=f"{document.status}/{document.mail_status}",
            )
            transaction.on_commit(lambda pk=document.pk: _queue(pk))
            queued += 1
    return queued


def pending_documents(older_than: timedelta | None = None):
    """Documents whose task was lost: not rendered yet (and held by no live worker), or rendered
    with the mail still to go. Younger than `DOCUMENT_SWEEP_AFTER`, their own task is on its
    way."""
    now = timezone.now()
    cutoff = now - (older_than if older_than is not None else settings.DOCUMENT_SWEEP_AFTER)
    unheld = models.Q(lease_until__isnull=True) | models.Q(lease_until__lt=now)
    return Document.objects.filter(created_at__lte=cutoff).filter(
        (models.Q(status=Document.Status.PENDING) & unheld)
        | models.Q(status=Document.Status.RENDERED, mail_status=Document.MailStatus.PENDING)
    )


# A claim without a lease was taken by a worker of a release before leases: the bound it had.
UNLEASED_MAIL_CLAIM = timedelta(minutes=15)


def interrupt_stale_mails() -> int:
    """Mails whose claim's lease ran out belonged to a dead worker: they may have reached the
    server, so they are marked interrupted, never sent again by themselves."""
    now = timezone.now()
    return Document.objects.filter(
        models.Q(lease_until__lt=now)
        | models.Q(lease_until__isnull=True, mail_claimed_at__lte=now - UNLEASED_MAIL_CLAIM),
        mail_status=Document.MailStatus.SENDING,
    ).update(
        mail_status=Document.MailStatus.INTERRUPTED,
        error="worker stopped while mailing; may have been delivered, not resent",
        lease_until=None,
    )


def remove_orphan_parts(older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete the temporary files of renders whose worker died mid-write (never a stored PDF)."""
    cutoff = (timezone.now() - older_than).timestamp()
    removed = 0
    for part in storage_dir().glob("*.part"):
        try:
            if part.stat().st_mtime <= cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
