"""Campaigns: targets, launch, responses, calls, converting positive responses, unsubscribe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.conf import site_url
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.transitions import lock, run_transition

from ..actions import CAMPAIGN, NO_MAIL_CONTENT
from ..models import (
    Campaign,
    CampaignCall,
    CampaignSend,
    CampaignTarget,
    ContactPerson,
    Customer,
    Lead,
    Opportunity,
    Party,
    Prospect,
)
from .relationships import lead_create, opportunity_create

Origin = CampaignTarget.Origin
Response = CampaignTarget.Response
UNSUBSCRIBE_SALT = "crm.campaign.unsubscribe"


def campaign_create(*, data: dict[str, Any], actor) -> Campaign:
    with transaction.atomic():
        campaign = Campaign(**data)
        campaign.number = next_number("campaign")
        if campaign.owner is None and getattr(actor, "is_authenticated", False):
            campaign.owner = actor
        return record_save(instance=campaign, actor=actor)


def campaign_update(*, instance: Campaign, data: dict[str, Any], actor) -> Campaign:
    with transaction.atomic():
        campaign = lock(instance)
        CAMPAIGN.refuse(campaign, "update")
        content = {"kind", "subject", "body_text", "body_html"}
        if campaign.status == Campaign.Status.ACTIVE and content & {
            f for f, v in data.items() if getattr(campaign, f) != v
        }:
            raise ConflictError(
                _("The type and the email content are fixed once the campaign is launched."),
                code="campaign_content_fixed",
            )
        for field, value in data.items():
            setattr(campaign, field, value)
        return record_save(instance=campaign, actor=actor)


def campaign_delete(*, instance: Campaign, actor) -> None:
    """Delete a draft campaign (its targets go with it); a launched one is canceled instead."""
    with transaction.atomic():
        campaign = lock(instance)
        CAMPAIGN.refuse(campaign, "delete")
        record_delete(instance=campaign, actor=actor)


# --- targets ----------------------------------------------------------------------------------
def _primary_contacts(party_ids: Iterable[int]) -> dict[int, int]:
    contacts = {}
    for contact in ContactPerson.objects.filter(party_id__in=party_ids).order_by(
        "-is_primary", "id"
    ):
        contacts.setdefault(contact.party_id, contact.pk)
    return contacts


def _candidates(source: str, filters: dict[str, Any]) -> list[tuple[int, str]]:
    """(party id, origin) pairs chosen by a filter over one source of the relationship flow."""
    if source == Origin.CUSTOMER:
        qs = Customer.objects.all()
        if filters.get("customer_group"):
            qs = qs.filter(customer_group=filters["customer_group"])
        if filters.get("price_group"):
            qs = qs.filter(price_group=filters["price_group"])
        if filters.get("language"):
            qs = qs.filter(party__language=filters["language"])
        qs = qs.exclude(on_hold=Customer.OnHold.ALL)
    elif source == Origin.PROSPECT:
        qs = Prospect.objects.all()
        if filters.get("segment"):
            qs = qs.filter(segment__iexact=filters["segment"])
        if filters.get("language"):
            qs = qs.filter(party__language=filters["language"])
    elif source == Origin.LEAD:
        qs = Lead.objects.filter(status=filters.get("status") or Lead.Status.OPEN)
        if filters.get("rating"):
            qs = qs.filter(rating=filters["rating"])
    elif source == Origin.OPPORTUNITY:
        qs = Opportunity.objects.filter(status=filters.get("status") or Opportunity.Status.OPEN)
    else:
        raise ValidationError({"source": _("Choose prospects, leads, opportunities or customers.")})
    return [(party_id, source) for party_id in qs.values_list("party_id", flat=True).distinct()]


def campaign_add_targets(
    *,
    campaign: Campaign,
    actor,
    parties: Iterable[Party] = (),
    contacts: Iterable[ContactPerson] = (),
    source: str | None = None,
    filters: dict[str, Any] | None = None,
) -> int:
    """Add targets by hand (parties, contacts) or by a filter over a source. Each party and
    contact is a target once per campaign, however often it is chosen. Returns how many were new."""
    with transaction.atomic():
        campaign = lock(campaign)
        CAMPAIGN.refuse(campaign, "add_targets")
        wanted: dict[tuple[int, int | None], str] = {}
        chosen = [(party.pk, Origin.MANUAL) for party in parties]
        if source:
            chosen += _candidates(source, filters or {})
        primary = _primary_contacts({party_id for party_id, _ in chosen})
        for party_id, origin in chosen:
            wanted.setdefault((party_id, primary.get(party_id)), origin)
        contacts = list(contacts)
        for contact in contacts:
            wanted.setdefault((contact.party_id, contact.pk), Origin.MANUAL)
        existing = set(campaign.targets.values_list("party_id", "contact_id"))
        targeted_parties = {party_id for party_id, _ in existing}
        explicit_contacts = {contact.pk for contact in contacts}
        new = []
        for (party_id, contact_id), origin in wanted.items():
            if (party_id, contact_id) in existing:
                continue
            # A party chosen as a whole (by hand or by filter) that the campaign already reaches
            # through any target is not added again; only contacts chosen one by one are.
            if contact_id not in explicit_contacts and party_id in targeted_parties:
                continue
            new.append(
                CampaignTarget(
                    campaign=campaign, party_id=party_id, contact_id=contact_id, origin=origin
                )
            )
            targeted_parties.add(party_id)
        CampaignTarget.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        record_event(
            actor=actor,
            obj=campaign,
            action="targets_added",
            data={"count": len(new), "source": source or "manual"},
        )
        if campaign.status == Campaign.Status.ACTIVE and campaign.is_email and new:
            from .mailing import record_pending_sends, schedule_sending

            record_pending_sends(campaign)
            schedule_sending(campaign)
        return len(new)


def campaign_remove_target(*, target: CampaignTarget, actor) -> None:
    with transaction.atomic():
        campaign = lock(target.campaign)
        CAMPAIGN.refuse(campaign, "remove_targets")
        record_event(
            actor=actor,
            obj=campaign,
            action="target_removed",
            data={"party": target.party_id, "contact": target.contact_id},
        )
        target.delete()


# --- status -----------------------------------------------------------------------------------
def campaign_launch(*, campaign: Campaign, actor) -> Campaign:
    """Activate a draft campaign. An email campaign records one send per target first, then
    queues the sending on Celery once the transaction has committed."""
    with transaction.atomic():
        campaign = lock(campaign)
        refusal = CAMPAIGN.refusal(campaign, "launch")
        if refusal is not None and refusal.code == NO_MAIL_CONTENT:
            # Told as the subject's error, for the campaign's form.
            raise ValidationError({"subject": refusal.message})
        # refused (CAMPAIGN's launch) without targets, or once launched
        campaign = run_transition(
            instance=campaign, transition="launch", actor=actor, params={"at": timezone.now()}
        )
        if campaign.is_email:
            from .mailing import record_pending_sends, schedule_sending

            record_pending_sends(campaign)
            schedule_sending(campaign)
        return campaign


def campaign_complete(*, campaign: Campaign, actor) -> Campaign:
    with transaction.atomic():
        return run_transition(
            instance=campaign, transition="complete", actor=actor, params={"at": timezone.now()}
        )


def campaign_cancel(*, campaign: Campaign, actor) -> Campaign:
    """Cancel a draft or active campaign; mail not yet sent is not sent."""
    with transaction.atomic():
        campaign = run_transition(
            instance=campaign, transition="cancel", actor=actor, params={"at": timezone.now()}
        )
        campaign.sends.filter(status=CampaignSend.Status.PENDING).update(
            status=CampaignSend.Status.SKIPPED, error="campaign canceled"
        )
        return campaign


# --- responses and calls ----------------------------------------------------------------------
def target_record_response(*, target: CampaignTarget, response: str, actor) -> CampaignTarget:
    if response not in Response.values:
        raise ValidationError({"response": _("Unknown response.")})
    with transaction.atomic():
        # the header, then the line (the order every campaign service locks them in)
        CAMPAIGN.refuse(lock(target.campaign), "record_response")
        target = lock(target)
        before = target.response
        target.response = response
        target.responded_at = timezone.now() if response != Response.NONE else None
        target.save(update_fields=["response", "responded_at"])
        record_event(
            actor=actor, obj=target, action="response", from_status=before, to_status=response
        )
        if response == Response.UNSUBSCRIBED:
            _opt_out(target)
        return target


CALL_RESPONSES = {
    CampaignTarget.CallOutcome.INTERESTED: Response.POSITIVE,
    CampaignTarget.CallOutcome.NOT_INTERESTED: Response.NEGATIVE,
}


def target_record_call(
    *, target: CampaignTarget, outcome: str, actor, follow_up_date=None, notes: str = ""
) -> CampaignCall:
    """Record one telemarketing call: the call list shows the last outcome and follow-up date;
    an interested or not interested answer is the target's response."""
    with transaction.atomic():
        campaign = lock(target.campaign)
        CAMPAIGN.refuse(campaign, "record_call")
        target = lock(target)
        call = CampaignCall(
            target=target,
            called_at=timezone.now(),
            outcome=outcome,
            follow_up_date=follow_up_date,
            notes=notes,
            caller=actor if getattr(actor, "is_authenticated", False) else None,
        )
        call.full_clean(exclude=["target"])
        call.save()
        target.call_outcome = outcome
        target.follow_up_date = follow_up_date
        fields = ["call_outcome", "follow_up_date"]
        if outcome in CALL_RESPONSES:
            target.response = CALL_RESPONSES[outcome]
            target.responded_at = call.called_at
            fields += ["response", "responded_at"]
        target.save(update_fields=fields)
        record_event(
            actor=actor,
            obj=target,
            action="call",
            data={"outcome": outcome, "follow_up_date": follow_up_date},
        )
        return call


