from __future__ import annotations

from typing import Any

from django.db import transaction

from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save

from ..models import Item


def item_create(*, data: dict[str, Any], actor) -> Item:
    """Create an item; without an item number it takes the next one from the item series."""
    with transaction.atomic():
        item = Item(**data)
        if not item.item_number:
            item.item_number = next_number("item")
        return record_save(instance=item, actor=actor)


def item_update(*, instance: Item, data: dict[str, Any], actor) -> Item:
    for field, value in data.items():
        if field == "item_number" and not value:
            continue  # an item keeps its number
        setattr(instance, field, value)
    return record_save(instance=instance, actor=actor)
