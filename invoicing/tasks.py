"""Celery tasks of invoicing: thin, safe to run twice; the services hold the rules."""

from celery import shared_task

from .services import runs


@shared_task(acks_late=True)
def process_invoice_run(run_id: int) -> dict[str, int]:
    """Post the pending customers of an invoice run. Running it twice posts nothing twice."""
    return runs.invoice_run_process(run_id)


@shared_task
def resume_invoice_runs() -> list[int]:
    """Periodic sweep: queue again every run that is not done (a lost task resumes)."""
    from salesmkt.core.queueing import enqueue_each

    unfinished = runs.unfinished_runs()
    enqueue_each(process_invoice_run, unfinished)
    return unfinished
