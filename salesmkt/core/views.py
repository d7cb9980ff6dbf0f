from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from crm.models import Customer, Lead, Opportunity, Party, Vendor
from inventory.models import Item

from . import role_centre
from .money import round_money


@login_required
def dashboard(request):
    """The role centre: the work queues and charts of the user's roles (`role_centre`), the
    recent changes of records they may see, then the overview counts and charts."""
    by_group = (
        Customer.objects.values("customer_group__code", "customer_group__name")
        .annotate(count=Count("id"))
        .order_by("customer_group__code")
    )
    by_type = Item.objects.values("item_type").annotate(count=Count("id")).order_by("item_type")
    type_labels = dict(Item.ItemType.choices)
    user = request.user
    pipeline = dict(
        Opportunity.objects.filter(status=Opportunity.Status.OPEN)
        .values_list("probability")
        .annotate(total=Sum("estimated_revenue"))
        .values_list("probability", "total")
    )
    # (label, above, up to and including) in percent of probability
    stages = [
        (_("up to 25 %"), -1, 25),
        (_("over 25 to 50 %"), 25, 50),
        (_("over 50 to 75 %"), 50, 75),
        (_("over 75 %"), 75, 100),
    ]
    context = {
        "kpis": [
            (
                _("Customers"),
                Customer.objects.count(),
                "bi-people",
                user.has_perm("crm.view_customer"),
            ),
            (
                _("Parties"),
                Party.objects.count(),
                "bi-person-vcard",
                user.has_perm("crm.view_party"),
            ),
            (_("Vendors"), Vendor.objects.count(), "bi-truck", user.has_perm("crm.view_vendor")),
            (_("Items"), Item.objects.count(), "bi-box-seam", user.has_perm("inventory.view_item")),
            (
                _("Open opportunities"),
                Opportunity.objects.filter(status=Opportunity.Status.OPEN).count(),
                "bi-graph-up",
                user.has_perm("crm.view_opportunity"),
            ),
            (
                _("Open leads"),
                Lead.objects.filter(status=Lead.Status.OPEN).count(),
                "bi-funnel",
                user.has_perm("crm.view_lead"),
            ),
        ],
        "customers_by_group": {
            "labels": [row["customer_group__name"] for row in by_group],
            "values": [row["count"] for row in by_group],
        },
        "items_by_type": {
            "labels": [str(type_labels.get(row["item_type"], row["item_type"])) for row in by_type],
            "values": [row["count"] for row in by_type],
        },
        "pipeline": {
            "labels": [str(label) for label, _low, _high in stages],
            "values": [
                str(
                    round_money(
                        sum((t for p, t in pipeline.items() if low < p <= high), Decimal(0))
                    )
                )
                for _label, low, high in stages
            ],
        }
        if user.has_perm("crm.view_opportunity")
        else None,
        "role_sections": role_centre.role_sections(user),
        "role_charts": role_centre.role_charts(user),
        "events": role_centre.recent_events(user),
    }
    return render(request, "core/dashboard.html", context)


# How long the page of a document being prepared waits before it asks again.
DOCUMENT_RETRY_SECONDS = 2


@login_required
def document_pdf(request, pk: int):
    """A rendered document's PDF, for a user who may view the record it belongs to.

    A document still being prepared answers 202 with a page that asks again every
    `DOCUMENT_RETRY_SECONDS` (and says so in `Retry-After`) until the PDF is there: asking makes
    sure its render is on its way (`documents.prepare`), it is not done in this request (unless
    `DOCUMENT_RENDER_IN_REQUEST`). A document whose render failed is not found (the admin queues
    it again)."""
    from pathlib import Path

    from django.conf import settings
    from django.core.exceptions import PermissionDenied
    from django.http import FileResponse
    from django.shortcuts import get_object_or_404

    from .documents import prepare
    from .models import Document

    document = get_object_or_404(Document, pk=pk)
    model = document.content_type.model_class()
    if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        raise PermissionDenied
    if document.status == Document.Status.PENDING:
        prepare(document)
        document.refresh_from_db()
    if document.status == Document.Status.FAILED:
        raise Http404("The document could not be rendered.")
    if document.status != Document.Status.RENDERED:
        response = render(
            request,
            "core/document_pending.html",
            {"document": document, "retry_seconds": DOCUMENT_RETRY_SECONDS},
            status=202,
        )
        response["Retry-After"] = str(DOCUMENT_RETRY_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return FileResponse(
        (Path(settings.MEDIA_ROOT) / document.file).open("rb"),
        content_type="application/pdf",
        filename=f"{document.title}.pdf",
        as_attachment=request.GET.get("download") == "1",
    )
