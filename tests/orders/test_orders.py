"""Sales order rules: order types, delivery, remainders, type changes, agreements."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from agreements.services.sales_agreements import (
    sales_agreement_create,
    sales_agreement_make_effective,
)
from inventory.models import InventoryTransaction
from inventory.services.stock import on_hand
from orders.models import PackingSlip, SalesOrder
from orders.services.delivery import packing_slip_post
from orders.services.orders import (
    sales_order_cancel,
    sales_order_cancel_remainder,
    sales_order_change_type,
    sales_order_confirm,
)
from salesmkt.core.errors import ConflictError, DomainError
from tests import factories as f


def deliver(order, quantity, line=None):
    line = line or order.lines.get()
    return packing_slip_post(
        order=order, lines=[{"order_line": line, "quantity": Decimal(quantity)}], actor=None
    )


@pytest.mark.django_db
def test_orders_are_numbered_and_priced_by_the_price_lookup(make_order):
    order = make_order(quantities=["3"])

    line = order.lines.get()
    assert order.number == "SO000001"
    assert (line.unit_price, line.line_amount, line.price_source) == (
        Decimal("100.0000"),
        Decimal("300.00"),
        "base_price",
    )
    assert (line.deliver_remainder, line.invoice_remainder) == (Decimal("3"), Decimal("3"))


@pytest.mark.django_db
def test_partial_deliveries_lower_the_deliver_remainder_until_the_order_is_delivered(make_order):
    order = make_order(quantities=["10"])

    deliver(order, "4")
    line = order.lines.get()
    assert (line.deliver_remainder, line.delivered_quantity) == (Decimal("6"), Decimal("4"))
    assert SalesOrder.objects.get(pk=order.pk).status == "open"

    deliver(order, "6")
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.deliver_remainder, line.status) == (Decimal("0"), "delivered")
    assert (order.status, order.document_status) == ("delivered", "packing_slip")
    assert PackingSlip.objects.filter(order=order).count() == 2


@pytest.mark.django_db
def test_over_delivery_is_refused_with_a_clear_error_and_nothing_is_posted(make_order):
    order = make_order(quantities=["10"])

    with pytest.raises(ConflictError) as refused:
        deliver(order, "11")

    assert refused.value.code == "over_delivery"
    assert "10" in str(refused.value.message)
    assert not PackingSlip.objects.exists()
    assert order.lines.get().deliver_remainder == Decimal("10")


@pytest.mark.django_db
def test_over_delivery_through_the_api_answers_409(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = manager_api.post(
        "/api/v1/packing-slips/",
        {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "11"}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "over_delivery"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_posting_at_the_same_moment_never_over_deliver(make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    outcomes = []
    start = threading.Barrier(4)

    def clerk():
        try:
            start.wait()
            packing_slip_post(
                order=order, lines=[{"order_line": line.pk, "quantity": Decimal("4")}], actor=None
            )
            outcomes.append("posted")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    line.refresh_from_db()
    assert sorted(outcomes) == ["over_delivery", "over_delivery", "posted", "posted"]
    assert (line.delivered_quantity, line.deliver_remainder) == (Decimal("8"), Decimal("2"))


@pytest.mark.django_db
def test_a_packing_slip_issues_inventory_and_consumes_the_on_order_transaction(make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    expected = InventoryTransaction.objects.get(source_id=line.pk, status="on_order")
    assert expected.quantity == Decimal("-10")

    deliver(order, "4")

    assert InventoryTransaction.objects.get(
        source_id=line.pk, status="on_order"
    ).quantity == Decimal("-6")
    assert InventoryTransaction.objects.get(
        source_id=line.pk, status="deducted"
    ).quantity == Decimal("-4")
    assert on_hand(line.item, line.warehouse) == Decimal("-4")


@pytest.mark.django_db
def test_a_journal_order_has_no_effect_on_stock(make_order):
    make_order(quantities=["10"], order_type="journal")

    assert not InventoryTransaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["confirm", "deliver"])
def test_a_journal_order_cannot_be_confirmed_or_delivered(make_order, action):
    order = make_order(quantities=["10"], order_type="journal")

    with pytest.raises(ConflictError) as refused:
        sales_order_confirm(order=order, actor=None) if action == "confirm" else deliver(order, "1")

    assert refused.value.code == "journal_order"


@pytest.mark.django_db
def test_changing_a_journal_into_a_sales_order_creates_its_inventory_transactions(make_order):
    order = make_order(quantities=["10"], order_type="journal")

    sales_order_change_type(order=order, order_type="sales", actor=None)

    assert InventoryTransaction.objects.get().quantity == Decimal("-10")
    deliver(SalesOrder.objects.get(pk=order.pk), "10")
    assert SalesOrder.objects.get(pk=order.pk).status == "delivered"


@pytest.mark.django_db
def test_a_delivered_order_cannot_become_a_journal(make_order):
    order = make_order(quantities=["10"])
    deliver(order, "2")

    with pytest.raises(ConflictError) as refused:
        sales_order_change_type(order=order, order_type="journal", actor=None)

    assert refused.value.code == "journal_after_delivery"


@pytest.mark.django_db
def test_an_item_requirements_order_keeps_its_type_once_delivered(make_order):
    order = make_order(quantities=["10"], order_type="item_requirements")
    sales_order_change_type(order=order, order_type="sales", actor=None)  # allowed before delivery
    sales_order_change_type(order=order, order_type="item_requirements", actor=None)
    deliver(SalesOrder.objects.get(pk=order.pk), "1")

    with pytest.raises(ConflictError) as refused:
        sales_order_change_type(order=order, order_type="sales", actor=None)

    assert refused.value.code == "item_requirements_delivered"


@pytest.mark.django_db
def test_a_returned_order_gets_an_rma_number_from_its_own_series(make_order):
    first = make_order(order_type="returned")
    second = make_order(order_type="returned")
    ordinary = make_order()

    assert (first.rma_number, second.rma_number, ordinary.rma_number) == (
        "RMA000001",
        "RMA000002",
        "",
    )


@pytest.mark.django_db
def test_an_order_changed_into_a_return_gets_an_rma_number(make_order):
    order = make_order()

    order = sales_order_change_type(order=order, order_type="returned", actor=None)

    assert order.rma_number == "RMA000001"


@pytest.mark.django_db
def test_a_return_arrival_brings_the_items_back_into_stock(manager_api, make_order):
    order = make_order(quantities=["3"], order_type="returned")
    line = order.lines.get()

    response = manager_api.post(
        f"/api/v1/sales-orders/{order.pk}/arrive/",
        {"lines": [{"order_line": line.pk, "quantity": "3"}]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert on_hand(line.item, line.warehouse) == Decimal("3")
    assert SalesOrder.objects.get(pk=order.pk).status == "delivered"


@pytest.mark.django_db
def test_a_customer_on_hold_cannot_be_confirmed_for(make_order):
    order = make_order(customer=f.CustomerFactory(on_hold="all"))

    with pytest.raises(ConflictError) as refused:
        sales_order_confirm(order=order, actor=None)

    assert refused.value.code == "customer_on_hold"


@pytest.mark.django_db
def test_confirming_fixes_the_confirmed_ship_date_and_the_document_status(make_order):
    order = make_order()

    order = sales_order_confirm(order=order, actor=None)

    assert (order.confirmed_ship_date, order.document_status) == (date(2026, 12, 1), "confirmation")


@pytest.mark.django_db
def test_cancel_is_allowed_only_while_nothing_is_delivered(make_order):
    untouched, started = make_order(), make_order()
    deliver(started, "1")

    sales_order_cancel(order=untouched, actor=None)
    with pytest.raises(ConflictError) as refused:
        sales_order_cancel(order=started, actor=None)

    assert SalesOrder.objects.get(pk=untouched.pk).status == "canceled"
    assert not InventoryTransaction.objects.filter(source_id=untouched.lines.get().pk).exists()
    assert refused.value.code == "order_partly_delivered"


@pytest.mark.django_db
def test_canceling_the_remainder_of_a_partly_delivered_line_closes_it_and_delivers_the_order(
    make_order,
):
    order = make_order(quantities=["10"])
    deliver(order, "4")

    line = sales_order_cancel_remainder(line=order.lines.get(), actor=None)

    assert (line.deliver_remainder, line.invoice_remainder, line.status) == (
        Decimal("0"),
        Decimal("4"),
        "delivered",
    )
    assert SalesOrder.objects.get(pk=order.pk).status == "delivered"


@pytest.mark.django_db
def test_an_order_released_from_a_sales_agreement_takes_its_prices_and_is_recorded(make_order):
    customer, item = f.CustomerFactory(), f.ItemFactory()
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": date(2026, 1, 1),
            "expiration_date": date(2099, 12, 31),
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": item,
                    "committed_quantity": Decimal("100"),
                    "unit_price": Decimal("80"),
                    "discount_percent": Decimal("5"),
                }
            ],
        },
        actor=None,
    )
    sales_agreement_make_effective(agreement=agreement, actor=None)

    order = make_order(
        customer=customer, items=[item], quantities=["10"], sales_agreement=agreement
    )

    line = order.lines.get()
    assert (line.unit_price, line.discount_percent, line.line_amount, line.price_source) == (
        Decimal("80.0000"),
        Decimal("5.00"),
        Decimal("760.00"),
        "sales_agreement",
    )
    assert agreement.lines.get().released_quantity == Decimal("10")
    deliver(order, "4")
    assert agreement.lines.get().delivered_quantity == Decimal("4")


@pytest.mark.django_db
def test_an_order_from_an_on_hold_agreement_is_refused_and_nothing_is_written(make_order):
    customer, item = f.CustomerFactory(), f.ItemFactory()
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": date(2026, 1, 1),
            "expiration_date": date(2099, 12, 31),
            "commitment_type": "product_quantity",
            "lines": [
                {"item": item, "committed_quantity": Decimal("100"), "unit_price": Decimal("80")}
            ],
        },
        actor=None,
    )

    with pytest.raises(ConflictError) as refused:
        make_order(customer=customer, items=[item], quantities=["10"], sales_agreement=agreement)

    assert refused.value.code == "agreement_not_effective"
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
def test_a_clerk_without_the_permission_cannot_override_the_price(api_as, make_order):
    clerk = api_as("sales clerk")
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()
    body = {
        "customer": customer.pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {"item": item.pk, "warehouse": warehouse.pk, "quantity": "1", "unit_price": "1.00"}
        ],
    }

    refused = clerk.post("/api/v1/sales-orders/", body, format="json")
    allowed = api_as("sales manager").post("/api/v1/sales-orders/", body, format="json")

    assert refused.status_code == 400 and refused.json()["code"] == "price_override_not_allowed"
    assert allowed.status_code == 201 and allowed.json()["lines"][0]["unit_price"] == "1.0000"


@pytest.mark.django_db
def test_the_order_list_uses_a_constant_number_of_queries(
    manager_api, make_order, django_assert_max_num_queries
):
    customer = f.CustomerFactory()
    items = [f.ItemFactory() for _ in range(10)]
    make_order(customer=customer, items=items, quantities=["1"] * 10)
    with django_assert_max_num_queries(20) as few:
        manager_api.get("/api/v1/sales-orders/?page_size=100")
    for _ in range(99):
        make_order(customer=customer, items=items, quantities=["1"] * 10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_api.get("/api/v1/sales-orders/?page_size=100")

    assert len(response.json()["results"]) == 100
    assert all(len(order["lines"]) == 10 for order in response.json()["results"])


@pytest.mark.django_db
def test_server_owned_fields_cannot_be_posted(manager_api, make_order):
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()

    response = manager_api.post(
        "/api/v1/sales-orders/",
        {
            "number": "X1",
            "status": "invoiced",
            "rma_number": "R1",
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [
                {
                    "item": item.pk,
                    "warehouse": warehouse.pk,
                    "quantity": "2",
                    "deliver_remainder": "0",
                    "line_amount": "1",
                }
            ],
        },
        format="json",
    )

    body = response.json()
    assert (body["number"], body["status"], body["rma_number"]) == ("SO000001", "open", "")
    assert (body["lines"][0]["deliver_remainder"], body["lines"][0]["line_amount"]) == (
        "2.0000",
        "200.00",
    )


@pytest.mark.django_db
def test_delivering_a_quantity_of_zero_is_refused(make_order):
    order = make_order()

    with pytest.raises(DomainError) as refused:
        deliver(order, "0")

    assert refused.value.code == "invalid_quantity"


@pytest.mark.django_db
def test_only_journals_and_canceled_orders_can_be_deleted_and_leave_no_inventory_behind(
    manager_api, make_order
):
    ordinary = make_order()
    canceled = make_order()
    sales_order_cancel(order=canceled, actor=None)
    journal = make_order(order_type="journal")

    refused = manager_api.delete(f"/api/v1/sales-orders/{ordinary.pk}/")
    assert manager_api.delete(f"/api/v1/sales-orders/{canceled.pk}/").status_code == 204
    assert manager_api.delete(f"/api/v1/sales-orders/{journal.pk}/").status_code == 204

    assert refused.status_code == 409 and refused.json()["code"] == "order_not_deletable"
    assert list(SalesOrder.objects.values_list("pk", flat=True)) == [ordinary.pk]
    assert set(InventoryTransaction.objects.values_list("source_id", flat=True)) == {
        ordinary.lines.get().pk
    }


@pytest.mark.django_db
def test_the_api_returns_the_suggestions_for_each_line(manager_api, make_order):
    from agreements.models import SellRule

    order = make_order(quantities=["2"])
    line = order.lines.get()
    extra = f.ItemFactory(name="Flatbread")
    SellRule.objects.create(
        item=line.item, suggested_item=extra, kind="cross_sell", pitch="Goes with it"
    )

    response = manager_api.get(f"/api/v1/sales-orders/{order.pk}/suggestions/")

    assert response.status_code == 200
    assert [(s["line"], s["item"], s["kind"], s["pitch"]) for s in response.json()] == [
        (line.pk, extra.pk, "cross_sell", "Goes with it")
    ]


@pytest.mark.django_db
def test_a_line_discount_above_100_percent_is_refused_and_nothing_is_written():
    from datetime import date

    from django.core.exceptions import ValidationError

    from orders.services.orders import sales_order_create

    with pytest.raises(ValidationError) as refused:
        sales_order_create(
            data={
                "customer": f.CustomerFactory(),
                "requested_ship_date": date(2026, 12, 1),
                "lines": [
                    {
                        "item": f.ItemFactory(),
                        "warehouse": f.WarehouseFactory(),
                        "quantity": Decimal("2"),
                        "discount_percent": Decimal("150"),
                    }
                ],
            },
            actor=None,
        )

    assert "lines[0].discount_percent" in refused.value.message_dict
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("document", ["sales-orders", "quotations"])
@pytest.mark.parametrize("percent", ["100.01", "-1"])
def test_a_line_discount_outside_0_to_100_percent_answers_400_naming_the_line_field(
    manager_api, document, percent
):
    party_field = {"sales-orders": "customer", "quotations": "party"}[document]
    customer = f.CustomerFactory()
    payload = {
        party_field: customer.pk if document == "sales-orders" else customer.party.pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {
                "item": f.ItemFactory().pk,
                "warehouse": f.WarehouseFactory().pk,
                "quantity": "2",
                "discount_percent": percent,
            }
        ],
    }

    response = manager_api.post(f"/api/v1/{document}/", payload, format="json")

    assert response.status_code == 400, response.json()
    assert "discount_percent" in response.json()["errors"]["lines"]["0"]


@pytest.mark.django_db
def test_a_line_discount_of_100_percent_is_accepted(manager_api):
    payload = {
        "customer": f.CustomerFactory().pk,
        "requested_ship_date": "2026-12-01",
        "lines": [
            {
                "item": f.ItemFactory().pk,
                "warehouse": f.WarehouseFactory().pk,
                "quantity": "2",
                "discount_percent": "100",
            }
        ],
    }

    response = manager_api.post("/api/v1/sales-orders/", payload, format="json")

    assert response.status_code == 201, response.json()
    assert Decimal(response.json()["lines"][0]["line_amount"]) == Decimal("0")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["item", "warehouse", "supply_type"])
def test_a_purchased_line_keeps_its_item_warehouse_and_supply(make_order, field):
    from orders.services.orders import sales_order_update
    from orders.services.supply import sales_line_purchase

    item = f.ItemFactory(primary_vendor=f.VendorFactory())
    order = make_order(quantities=["5"], items=[item])
    line = order.lines.get()
    line.supply_type = "special_order"
    line.save()
    sales_line_purchase(line=line, actor=None)
    other = {
        "item": f.ItemFactory(),
        "warehouse": f.WarehouseFactory(code="BGO", name="Bergen"),
        "supply_type": "stock",
    }[field]

    with pytest.raises(ConflictError) as refused:
        sales_order_update(
            instance=order, data={"lines": [{"id": line.pk, field: other}]}, actor=None
        )

    assert refused.value.code == "line_purchased"
    line.refresh_from_db()
    assert (line.item, line.warehouse.code, line.supply_type) == (item, "OSL", "special_order")


@pytest.mark.django_db
def test_a_purchased_line_may_still_change_its_quantity(make_order):
    from orders.services.orders import sales_order_update
    from orders.services.supply import sales_line_purchase

    item = f.ItemFactory(primary_vendor=f.VendorFactory())
    order = make_order(quantities=["5"], items=[item])
    line = order.lines.get()
    line.supply_type = "special_order"
    line.save()
    sales_line_purchase(line=line, actor=None)

    sales_order_update(
        instance=order,
        data={"lines": [{"id": line.pk, "item": item, "quantity": Decimal("6")}]},
        actor=None,
    )

    line.refresh_from_db()
    assert line.quantity == Decimal("6")
