"""The negative stock policy through the API, the clerk pages and the admin: a packing slip that
would take stock below zero answers 409 with a stable code; the policy is editable everywhere."""

from decimal import Decimal

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from inventory.models import Item, Warehouse
from inventory.services.stock import on_hand, stock_adjust
from orders.models import PackingSlip
from tests import factories as f
from tests.inventory.test_stock_policy import order_of, warehouse_with


def post_slip(api, order, **extra):
    return api.post(
        "/api/v1/packing-slips/",
        {
            "order": order.pk,
            "lines": [
                {"order_line": line.pk, "quantity": str(line.deliver_remainder)}
                for line in order.lines.all()
            ],
            **extra,
        },
        format="json",
    )


@pytest.mark.django_db
def test_the_api_refuses_a_packing_slip_without_stock_with_409_insufficient_stock(manager_api):
    warehouse = warehouse_with()
    item = f.ItemFactory(item_number="1000")
    order = order_of(warehouse, (item, "80"))

    response = post_slip(manager_api, order, accept_shortfall=True)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert "1000" in body["detail"] and "BGO" in body["detail"]
    assert {key: body["params"][key] for key in ("item", "warehouse", "on_hand", "asked")} == {
        "item": "1000",
        "warehouse": "BGO",
        "on_hand": "0.0000",
        "asked": "80.0000",
    }
    assert not PackingSlip.objects.exists()


@pytest.mark.django_db
def test_the_api_posts_a_warned_shortfall_only_with_accept_shortfall(manager_api):
    warehouse = warehouse_with("warn")
    item = f.ItemFactory()
    order = order_of(warehouse, (item, "4"))

    warned = post_slip(manager_api, order)
    posted = post_slip(manager_api, order, accept_shortfall=True)

    assert (warned.status_code, warned.json()["code"]) == (409, "stock_shortfall")
    assert warned.json()["params"]["shortfalls"][0]["policy"] == "warn"
    assert posted.status_code == 201, posted.json()
    assert "accept_shortfall" not in posted.json()
    assert on_hand(item, warehouse) == Decimal("-4")


@pytest.mark.django_db
def test_the_schema_documents_accept_shortfall_as_a_write_only_boolean():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    field = schema["components"]["schemas"]["PackingSlipRequest"]["properties"]["accept_shortfall"]
    assert field["type"] == "boolean" and field["default"] is False
    assert "accept_shortfall" not in schema["components"]["schemas"]["PackingSlip"]["properties"]


@pytest.mark.django_db
def test_the_api_reads_and_writes_the_policy_of_items_and_warehouses(manager_api):
    warehouse = f.WarehouseFactory(code="TRD", negative_stock_policy="refuse")
    item = f.ItemFactory()

    warehouse_response = manager_api.patch(
        f"/api/v1/warehouses/{warehouse.pk}/", {"negative_stock_policy": "warn"}, format="json"
    )
    item_response = manager_api.patch(
        f"/api/v1/items/{item.pk}/", {"negative_stock_policy": "allow"}, format="json"
    )
    wrong = manager_api.patch(
        f"/api/v1/items/{item.pk}/", {"negative_stock_policy": "sometimes"}, format="json"
    )

    assert warehouse_response.status_code == 200, warehouse_response.json()
    assert warehouse_response.json()["negative_stock_policy"] == "warn"
    assert item_response.json()["negative_stock_policy"] == "allow"
    assert wrong.status_code == 400 and "negative_stock_policy" in wrong.json()["errors"]
    assert Warehouse.objects.get(pk=warehouse.pk).negative_stock_policy == "warn"
    assert Item.objects.get(pk=item.pk).negative_stock_policy == "allow"


@pytest.fixture
def manager_client(client, user_in):
    client.force_login(user_in("sales manager"))
    return client


@pytest.mark.django_db
def test_the_item_page_shows_its_policy_and_on_hand_per_warehouse(manager_client):
    warehouse = warehouse_with("warn")
    item = f.ItemFactory()
    stock_adjust(item=item, warehouse=warehouse, quantity=Decimal("12"), reference="C", actor=None)

    page = manager_client.get(reverse("inventory:items-detail", args=[item.pk])).content.decode()

    assert "The warehouse&#x27;s policy" in page or "The warehouse's policy" in page
    assert "Warehouse BGO" in page and "12.00" in page
    assert "Warn, post when confirmed" in page


@pytest.mark.django_db
def test_the_clerk_pages_edit_the_policy_of_an_item_and_a_warehouse(manager_client):
    warehouse = f.WarehouseFactory(code="TRD", name="Trondheim")
    item = f.ItemFactory()

    warehouse_form = manager_client.get(reverse("inventory:warehouses-update", args=[warehouse.pk]))
    manager_client.post(
        reverse("inventory:warehouses-update", args=[warehouse.pk]),
        {"code": "TRD", "name": "Trondheim", "active": "on", "negative_stock_policy": "refuse"},
    )
    item_form = manager_client.get(reverse("inventory:items-update", args=[item.pk]))
    form = item_form.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data["negative_stock_policy"] = "warn"
    response = manager_client.post(reverse("inventory:items-update", args=[item.pk]), data)

    assert 'name="negative_stock_policy"' in warehouse_form.content.decode()
    assert ("", "The warehouse's policy") in [
        (value, str(label)) for value, label in form.fields["negative_stock_policy"].choices
    ]
    assert response.status_code == 302, response.content.decode()
    assert Warehouse.objects.get(pk=warehouse.pk).negative_stock_policy == "refuse"
    assert Item.objects.get(pk=item.pk).negative_stock_policy == "warn"


@pytest.mark.django_db
def test_the_admin_edits_the_policy_of_a_warehouse(client):
    client.force_login(f.UserFactory(is_superuser=True, is_staff=True))
    warehouse = f.WarehouseFactory(code="TRD", name="Trondheim")

    form = client.get(reverse("admin:inventory_warehouse_change", args=[warehouse.pk]))
    response = client.post(
        reverse("admin:inventory_warehouse_change", args=[warehouse.pk]),
        {"code": "TRD", "name": "Trondheim", "active": "on", "negative_stock_policy": "warn"},
    )

    assert 'name="negative_stock_policy"' in form.content.decode()
    assert response.status_code == 302
    assert Warehouse.objects.get(pk=warehouse.pk).negative_stock_policy == "warn"
