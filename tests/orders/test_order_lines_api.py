"""One line of an order or quotation changes through its own endpoints (`lines/`), touching
that line only; a document PATCH without `lines` never touches them, with `lines` it replaces
them all (as its schema says)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import InventoryTransaction
from orders.models import SalesOrder, SalesOrderLine, SalesQuotation
from orders.services.delivery import packing_slip_post
from orders.services.quotations import quotation_create
from salesmkt.core.audit import events_for
from tests import factories as f


def url(order, line=None) -> str:
    base = f"/api/v1/sales-orders/{order.pk}/lines/"
    return f"{base}{line.pk}/" if line is not None else base


def movements(line):
    return list(
        InventoryTransaction.objects.filter(source="sales_order_line", source_id=line.pk)
        .order_by("pk")
        .values_list("pk", "quantity", "status")
    )


def line_writes(queries) -> list[str]:
    """The statements of `queries` that write order lines."""
    return [
        query["sql"]
        for query in queries
        if '"orders_salesorderline"' in query["sql"]
        and query["sql"].lstrip().upper().startswith(("UPDATE", "DELETE", "INSERT"))
    ]


@pytest.mark.django_db
def test_posting_a_line_adds_it_priced_with_its_movement_and_leaves_the_others(
    manager_api, make_order
):
    order = make_order(quantities=["10", "3"])
    first, second = order.lines.order_by("line_number")
    before = {line.pk: movements(line) for line in (first, second)}
    item = f.ItemFactory(base_sales_price=Decimal("12.5000"))

    with CaptureQueriesContext(connection) as captured:
        response = manager_api.post(
            url(order),
            {"item": item.pk, "warehouse": first.warehouse_id, "quantity": "4"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["line_number"], body["unit_price"], body["line_amount"]) == (3, "12.5000", "50.00")
    added = SalesOrderLine.objects.get(pk=body["id"])
    assert [(m[1], m[2]) for m in movements(added)] == [(Decimal("-4"), "on_order")]
    assert {line.pk: movements(line) for line in (first, second)} == before
    assert [sql for sql in line_writes(captured.captured_queries) if "UPDATE" in sql] == []
    [event] = events_for(order).filter(action="line_added")
    assert event.data == {"line": 3, "item": item.item_number, "quantity": "4.0000"}


@pytest.mark.django_db
def test_patching_a_line_changes_that_line_and_its_movement_only(manager_api, make_order):
    order = make_order(quantities=["10", "3"])
    first, second = order.lines.order_by("line_number")
    untouched = movements(second)

    with CaptureQueriesContext(connection) as captured:
        response = manager_api.patch(url(order, first), {"quantity": "6"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["quantity"], response.json()["deliver_remainder"]) == (
        "6.0000",
        "6.0000",
    )
    assert [(m[1], m[2]) for m in movements(first)] == [(Decimal("-6"), "on_order")]
    assert movements(second) == untouched
    [write] = line_writes(captured.captured_queries)
    assert write.startswith("UPDATE") and f'"id" = {first.pk}' in write
    [event] = events_for(order).filter(action="line_quantity_changed")
    assert event.data == {
        "line": 1,
        "item": first.item.item_number,
        "quantity": {"old": "10.0000", "new": "6.0000"},
    }


@pytest.mark.django_db
def test_deleting_a_line_removes_it_with_its_movements(manager_api, make_order):
    order = make_order(quantities=["10", "3"])
    first, second = order.lines.order_by("line_number")

    response = manager_api.delete(url(order, second))

    assert response.status_code == 204
    assert list(order.lines.values_list("pk", flat=True)) == [first.pk]
    assert movements(second) == []
    assert events_for(order).filter(action="line_deleted").count() == 1


@pytest.mark.django_db
def test_a_delivered_line_is_not_deleted(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 4}], actor=None)

    response = manager_api.delete(url(order, line))

    assert response.status_code == 409
    assert response.json()["code"] == "line_delivered"
    assert order.lines.filter(pk=line.pk).exists()


@pytest.mark.django_db
def test_a_line_quantity_below_what_was_delivered_is_refused(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    packing_slip_post(order=order, lines=[{"order_line": line, "quantity": 4}], actor=None)

    response = manager_api.patch(url(order, line), {"quantity": "3"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "quantity_below_delivered"


@pytest.mark.django_db
def test_the_lines_of_an_order_that_is_not_open_do_not_change(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    SalesOrder.objects.filter(pk=order.pk).update(status=SalesOrder.Status.CANCELED)

    added = manager_api.post(
        url(order),
        {"item": line.item_id, "warehouse": line.warehouse_id, "quantity": "1"},
        format="json",
    )
    changed = manager_api.patch(url(order, line), {"quantity": "4"}, format="json")
    deleted = manager_api.delete(url(order, line))

    assert [r.status_code for r in (added, changed, deleted)] == [409, 409, 409]
    assert {r.json()["code"] for r in (added, changed, deleted)} == {"order_not_open"}
    assert order.lines.get().quantity == Decimal("10")


@pytest.mark.django_db
def test_the_lines_of_an_order_released_from_a_sales_agreement_do_not_change(
    manager_api, make_order
):
    from agreements.services.sales_agreements import (
        sales_agreement_create,
        sales_agreement_make_effective,
    )

    customer, item = f.CustomerFactory(credit_limit=0), f.ItemFactory()
    agreement = sales_agreement_make_effective(
        agreement=sales_agreement_create(
            data={
                "customer": customer,
                "effective_date": date(2026, 11, 1),
                "expiration_date": date(2027, 11, 1),
                "commitment_type": "product_quantity",
                "lines": [
                    {"item": item, "committed_quantity": Decimal(50), "unit_price": Decimal(9)}
                ],
            },
            actor=None,
        ),
        actor=None,
    )
    order = make_order(
        quantities=["10"], customer=customer, items=[item], sales_agreement=agreement
    )
    line = order.lines.get()

    response = manager_api.patch(url(order, line), {"quantity": "4"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "released_from_agreement"


@pytest.mark.django_db
def test_a_line_of_another_order_is_not_found(manager_api, make_order):
    order, other = make_order(quantities=["1"]), make_order(quantities=["2"])

    response = manager_api.patch(url(order, other.lines.get()), {"quantity": "4"}, format="json")

    assert response.status_code == 404
    assert other.lines.get().quantity == Decimal("2")


@pytest.mark.django_db
def test_changing_a_line_needs_the_permission_to_change_orders(api_as, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    accountant = api_as("accountant")  # sees orders, does not change them

    response = accountant.patch(url(order, line), {"quantity": "4"}, format="json")

    assert response.status_code == 403
    assert order.lines.get().quantity == Decimal("10")


@pytest.mark.django_db
def test_posting_a_line_again_with_its_idempotency_key_adds_it_once(manager_api, make_order):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    body = {"item": line.item_id, "warehouse": line.warehouse_id, "quantity": "2"}

    first = manager_api.post(url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="line-1")
    retry = manager_api.post(url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="line-1")

    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert order.lines.count() == 2


@pytest.mark.django_db
def test_an_unknown_line_reference_is_refused_naming_the_line_and_field(manager_api):
    customer, warehouse = f.CustomerFactory(), f.WarehouseFactory()
    items = [f.ItemFactory() for _ in range(4)]
    lines = [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "1"} for item in items]
    lines[3]["item"] = max(item.pk for item in items) + 1000

    response = manager_api.post(
        "/api/v1/sales-orders/",
        {"customer": customer.pk, "requested_ship_date": "2026-12-01", "lines": lines},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]["lines"]
    assert list(errors) == ["3"] and list(errors["3"]) == ["item"]
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
def test_a_document_patch_without_lines_never_touches_them(manager_api, make_order):
    order = make_order(quantities=["10", "3"])
    stored = list(order.lines.order_by("pk").values())

    with CaptureQueriesContext(connection) as captured:
        response = manager_api.patch(
            f"/api/v1/sales-orders/{order.pk}/", {"notes": "Call first."}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert line_writes(captured.captured_queries) == []
    assert list(order.lines.order_by("pk").values()) == stored


@pytest.mark.django_db
def test_a_document_patch_with_lines_replaces_them_all_as_its_schema_says(manager_api, make_order):
    from drf_spectacular.generators import SchemaGenerator

    order = make_order(quantities=["10", "3"])
    first, _second = order.lines.order_by("line_number")

    response = manager_api.patch(
        f"/api/v1/sales-orders/{order.pk}/",
        {"lines": [{"id": first.pk, "quantity": "8"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert list(order.lines.values_list("pk", "quantity")) == [(first.pk, Decimal("8"))]
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lines = schema["components"]["schemas"]["PatchedSalesOrderRequest"]["properties"]["lines"]
    assert "removed" in lines["description"] and "lines/" in lines["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["abc/lines/", "{order}/lines/abc/", "{order}/lines/-1/"])
def test_a_line_path_whose_ids_are_not_numbers_answers_404_in_json(manager_api, make_order, path):
    order = make_order()
    send = manager_api.post if path.endswith("/lines/") else manager_api.patch

    answers = [
        send(f"/api/v1/{resource}/{path.format(order=order.pk)}", {}, format="json")
        for resource in ("sales-orders", "quotations")
    ]

    assert [answer.status_code for answer in answers] == [404, 404]
    assert [answer.json()["code"] for answer in answers] == ["not_found", "not_found"]


# --- quotations ---------------------------------------------------------------------------------


@pytest.fixture
def quotation():
    customer, warehouse = f.CustomerFactory(credit_limit=0), f.WarehouseFactory()
    return quotation_create(
        data={
            "party": customer.party,
            "expiry_date": date(2026, 12, 31),
            "requested_ship_date": date(2026, 12, 1),
            "lines": [
                {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": Decimal(q)}
                for q in ("5", "2")
            ],
        },
        actor=None,
    )


@pytest.mark.django_db
def test_one_quotation_line_changes_through_its_endpoints_each_a_revision(manager_api, quotation):
    first, second = quotation.lines.order_by("line_number")
    base = f"/api/v1/quotations/{quotation.pk}/lines/"

    added = manager_api.post(
        base,
        {"item": first.item_id, "warehouse": first.warehouse_id, "quantity": "1"},
        format="json",
    )
    changed = manager_api.patch(f"{base}{first.pk}/", {"quantity": "7"}, format="json")
    deleted = manager_api.delete(f"{base}{second.pk}/")

    assert [r.status_code for r in (added, changed, deleted)] == [201, 200, 204]
    assert list(quotation.lines.order_by("line_number").values_list("line_number", "quantity")) == [
        (1, Decimal("7")),
        (3, Decimal("1")),
    ]
    assert SalesQuotation.objects.get(pk=quotation.pk).revision == 3


@pytest.mark.django_db
def test_the_lines_of_a_closed_quotation_do_not_change(manager_api, quotation):
    line = quotation.lines.first()
    SalesQuotation.objects.filter(pk=quotation.pk).update(status=SalesQuotation.Status.LOST)

    response = manager_api.patch(
        f"/api/v1/quotations/{quotation.pk}/lines/{line.pk}/",
        {"quantity": "7"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "quotation_closed"
