"""Parties with their addresses and contact persons, and the customer and vendor roles."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save

from ..models import ContactPerson, Customer, Party, PartyAddress, Vendor

NESTED = {"addresses": PartyAddress, "contacts": ContactPerson}


def _sync_nested(*, party: Party, name: str, rows: list[dict[str, Any]], actor) -> None:
    """Make the party's addresses (or contacts) exactly `rows`: update by id, add, remove."""
    model = NESTED[name]
    existing = {obj.pk: obj for obj in getattr(party, name).all()}
    kept = set()
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            raise ValidationError(
                {name: _("Row %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        obj = existing[pk] if pk is not None else model(party=party)
        for field, value in row.items():
            setattr(obj, field, value)
        try:
            obj.full_clean(exclude=["party"])
        except ValidationError as exc:
            raise ValidationError(
                {f"{name}[{index}].{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        obj.save()
        kept.add(obj.pk)
    removed = [obj for pk, obj in existing.items() if pk not in kept]
    for obj in removed:
        obj.delete()
    if rows or removed:
        record_event(actor=actor, obj=party, action=f"{name}_changed", data={"count": len(rows)})


def party_create(*, data: dict[str, Any], actor) -> Party:
    data = dict(data)
    nested = {name: data.pop(name, None) for name in NESTED}
    with transaction.atomic():
        party = record_save(instance=Party(**data), actor=actor)
        for name, rows in nested.items():
            if rows:
                _sync_nested(party=party, name=name, rows=rows, actor=actor)
    return party


def party_update(*, instance: Party, data: dict[str, Any], actor) -> Party:
    data = dict(data)
    nested = {name: data.pop(name, None) for name in NESTED}
    with transaction.atomic():
        for field, value in data.items():
            setattr(instance, field, value)
        party = record_save(instance=instance, actor=actor)
        for name, rows in nested.items():
            if rows is not None:
                _sync_nested(party=party, name=name, rows=rows, actor=actor)
    return party


def party_delete(*, instance: Party, actor) -> None:
    """Refused with a clear message while documents (or items) reference the party's roles."""
    record_delete(instance=instance, actor=actor)


def role_party(*, model, data: dict[str, Any], actor) -> tuple[Party, dict[str, Any]]:
    """The party a new role (customer, vendor, prospect) is for: the existing `party`, or a new
    one from `party_data`. Refused when the party already has that role. Returns the party and
    the rest of `data`."""
    data = dict(data)
    party = data.pop("party", None)
    party_data = data.pop("party_data", None)
    if party is None:
        if not party_data:
            raise ValidationError({"party": _("Choose an existing party or describe a new one.")})
        return party_create(data=party_data, actor=actor), data
    if model.objects.filter(party=party).exists():
        raise ValidationError(
            {
                "party": _("%(party)s is already a %(role)s.")
                % {"party": party, "role": model._meta.verbose_name}
            }
        )
    return party, data


def _role_create(*, model, series: str, data: dict[str, Any], actor):
    with transaction.atomic():
        party, data = role_party(model=model, data=data, actor=actor)
        role = model(party=party, **data)
        role.full_clean(exclude=["account_number", "party"])
        role.account_number = next_number(series)
        return record_save(instance=role, actor=actor)


def _role_update(*, instance, data: dict[str, Any], actor):
    data = dict(data)
    data.pop("party", None)
    party_data = data.pop("party_data", None)
    with transaction.atomic():
        if party_data:
            party_update(instance=instance.party, data=party_data, actor=actor)
        for field, value in data.items():
            setattr(instance, field, value)
        return record_save(instance=instance, actor=actor)


def customer_create(*, data: dict[str, Any], actor) -> Customer:
    """Give a party (existing, or new from `party_data`) the customer role and an account number."""
    return _role_create(model=Customer, series="customer", data=data, actor=actor)


def customer_update(*, instance: Customer, data: dict[str, Any], actor) -> Customer:
    return _role_update(instance=instance, data=data, actor=actor)


def vendor_create(*, data: dict[str, Any], actor) -> Vendor:
    return _role_create(model=Vendor, series="vendor", data=data, actor=actor)


def vendor_update(*, instance: Vendor, data: dict[str, Any], actor) -> Vendor:
    return _role_update(instance=instance, data=data, actor=actor)
