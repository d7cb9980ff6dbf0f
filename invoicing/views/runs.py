"""Clerk UI of invoice runs: start one (packing slips up to a date), follow its progress bar,
and see each customer's invoice or the reason it failed."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from salesmkt.core.dates import BoundedDatesFormMixin
from salesmkt.core.ui import Column, RecordAction, RecordViews

from .. import selectors
from ..actions import INVOICE_RUN
from ..models import InvoiceRun
from ..services import runs


class InvoiceRunForm(BoundedDatesFormMixin, forms.ModelForm):
    class Meta:
        model = InvoiceRun
        fields = ["up_to_date", "invoice_date", "customer_group"]
        widgets = {"up_to_date": DateInput(), "invoice_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["up_to_date"].initial = today
        self.fields["invoice_date"].initial = today
        self.fields["up_to_date"].help_text = _(
            "Every posted packing slip delivered up to this date and not invoiced yet."
        )


def _percent(run):
    return f"{selectors.run_progress(run)['percent']} %"


class InvoiceRunViews(RecordViews):
    model = InvoiceRun
    namespace = "invoicing"
    slug = "runs"
    icon = "bi-collection"
    detail_template = "invoicing/run_detail.html"
    form_class = InvoiceRunForm
    columns = [
        Column(_("invoice run"), "pk", link=True, sort="id"),
        Column(_("packing slips up to"), "up_to_date", sort="up_to_date"),
        Column(_("invoice date"), "invoice_date", sort="invoice_date"),
        Column(_("status"), "status", sort="status"),
        Column(_("customers"), "rows_total", align="end"),
        Column(_("posted"), "rows_posted", align="end"),
        Column(_("failed"), "rows_failed", align="end"),
        Column(_("progress"), _percent, align="end"),
        Column(_("created at"), "created_at", sort="created_at"),
    ]
    filter_fields = ["status"]
    default_ordering = "-created_at"
    detail_fields = [
        "up_to_date",
        "invoice_date",
        "customer_group",
        "status",
        "created_by",
        "created_at",
        "finished_at",
    ]

    # Edit and Delete never show, Resume shows while the run is not done: as `INVOICE_RUN`
    # (invoicing.actions) declares.
    actions = [
        RecordAction(
            "resume",
            _("Resume"),
            lambda run, user, data: runs.invoice_run_resume(run=run, actor=user),
            permission="invoicing.add_invoicerun",
            icon="bi-play-circle",
        ),
    ]

    @classmethod
    def run_create(cls, data, actor):
        return runs.invoice_run_create(actor=actor, **data)

    @classmethod
    def run_update(cls, instance, data, actor):
        INVOICE_RUN.refuse(instance, "update")  # a run is a record of what was posted

    @classmethod
    def get_queryset(cls):
        return selectors.runs_with_progress(
            InvoiceRun.objects.select_related("customer_group", "created_by")
        )

    @classmethod
    def detail_context(cls, request, obj):
        return {
            "run": obj,
            "progress": selectors.run_progress(obj),
            "rows": obj.rows.select_related("customer__party", "currency", "invoice")
            .prefetch_related("packing_slips")
            .order_by("status", "customer__party__name", "id"),
        }

    @classmethod
    def urls(cls):
        return [
            *super().urls(),
            path(f"{cls.slug}/<int:pk>/progress/", run_progress, name="runs-progress"),
        ]


@login_required
@permission_required("invoicing.view_invoicerun", raise_exception=True)
def run_progress(request, pk):
    """The progress bar, polled by htmx while the run works; 286 stops the polling and the
    page reloads the customers' table once."""
    run = get_object_or_404(InvoiceRunViews.get_queryset(), pk=pk)
    response = render(
        request,
        "invoicing/_run_progress.html",
        {"run": run, "progress": selectors.run_progress(run)},
    )
    if run.status == InvoiceRun.Status.DONE:
        response.status_code = 286
        response["HX-Refresh"] = "true"
    return response


def urls():
    return InvoiceRunViews.urls()
