"""Allocation: an item's on-hand split between its backorders (ship date, priority, order date),
reserved so that packing slips draw from it; by hand within the remainders and the on-hand;
never more than on-hand when two runs meet. Order promising: available to promise from on-hand,
reservations and expected receipts, capable to promise with the purchase lead time."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryTransaction
from inventory.services.purchasing import purchase_order_create, purchase_order_receive
from inventory.services.stock import reserved_quantity
from orders.models import AllocationRun, SalesOrder
from orders.services.allocation import allocation_proposal, allocation_run
from orders.services.delivery import packing_slip_post
from orders.services.orders import SOURCE, sales_order_confirm
from orders.services.promising import line_promise, offered_ship_date, promises
from salesmkt.core.errors import ConflictError
from tests import factories as f


def today():
    """The date the code under test takes as today (Oslo's, not the machine's UTC date), asked
    when a test runs, not when the module is imported: a run that crosses midnight still agrees."""
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def purchase(item, warehouse, quantity, *, expected=None, receive=False):
    order = purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": expected or today(),
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(quantity)}],
        },
        actor=None,
    )
    if receive:
        purchase_order_receive(order=order, actor=None)
    return order


def reserved(order):
    return reserved_quantity(SOURCE, order.lines.get().pk)


@pytest.fixture
def backorders(make_order):
    """make(("4", in 3 days), ("3", in 5 days)) -> orders of one item in one warehouse."""
    item = f.ItemFactory(purchase_lead_time_days=14)

    def make(*specs, on_hand=None, **extra):
        orders = [
            make_order(quantities=[quantity], items=[item], requested_ship_date=days(day), **extra)
            for quantity, day in specs
        ]
        warehouse = orders[0].lines.get().warehouse
        if on_hand:
            purchase(item, warehouse, on_hand, receive=True)
        return item, warehouse, orders

    return make


@pytest.mark.django_db
def test_the_issue_scenario_allocates_4_and_1_and_promises_the_rest_on_the_receipt_date(
    backorders,
):
    # given on-hand 5, orders of 4 and 3 on different dates and a purchase of 10 in 7 days
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")
    purchase(item, warehouse, "10", expected=days(7))

    # when allocated automatically
    allocation_run(item=item, warehouse=warehouse, actor=None)

    # then the earlier order gets 4 and the later 1; its remaining 2 are promised on the receipt
    assert (reserved(earlier), reserved(later)) == (Decimal("4"), Decimal("1"))
    promise = line_promise(later.lines.select_related("order", "item").get())
    assert (promise.available_now, promise.atp_date, promise.shortfall) == (
        Decimal("1"),
        days(7),
        Decimal("0"),
    )
    assert promise.promised_date == days(7)  # the purchase (7 days) beats the lead time (14)
    assert line_promise(earlier.lines.get()).promised_date == today()


@pytest.mark.django_db
def test_allocation_serves_requested_date_then_priority_then_order_date(backorders):
    # given four orders of 2 and on-hand 5
    item, warehouse, (late, first_urgent, first_normal_old, first_normal_new) = backorders(
        ("2", 9), ("2", 2), ("2", 2), ("2", 2), on_hand="5"
    )
    SalesOrder.objects.filter(pk=first_urgent.pk).update(priority=1)
    SalesOrder.objects.filter(pk=first_normal_new.pk).update(created_at=timezone.now())

    # when a proposal and a run are made
    shares = allocation_proposal(item=item, warehouse=warehouse)[0].shares
    allocation_run(item=item, warehouse=warehouse, actor=None)

    # then by date, then priority 1, then the older order; the latest date gets nothing
    assert [share.line.order for share in shares] == [
        first_urgent,
        first_normal_old,
        first_normal_new,
        late,
    ]
    assert [reserved(o) for o in (first_urgent, first_normal_old, first_normal_new, late)] == [
        Decimal("2"),
        Decimal("2"),
        Decimal("1"),
        Decimal("0"),
    ]


@pytest.mark.django_db
def test_a_confirmed_ship_date_ranks_instead_of_the_requested_date(backorders):
    item, warehouse, (requested_early, confirmed_earlier) = backorders(
        ("3", 4), ("3", 8), on_hand="3"
    )
    SalesOrder.objects.filter(pk=confirmed_earlier.pk).update(confirmed_ship_date=days(1))

    allocation_run(item=item, warehouse=warehouse, actor=None)

    assert (reserved(confirmed_earlier), reserved(requested_early)) == (Decimal("3"), 0)


@pytest.mark.django_db
def test_journal_return_and_drop_shipment_lines_are_not_allocated(backorders):
    item, warehouse, (stocked,) = backorders(("2", 3), on_hand="9")
    backorders(("2", 1), order_type="journal")
    backorders(("2", 1), order_type="returned", return_reason="Broken")
    _item, _warehouse, (drop,) = backorders(("2", 1))
    drop.lines.update(supply_type="drop_shipment")

    (split,) = allocation_proposal(item=item, warehouse=warehouse)

    assert [share.line.order for share in split.shares] == [stocked]
    assert split.shares[0].proposed == Decimal("2")


@pytest.mark.django_db
def test_manual_allocation_over_on_hand_is_refused_and_nothing_changes(backorders):
    # given on-hand 5 allocated automatically 4 and 1
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")
    allocation_run(item=item, warehouse=warehouse, actor=None)

    # when a clerk asks for 3 on the later order (4 + 3 > 5)
    with pytest.raises(ConflictError) as refused:
        allocation_run(
            item=item,
            warehouse=warehouse,
            lines=[{"order_line": later.lines.get(), "quantity": Decimal("3")}],
            actor=None,
        )

    # then it is refused and the reservations stay
    assert refused.value.code == "exceeds_on_hand"
    assert (reserved(earlier), reserved(later)) == (Decimal("4"), Decimal("1"))
    assert AllocationRun.objects.count() == 1


@pytest.mark.django_db
def test_manual_allocation_above_the_remainder_is_refused(backorders):
    item, warehouse, (order,) = backorders(("2", 3), on_hand="5")

    with pytest.raises(ConflictError) as refused:
        allocation_run(
            item=item,
            warehouse=warehouse,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal("3")}],
            actor=None,
        )

    assert refused.value.code == "exceeds_remainder"
    assert reserved(order) == 0


@pytest.mark.django_db
def test_manual_allocation_overrides_the_proposal(backorders):
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")

    run = allocation_run(
        item=item,
        warehouse=warehouse,
        lines=[
            {"order_line": earlier.lines.get(), "quantity": Decimal("2")},
            {"order_line": later.lines.get(), "quantity": Decimal("3")},
        ],
        actor=None,
    )

    assert run.method == "manual"
    assert (reserved(earlier), reserved(later)) == (Decimal("2"), Decimal("3"))
    assert sorted(run.lines.values_list("quantity", flat=True)) == [Decimal("2"), Decimal("3")]


@pytest.mark.django_db
def test_a_packing_slip_draws_from_the_reservation(backorders):
    item, warehouse, (order,) = backorders(("4", 3), on_hand="3")
    allocation_run(item=item, warehouse=warehouse, actor=None)
    line = order.lines.get()

    packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 2}], actor=None)

    expected = {
        m.status: m.quantity
        for m in InventoryTransaction.objects.filter(source=SOURCE, source_id=line.pk).exclude(
            status="deducted"
        )
    }
    assert expected == {"reserved": Decimal("-1"), "on_order": Decimal("-1")}


@pytest.mark.django_db
def test_a_special_orders_receipt_stays_reserved_for_its_line(backorders):
    from orders.services.supply import sales_line_purchase

    item, warehouse, (earlier, special) = backorders(("5", 1), ("2", 9))
    item.primary_vendor = f.VendorFactory()
    item.save()
    special_line = special.lines.get()
    special_line.supply_type = "special_order"
    special_line.save()
    purchase_line = sales_line_purchase(line=special_line, actor=None)
    purchase_order_receive(order=purchase_line.order, actor=None)

    allocation_run(item=item, warehouse=warehouse, actor=None)

    assert (reserved(special), reserved(earlier)) == (Decimal("2"), Decimal("0"))


@pytest.mark.django_db
def test_ctp_adds_the_purchase_lead_time_when_supply_is_short(backorders):
    _item, _warehouse, (order,) = backorders(("6", 1), on_hand="2")

    promise = line_promise(order.lines.get())

    assert promise.atp_date is None
    assert (promise.ctp_date, promise.promised_date) == (days(14), days(14))
    assert (promise.available_now, promise.shortfall) == (Decimal("2"), Decimal("4"))


@pytest.mark.django_db
def test_ctp_is_promised_when_a_new_purchase_comes_before_the_one_on_order(backorders):
    item, warehouse, (order,) = backorders(("6", 1), on_hand="2")
    purchase(item, warehouse, "10", expected=days(30))

    promise = line_promise(order.lines.get())

    assert (promise.atp_date, promise.ctp_date, promise.promised_date) == (
        days(30),
        days(14),
        days(14),
    )


@pytest.mark.django_db
def test_promising_for_a_service_item_is_today(make_order):
    service = f.ItemFactory(item_type="service", purchase_lead_time_days=30)
    order = make_order(quantities=["8"], items=[service])

    promise = line_promise(order.lines.get())

    assert (promise.promised_date, promise.available_now, promise.ctp_date) == (
        today(),
        Decimal("8"),
        None,
    )


@pytest.mark.django_db
def test_earlier_ranked_demand_is_served_before_a_later_line_from_expected_receipts(backorders):
    # nothing on hand: two receipts of 3 (in 4 and 10 days); the earlier order (4) takes the
    # first receipt and part of the second, the later order (2) waits for the second
    item, warehouse, (earlier, later) = backorders(("4", 2), ("2", 3))
    purchase(item, warehouse, "3", expected=days(4))
    purchase(item, warehouse, "3", expected=days(10))

    assert line_promise(earlier.lines.get()).atp_date == days(10)
    assert line_promise(later.lines.get()).atp_date == days(10)
    assert line_promise(later.lines.get()).shortfall == 0


@pytest.mark.django_db
def test_promising_takes_four_queries_whatever_the_number_of_lines(
    make_order, django_assert_num_queries
):
    order = make_order(quantities=["1", "2", "3", "4", "5"])
    lines = list(order.lines.select_related("order", "item"))
    purchase(lines[0].item, lines[0].warehouse, "9", expected=days(5))

    with django_assert_num_queries(4):
        found = promises(lines)

    assert found[lines[0].pk].atp_date == days(5)


@pytest.mark.django_db
def test_confirm_offers_and_uses_the_promised_date(backorders, user_in, client):
    # given an order of 6 with 2 on hand and the item's lead time of 14 days
    _item, _warehouse, (order,) = backorders(("6", 3), on_hand="2")
    client.force_login(user_in("sales manager"))

    # when the clerk opens the order, the confirm form offers the promised date
    page = client.get(reverse("orders:sales-orders-detail", args=[order.pk]))
    assert offered_ship_date(order) == days(14)
    assert page.context["offered_ship_date"] == days(14)
    assert f'value="{days(14).isoformat()}"' in page.content.decode()

    # and accepting it confirms with that date and dates the line's movement on it
    client.post(
        reverse("orders:sales-orders-action", args=[order.pk, "confirm"]),
        {"confirm-confirmed_ship_date": days(14).isoformat()},
    )
    order.refresh_from_db()
    assert order.confirmed_ship_date == days(14)
    movement = InventoryTransaction.objects.get(
        source=SOURCE, source_id=order.lines.get().pk, status="on_order"
    )
    assert movement.date == days(14)


@pytest.mark.django_db
def test_confirm_without_a_date_keeps_the_requested_ship_date(backorders):
    _item, _warehouse, (order,) = backorders(("6", 3), on_hand="2")

    sales_order_confirm(order=order, actor=None)

    order.refresh_from_db()
    assert order.confirmed_ship_date == days(3)


# --- clerk UI ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_allocation_page_shows_the_proposal_and_allocates_as_entered(
    backorders, user_in, client
):
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")
    client.force_login(user_in("sales manager"))
    url = reverse("orders:allocation")

    page = client.get(url, {"item": item.pk, "warehouse": warehouse.pk})
    body = page.content.decode()
    assert f'name="quantity-{later.lines.get().pk}" value="1"' in body
    assert "Allocate as entered" in body

    client.post(
        url,
        {
            "item": item.pk,
            "warehouse": warehouse.pk,
            "method": "manual",
            f"quantity-{earlier.lines.get().pk}": "1",
            f"quantity-{later.lines.get().pk}": "3",
        },
    )
    assert (reserved(earlier), reserved(later)) == (Decimal("1"), Decimal("3"))
    assert AllocationRun.objects.get().created_by is not None


@pytest.mark.django_db
@pytest.mark.parametrize("entered", ["two", "NaN", "Infinity"])
def test_the_allocation_page_refuses_a_quantity_that_is_not_a_number(
    backorders, user_in, client, entered
):
    item, _warehouse, (order,) = backorders(("4", 3), on_hand="5")
    client.force_login(user_in("sales manager"))

    response = client.post(
        reverse("orders:allocation"),
        {"item": item.pk, "method": "manual", f"quantity-{order.lines.get().pk}": entered},
        follow=True,
    )

    assert f"{entered} is not a number." in response.content.decode()
    assert not AllocationRun.objects.exists()


@pytest.mark.django_db
def test_a_clerk_sees_the_allocation_page_but_may_not_allocate(backorders, user_in, client):
    item, _warehouse, _orders = backorders(("4", 3), on_hand="5")
    client.force_login(user_in("sales clerk"))

    assert client.get(reverse("orders:allocation"), {"item": item.pk}).status_code == 200
    refused = client.post(reverse("orders:allocation"), {"item": item.pk, "method": "auto"})

    assert refused.status_code == 403
    assert not AllocationRun.objects.exists()


# --- API ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_api_runs_an_allocation_and_lists_it(backorders, manager_api):
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")

    proposal = manager_api.get(
        "/api/v1/allocations/proposal/", {"item": item.pk, "warehouse": warehouse.pk}
    )
    run = manager_api.post("/api/v1/allocations/run/", {"item": item.pk}, format="json")
    listed = manager_api.get("/api/v1/allocations/", {"item": item.pk})

    assert proposal.status_code == 200
    assert [row["proposed"] for row in proposal.json()[0]["lines"]] == ["4.0000", "1.0000"]
    assert run.status_code == 201, run.json()
    assert run.json()["method"] == "auto"
    assert {row["order_line"]: row["quantity"] for row in run.json()["lines"]} == {
        earlier.lines.get().pk: "4.0000",
        later.lines.get().pk: "1.0000",
    }
    assert [row["id"] for row in listed.json()["results"]] == [run.json()["id"]]


@pytest.mark.django_db
def test_api_manual_allocation_over_on_hand_answers_409(backorders, manager_api):
    item, warehouse, (earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")

    response = manager_api.post(
        "/api/v1/allocations/run/",
        {
            "item": item.pk,
            "warehouse": warehouse.pk,
            "lines": [
                {"order_line": earlier.lines.get().pk, "quantity": "4"},
                {"order_line": later.lines.get().pk, "quantity": "3"},
            ],
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "exceeds_on_hand"
    assert reserved(earlier) == reserved(later) == 0


@pytest.mark.django_db
def test_api_allocation_needs_the_allocate_permission(backorders, api_as):
    item, _warehouse, _orders = backorders(("4", 3), on_hand="5")
    clerk = api_as("sales clerk")

    assert clerk.get("/api/v1/allocations/").status_code == 200
    assert clerk.post("/api/v1/allocations/run/", {"item": item.pk}).status_code == 403


@pytest.mark.django_db
def test_api_promising_answers_per_line_and_confirm_takes_the_offered_date(backorders, manager_api):
    item, warehouse, (_earlier, later) = backorders(("4", 3), ("3", 5), on_hand="5")
    purchase(item, warehouse, "10", expected=days(7))

    response = manager_api.get(f"/api/v1/sales-orders/{later.pk}/promising/")
    body = response.json()
    confirmed = manager_api.post(
        f"/api/v1/sales-orders/{later.pk}/confirm/",
        {"confirmed_ship_date": body["offered_confirmed_ship_date"]},
        format="json",
    )

    assert response.status_code == 200
    assert body["lines"][0]["atp_date"] == days(7).isoformat()
    assert body["lines"][0]["available_now"] == "1.0000"
    assert body["offered_confirmed_ship_date"] == days(7).isoformat()
    assert confirmed.json()["confirmed_ship_date"] == days(7).isoformat()


# --- PostgreSQL --------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_allocation_runs_at_the_same_moment_never_reserve_more_than_on_hand(backorders):
    # given on-hand 5 and two orders of 5
    item, warehouse, (first, second) = backorders(("5", 3), ("5", 5), on_hand="5")
    outcomes = []
    start = threading.Barrier(4)

    def clerk(order):
        try:
            start.wait()
            allocation_run(
                item=item,
                warehouse=warehouse,
                lines=[{"order_line": order.lines.get().pk, "quantity": Decimal("5")}],
                actor=None,
            )
            outcomes.append("allocated")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    def automatic():
        try:
            start.wait()
            allocation_run(item=item, warehouse=warehouse, actor=None)
            outcomes.append("allocated")
        finally:
            connections.close_all()

    # when two clerks each reserve all of it by hand while two automatic runs go
    threads = [
        threading.Thread(target=clerk, args=(first,)),
        threading.Thread(target=clerk, args=(second,)),
        threading.Thread(target=automatic),
        threading.Thread(target=automatic),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then the reservations never exceed the on-hand
    total = -sum(
        InventoryTransaction.objects.filter(
            item=item, warehouse=warehouse, status="reserved"
        ).values_list("quantity", flat=True)
    )
    assert total <= Decimal("5")
    assert outcomes.count("allocated") >= 2
    assert set(outcomes) <= {"allocated", "exceeds_on_hand"}
