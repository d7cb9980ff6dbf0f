import itertools
import string
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from salesmkt.core.roles import ROLE_GROUPS, permission_codes
from tests import factories as f

CURRENCY_CODES = (
    "".join(letters) for letters in itertools.product(string.ascii_uppercase, repeat=3)
)

LIST_ENDPOINTS = {
    "parties": lambda: f.PartyAddressFactory(party=f.ContactPersonFactory().party).party,
    "customers": f.CustomerFactory,
    "vendors": f.VendorFactory,
    "items": f.ItemFactory,
    "warehouses": lambda: f.WarehouseFactory(code=f"W{f.PartyFactory().pk}"),
    "customer-groups": lambda: f.CustomerGroupFactory(code=f"G{f.PartyFactory().pk}"),
    "price-groups": lambda: f.PriceGroupFactory(code=f"P{f.PartyFactory().pk}"),
    "sales-tax-groups": lambda: f.SalesTaxGroupFactory(code=f"T{f.PartyFactory().pk}"),
    "item-discount-groups": lambda: f.ItemDiscountGroupFactory(code=f"D{f.PartyFactory().pk}"),
    "units": lambda: f.UnitFactory(code=f"u{f.PartyFactory().pk}"),
    "currencies": lambda: f.CurrencyFactory(code=next(CURRENCY_CODES)),
    "payment-terms": lambda: f.PaymentTermsFactory(code=f"N{f.PartyFactory().pk}"),
    "ledger-accounts": lambda: f.LedgerAccountFactory(number=f"9{f.PartyFactory().pk}"),
    "posting-profiles": lambda: f.PostingProfileFactory(code=f"PP{f.PartyFactory().pk}"),
    "sales-tax-codes": lambda: f.SalesTaxCodeFactory(code=f"S{f.PartyFactory().pk}"),
    "prospects": lambda: make_prospect(),
    "leads": lambda: make_lead(),
    "opportunities": lambda: make_opportunity(),
    "activities": lambda: make_activity(),
    "sales-stages": lambda: make_sales_stage(),
    "campaigns": lambda: make_campaign_target().campaign,
    "campaign-targets": lambda: make_campaign_target(),
    "sales-orders": lambda: make_sales_order(),
    "purchase-orders": lambda: make_purchase_order(),
    "quotations": lambda: make_quotation(),
    "invoices": lambda: make_invoice(),
    "credit-notes": lambda: make_credit_note(),
    "payments": lambda: make_payment(),
    "invoice-runs": lambda: make_invoice_run(),
    "allocations": lambda: make_allocation_run(),
    "projects": lambda: make_project(),
    "packing-slips": lambda: make_packing_slip(),
    "trade-agreements": lambda: make_trade_agreement(),
    "sales-agreements": lambda: make_sales_agreement(),
    "sell-rules": lambda: make_sell_rule(),
    "customer-templates": lambda: f.CustomerTemplateFactory(
        code=f"CT{f.PartyFactory().pk}", is_default=False
    ),
    "backorders/by-item": lambda: make_backorder(),
    "backorders/by-customer": lambda: make_backorder(),
    "backorders/by-vendor": lambda: make_backorder(),
}


def make_sales_order():
    from datetime import date

    from orders.services.orders import sales_order_create

    warehouse = f.WarehouseFactory()
    return sales_order_create(
        data={
            "customer": f.CustomerFactory(),
            "requested_ship_date": date(2026, 12, 1),
            "lines": [
                {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": 2} for _ in range(3)
            ],
        },
        actor=None,
    )


def make_allocation_run():
    from orders.services.allocation import allocation_run

    order = make_sales_order()
    line = order.lines.first()
    return allocation_run(item=line.item, warehouse=line.warehouse, actor=None)


def make_purchase_order():
    from datetime import date

    from inventory.services.purchasing import purchase_order_create

    warehouse = f.WarehouseFactory()
    return purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": date(2026, 12, 1),
            "lines": [
                {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": 2} for _ in range(3)
            ],
        },
        actor=None,
    )


def make_quotation():
    from datetime import date

    from orders.services.quotations import quotation_create

    warehouse = f.WarehouseFactory()
    return quotation_create(
        data={
            "party": f.CustomerFactory().party,
            "expiry_date": date(2026, 12, 31),
            "requested_ship_date": date(2026, 12, 1),
            "lines": [
                {"item": f.ItemFactory(), "warehouse": warehouse, "quantity": 2} for _ in range(3)
            ],
        },
        actor=None,
    )


def make_project():
    from orders.services.projects import project_create, project_record_item_sale

    project = project_create(data={"name": "Refit", "customer": f.CustomerFactory()}, actor=None)
    project_record_item_sale(
        project=project,
        item=f.ItemFactory(),
        quantity=1,
        warehouse=f.WarehouseFactory(),
        actor=None,
    )
    return project


