"""Notes and scheduled activities (call, meeting, to-do) on a record: a customer, a prospect, a
lead, an opportunity, a quotation or a sales order, shown with the record's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock

from ..models import Activity, Lead, Opportunity, Party

# The records activities may be about ("app_label.model"), with the URL name of their page.
# Named, not imported: quotations and orders live downhill of crm.
ACTIVITY_RECORDS = {
    "crm.party": "crm:parties-detail",
    "crm.customer": "crm:customers-detail",
    "crm.prospect": "crm:prospects-detail",
    "crm.lead": "crm:leads-detail",
    "crm.opportunity": "crm:opportunities-detail",
    "orders.salesquotation": "orders:quotations-detail",
    "orders.salesorder": "orders:sales-orders-detail",
}


def record_key(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


def record_url(content_type_id: int | None, object_id: int | None) -> str:
    """The page of the record an activity is about, without reading the record."""
    if content_type_id is None or object_id is None:
        return ""
    url_name = ACTIVITY_RECORDS.get(record_key(ContentType.objects.get_for_id(content_type_id)))
    try:
        return reverse(url_name, args=[object_id]) if url_name else ""
    except NoReverseMatch:
        return ""


def party_of(record: models.Model) -> Party | None:
    """The party a record concerns: itself, its party, or its customer's party."""
    if isinstance(record, Party):
        return record
    if getattr(record, "party_id", None) is not None:
        return record.party
    customer = getattr(record, "customer", None)
    return getattr(customer, "party", None)


def _link(record: models.Model) -> dict[str, Any]:
    content_type = ContentType.objects.get_for_model(record)
    if record_key(content_type) not in ACTIVITY_RECORDS:
        raise ValidationError(
            {
                "content_type": _("Activities cannot be kept on %(kind)s records.")
                % {"kind": record._meta.verbose_name}
            }
        )
    party = party_of(record)
    if party is None:
        raise ValidationError({"party": _("The record has no customer or party.")})
    link: dict[str, Any] = {
        "content_type": content_type,
        "object_id": record.pk,
        "about_repr": str(record)[:200],
        "party": party,
    }
    if isinstance(record, Opportunity):
        link["opportunity"] = record
    elif isinstance(record, Lead):
        link["lead"] = record
    return link


def record_for(*, content_type: ContentType, object_id: int) -> models.Model:
    """The record named by content type and id, when activities may be kept on it."""
    if record_key(content_type) not in ACTIVITY_RECORDS:
        raise ValidationError(
            {"content_type": _("Activities cannot be kept on this kind of record.")}
        )
    model = content_type.model_class()
    record = model._default_manager.filter(pk=object_id).first() if model else None
    if record is None:
        raise ValidationError({"object_id": _("There is no such record.")})
    return record


def activity_add_note(*, about: models.Model, notes: str, actor, subject: str = "") -> Activity:
    """A note on the record: written down now, by the actor, nothing left to do."""
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError({"notes": _("Write the note.")})
    now = timezone.now()
    subject = (subject or "").strip() or notes.splitlines()[0][:200]
    return record_save(
        instance=Activity(
            kind=Activity.Kind.NOTE,
            subject=subject,
            notes=notes,
            owner=actor,
            done=True,
            done_at=now,
            done_by=actor,
            **_link(about),
        ),
        actor=actor,
    )


def activity_schedule(
    *,
    about: models.Model,
    kind: str,
    subject: str,
    due_at: datetime,
    actor,
    owner=None,
    notes: str = "",
) -> Activity:
    """A call, meeting or to-do on the record, due at `due_at`, for `owner` (the actor by
    default)."""
    if kind == Activity.Kind.NOTE:
        raise ValidationError({"kind": _("A note is written, not scheduled.")})
    if due_at is None:
        raise ValidationError({"due_at": _("Say when the activity is due.")})
    return record_save(
        instance=Activity(
            kind=kind,
            subject=(subject or "").strip(),
            notes=notes or "",
            due_at=due_at,
            owner=owner or actor,
            **_link(about),
        ),
        actor=actor,
    )


def activity_mark_done(*, activity: Activity, actor) -> Activity:
    """Mark a scheduled activity done, by the actor, now. Done already: refused (409)."""
    with transaction.atomic():
        activity = lock(activity)
        if activity.done:
            raise ConflictError(_("The activity is already done."), code="activity_done")
        activity.done = True
        activity.done_at = timezone.now()
        activity.done_by = actor if getattr(actor, "is_authenticated", False) else None
        activity.save(update_fields=["done", "done_at", "done_by"])
        record_event(
            actor=actor,
            obj=activity,
            action="done",
            data={"done_at": activity.done_at},
        )
        return activity
