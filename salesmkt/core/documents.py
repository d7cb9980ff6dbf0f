"""Printable documents: recorded in the database, rendered to PDF by WeasyPrint in a Celery task,
in the recipient's language, and mailed as an attachment when asked.

Each area registers a builder per document kind: it returns the template and its context for the
record. An area may also register a finisher per kind, for PDFs that are more than a printout
(a posted invoice is a PDF/A-3 carrying its e-invoice XML). Rendering writes to a temporary file
and renames it, so no reader ever sees half a PDF.

Never in the request that asked for it: with a broker a worker renders it; without one (the
embedded default) a thread of the process does, after the response (`DOCUMENT_RENDER_IN_REQUEST`
renders it in the request instead, as the tests that read the PDF right away want). A document's
lines table given as `PrintedLines` is read from the database a chunk at a time, and a document
of more than `DOCUMENT_CHUNK_LINES` lines is laid out one chunk at a time and put together
afterwards, so a render's memory does not grow with the document.
"""

from __future__ import annotations

import atexit
import logging
import os
import smtplib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from itertools import islice
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
from .queueing import InProcessQueue

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


# Rows read from the database at a time when a document is not chunked (DOCUMENT_CHUNK_LINES 0).
ROWS_READ_AT_ONCE = 2000


@dataclass(frozen=True)
class PrintedLines:
    """A document's lines table as its builder gives it: the rows (an ordered queryset, read
    from the database a chunk at a time, never all at once) and what the template prints of
    each (`printed(row)`, the row itself when not given).

    Iterated, it gives every printed row, so a template rendered from a builder's context as it
    is prints the whole table; the renderer gives the template one chunk of rows at a time
    instead, under the same name."""

    rows: models.QuerySet
    printed: Callable[[Any], Any] | None = None

    def chunks(self, size: int) -> Iterator[list]:
        rows = self.rows.iterator(chunk_size=size)
        while chunk := list(islice(rows, size)):
            yield [self.printed(row) for row in chunk] if self.printed else chunk

    def __iter__(self) -> Iterator:
        for chunk in self.chunks(settings.DOCUMENT_CHUNK_LINES or ROWS_READ_AT_ONCE):
            yield from chunk


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

    if _rendered_by_this_process() and not settings.DOCUMENT_RENDER_IN_REQUEST:
        renders_in_background.submit(document_id)
    else:
        enqueue(render_document, document_id)


def _rendered_by_this_process() -> bool:
    """No broker: the tasks run in this process (`CELERY_TASK_ALWAYS_EAGER`)."""
    from .tasks import render_document

    return bool(render_document.app.conf.task_always_eager)


def _render_in_background(document_id: int) -> None:
    from .tasks import render_document

    # The task itself, run here: the same render, failure marking and mail as on a worker.
    render_document.apply(args=[document_id], throw=True)


# Without a broker, one thread per process renders (and then mails) the documents its requests
# asked for, after their responses; a process on its way out lets it finish what it took.
renders_in_background = InProcessQueue("document-renders", _render_in_background)
atexit.register(lambda: renders_in_background.wait(settings.DOCUMENT_LEASE.total_seconds()))


def prepare(document: Document) -> None:
    """Someone asked for a pending document (its download): make sure its render is on its way.

    Without a broker the process's render thread takes it, unless a render holds its lease, so a
    job lost with a restarted process is done once someone asks for it (the sweep needs beat,
    which a broker-less install does not run); with `DOCUMENT_RENDER_IN_REQUEST` it is rendered
    here and now. With a broker its task message is queued already and the sweep sends a lost
    one again."""
    if document.status != Document.Status.PENDING or not _rendered_by_this_process():
        return
    if document.lease_until is not None and document.lease_until > timezone.now():
        return
    _queue(document.pk)


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
    record = document.content_type.get_object_for_this_type(pk=document.object_id)
    finisher = FINISHERS.get(document.kind)
    finish = finisher(record) if finisher else None
    options = finish.write_options if finish else {}
    with translation.override(document.language):
        template, context, _subject = BUILDERS[document.kind](record)
        context = {"company": company(), **context, "document": document}
        pdf = _pdf(document, template, context, options)
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


def _pdf(document: Document, template: str, context: dict, options: dict) -> bytes:
    """The document's PDF: in one piece, or, over `DOCUMENT_CHUNK_LINES` lines, one chunk of its
    lines table at a time (the heading with the first, the totals with the last), put together
    and numbered "page x of y" afterwards. The lease is renewed after each chunk."""
    size = settings.DOCUMENT_CHUNK_LINES
    tables = [name for name, value in context.items() if isinstance(value, PrintedLines)]
    if not tables or not size:
        return _write_pdf(_html(template, context), options)
    [name] = tables
    chunks = context[name].chunks(size)
    chunk, following = next(chunks, []), next(chunks, None)
    if following is None:
        return _write_pdf(_html(template, {**context, name: chunk}), options)
    parts: list[bytes] = []
    while chunk is not None:
        last = following is None
        html = _html(
            template,
            {**context, name: chunk, "continued": bool(parts), "continues": not last},
            numbered_later=True,
        )
        parts.append(_write_pdf(html, options))
        _renew_render_lease(document.pk)
        chunk, following = following, (None if last else next(chunks, None))
    return _put_together(parts, template, context, options)


def _html(template: str, context: dict, *, numbered_later: bool = False) -> str:
    html = render_to_string(template, {**context, "numbered_later": numbered_later})
    # Text stored before control characters were refused still prints (XML cannot hold them).
    return printable(html)


def _write_pdf(html: str, options: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(**options)


def _put_together(parts: list[bytes], template: str, context: dict, options: dict) -> bytes:
    """The chunks' PDFs as one document: the first one's (its metadata and the PDF/A output
    intent) with the other chunks' pages after its own, each page then stamped with its number
    "page x of y" where the template prints it (no chunk knows its numbers when laid out)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=BytesIO(parts[0]))
    for part in parts[1:]:
        writer.append(BytesIO(part), import_outline=False)
    count = len(writer.pages)
    numbers = _write_pdf(_html(template, {**context, "page_numbers_only": range(count)}), options)
    for page, number in zip(writer.pages, PdfReader(BytesIO(numbers)).pages, strict=True):
        page.merge_page(number)
        page.compress_content_streams()  # merging leaves the page's content uncompressed
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


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
