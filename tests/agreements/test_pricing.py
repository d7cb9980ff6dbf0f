"""The price lookup's precedence, as a table of cases."""

from datetime import date
from decimal import Decimal

import pytest

from agreements.models import TradeAgreement
from agreements.services.pricing import price_lookup
from salesmkt.core.services import record_save
from tests import factories as f

TODAY = date(2026, 11, 21)


@pytest.fixture
def world():
    """A customer in price group KEY buying item I (discount group DRY) in NOK."""
    nok = f.CurrencyFactory(code="NOK")
    eur = f.CurrencyFactory(code="EUR", name="Euro")
    key = f.PriceGroupFactory(code="KEY")
    other_group = f.PriceGroupFactory(code="OTHER")
    dry = f.ItemDiscountGroupFactory(code="DRY")
    wet = f.ItemDiscountGroupFactory(code="WET")
    customer = f.CustomerFactory(price_group=key, currency=nok)
    other_customer = f.CustomerFactory(price_group=other_group, currency=nok)
    item = f.ItemFactory(discount_group=dry, base_sales_price=Decimal("100.0000"))
    other_item = f.ItemFactory(discount_group=wet)
    return {
        "nok": nok,
        "eur": eur,
        "key": key,
        "other_group": other_group,
        "dry": dry,
        "wet": wet,
        "customer": customer,
        "other_customer": other_customer,
        "item": item,
        "other_item": other_item,
    }


def record(w, *, kind="price", who="all", what="item", **fields):
    scope = {
        "customer": {"customer_scope": "customer", "customer": w["customer"]},
        "other_customer": {"customer_scope": "customer", "customer": w["other_customer"]},
        "group": {"customer_scope": "group", "price_group": w["key"]},
        "other_group": {"customer_scope": "group", "price_group": w["other_group"]},
        "all": {"customer_scope": "all"},
    }[who]
    items = {
        "item": {"item_scope": "item", "item": w["item"]},
        "other_item": {"item_scope": "item", "item": w["other_item"]},
        "group": {"item_scope": "group", "discount_group": w["dry"]},
        "other_group": {"item_scope": "group", "discount_group": w["wet"]},
        "all": {"item_scope": "all"},
    }[what]
    fields.setdefault("currency", w["nok"])
    return record_save(instance=TradeAgreement(kind=kind, **scope, **items, **fields), actor=None)


def lookup(w, quantity="1", on=TODAY, currency=None):
    return price_lookup(
        customer=w["customer"], item=w["item"], quantity=Decimal(quantity), on=on, currency=currency
    )


# (records as (who, price), expected price) — customer over group over all
PRICE_CASES = [
    ([], "100.0000", "base_price"),
    ([("all", "90")], "90.0000", "trade_agreement"),
    ([("all", "90"), ("group", "85")], "85.0000", "trade_agreement"),
    ([("all", "90"), ("group", "85"), ("customer", "80")], "80.0000", "trade_agreement"),
    ([("customer", "80"), ("all", "90")], "80.0000", "trade_agreement"),
    ([("other_customer", "70"), ("other_group", "60")], "100.0000", "base_price"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("records", "price", "source"), PRICE_CASES)
def test_the_most_specific_customer_scope_gives_the_price(world, records, price, source):
    for who, amount in records:
        record(world, who=who, amount=Decimal(amount))

    result = lookup(world)

    assert (str(result.unit_price), result.price_source) == (price, source)


# (discount records as (who, what, percent), expected percent) — customer first, then item
DISCOUNT_CASES = [
    ([], "0"),
    ([("all", "all", "1")], "1.00"),
    ([("all", "all", "1"), ("all", "group", "2")], "2.00"),
    ([("all", "group", "2"), ("all", "item", "3")], "3.00"),
    ([("all", "item", "3"), ("group", "all", "4")], "4.00"),  # the customer dimension comes first
    ([("group", "all", "4"), ("group", "group", "5")], "5.00"),
    ([("group", "item", "6"), ("customer", "all", "7")], "7.00"),
    ([("customer", "all", "7"), ("customer", "group", "8"), ("customer", "item", "9")], "9.00"),
    ([("all", "other_group", "5"), ("other_group", "all", "6")], "0"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("records", "percent"), DISCOUNT_CASES)
def test_line_discounts_go_customer_over_group_over_all_then_item_over_group_over_all(
    world, records, percent
):
    for who, what, value in records:
        record(world, kind="line_discount", who=who, what=what, percent=Decimal(value))

    result = lookup(world)

    assert str(result.discount_percent) == percent


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        ("1", "100.0000"),
        ("9.9999", "100.0000"),
        ("10", "95.0000"),
        ("49.9999", "95.0000"),
        ("50", "90.0000"),
        ("1000", "90.0000"),
    ],
)
def test_quantity_bands_include_their_start_and_exclude_their_end(world, quantity, price):
    record(world, quantity_from=Decimal("10"), quantity_to=Decimal("50"), amount=Decimal("95"))
    record(world, quantity_from=Decimal("50"), amount=Decimal("90"))

    assert str(lookup(world, quantity=quantity).unit_price) == price


