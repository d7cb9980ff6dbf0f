"""Up-sell and cross-sell suggestions offered while an order line is entered."""

from decimal import Decimal

import pytest

from agreements.models import SellRule, TradeAgreement
from salesmkt.core.services import record_save
from tests import factories as f


def rule(item, **fields):
    """An active cross-sell rule for `item`, suggesting a new item unless told otherwise."""
    fields.setdefault("suggested_item", f.ItemFactory())
    return record_save(instance=SellRule(item=item, **fields), actor=None)


def suggested(api, item, **query):
    """The rule ids the suggestions endpoint offers for `item`, in the order given."""
    response = api.get("/api/v1/sales-suggestions/", {"item": item.pk, **query})
    assert response.status_code == 200, response.json()
    return [row["rule"] for row in response.json()]


@pytest.mark.django_db
def test_only_the_rules_of_the_entered_item_are_suggested(manager_api):
    item = f.ItemFactory()
    own = rule(item)
    rule(f.ItemFactory())  # another item's rule

    response = manager_api.get("/api/v1/sales-suggestions/", {"item": item.pk})

    assert response.status_code == 200, response.json()
    assert response.json() == [
        {
            "rule": own.pk,
            "kind": "cross_sell",
            "item": own.suggested_item.pk,
            "item_number": own.suggested_item.item_number,
            "item_name": own.suggested_item.name,
            "pitch": "",
            "priority": 10,
        }
    ]


@pytest.mark.django_db
def test_an_inactive_rule_is_not_suggested(manager_api):
    item = f.ItemFactory()
    active = rule(item)
    rule(item, active=False)

    assert suggested(manager_api, item) == [active.pk]


@pytest.mark.django_db
def test_a_rule_for_a_customer_group_is_offered_only_to_customers_of_that_group(manager_api):
    retail = f.CustomerGroupFactory(code="RETAIL", name="Retail")
    wholesale = f.CustomerGroupFactory(code="WHOLESALE", name="Wholesale")
    retail_customer = f.CustomerFactory(customer_group=retail)
    wholesale_customer = f.CustomerFactory(customer_group=wholesale)
    item = f.ItemFactory()
    everyone = rule(item, priority=1)
    retail_only = rule(item, customer_group=retail, priority=2)

    assert suggested(manager_api, item, customer=retail_customer.pk) == [
        everyone.pk,
        retail_only.pk,
    ]
    assert suggested(manager_api, item, customer=wholesale_customer.pk) == [everyone.pk]
    assert suggested(manager_api, item) == [everyone.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(("quantity", "offered"), [("9.9999", False), ("10", True)])
def test_a_rule_with_a_minimum_quantity_is_offered_from_that_quantity_on(
    manager_api, quantity, offered
):
    item = f.ItemFactory()
    from_ten = rule(item, min_quantity=Decimal("10"))

    offers = suggested(manager_api, item, quantity=quantity)

    assert offers == ([from_ten.pk] if offered else [])


@pytest.mark.django_db
@pytest.mark.parametrize(("line_amount", "offered"), [("499.99", False), ("500.00", True)])
def test_a_rule_with_a_minimum_line_amount_is_offered_from_that_amount_on(
    manager_api, line_amount, offered
):
    item = f.ItemFactory(base_sales_price=Decimal("1000.0000"))  # base price alone would pass
    from_500 = rule(item, min_line_amount=Decimal("500.00"))

    offers = suggested(manager_api, item, quantity="1", line_amount=line_amount)

    assert offers == ([from_500.pk] if offered else [])


@pytest.mark.django_db
def test_without_a_line_amount_the_minimum_is_checked_against_the_customers_price(manager_api):
    customer = f.CustomerFactory()
    item = f.ItemFactory(base_sales_price=Decimal("100.0000"))
    record_save(
        instance=TradeAgreement(
            kind=TradeAgreement.Kind.PRICE,
            customer_scope=TradeAgreement.CustomerScope.CUSTOMER,
            customer=customer,
            item_scope=TradeAgreement.ItemScope.ITEM,
            item=item,
            amount=Decimal("40.0000"),
            currency=customer.currency,
        ),
        actor=None,
    )
    within = rule(item, min_line_amount=Decimal("80.00"), priority=1)
    rule(item, min_line_amount=Decimal("80.01"), priority=2)  # at base price: 200.00, offered

    offers = suggested(manager_api, item, customer=customer.pk, quantity="2")  # 2 x 40.00

    assert offers == [within.pk]


@pytest.mark.django_db
def test_suggestions_come_best_first(manager_api):
    item = f.ItemFactory()
    third = rule(item, priority=30)
    first = rule(item, priority=1)
    second = rule(item, priority=5)

    assert suggested(manager_api, item) == [first.pk, second.pk, third.pk]


@pytest.mark.django_db
def test_a_user_who_may_not_view_sell_rules_gets_no_suggestions(api_as):
    accountant_api = api_as("accountant")
    item = f.ItemFactory()
    rule(item)

    response = accountant_api.get("/api/v1/sales-suggestions/", {"item": item.pk})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_a_rule_cannot_suggest_the_item_itself(manager_api):
    item = f.ItemFactory()

    response = manager_api.post(
        "/api/v1/sell-rules/",
        {"item": item.pk, "suggested_item": item.pk, "kind": "up_sell"},
        format="json",
    )

    assert response.status_code == 400
    assert "suggested_item" in response.json()["errors"]
    assert not SellRule.objects.exists()
