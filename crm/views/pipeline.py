"""The pipeline board: open opportunities by sales stage, moved by drag and drop or keyboard;
and the clerk pages of the sales stages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salesmkt.core.errors import DomainError
from salesmkt.core.money import round_money
from salesmkt.core.ui import Column, RecordViews, error_text

from .. import selectors
from ..models import Opportunity, SalesStage
from ..services import stages


def _board_context(request, *, error: str = "", announcement: str = "", moved=None) -> dict:
    columns = selectors.pipeline_board()
    closed = selectors.closed_opportunity_totals()
    return {
        "columns": columns,
        "stages": [c["stage"] for c in columns if c["stage"] is not None],
        "won": closed.get(Opportunity.Status.WON, {"count": 0, "revenue": 0}),
        "lost": closed.get(Opportunity.Status.LOST, {"count": 0, "revenue": 0}),
        "total_revenue": round_money(sum((c["revenue"] for c in columns), 0)),
        "total_weighted": round_money(sum((c["weighted"] for c in columns), 0)),
        "can_move": request.user.has_perm("crm.change_opportunity"),
        "chart": {
            "labels": [str(c["stage"] or _("No stage")) for c in columns],
            "datasets": [
                {
                    "label": str(_("Estimated revenue")),
                    "values": [str(c["revenue"]) for c in columns],
                },
                {
                    "label": str(_("Weighted revenue")),
                    "values": [str(c["weighted"]) for c in columns],
                },
            ],
        },
        "error": error,
        "announcement": announcement,
        "moved": moved,
    }


@login_required
@permission_required("crm.view_opportunity", raise_exception=True)
def pipeline(request):
    """The pipeline board: a column per sales stage, with count, revenue and weighted revenue."""
    return render(request, "crm/pipeline.html", _board_context(request))


@login_required
@permission_required("crm.change_opportunity", raise_exception=True)
@require_POST
def pipeline_move(request, pk):
    """Move an opportunity to the posted stage; htmx gets the board back, a plain form post
    goes back to the board."""
    opportunity = get_object_or_404(Opportunity, pk=pk)
    stage = SalesStage.objects.filter(pk=request.POST.get("stage") or None).first()
    error = announcement = ""
    if stage is None:
        error = _("Choose the stage to move the opportunity to.")
    else:
        try:
            opportunity = stages.opportunity_move_stage(
                opportunity=opportunity, stage=stage, actor=request.user
            )
            announcement = _("%(opportunity)s moved to %(stage)s.") % {
                "opportunity": opportunity,
                "stage": stage,
            }
        except (DomainError, ValidationError) as exc:
            error = error_text(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, announcement)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("crm:pipeline")
        return HttpResponseRedirect(back or reverse("crm:pipeline"))
    context = _board_context(request, error=error, announcement=announcement, moved=opportunity)
    return render(request, "crm/_pipeline_board.html", context)


class SalesStageViews(RecordViews):
    model = SalesStage
    namespace = "crm"
    slug = "sales-stages"
    icon = "bi-signpost-split"
    columns = [
        Column(gettext_lazy("sequence"), "sequence", align="end", sort="sequence"),
        Column(gettext_lazy("code"), "code", link=True, sort="code"),
        Column(gettext_lazy("name"), "name", link=True, sort="name"),
        Column(gettext_lazy("probability (%)"), "probability", align="end", sort="probability"),
        Column(gettext_lazy("active"), "active", sort="active"),
    ]
    search_fields = ["code", "name"]
    filter_fields = ["active"]
    default_ordering = "sequence"
    detail_fields = ["code", "name", "sequence", "probability", "active"]
    create_service = stages.sales_stage_create
    update_service = stages.sales_stage_update
    delete_service = stages.sales_stage_delete

    form_class = forms.modelform_factory(
        SalesStage, fields=["code", "name", "sequence", "probability", "active"]
    )