@pytest.mark.django_db
def test_the_narrowest_band_wins_among_overlapping_bands(world):
    record(world, quantity_from=Decimal("0"), amount=Decimal("99"))
    record(world, quantity_from=Decimal("20"), amount=Decimal("94"))

    assert str(lookup(world, quantity="25").unit_price) == "94.0000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("on", "price"),
    [
        (date(2026, 10, 31), "100.0000"),
        (date(2026, 11, 1), "88.0000"),
        (date(2026, 11, 30), "88.0000"),
        (date(2026, 12, 1), "100.0000"),
    ],
)
def test_records_apply_on_their_first_and_last_valid_day_only(world, on, price):
    record(world, amount=Decimal("88"), valid_from=date(2026, 11, 1), valid_to=date(2026, 11, 30))

    assert str(lookup(world, on=on).unit_price) == price


@pytest.mark.django_db
def test_a_later_start_wins_between_equally_specific_records(world):
    record(world, amount=Decimal("97"), valid_from=date(2026, 1, 1))
    record(world, amount=Decimal("93"), valid_from=date(2026, 11, 1))
    record(world, amount=Decimal("99"))

    assert str(lookup(world).unit_price) == "93.0000"


@pytest.mark.django_db
def test_only_records_in_the_requested_currency_apply(world):
    record(world, amount=Decimal("80"), currency=world["nok"])
    record(world, amount=Decimal("9.50"), currency=world["eur"])

    assert str(lookup(world).unit_price) == "80.0000"  # the customer's currency by default
    in_euro = lookup(world, currency=world["eur"])
    assert (str(in_euro.unit_price), in_euro.currency) == ("9.5000", "EUR")


@pytest.mark.django_db
def test_price_and_discount_combine_into_the_line_amount(world):
    record(world, amount=Decimal("80"))
    record(world, kind="line_discount", amount=Decimal("2"), percent=Decimal("10"))

    result = lookup(world, quantity="3")

    # 3 × (80 − 2) = 234, less 10 % = 210.60
    assert result.line_amount(Decimal("3")) == Decimal("210.60")


@pytest.mark.django_db
def test_a_sales_agreements_price_overrules_trade_agreements(world):
    from agreements.services.sales_agreements import sales_agreement_create

    record(world, who="customer", amount=Decimal("80"))
    record(world, kind="line_discount", who="customer", percent=Decimal("5"))
    agreement = sales_agreement_create(
        data={
            "customer": world["customer"],
            "effective_date": TODAY,
            "expiration_date": TODAY,
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": world["item"],
                    "committed_quantity": Decimal("10"),
                    "unit_price": Decimal("75"),
                    "discount_percent": Decimal("1"),
                }
            ],
        },
        actor=None,
    )

    result = price_lookup(
        customer=world["customer"],
        item=world["item"],
        quantity=Decimal("2"),
        on=TODAY,
        sales_agreement=agreement,
    )

    assert (str(result.unit_price), str(result.discount_percent), result.price_source) == (
        "75.0000",
        "1.00",
        "sales_agreement",
    )


@pytest.mark.django_db
def test_the_lookup_issues_a_bounded_number_of_queries_whatever_the_number_of_records(
    world, django_assert_max_num_queries
):
    record(world, amount=Decimal("90"))
    for n in range(200):
        record(
            world,
            who="other_customer",
            what="other_item",
            amount=Decimal(n),
            quantity_from=Decimal(n),
        )
        record(
            world,
            kind="line_discount",
            who="all",
            what="other_group",
            percent=Decimal("1"),
            quantity_from=Decimal(n),
        )

    with django_assert_max_num_queries(1):
        result = lookup(world)

    assert str(result.unit_price) == "90.0000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"kind": "price", "customer_scope": "customer", "item_scope": "item"}, "customer"),
        ({"kind": "price", "customer_scope": "all", "item_scope": "group"}, "item_scope"),
        (
            {
                "kind": "line_discount",
                "customer_scope": "all",
                "item_scope": "all",
                "quantity_from": "10",
                "quantity_to": "5",
            },
            "quantity_to",
        ),
        (
            {
                "kind": "line_discount",
                "customer_scope": "all",
                "item_scope": "all",
                "valid_from": "2026-12-01",
                "valid_to": "2026-11-01",
            },
            "valid_to",
        ),
        (
            {
                "kind": "line_discount",
                "customer_scope": "all",
                "item_scope": "all",
                "percent": "120",
            },
            "percent",
        ),
    ],
)
def test_an_inconsistent_record_is_refused_naming_the_field(
    manager_api, world, fields, error_field
):
    body = {"currency": world["nok"].pk, "amount": "1", **fields}
    if fields.get("item_scope") == "item":
        body["item"] = world["item"].pk

    response = manager_api.post("/api/v1/trade-agreements/", body, format="json")

    assert response.status_code == 400
    assert error_field in response.json()["errors"]
    assert not TradeAgreement.objects.exists()


