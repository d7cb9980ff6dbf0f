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


def render(document_id: int) -> Document:
    """Render the PDF of a pending document (safe to run twice: a rendered one is kept)."""
    from weasyprint import HTML

    document = Document.objects.get(pk=document_id)
    if document.status == Document.Status.RENDERED:
        return document
    record = document.content_type.get_object_for_this_type(pk=document.object_id)
    with translation.override(document.language):
        template, context, _subject = BUILDERS[document.kind](record)
        html = render_to_string(template, {"company": company(), **context, "document": document})
    finisher = FINISHERS.get(document.kind)
    finish = finisher(record) if finisher else None
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        **(finish.write_options if finish else {})
    )
    if finish:
        pdf = finish.finish(pdf)
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
    )
    document.refresh_from_db()
    return document


def mail(document_id: int) -> bool:
    """Mail a rendered document at most once; returns whether a mail went out now.

    The mail is claimed (`sending`, committed) before the SMTP server is spoken to and marked
    `sent` after it accepted the message. A worker that dies in between leaves the claim, which
    the sweep turns into `interrupted` (it may have been delivered) instead of mailing it twice;
    the clerk sees that and sends the document again if the customer did not get it. A server
    that refuses the connection or the message leaves the mail pending for the task's retry.
    """
    claimed = Document.objects.filter(
        pk=document_id,
        mail_status=Document.MailStatus.PENDING,
        status=Document.Status.RENDERED,
    ).update(mail_status=Document.MailStatus.SENDING, mail_claimed_at=timezone.now())
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
            document.error = ""
            document.save(update_fields=["status", "mail_status", "mail_claimed_at", "error"])
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


def pending_documents(older_than: timedelta = timedelta(minutes=5)):
    """Documents whose task was lost: not rendered yet, or rendered with the mail still to go."""
    cutoff = timezone.now() - older_than
    return Document.objects.filter(created_at__lte=cutoff).filter(
        models.Q(status=Document.Status.PENDING)
        | models.Q(status=Document.Status.RENDERED, mail_status=Document.MailStatus.PENDING)
    )


def interrupt_stale_mails(older_than: timedelta = timedelta(minutes=15)) -> int:
    """Mails claimed long ago and never confirmed belonged to a dead worker: they may have reached
    the server, so they are marked interrupted, never sent again by themselves."""
    cutoff = timezone.now() - older_than
    return Document.objects.filter(
        mail_status=Document.MailStatus.SENDING, mail_claimed_at__lte=cutoff
    ).update(
        mail_status=Document.MailStatus.INTERRUPTED,
        error="worker stopped while mailing; may have been delivered, not resent",
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
