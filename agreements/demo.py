"""Demo pricing: trade agreements, an effective and an on-hold sales agreement, sell rules."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import Customer, CustomerGroup, PriceGroup
from inventory.models import Item, ItemDiscountGroup
from salesmkt.core.services import record_save
from salesmkt.finance.models import Currency

from .models import SalesAgreement, SellRule, TradeAgreement
from .services.sales_agreements import sales_agreement_create, sales_agreement_make_effective


def load(actor=None) -> None:
    if TradeAgreement.objects.exists():
        return
    nok, eur = Currency.objects.get(code="NOK"), Currency.objects.get(code="EUR")
    key = PriceGroup.objects.get(code="KEY")
    salmon, stockfish, ale = (Item.objects.get(item_number=n) for n in ("1000", "1001", "3000"))
    flatbread, jam, water = (Item.objects.get(item_number=n) for n in ("4000", "4001", "3001"))
    nordhandel = Customer.objects.get(party__name="Nordhandel Dagligvare AS")
    records = [
        # key accounts pay less for salmon; Nordhandel has its own price; volume discounts on drinks
        dict(
            kind="price",
            customer_scope="group",
            price_group=key,
            item_scope="item",
            item=salmon,
            amount=Decimal("169.00"),
            currency=nok,
        ),
        dict(
            kind="price",
            customer_scope="customer",
            customer=nordhandel,
            item_scope="item",
            item=salmon,
            amount=Decimal("159.00"),
            currency=nok,
        ),
        dict(
            kind="price",
            customer_scope="all",
            item_scope="item",
            item=salmon,
            amount=Decimal("16.90"),
            currency=eur,
            note="Export price list",
        ),
        dict(
            kind="price",
            customer_scope="all",
            item_scope="item",
            item=stockfish,
            quantity_from=Decimal("50"),
            amount=Decimal("299.00"),
            currency=nok,
            note="50 kg and more",
        ),
        dict(
            kind="line_discount",
            customer_scope="all",
            item_scope="group",
            discount_group=ItemDiscountGroup.objects.get(code="DRINKS"),
            quantity_from=Decimal("10"),
            quantity_to=Decimal("50"),
            percent=Decimal("5"),
            currency=nok,
        ),
        dict(
            kind="line_discount",
            customer_scope="all",
            item_scope="group",
            discount_group=ItemDiscountGroup.objects.get(code="DRINKS"),
            quantity_from=Decimal("50"),
            percent=Decimal("10"),
            currency=nok,
        ),
        dict(
            kind="line_discount",
            customer_scope="group",
            price_group=key,
            item_scope="all",
            percent=Decimal("2"),
            currency=nok,
            note="Key account bonus",
        ),
    ]
    for fields in records:
        record_save(instance=TradeAgreement(**fields), actor=actor)

    today = timezone.localdate()
    effective = sales_agreement_create(
        data={
            "customer": nordhandel,
            "description": "Seafood 2027 volume agreement",
            "effective_date": today - timedelta(days=30),
            "expiration_date": today + timedelta(days=335),
            "commitment_type": SalesAgreement.Commitment.PRODUCT_QUANTITY,
            "currency": nok,
            "over_release_tolerance": Decimal("5"),
            "lines": [
                {
                    "item": salmon,
                    "committed_quantity": Decimal("2000"),
                    "unit_price": Decimal("149.00"),
                    "discount_percent": Decimal("0"),
                },
                {
                    "item": stockfish,
                    "committed_quantity": Decimal("500"),
                    "unit_price": Decimal("289.00"),
                    "discount_percent": Decimal("2"),
                },
            ],
        },
        actor=actor,
    )
    sales_agreement_make_effective(agreement=effective, actor=actor)
    sales_agreement_create(
        data={
            "customer": Customer.objects.get(party__name="Göta Livs AB"),
            "description": "Beverages, value agreement",
            "effective_date": today,
            "expiration_date": today + timedelta(days=180),
            "commitment_type": SalesAgreement.Commitment.TOTAL_AMOUNT,
            "total_commitment": Decimal("250000"),
            "currency": Currency.objects.get(code="SEK"),
            "lines": [
                {"item": ale, "unit_price": Decimal("520.00"), "discount_percent": Decimal("3")},
                {"item": water, "unit_price": Decimal("175.00"), "discount_percent": Decimal("3")},
            ],
        },
        actor=actor,
    )
    rules = [
        dict(
            item=salmon,
            kind="cross_sell",
            suggested_item=flatbread,
            pitch="Flatbread goes with smoked salmon",
            priority=1,
        ),
        dict(
            item=salmon,
            kind="up_sell",
            suggested_item=stockfish,
            customer_group=CustomerGroup.objects.get(code="HORECA"),
            min_quantity=Decimal("20"),
            pitch="Restaurants buying in volume: offer stockfish",
            priority=2,
        ),
        dict(
            item=flatbread,
            kind="cross_sell",
            suggested_item=jam,
            pitch="Cloudberry jam for the cheese board",
            priority=1,
        ),
        dict(
            item=water,
            kind="up_sell",
            suggested_item=ale,
            min_line_amount=Decimal("1000"),
            pitch="Larger orders: propose the pale ale",
            priority=3,
        ),
    ]
    for fields in rules:
        record_save(instance=SellRule(**fields), actor=actor)
