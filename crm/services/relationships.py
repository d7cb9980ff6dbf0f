"""Prospects, leads, opportunities and activities: the road from party to customer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.transitions import lock, run_transition

from ..actions import LEAD, OPPORTUNITY
from ..models import Activity, Customer, CustomerTemplate, Lead, Opportunity, Party, Prospect
from .parties import customer_create, role_party


# --- prospects and conversion ----------------------------------------------------------------
def prospect_create(*, data: dict[str, Any], actor) -> Prospect:
    with transaction.atomic():
        party, data = role_party(model=Prospect, data=data, actor=actor)
        if Customer.objects.filter(party=party).exists():
            raise ValidationError(
                {"party": _("%(party)s is already a customer.") % {"party": party}}
            )
        return record_save(instance=Prospect(party=party, **data), actor=actor)


def prospect_update(*, instance: Prospect, data: dict[str, Any], actor) -> Prospect:
    from .parties import party_update

    data = dict(data)
    data.pop("party", None)
    party_data = data.pop("party_data", None)
    with transaction.atomic():
        if party_data:
            party_update(instance=instance.party, data=party_data, actor=actor)
        for field, value in data.items():
            setattr(instance, field, value)
        return record_save(instance=instance, actor=actor)


def default_customer_template() -> CustomerTemplate:
    template = CustomerTemplate.objects.filter(is_default=True).first()
    if template is None:
        raise ConflictError(
            _("No default customer template is set up: choose one, or set a default in Setup."),
            code="no_customer_template",
        )
    return template


def party_convert_to_customer(
    *, party: Party, actor, template: CustomerTemplate | None = None
) -> Customer:
    """Make `party` a customer (numbered account) from a customer template; its prospect role
    ends. The one conversion service: won opportunities and confirmed quotations call it too.
    A party that already is a customer stays as it is."""
    with transaction.atomic():
        party = lock(party)
        existing = Customer.objects.filter(party=party).first()
        if existing is not None:
            return existing
        prospect = Prospect.objects.filter(party=party).select_related("customer_template").first()
        template = (
            template or (prospect and prospect.customer_template) or default_customer_template()
        )
        customer = customer_create(
            data={
                "party": party,
                "customer_group": template.customer_group,
                "payment_terms": template.payment_terms,
                "currency": template.currency,
                "sales_tax_group": template.sales_tax_group,
                "price_group": template.price_group,
                "posting_profile": template.posting_profile,
                "credit_limit": template.credit_limit,
            },
            actor=actor,
        )
        if prospect is not None:
            record_event(
                actor=actor,
                obj=party,
                action="converted_to_customer",
                data={"customer": customer.account_number, "template": template.code},
            )
            prospect.delete()
        return customer


# --- leads ------------------------------------------------------------------------------------
def lead_create(*, data: dict[str, Any], actor) -> Lead:
    with transaction.atomic():
        lead = Lead(**data)
        lead.number = next_number("lead")
        return record_save(instance=lead, actor=actor)


def lead_update(*, instance: Lead, data: dict[str, Any], actor) -> Lead:
    with transaction.atomic():
        lead = lock(instance)
        LEAD.refuse(lead, "update")
        for field, value in data.items():
            setattr(lead, field, value)
        return record_save(instance=lead, actor=actor)


def lead_delete(*, instance: Lead, actor) -> None:
    """Delete an open lead; a closed one stays, for the record of the relationship."""
    with transaction.atomic():
        lead = lock(instance)
        LEAD.refuse(lead, "delete")
        record_delete(instance=lead, actor=actor)


def lead_qualify(
    *, lead: Lead, actor, opportunity_data: dict[str, Any] | None = None
) -> Opportunity:
    """Qualify an open lead: it closes and an opportunity (linked to it) opens."""
    with transaction.atomic():
        lead = run_transition(
            instance=lead, transition="qualify", actor=actor, params={"at": timezone.now()}
        )
        data = {
            "party": lead.party,
            "contact": lead.contact,
            "topic": lead.topic,
            "campaign": lead.campaign,
            "owner": lead.owner or (actor if getattr(actor, "is_authenticated", False) else None),
            **(opportunity_data or {}),
        }
        opportunity = opportunity_create(data={**data, "lead": lead}, actor=actor)
        return opportunity


def lead_disqualify(*, lead: Lead, reason: str, actor) -> Lead:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the lead is disqualified.")})
    with transaction.atomic():
        return run_transition(
            instance=lead,
            transition="disqualify",
            actor=actor,
            params={"reason": reason.strip(), "at": timezone.now()},
        )


# --- opportunities ----------------------------------------------------------------------------
def opportunity_create(*, data: dict[str, Any], actor) -> Opportunity:
    with transaction.atomic():
        opportunity = Opportunity(**data)
        opportunity.number = next_number("opportunity")
        return record_save(instance=opportunity, actor=actor)


def opportunity_update(*, instance: Opportunity, data: dict[str, Any], actor) -> Opportunity:
    with transaction.atomic():
        opportunity = lock(instance)
        OPPORTUNITY.refuse(opportunity, "update")
        for field, value in data.items():
            setattr(opportunity, field, value)
        return record_save(instance=opportunity, actor=actor)


def opportunity_delete(*, instance: Opportunity, actor) -> None:
    """Delete an open opportunity; a closed one stays, for the record of the relationship."""
    with transaction.atomic():
        opportunity = lock(instance)
        OPPORTUNITY.refuse(opportunity, "delete")
        record_delete(instance=opportunity, actor=actor)


def opportunity_win(
    *, opportunity: Opportunity, actor, customer_template: CustomerTemplate | None = None
) -> Opportunity:
    """Win an open opportunity; a party that is not yet a customer becomes one."""
    with transaction.atomic():
        opportunity = run_transition(
            instance=opportunity, transition="win", actor=actor, params={"at": timezone.now()}
        )
        party_convert_to_customer(party=opportunity.party, actor=actor, template=customer_template)
        return opportunity


def opportunity_lose(*, opportunity: Opportunity, reason: str, actor) -> Opportunity:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the opportunity was lost.")})
    with transaction.atomic():
        return run_transition(
            instance=opportunity,
            transition="lose",
            actor=actor,
            params={"reason": reason.strip(), "at": timezone.now()},
        )


def opportunity_cancel(*, opportunity: Opportunity, actor) -> Opportunity:
    with transaction.atomic():
        return run_transition(
            instance=opportunity, transition="cancel", actor=actor, params={"at": timezone.now()}
        )


# --- activities -------------------------------------------------------------------------------
def _activity_link(data: dict[str, Any]) -> dict[str, Any]:
    """The record an activity is about and the party it concerns: the record named by content
    type and id when given, else the opportunity, the lead or the party it names."""
    from .activities import _link, record_for

    data = dict(data)
    content_type = data.pop("content_type", None)
    object_id = data.pop("object_id", None)
    if content_type is not None and object_id is not None:
        about = record_for(content_type=content_type, object_id=object_id)
    else:
        about = data.get("opportunity") or data.get("lead") or data.get("party")
    if about is None:
        raise ValidationError(
            {"party": _("An activity belongs to a party, a lead or an opportunity.")}
        )
    return {**data, **_link(about)}


def activity_create(*, data: dict[str, Any], actor) -> Activity:
    data = _activity_link(data)
    if data.get("owner") is None:
        data["owner"] = actor
    if data.get("kind") == Activity.Kind.NOTE:
        data.update(done=True, done_at=timezone.now())
        if getattr(actor, "is_authenticated", False):
            data["done_by"] = actor
    elif data.get("due_at") is None:
        raise ValidationError({"due_at": _("Say when the activity is due.")})
    return record_save(instance=Activity(**data), actor=actor)


def activity_update(*, instance: Activity, data: dict[str, Any], actor) -> Activity:
    data = dict(data)
    relinks = {"party", "lead", "opportunity", "content_type", "object_id"} & set(data)
    if relinks:
        current = {
            "party": instance.party,
            "lead": instance.lead,
            "opportunity": instance.opportunity,
        }
        if "content_type" in data or "object_id" in data:
            current = {
                "content_type": data.get("content_type", instance.content_type),
                "object_id": data.get("object_id", instance.object_id),
            }
        else:
            current.update({k: data[k] for k in relinks})
        data = {**{k: v for k, v in data.items() if k not in relinks}, **_activity_link(current)}
    for field, value in data.items():
        setattr(instance, field, value)
    if instance.kind != Activity.Kind.NOTE and instance.due_at is None:
        raise ValidationError({"due_at": _("Say when the activity is due.")})
    if instance.done and instance.done_at is None:
        instance.done_at = timezone.now()
        instance.done_by = actor if getattr(actor, "is_authenticated", False) else None
    if not instance.done:
        instance.done_at = None
        instance.done_by = None
    return record_save(instance=instance, actor=actor)


def activity_complete(*, activity: Activity, actor) -> Activity:
    from .activities import activity_mark_done

    return activity_mark_done(activity=activity, actor=actor)
