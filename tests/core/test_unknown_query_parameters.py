"""A query parameter no list or query reads is a 400 naming it, never silently ignored: a
misspelt filter would otherwise answer every row."""

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from salesmkt.core.api.filters import FilterBackend
from tests import factories as f
from tests.core.test_api_conventions import LIST_ENDPOINTS, make_backorder

UNKNOWN = ["Unknown query parameter."]


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(f.UserFactory(is_superuser=True, is_staff=True))
    return client


def refused(response, *names) -> bool:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == dict.fromkeys(names, UNKNOWN)
    return True


def a_filter_the_record_passes(resource: str, record) -> dict:
    """The list's first exact filter on a field of the record, with the record's value."""
    if resource.startswith("backorders/"):
        return {"only_late": "false"}
    view = resolve(f"/api/v1/{resource}/").func.cls
    filterset = FilterBackend().get_filterset_class(view, view.queryset)
    for name, filter_ in (filterset.base_filters if filterset else {}).items():
        if filter_.lookup_expr != "exact" or "__" in filter_.field_name:
            continue
        value = record.serializable_value(filter_.field_name)
        if value is not None:
            return {name: str(value).lower() if isinstance(value, bool) else str(value)}
    return {"search": ""}  # a list without filters: its search


@pytest.mark.django_db
@pytest.mark.parametrize("resource", LIST_ENDPOINTS)
def test_every_list_refuses_an_unknown_parameter_and_keeps_its_filters(api, resource):
    record = LIST_ENDPOINTS[resource]()
    known = a_filter_the_record_passes(resource, record)

    unknown = api.get(f"/api/v1/{resource}/", {"no_such_filter": "1", **known})
    filtered = api.get(f"/api/v1/{resource}/", known)

    assert refused(unknown, "no_such_filter")
    assert filtered.status_code == 200, (known, filtered.content)
    assert filtered.json()["count"] >= 1, known


@pytest.mark.django_db
def test_a_misspelt_sales_order_filter_answers_400_instead_of_every_order(api):
    response = api.get("/api/v1/sales-orders/?original_invoice=X")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Invalid input.",
        "errors": {"original_invoice": UNKNOWN},
    }


@pytest.mark.django_db
def test_every_unknown_parameter_is_named(api):
    response = api.get("/api/v1/customers/", {"on_hold": "all", "custmer": "1", "sort": "name"})

    assert refused(response, "custmer", "sort")


@pytest.mark.django_db
def test_search_ordering_paging_format_and_lookups_are_known(api):
    f.CustomerFactory(party=f.PartyFactory(name="Alpha AS"))
    f.CustomerFactory(party=f.PartyFactory(name="Beta AS"))

    customers = api.get(
        "/api/v1/customers/",
        {"search": "AS", "ordering": "-party__name", "page": "1", "page_size": "1"},
    )
    as_json = api.get("/api/v1/customers/", {"format": "json"})
    orders = api.get(
        "/api/v1/sales-orders/",
        {"requested_ship_date__gte": "2026-01-01", "created_at__lte": "2099-01-01T00:00:00Z"},
    )

    assert customers.status_code == 200, customers.content
    assert [c["name"] for c in customers.json()["results"]] == ["Beta AS"]
    assert customers.json()["next"] is not None
    assert as_json.status_code == 200
    assert orders.status_code == 200, orders.content


@pytest.mark.django_db
def test_an_anonymous_caller_is_told_to_sign_in_before_hearing_about_parameters():
    response = APIClient().get("/api/v1/customers/", {"no_such_filter": "1"})

    assert response.status_code == 401


@pytest.mark.django_db
def test_backorder_lists_accept_their_query_and_refuse_anything_else(api):
    line = make_backorder()
    sales_line = line.sales_lines.get()
    queries = {
        "by-item": {
            "warehouse": sales_line.warehouse_id,
            "only_short": "false",
            "ordering": "item",
        },
        "by-customer": {"customer": sales_line.order.customer_id, "ordering": "-order"},
        "by-vendor": {"vendor": line.order.vendor_id, "ordering": "vendor"},
    }

    for view, query in queries.items():
        common = {"search": "", "only_late": "false", "page": "1", "page_size": "5"}
        accepted = api.get(f"/api/v1/backorders/{view}/", {**common, **query})
        assert accepted.status_code == 200, (view, accepted.content)
        assert accepted.json()["count"] == 1, view
        assert refused(api.get(f"/api/v1/backorders/{view}/", {"late": "true"}), "late")

    item = api.get(
        f"/api/v1/backorders/by-item/{sales_line.item_id}/", {"warehouse": sales_line.warehouse_id}
    )
    assert item.status_code == 200, item.content
    assert refused(
        api.get(f"/api/v1/backorders/by-item/{sales_line.item_id}/", {"whs": "1"}), "whs"
    )


@pytest.mark.django_db
def test_price_lookup_and_suggestions_accept_their_query_and_refuse_anything_else(api):
    customer, item = f.CustomerFactory(), f.ItemFactory()
    lookup = {
        "customer": customer.pk,
        "item": item.pk,
        "quantity": "2",
        "date": "2026-11-01",
        "currency": customer.currency.code,
    }
    suggest = {"item": item.pk, "customer": customer.pk, "quantity": "1", "line_amount": "10.00"}

    price = api.get("/api/v1/price-lookup/", lookup)
    suggestions = api.get("/api/v1/sales-suggestions/", suggest)

    assert price.status_code == 200, price.content
    assert suggestions.status_code == 200, suggestions.content
    assert refused(api.get("/api/v1/price-lookup/", {**lookup, "qty": "2"}), "qty")
    assert refused(api.get("/api/v1/sales-suggestions/", {**suggest, "qty": "2"}), "qty")


@pytest.mark.django_db
def test_allocation_proposal_accepts_its_query_and_refuses_anything_else(api):
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    query = {"item": item.pk, "warehouse": warehouse.pk}

    proposal = api.get("/api/v1/allocations/proposal/", query)

    assert proposal.status_code == 200, proposal.content
    assert refused(api.get("/api/v1/allocations/proposal/", {**query, "whs": "1"}), "whs")


@pytest.mark.django_db
def test_receivables_accept_their_query_and_refuse_anything_else(api):
    customer = f.CustomerFactory().pk

    aging = api.get(f"/api/v1/receivables/{customer}/aging/", {"as_of": "2026-12-31"})
    open_items = api.get(f"/api/v1/receivables/{customer}/open-items/", {"page_size": "1"})

    assert aging.status_code == 200, aging.content
    assert open_items.status_code == 200, open_items.content
    assert refused(api.get(f"/api/v1/receivables/{customer}/aging/", {"asof": "x"}), "asof")
    assert refused(api.get(f"/api/v1/receivables/{customer}/open-items/", {"limit": "1"}), "limit")


@pytest.mark.django_db
def test_a_choice_or_number_filter_given_no_value_is_refused_not_dropped(api):
    """`?status=` would otherwise filter nothing and answer every row."""
    blank_choice = api.get("/api/v1/sales-orders/", {"status": ""})
    blank_reference = api.get("/api/v1/sales-orders/", {"customer": " "})
    free_text = api.get("/api/v1/parties/", {"search": ""})

    for response, name in ((blank_choice, "status"), (blank_reference, "customer")):
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == {name: ["Give a value, or leave the parameter out."]}
    assert free_text.status_code == 200
