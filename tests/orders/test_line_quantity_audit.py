"""Every quantity change of an order line is an audit event with the old and the new quantity,
whoever changes it: the service, the API or the order page (tests/ui)."""

from decimal import Decimal

import pytest

from orders.models import SalesOrder
from orders.services.orders import sales_order_update
from salesmkt.core.audit import events_for


def quantity_events(order):
    return list(events_for(order).filter(action="line_quantity_changed").order_by("pk"))


@pytest.mark.django_db
def test_a_line_quantity_change_writes_an_audit_event_with_old_and_new_quantity(
    make_order, user_in
):
    clerk = user_in("sales clerk")
    order = make_order(quantities=["10", "3"])
    first, second = order.lines.order_by("line_number")

    sales_order_update(
        instance=order,
        data={"lines": [{"id": first.pk, "quantity": Decimal("4")}, {"id": second.pk}]},
        actor=clerk,
    )

    [event] = quantity_events(order)
    assert event.actor == clerk
    assert event.data == {
        "line": 1,
        "item": first.item.item_number,
        "quantity": {"old": "10.0000", "new": "4.0000"},
    }


@pytest.mark.django_db
def test_lines_saved_with_their_quantity_unchanged_write_no_quantity_event(make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    sales_order_update(
        instance=order, data={"lines": [{"id": line.pk, "quantity": Decimal("10.0")}]}, actor=None
    )

    assert quantity_events(order) == []


@pytest.mark.django_db
def test_a_refused_quantity_change_writes_no_event(make_order):
    from salesmkt.core.errors import ConflictError

    order = make_order(quantities=["10"])
    line = order.lines.get()
    SalesOrder.objects.filter(pk=order.pk).update(status="canceled")  # not open: no change

    with pytest.raises(ConflictError):
        sales_order_update(
            instance=order, data={"lines": [{"id": line.pk, "quantity": Decimal("4")}]}, actor=None
        )

    assert quantity_events(order) == []


@pytest.mark.django_db
def test_a_quantity_change_through_the_api_writes_the_audit_event(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()

    response = manager_api.patch(
        f"/api/v1/sales-orders/{order.pk}/",
        {"lines": [{"id": line.pk, "quantity": "6"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    [event] = quantity_events(order)
    assert event.actor == manager_api.user
    assert event.data["quantity"] == {"old": "10.0000", "new": "6.0000"}
