"""Merging duplicate parties: one party survives and every reference moves to it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError

from ..models import CampaignTarget, Customer, Party, Prospect


def _merge_campaign_targets(duplicate: Party, survivor: Party) -> None:
    """A campaign reaches a party once: where both were targets, the survivor's target stays and
    takes over the duplicate's response, lead and opportunity when it has none of its own."""
    kept = {t.campaign_id: t for t in CampaignTarget.objects.filter(party=survivor)}
    for target in CampaignTarget.objects.filter(party=duplicate):
        survivor_target = kept.get(target.campaign_id)
        if survivor_target is None:
            continue
        changed = []
        if (
            survivor_target.response == CampaignTarget.Response.NONE
            and target.response != CampaignTarget.Response.NONE
        ):
            survivor_target.response = target.response
            survivor_target.responded_at = target.responded_at
            changed += ["response", "responded_at"]
        for link in ("lead_id", "opportunity_id"):
            if getattr(survivor_target, link) is None and getattr(target, link) is not None:
                setattr(survivor_target, link, getattr(target, link))
                changed.append(link.removesuffix("_id"))
        if changed:
            survivor_target.save(update_fields=changed)
        target.delete()


def _repoint(model, field: str, old_pk, new_pk) -> int:
    """Move every row of `model` whose `field` points at old_pk to new_pk."""
    return model._default_manager.filter(**{field: old_pk}).update(**{field: new_pk})


def _merge_references(target_model: type[models.Model], old, new) -> dict[str, int]:
    """Re-point every foreign key to `old` (any app, later documents included) to `new`.
    One-to-one roles move when the survivor lacks them, else their references merge into the
    survivor's role and the duplicate role goes."""
    moved: dict[str, int] = {}
    for relation in target_model._meta.related_objects:
        model, field = relation.related_model, relation.field
        if relation.one_to_one:
            duplicate_role = model._default_manager.filter(**{field.name: old.pk}).first()
            if duplicate_role is None:
                continue
            surviving_role = model._default_manager.filter(**{field.name: new.pk}).first()
            if surviving_role is None:
                model._default_manager.filter(pk=duplicate_role.pk).update(**{field.name: new.pk})
                moved[model._meta.label] = moved.get(model._meta.label, 0) + 1
            else:
                for key, count in _merge_references(model, duplicate_role, surviving_role).items():
                    moved[key] = moved.get(key, 0) + count
                duplicate_role.delete()
        elif relation.many_to_many:
            continue
        else:
            count = _repoint(model, field.name, old.pk, new.pk)
            if count:
                moved[model._meta.label] = moved.get(model._meta.label, 0) + count
    return moved


def party_merge(*, survivor: Party, duplicates: list[Party], actor) -> Party:
    """Merge `duplicates` into `survivor`: roles, contacts, addresses, leads, opportunities,
    activities, campaign targets and documents move to it; the duplicates are removed."""
    duplicates = [d for d in duplicates if d.pk != survivor.pk]
    if not duplicates:
        raise ValidationError({"duplicates": _("Choose at least one other party to merge.")})
    with transaction.atomic():
        locked = list(
            Party.objects.select_for_update()
            .filter(pk__in=[survivor.pk, *(d.pk for d in duplicates)])
            .order_by("pk")
        )
        if len(locked) != len(duplicates) + 1:
            raise ConflictError(_("A party to merge no longer exists."), code="party_missing")
        survivor = next(p for p in locked if p.pk == survivor.pk)
        for duplicate in (p for p in locked if p.pk != survivor.pk):
            _merge_campaign_targets(duplicate, survivor)
            moved = _merge_references(Party, duplicate, survivor)
            if Customer.objects.filter(party=survivor).exists():
                Prospect.objects.filter(party=survivor).delete()  # a customer is no prospect
            record_event(
                actor=actor,
                obj=survivor,
                action="merged",
                data={"duplicate": duplicate.pk, "duplicate_name": duplicate.name, "moved": moved},
            )
            duplicate.delete()
        return survivor