def make_invoice():
    from invoicing.services.invoices import invoice_from_packing_slips

    return invoice_from_packing_slips(packing_slips=[make_packing_slip()], actor=None)


def make_invoice_run():
    from datetime import date
    from unittest import mock

    from invoicing.services import runs

    make_packing_slip()
    with mock.patch.object(runs, "_queue"):
        return runs.invoice_run_create(up_to_date=date(2099, 1, 1), actor=None)


def make_payment():
    from datetime import date

    from invoicing.models import Payment

    customer = f.CustomerFactory()
    return Payment.objects.create(
        number=f"P{customer.pk}",
        customer=customer,
        date=date(2026, 11, 1),
        amount=10,
        unapplied=10,
        currency=customer.currency,
    )


def make_credit_note():
    from invoicing.models import Invoice
    from invoicing.services.invoices import _line, _save_lines

    customer = f.CustomerFactory()
    note = Invoice.objects.create(kind="credit_note", customer=customer, currency=customer.currency)
    line = _line(
        note,
        1,
        description="Returned",
        quantity=1,
        unit_price=10,
        sales_tax_code=f.SalesTaxCodeFactory(),
    )
    return _save_lines(note, [line])


def make_packing_slip():
    from orders.services.delivery import packing_slip_post

    order = make_sales_order()
    return packing_slip_post(
        order=order,
        lines=[{"order_line": line, "quantity": 1} for line in order.lines.all()],
        actor=None,
    )


def make_trade_agreement():
    from agreements.models import TradeAgreement

    return TradeAgreement.objects.create(
        kind="price",
        customer_scope="customer",
        customer=f.CustomerFactory(),
        item_scope="item",
        item=f.ItemFactory(),
        amount=1,
        currency=f.CurrencyFactory(),
    )


def make_sales_agreement():
    from datetime import date

    from agreements.services.sales_agreements import sales_agreement_create

    return sales_agreement_create(
        data={
            "customer": f.CustomerFactory(),
            "effective_date": date(2026, 1, 1),
            "expiration_date": date(2026, 12, 31),
            "commitment_type": "product_quantity",
            "lines": [{"item": f.ItemFactory(), "committed_quantity": 5, "unit_price": 1}],
        },
        actor=None,
    )


def make_backorder():
    """A special-order line of a new item, bought from a vendor: a backorder by item, by
    customer and by vendor."""
    from datetime import date

    from orders.services.orders import sales_order_create
    from orders.services.supply import sales_line_purchase

    order = sales_order_create(
        data={
            "customer": f.CustomerFactory(),
            "requested_ship_date": date(2026, 12, 1),
            "lines": [
                {
                    "item": f.ItemFactory(),
                    "warehouse": f.WarehouseFactory(),
                    "quantity": 2,
                    "supply_type": "special_order",
                }
            ],
        },
        actor=None,
    )
    return sales_line_purchase(line=order.lines.get(), actor=None, vendor=f.VendorFactory())


def make_sell_rule():
    from agreements.models import SellRule

    return SellRule.objects.create(item=f.ItemFactory(), suggested_item=f.ItemFactory())


def make_prospect():
    from crm.models import Prospect

    return Prospect.objects.create(party=f.PartyAddressFactory().party, segment="Hotels")


def make_lead():
    from crm.services.relationships import lead_create

    return lead_create(data={"party": f.PartyFactory(), "topic": "Seafood"}, actor=None)


def make_opportunity():
    from crm.services.relationships import opportunity_create

    return opportunity_create(data={"party": f.PartyFactory(), "topic": "Cheese"}, actor=None)


def make_sales_stage():
    from crm.models import SalesStage

    return SalesStage.objects.create(
        code=f"ST{f.PartyFactory().pk}", name="Demo", sequence=90, probability=Decimal("40")
    )


def make_activity():
    from django.utils import timezone

    from crm.services.relationships import activity_create

    return activity_create(
        data={
            "subject": "Call",
            "lead": make_lead(),
            "due_at": timezone.now(),
            "owner": f.UserFactory(),
        },
        actor=None,
    )


def make_campaign_target():
    from crm.services.campaigns import campaign_add_targets, campaign_create

    campaign = campaign_create(data={"name": "Autumn", "kind": "email"}, actor=None)
    campaign_add_targets(campaign=campaign, actor=None, contacts=[f.ContactPersonFactory()])
    return campaign.targets.get()


@pytest.fixture
def superuser_api():
    client = APIClient()
    client.force_authenticate(f.UserFactory(is_superuser=True, is_staff=True))
    return client


