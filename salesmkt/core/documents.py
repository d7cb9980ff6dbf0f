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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

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


def company() -> dict[str, str]:
    """The seller as printed on documents (settings; company master data comes with e-invoices)."""
    return {
        "name": settings.COMPANY_NAME,
        "address": settings.COMPANY_ADDRESS,
        "vat_number": settings.COMPANY_VAT_NUMBER,
        "email": settings.DEFAULT_FROM_EMAIL,
    }


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
        html = render_to_string(template, {**context, "document": document, "company": company()})
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
    """Mail a rendered document once; returns whether a mail went out now."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if (
            document.mail_status != Document.MailStatus.PENDING
            or document.status != Document.Status.RENDERED
        ):
            return False
        record = document.content_type.get_object_for_this_type(pk=document.object_id)
        with translation.override(document.language):
            _template, context, subject = BUILDERS[document.kind](record)
            body = render_to_string(
                "documents/mail_body.txt", {**context, "document": document, "company": company()}
            )
        message = EmailMessage(subject=subject, body=body, to=[document.email_to])
        message.attach(
            f"{document.title}.pdf",
            (Path(settings.MEDIA_ROOT) / document.file).read_bytes(),
            "application/pdf",
        )
        message.send()
        document.mail_status = Document.MailStatus.SENT
        document.mailed_at = timezone.now()
        document.save(update_fields=["mail_status", "mailed_at"])
        return True


def pending_documents(older_than: timedelta = timedelta(minutes=5)):
    cutoff = timezone.now() - older_than
    return Document.objects.filter(status=Document.Status.PENDING, created_at__lte=cutoff)
