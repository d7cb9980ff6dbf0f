"""Sales stages and moving an open opportunity from one stage to another."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.transitions import lock

from ..actions import OPPORTUNITY
from ..models import Opportunity, SalesStage


def sales_stage_create(*, data: dict[str, Any], actor) -> SalesStage:
    return record_save(instance=SalesStage(**data), actor=actor)


def sales_stage_update(*, instance: SalesStage, data: dict[str, Any], actor) -> SalesStage:
    for field, value in data.items():
        setattr(instance, field, value)
    return record_save(instance=instance, actor=actor)


def sales_stage_delete(*, instance: SalesStage, actor) -> None:
    """Delete a stage no opportunity is in (one in use is refused: deactivate it instead)."""
    record_delete(instance=instance, actor=actor)


def opportunity_move_stage(*, opportunity: Opportunity, stage: SalesStage, actor) -> Opportunity:
    """Move an open opportunity to `stage`: its probability becomes the stage's. A won, lost or
    canceled one is refused (409); moving to the stage it is in changes nothing."""
    with transaction.atomic():
        opportunity = lock(opportunity)
        OPPORTUNITY.refuse(opportunity, "move_stage")
        if opportunity.stage_id == stage.pk:
            return opportunity
        if not stage.active:
            raise ValidationError(
                {"stage": _("The stage %(stage)s is no longer in use.") % {"stage": stage}}
            )
        previous = opportunity.stage
        old_probability = opportunity.probability
        opportunity.stage = stage
        opportunity.probability = stage.probability
        opportunity.save(update_fields=["stage", "probability"])
        record_event(
            actor=actor,
            obj=opportunity,
            action="stage_changed",
            data={
                "stage": {
                    "old": previous.name if previous else "",
                    "new": stage.name,
                },
                "probability": {"old": str(old_probability), "new": str(stage.probability)},
            },
        )
        return opportunity


# The stages a new installation starts with (the data migration creates the same ones).
DEFAULT_STAGES = [
    ("QUALIFY", "Qualification", 10, "10"),
    ("ANALYSIS", "Needs analysis", 20, "25"),
    ("PROPOSAL", "Proposal", 30, "50"),
    ("NEGOTIATE", "Negotiation", 40, "75"),
]


def sales_stages_set_up_defaults(*, actor) -> list[SalesStage]:
    """The default stages, when none is set up (a flushed or new database)."""
    from decimal import Decimal

    if SalesStage.objects.exists():
        return list(SalesStage.objects.all())
    return [
        sales_stage_create(
            data={
                "code": code,
                "name": name,
                "sequence": sequence,
                "probability": Decimal(probability),
            },
            actor=actor,
        )
        for code, name, sequence, probability in DEFAULT_STAGES
    ]
