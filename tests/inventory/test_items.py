import pytest

from inventory.models import Item
from tests import factories as f


def item_payload(**extra):
    return {
        "name": "Smoked salmon 500 g",
        "unit": f.UnitFactory().pk,
        "base_sales_price": "189.00",
        "sales_tax_code": f.SalesTaxCodeFactory().pk,
        **extra,
    }


@pytest.mark.django_db
def test_item_without_a_number_takes_the_next_from_the_item_series(manager_api):
    response = manager_api.post("/api/v1/items/", item_payload(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["item_number"] == "I00001"


@pytest.mark.django_db
def test_item_keeps_a_number_given_to_it_and_numbers_are_unique(manager_api):
    first = manager_api.post("/api/v1/items/", item_payload(item_number="1000"), format="json")
    duplicate = manager_api.post("/api/v1/items/", item_payload(item_number="1000"), format="json")

    assert first.json()["item_number"] == "1000"
    assert duplicate.status_code == 400
    assert "item_number" in duplicate.json()["errors"]


@pytest.mark.django_db
def test_prices_are_decimal_strings_with_four_places(manager_api):
    response = manager_api.post(
        "/api/v1/items/", item_payload(base_sales_price="79.5"), format="json"
    )

    assert response.json()["base_sales_price"] == "79.5000"
    assert str(Item.objects.get().base_sales_price) == "79.5000"


@pytest.mark.django_db
def test_negative_price_is_refused_naming_the_field(manager_api):
    response = manager_api.post(
        "/api/v1/items/", item_payload(base_sales_price="-1"), format="json"
    )

    assert response.status_code == 400
    assert "base_sales_price" in response.json()["errors"]
    assert not Item.objects.exists()