def count_list_queries(client, resource: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("resource", LIST_ENDPOINTS)
def test_list_endpoint_query_count_does_not_grow_with_rows(
    superuser_api, resource, django_assert_max_num_queries
):
    make = LIST_ENDPOINTS[resource]
    for _ in range(2):
        make()
    few = count_list_queries(superuser_api, resource)
    for _ in range(15):
        make()

    with django_assert_max_num_queries(few):
        response = superuser_api.get(f"/api/v1/{resource}/")

    assert response.json()["count"] >= 17


@pytest.mark.django_db
@pytest.mark.parametrize("resource", LIST_ENDPOINTS)
def test_every_list_is_paginated(superuser_api, resource):
    body = superuser_api.get(f"/api/v1/{resource}/?page_size=1").json()

    assert set(body) >= {"count", "next", "previous", "results"}


@pytest.mark.django_db
def test_anonymous_requests_are_refused_with_401():
    response = APIClient().get("/api/v1/customers/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_user_without_the_model_permission_gets_403(api_as):
    marketing = api_as("marketing")  # may view customers, not create or see vendors

    assert marketing.get("/api/v1/customers/").status_code == 200
    assert marketing.get("/api/v1/vendors/").status_code == 403
    refused = marketing.post("/api/v1/customer-groups/", {"code": "X", "name": "X"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_user_in_no_group_is_denied_by_default(api_as):
    nobody = api_as()

    assert nobody.get("/api/v1/parties/").status_code == 403
    assert nobody.get("/api/v1/items/").status_code == 403


@pytest.mark.django_db
def test_unknown_record_answers_404_with_a_code(manager_api):
    response = manager_api.get("/api/v1/customers/999999/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_bad_input_answers_400_naming_the_field(manager_api):
    response = manager_api.post(
        "/api/v1/parties/",
        {
            "name": "Ok AS",
            "email": "not-an-email",
            "addresses": [
                {
                    "purpose": "invoice",
                    "street": "x",
                    "postal_code": "1",
                    "city": "Oslo",
                    "country": "Norway",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "email" in body["errors"]
    assert "addresses" in body["errors"]


@pytest.mark.django_db
def test_a_rule_broken_in_a_service_answers_400_naming_the_field_and_saves_nothing(api_as):
    accountant = api_as("accountant")
    # Standard-rate tax codes need a rate above zero: a model rule, checked by the service.
    response = accountant.post(
        "/api/v1/sales-tax-codes/",
        {"code": "S0", "name": "Bad", "rate": "0", "category": "S"},
        format="json",
    )

    assert response.status_code == 400
    assert "rate" in response.json()["errors"]
    assert accountant.get("/api/v1/sales-tax-codes/").json()["count"] == 0


@pytest.mark.django_db
def test_lists_filter_search_and_order(manager_api):
    f.CustomerFactory(party=f.PartyFactory(name="Alpha AS"), on_hold="all")
    f.CustomerFactory(party=f.PartyFactory(name="Beta AS"))
    f.CustomerFactory(party=f.PartyFactory(name="Gamma AB"))

    on_hold = manager_api.get("/api/v1/customers/?on_hold=all").json()
    searched = manager_api.get("/api/v1/customers/?search=AS").json()
    ordered = manager_api.get("/api/v1/customers/?ordering=-party__name").json()

    assert [c["name"] for c in on_hold["results"]] == ["Alpha AS"]
    assert {c["name"] for c in searched["results"]} == {"Alpha AS", "Beta AS"}
    assert [c["name"] for c in ordered["results"]] == ["Gamma AB", "Beta AS", "Alpha AS"]


@pytest.mark.django_db
def test_groups_exist_with_exactly_their_permissions():
    for name in ROLE_GROUPS:
        group = Group.objects.get(name=name)
        granted = {
            (p.content_type.app_label, p.codename)
            for p in group.permissions.select_related("content_type")
        }
        assert granted == permission_codes(name)


def test_api_token_command_prints_a_working_token(db):
    from io import StringIO

    from django.core.management import call_command

    f.UserFactory(username="erp-sync", groups=["integrator"])
    out = StringIO()
    call_command("create_api_token", "erp-sync", stdout=out)
    token = out.getvalue().strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/items/").status_code == 200
    again = StringIO()
    call_command("create_api_token", "erp-sync", stdout=again)
    assert again.getvalue().strip() == token  # stable until --reset


def test_a_transition_the_status_does_not_allow_answers_409_with_a_stable_code():
    from salesmkt.core.api.exceptions import exception_handler
    from salesmkt.core.errors import TransitionNotAllowed

    response = exception_handler(TransitionNotAllowed("An invoiced order cannot be cancelled."), {})

    assert response.status_code == 409
    assert response.data == {
        "code": "transition_not_allowed",
        "detail": "An invoiced order cannot be cancelled.",
    }


@pytest.mark.django_db
def test_api_docs_are_served_from_our_own_static_files(client):
    client.force_login(f.UserFactory())

    page = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "https://" not in page