def campaign_convert_responses(*, campaign: Campaign, actor, into: str = "lead") -> list:
    """Turn every positive response not yet converted into a lead (or an opportunity) linked to
    the campaign. Each target is converted once, however often this runs."""
    if into not in ("lead", "opportunity"):
        raise ValidationError({"into": _("Convert into a lead or an opportunity.")})
    with transaction.atomic():
        campaign = lock(campaign)
        CAMPAIGN.refuse(campaign, "convert_responses")
        targets = list(
            campaign.targets.select_for_update()
            .filter(response=Response.POSITIVE, lead__isnull=True, opportunity__isnull=True)
            .order_by("pk")
        )
        created = []
        for target in targets:
            data = {
                "party_id": target.party_id,
                "contact_id": target.contact_id,
                "topic": campaign.name,
                "campaign": campaign,
                "owner": campaign.owner,
            }
            if into == "lead":
                record = lead_create(data={**data, "source": "campaign"}, actor=actor)
                target.lead = record
            else:
                record = opportunity_create(
                    data={**data, "currency": campaign.currency}, actor=actor
                )
                target.opportunity = record
            target.save(update_fields=["lead", "opportunity"])
            created.append(record)
        record_event(
            actor=actor,
            obj=campaign,
            action="responses_converted",
            data={"into": into, "count": len(created)},
        )
        return created