@pytest.mark.django_db
def test_the_api_price_lookup_says_which_record_it_used(manager_api, world):
    used = record(world, who="group", amount=Decimal("85"))

    response = manager_api.get(
        "/api/v1/price-lookup/",
        {
            "customer": world["customer"].pk,
            "item": world["item"].pk,
            "quantity": "4",
            "date": "2026-11-21",
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert (
        body["unit_price"],
        body["price_source"],
        body["price_record"],
        body["line_amount"],
    ) == ("85.0000", "trade_agreement", used.pk, "340.00")


@pytest.mark.django_db
def test_the_api_price_lookup_names_a_missing_parameter(manager_api, world):
    response = manager_api.get("/api/v1/price-lookup/", {"item": world["item"].pk})

    assert response.status_code == 400
    assert "customer" in response.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("on", [TODAY, date(2026, 12, 24)])
def test_the_set_based_lookup_prices_every_line_as_the_one_line_lookup_does(
    world, on, django_assert_num_queries
):
    from agreements.services.pricing import PriceRequest, price_lookup_many

    plain = f.ItemFactory(base_sales_price=Decimal("40.0000"))  # no discount group
    # customer, group and all-customer prices and discounts, item, item group and all-item
    # discounts, quantity bands, validity, other customers and another currency
    record(world, who="all", what="item", amount=Decimal("90"))
    record(
        world,
        who="group",
        what="item",
        amount=Decimal("85"),
        valid_from=date(2026, 11, 1),
        valid_to=date(2026, 11, 30),
    )
    record(
        world,
        who="customer",
        what="item",
        amount=Decimal("80"),
        quantity_from=Decimal("10"),
        quantity_to=Decimal("50"),
    )
    record(world, who="customer", what="other_item", amount=Decimal("70"), valid_to=TODAY)
    record(world, who="group", what="other_item", amount=Decimal("65"), quantity_from=Decimal(5))
    record(world, who="other_customer", what="item", amount=Decimal("1"))
    record(world, who="other_group", what="item", amount=Decimal("2"))
    record(world, kind="line_discount", who="all", what="group", percent=Decimal("5"))
    record(
        world,
        kind="line_discount",
        who="group",
        what="all",
        amount=Decimal("2"),
        quantity_from=Decimal("20"),
    )
    record(
        world,
        kind="line_discount",
        who="customer",
        what="item",
        percent=Decimal("7"),
        valid_from=date(2026, 12, 1),
    )
    record(
        world,
        kind="line_discount",
        who="all",
        what="other_group",
        percent=Decimal("3"),
        valid_from=date(2026, 12, 10),
    )
    record(world, amount=Decimal("3"), currency=world["eur"])  # another currency: never
    lines = [
        PriceRequest(item=item, quantity=Decimal(quantity))
        for item in (world["item"], world["other_item"], plain)
        for quantity in ("1", "5", "9.9999", "10", "20", "49.9999", "50", "100")
    ]
    one_by_one = [
        price_lookup(customer=world["customer"], item=line.item, quantity=line.quantity, on=on)
        for line in lines
    ]

    with django_assert_num_queries(1):
        together = price_lookup_many(customer=world["customer"], lines=lines, on=on)

    assert together == one_by_one
    assert len({(r.price_record, r.discount_record) for r in together}) >= 6  # cases differ


@pytest.mark.django_db
def test_the_set_based_lookup_takes_a_sales_agreements_lines_and_trade_agreements_for_the_rest(
    world, django_assert_num_queries
):
    from agreements.services.pricing import PriceRequest, price_lookup_many
    from agreements.services.sales_agreements import sales_agreement_create

    record(world, who="customer", what="other_item", amount=Decimal("80"))
    agreement = sales_agreement_create(
        data={
            "customer": world["customer"],
            "effective_date": TODAY,
            "expiration_date": TODAY,
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": world["item"],
                    "committed_quantity": Decimal("10"),
                    "unit_price": Decimal("75"),
                    "discount_percent": Decimal("1"),
                }
            ],
        },
        actor=None,
    )
    lines = [PriceRequest(item=world["item"]), PriceRequest(item=world["other_item"])]

    with django_assert_num_queries(2):  # the agreement's lines, then the trade agreements
        together = price_lookup_many(
            customer=world["customer"], lines=lines, on=TODAY, sales_agreement=agreement
        )

    assert together == [
        price_lookup(
            customer=world["customer"],
            item=line.item,
            quantity=line.quantity,
            on=TODAY,
            sales_agreement=agreement,
        )
        for line in lines
    ]
    assert [result.price_source for result in together] == ["sales_agreement", "trade_agreement"]
