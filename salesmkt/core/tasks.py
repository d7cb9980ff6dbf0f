from celery import shared_task


@shared_task
def purge_expired_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than their time to live (periodic, safe to run twice)."""
    from .api.idempotency import purge_expired  # the API's modules load only when needed

    return purge_expired()


@shared_task
def purge_old_sign_in_failures() -> int:
    """Forget failed sign-ins that no longer count toward any limit (periodic, safe to run
    twice)."""
    from .login_throttle import purge_failures

    return purge_failures()


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_document(self, document_id: int) -> str:
    """Render a document's PDF, then mail it when it is to be mailed (safe to run twice)."""
    from .documents import Leased, mail, render
    from .models import Document

    try:
        document = render(document_id)
    except Leased as held:
        # A live worker renders it; should that one die, this try comes after its lease.
        if self.request.is_eager:
            return ""
        raise self.retry(countdown=max(1, int(held.seconds_left) + 1)) from None
    except OSError:
        raise  # the disk or a font server: retried with backoff
    except Exception as exc:
        # A fault in the document itself: retrying cannot help. It is marked failed for the
        # admin (who queues it again once the cause is fixed) instead of being swept forever.
        Document.objects.filter(pk=document_id, status=Document.Status.PENDING).update(
            status=Document.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise
    mail(document_id)
    return document.file


@shared_task
def resume_pending_documents() -> int:
    """Periodic sweep after lost tasks and dead workers: documents still to render or to mail are
    queued again, mails a dead worker left unconfirmed are marked interrupted, and the temporary
    files of renders killed mid-write are removed."""
    from .documents import interrupt_stale_mails, pending_documents, remove_orphan_parts
    from .queueing import enqueue_each

    interrupt_stale_mails()
    remove_orphan_parts()
    ids = list(pending_documents().values_list("pk", flat=True))
    enqueue_each(render_document, ids)
    return len(ids)