# --- unsubscribe ------------------------------------------------------------------------------
def unsubscribe_token(target: CampaignTarget) -> str:
    return signing.dumps({"t": target.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(target: CampaignTarget) -> str:
    return site_url(reverse("unsubscribe", args=[unsubscribe_token(target)]))


def target_from_token(token: str) -> CampaignTarget:
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise ValidationError(_("This unsubscribe link is not valid.")) from exc
    return CampaignTarget.objects.select_related("party", "contact", "campaign").get(
        pk=payload["t"]
    )


def _opt_out(target: CampaignTarget) -> None:
    if target.contact_id:
        ContactPerson.objects.filter(pk=target.contact_id).update(email_opt_out=True)
    else:
        Party.objects.filter(pk=target.party_id).update(email_opt_out=True)
    CampaignSend.objects.filter(
        target__party_id=target.party_id,
        target__contact_id=target.contact_id,
        status=CampaignSend.Status.PENDING,
    ).update(status=CampaignSend.Status.SKIPPED, error="unsubscribed")


def unsubscribe(*, token: str) -> CampaignTarget:
    """The signed link in every campaign email: no campaign mails this address again."""
    target = target_from_token(token)
    with transaction.atomic():
        target = lock(target)
        if target.response != Response.UNSUBSCRIBED:
            target.response = Response.UNSUBSCRIBED
            target.responded_at = timezone.now()
            target.save(update_fields=["response", "responded_at"])
            record_event(
                actor=None, obj=target, action="unsubscribed", to_status=Response.UNSUBSCRIBED
            )
        _opt_out(target)
    return target


# --- reading ----------------------------------------------------------------------------------
def campaign_progress(campaign: Campaign) -> dict[str, int]:
    counts = dict(
        campaign.sends.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    total = sum(counts.values())
    done = sum(counts.get(s, 0) for s in ("sent", "bounced", "failed", "skipped", "interrupted"))
    return {
        "total": total,
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0) + counts.get("bounced", 0) + counts.get("interrupted", 0),
        "skipped": counts.get("skipped", 0),
        "remaining": total - done,
        "percent": round(100 * done / total) if total else 0,
    }


def response_summary(campaign: Campaign) -> dict[str, int]:
    return dict(
        campaign.targets.values_list("response")
        .annotate(n=Count("id"))
        .values_list("response", "n")
    )
