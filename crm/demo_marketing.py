"""Demo relationship flow and campaigns: prospects, leads, opportunities, activities, campaigns."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from salesmkt.finance.models import Currency, PaymentTerms, PostingProfile

from .models import (
    Campaign,
    CustomerGroup,
    CustomerTemplate,
    Lead,
    Party,
    PriceGroup,
    Prospect,
    SalesTaxGroup,
)
from .services.activities import activity_add_note, activity_schedule
from .services.campaigns import campaign_add_targets, campaign_create, campaign_launch
from .services.relationships import (
    activity_create,
    lead_create,
    lead_qualify,
    opportunity_create,
    opportunity_lose,
    prospect_create,
)
from .services.stages import opportunity_move_stage, sales_stages_set_up_defaults

PROSPECTS = [
    ("Bergen Hotelldrift AS", "trade_show", "Hotels"),
    ("Rotterdam Horeca Groep", "web", "Restaurants"),
    ("Malmö Delikatess AB", "referral", "Delicatessen"),
]


def load(actor=None) -> None:
    CustomerTemplate.objects.get_or_create(
        code="DOM",
        defaults={
            "name": "Domestic new customers",
            "is_default": True,
            "customer_group": CustomerGroup.objects.get(code="HORECA"),
            "payment_terms": PaymentTerms.objects.get(code="N14"),
            "currency": Currency.objects.get(code="NOK"),
            "sales_tax_group": SalesTaxGroup.objects.get(code="DOM"),
            "price_group": PriceGroup.objects.get(code="STD"),
            "posting_profile": PostingProfile.objects.get(code="DOM"),
            "credit_limit": Decimal("50000"),
        },
    )
    CustomerTemplate.objects.get_or_create(
        code="EU",
        defaults={
            "name": "EU new customers",
            "customer_group": CustomerGroup.objects.get(code="WHOLESALE"),
            "payment_terms": PaymentTerms.objects.get(code="N30"),
            "currency": Currency.objects.get(code="EUR"),
            "sales_tax_group": SalesTaxGroup.objects.get(code="EU"),
            "price_group": PriceGroup.objects.get(code="EXPORT"),
            "posting_profile": PostingProfile.objects.get(code="FOR"),
            "credit_limit": Decimal("25000"),
        },
    )
    for name, source, segment in PROSPECTS:
        party = Party.objects.filter(name=name).first()
        if (
            party is not None
            and not Prospect.objects.filter(party=party).exists()
            and not hasattr(party, "customer")
        ):
            prospect_create(
                data={"party": party, "source": source, "segment": segment, "owner": actor},
                actor=actor,
            )

    stages = {stage.code: stage for stage in sales_stages_set_up_defaults(actor=actor)}
    if Lead.objects.exists():
        return
    now = timezone.now()
    bergen = Party.objects.get(name="Bergen Hotelldrift AS")
    rotterdam = Party.objects.get(name="Rotterdam Horeca Groep")
    malmo = Party.objects.get(name="Malmö Delikatess AB")
    lead = lead_create(
        data={
            "party": bergen,
            "topic": "Seafood for the breakfast buffet",
            "source": "trade_show",
            "rating": "hot",
            "owner": actor,
        },
        actor=actor,
    )
    buffet = lead_qualify(
        lead=lead,
        actor=actor,
        opportunity_data={
            "estimated_revenue": Decimal("180000"),
            "probability": Decimal("60"),
            "expected_close_date": (now + timedelta(days=30)).date(),
            "currency": Currency.objects.get(code="NOK"),
        },
    )
    lead_create(
        data={
            "party": rotterdam,
            "topic": "Dutch cheese for 12 restaurants",
            "source": "web",
            "rating": "warm",
            "owner": actor,
        },
        actor=actor,
    )
    lead_create(
        data={
            "party": malmo,
            "topic": "Nordic delicacies assortment",
            "source": "referral",
            "rating": "cold",
            "owner": actor,
        },
        actor=actor,
    )
    lost = opportunity_create(
        data={
            "party": Party.objects.get(name="Göta Livs AB"),
            "topic": "Private label flatbread",
            "estimated_revenue": Decimal("420000"),
            "probability": Decimal("30"),
            "owner": actor,
            "currency": Currency.objects.get(code="SEK"),
        },
        actor=actor,
    )
    opportunity_lose(opportunity=lost, reason="Price too high", actor=actor)
    christmas = opportunity_create(
        data={
            "party": Party.objects.get(name="Nordhandel Dagligvare AS"),
            "topic": "Christmas seafood season",
            "estimated_revenue": Decimal("950000"),
            "probability": Decimal("75"),
            "owner": actor,
            "expected_close_date": (now + timedelta(days=14)).date(),
            "currency": Currency.objects.get(code="NOK"),
        },
        actor=actor,
    )
    if "PROPOSAL" in stages:
        opportunity_move_stage(opportunity=buffet, stage=stages["PROPOSAL"], actor=actor)
    if "NEGOTIATE" in stages:
        opportunity_move_stage(opportunity=christmas, stage=stages["NEGOTIATE"], actor=actor)
    if actor is not None:
        activity_add_note(
            about=christmas,
            notes="Buyer wants delivery in two drops: 1 and 15 December. Prices held until "
            "the end of the month.",
            actor=actor,
        )
        activity_schedule(
            about=christmas,
            kind="meeting",
            subject="Negotiate volumes with the category manager",
            due_at=now + timedelta(days=3),
            actor=actor,
        )
        activity_schedule(
            about=buffet,
            kind="todo",
            subject="Send the revised price list",
            due_at=now - timedelta(days=1),
            actor=actor,
        )
        activity_create(
            data={
                "kind": "call",
                "subject": "Call about the buffet tasting",
                "party": bergen,
                "due_at": now + timedelta(days=1),
                "owner": actor,
            },
            actor=actor,
        )
        activity_create(
            data={
                "kind": "meeting",
                "subject": "Visit the Rotterdam kitchen",
                "party": rotterdam,
                "due_at": now + timedelta(days=7),
                "owner": actor,
            },
            actor=actor,
        )

    if not Campaign.objects.exists():
        autumn = campaign_create(
            data={
                "name": "Autumn seafood news",
                "kind": "email",
                "budget": Decimal("15000"),
                "currency": Currency.objects.get(code="NOK"),
                "start_date": now.date(),
                "subject": "{{ company }}: the autumn seafood season is here",
                "body_text": "Dear {{ name }},\n\nThe skrei season starts soon. Reply to this mail to book your tasting.\n\nNordlys Engros",
            },
            actor=actor,
        )
        campaign_add_targets(campaign=autumn, actor=actor, source="customer", filters={})
        campaign_add_targets(campaign=autumn, actor=actor, source="prospect", filters={})
        calls = campaign_create(
            data={
                "name": "HORECA call round",
                "kind": "telemarketing",
                "budget": Decimal("8000"),
                "currency": Currency.objects.get(code="NOK"),
                "start_date": now.date(),
            },
            actor=actor,
        )
        campaign_add_targets(
            campaign=calls,
            actor=actor,
            source="customer",
            filters={"customer_group": CustomerGroup.objects.get(code="HORECA")},
        )
        campaign_add_targets(campaign=calls, actor=actor, source="prospect", filters={})
        campaign_launch(campaign=calls, actor=actor)
