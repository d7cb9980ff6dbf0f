"""Hostile and bad input: every case gets a 400 naming the field (or is handled), never a 500,
and never a partial write."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.services.sales_agreements import (
    sales_agreement_create,
    sales_agreement_make_effective,
)
from crm.models import CampaignSend, Party
from crm.services.mailing import Renderer
from inventory.models import InventoryTransaction, PurchaseOrderLine
from inventory.services.purchasing import purchase_order_create
from invoicing.models import Payment
from orders.models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from salesmkt.core.documents import company
from salesmkt.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "<script>alert(1)</script> Ærlig & Co 🚀"
LONG = "x" * 10_000
UNKNOWN = 987_654_321


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(f.UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def counts() -> dict[str, int]:
    models = (
        Party,
        SalesOrder,
        SalesOrderLine,
        PackingSlip,
        PackingSlipLine,
        Payment,
        InventoryTransaction,
        AuditEvent,
    )
    return {model.__name__: model.objects.count() for model in models}


def assert_refused(response, field: str, before: dict[str, int]) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    body = response.json()
    # "invalid" from a serializer, or a domain rule's own code (invalid_quantity, ...)
    assert body["code"], body
    # the field itself, or a path into it (lines[0].quantity)
    assert any(key == field or key.startswith((f"{field}[", f"{field}.")) for key in body["errors"])
    assert counts() == before


# --- Sales orders ----------------------------------------------------------------------------


@pytest.fixture
def order_payload():
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    customer = f.CustomerFactory()

    def make(*, line=None, **header):
        return {
            "customer": customer.pk,
            "requested_ship_date": str(timezone.localdate() + timedelta(days=5)),
            "lines": [
                {"item": item.pk, "warehouse": warehouse.pk, "quantity": "2", **(line or {})}
            ],
            **header,
        }

    return make


@pytest.mark.parametrize(
    ("header", "line", "field"),
    [
        ({}, {"quantity": "0"}, "lines"),
        ({}, {"quantity": "-1"}, "lines"),
        ({}, {"quantity": "1.123456"}, "lines"),  # 4 decimals are stored
        ({}, {"quantity": "1e30"}, "lines"),
        ({}, {"quantity": "NaN"}, "lines"),
        ({}, {"quantity": "ten"}, "lines"),
        ({}, {"unit_price": str(10**20)}, "lines"),
        ({}, {"unit_price": "1.123456"}, "lines"),
        ({}, {"discount_percent": "150"}, "lines"),
        ({}, {"item": UNKNOWN}, "lines"),
        ({}, {"warehouse": UNKNOWN}, "lines"),
        ({}, {"sales_tax_code": UNKNOWN}, "lines"),
        ({}, {"description": LONG}, "lines"),
        ({"customer": UNKNOWN}, {}, "customer"),
        ({"customer": "1; DROP TABLE orders"}, {}, "customer"),
        ({"currency": "???"}, {}, "currency"),
        ({"customer_reference": LONG}, {}, "customer_reference"),
        ({"delivery_name": LONG}, {}, "delivery_name"),
        ({"requested_ship_date": "2026-13-45"}, {}, "requested_ship_date"),
        ({"priority": 10**12}, {}, "priority"),
        ({"sales_agreement": UNKNOWN}, {}, "sales_agreement"),
    ],
    ids=lambda value: str(value)[:30] if not isinstance(value, dict) else None,
)
def test_a_bad_sales_order_is_refused_naming_the_field(api, order_payload, header, line, field):
    before = counts()

    response = api.post("/api/v1/sales-orders/", order_payload(line=line, **header), format="json")

    assert_refused(response, field, before)


def test_a_ship_date_outside_the_sales_agreements_validity_is_refused(api, order_payload):
    payload = order_payload()
    today = timezone.localdate()
    agreement = sales_agreement_make_effective(
        agreement=sales_agreement_create(
            data={
                "customer": f.CustomerFactory(),
                "effective_date": today - timedelta(days=10),
                "expiration_date": today + timedelta(days=30),
                "commitment_type": "product_quantity",
                "total_commitment": Decimal("0.00"),
                "over_release_tolerance": Decimal("0"),
                "lines": [
                    {
                        "item": f.ItemFactory(),
                        "committed_quantity": Decimal("100"),
                        "unit_price": Decimal("10.0000"),
                    }
                ],
            },
            actor=None,
        ),
        actor=None,
    )
    payload["customer"] = agreement.customer.pk
    payload["sales_agreement"] = agreement.pk
    payload["lines"][0]["item"] = agreement.lines.get().item.pk
    before = counts()

    response = api.post(
        "/api/v1/sales-orders/",
        {**payload, "requested_ship_date": str(today + timedelta(days=31))},
        format="json",
    )

    assert_refused(response, "requested_ship_date", before)


def test_a_sales_order_of_more_lines_than_a_document_may_hold_is_refused(
    api, order_payload, settings
):
    payload = order_payload()
    payload["lines"] = payload["lines"] * 10_000
    before = counts()

    response = api.post("/api/v1/sales-orders/", payload, format="json")

    assert_refused(response, "lines", before)
    assert str(settings.MAX_DOCUMENT_LINES) in json.dumps(response.json()["errors"]["lines"])


def test_a_sales_order_of_the_most_lines_allowed_is_taken(api, order_payload, settings):
    settings.MAX_DOCUMENT_LINES = 300  # the rule, not the time: the limit itself is 5,000
    payload = order_payload()
    payload["lines"] = payload["lines"] * 300

    response = api.post("/api/v1/sales-orders/", payload, format="json")

    assert response.status_code == 201, response.content[:500]
    assert SalesOrderLine.objects.filter(order_id=response.json()["id"]).count() == 300


# --- Packing slips, purchase receipts, payments ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "0"}, "lines"),
        ({"quantity": "-3"}, "lines"),
        ({"quantity": "1.123456"}, "lines"),
        ({"quantity": str(10**20)}, "lines"),
        ({"order_line": UNKNOWN}, "lines"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_a_bad_packing_slip_is_refused_naming_the_field(api, make_order, change, field):
    order = make_order(quantities=["10"])
    line = {"order_line": order.lines.get().pk, "quantity": "2", **change}
    before = counts()

    response = api.post(
        "/api/v1/packing-slips/", {"order": order.pk, "lines": [line]}, format="json"
    )

    assert_refused(response, field, before)


def test_a_packing_slip_for_an_unknown_order_is_refused(api, make_order):
    line = make_order(quantities=["10"]).lines.get()
    before = counts()

    response = api.post(
        "/api/v1/packing-slips/",
        {"order": UNKNOWN, "lines": [{"order_line": line.pk, "quantity": "1"}]},
        format="json",
    )

    assert_refused(response, "order", before)


@pytest.mark.parametrize(
    ("quantity", "line", "field"),
    [
        ("0", None, "lines"),
        ("-5", None, "lines"),
        ("1.123456", None, "lines"),
        ("1", UNKNOWN, "lines"),
    ],
    ids=["zero", "negative", "precision", "unknown_line"],
)
def test_a_bad_purchase_receipt_is_refused_naming_the_field(api, quantity, line, field):
    order = purchase_order_create(
        data={
            "vendor": f.VendorFactory(),
            "expected_receipt_date": timezone.localdate(),
            "lines": [
                {"item": f.ItemFactory(), "warehouse": f.WarehouseFactory(), "quantity": Decimal(5)}
            ],
        },
        actor=None,
    )
    line = line or PurchaseOrderLine.objects.get(order=order).pk
    before = counts()

    response = api.post(
        f"/api/v1/purchase-orders/{order.pk}/receive/",
        {"lines": [{"line": line, "quantity": quantity}]},
        format="json",
    )

    assert_refused(response, field, before)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-100.00"}, "amount"),
        ({"amount": "10.123"}, "amount"),
        ({"amount": str(10**20)}, "amount"),
        ({"customer": UNKNOWN}, "customer"),
        ({"reference": LONG}, "reference"),
        ({"date": "not a date"}, "date"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_a_bad_payment_is_refused_naming_the_field(api, change, field):
    payload = {
        "customer": f.CustomerFactory().pk,
        "date": str(timezone.localdate()),
        "amount": "100.00",
        "reference": "Bank 1",
        **change,
    }
    before = counts()

    response = api.post("/api/v1/payments/", payload, format="json")

    assert_refused(response, field, before)


# --- Names: long, unicode, HTML --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": LONG}, "name"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": LONG + "@example.com"}, "email"),
        ({"phone": LONG}, "phone"),
        ({"vat_number": LONG}, "vat_number"),
        ({"language": "xx"}, "language"),
        ({"party_type": "alien"}, "party_type"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_a_bad_party_is_refused_naming_the_field(api, change, field):
    before = counts()

    response = api.post(
        "/api/v1/parties/", {"party_type": "organization", "name": "Acme", **change}, format="json"
    )

    assert_refused(response, field, before)


def test_unicode_and_html_in_a_name_are_kept_as_given(api):
    response = api.post(
        "/api/v1/parties/", {"party_type": "organization", "name": HOSTILE_NAME}, format="json"
    )

    assert response.status_code == 201
    assert Party.objects.get(pk=response.json()["id"]).name == HOSTILE_NAME
    assert api.get(f"/api/v1/parties/{response.json()['id']}/").json()["name"] == HOSTILE_NAME


@pytest.fixture
def hostile_order(make_order):
    customer = f.CustomerFactory(party__name=HOSTILE_NAME)
    return make_order(quantities=["3"], customer=customer, items=[f.ItemFactory(name=HOSTILE_NAME)])


def test_a_hostile_name_is_escaped_in_the_ui_pages(client, hostile_order):
    client.force_login(f.UserFactory(username="boss", is_staff=True, is_superuser=True))
    customer = hostile_order.customer

    for url in (
        reverse("crm:customers-list"),
        reverse("crm:customers-detail", args=[customer.pk]),
        reverse("crm:parties-detail", args=[customer.party.pk]),
        reverse("orders:sales-orders-list"),
        reverse("orders:sales-orders-detail", args=[hostile_order.pk]),
        reverse("invoicing:customer-statement", args=[customer.pk]),
    ):
        page = client.get(url).content.decode()

        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "🚀" in page, url


def test_a_hostile_name_is_escaped_in_a_documents_html(hostile_order):
    lines = list(hostile_order.lines.select_related("item__unit"))

    html = render_to_string(
        "documents/order_confirmation.html",
        {"order": hostile_order, "lines": lines, "total": Decimal("0"), "company": company()},
    )

    assert "<script>alert(1)</script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt; Ærlig &amp; Co 🚀") >= 2  # party, item


def test_a_hostile_name_is_escaped_in_a_campaign_mails_html_and_plain_in_its_text():
    campaign = f.CampaignFactory(
        subject="Offer for {{ company }}",
        body_text="Dear {{ name }}",
        body_html="<p>Dear {{ name }}</p>",
    )
    target = f.CampaignTargetFactory(campaign=campaign, party__name=HOSTILE_NAME)
    send = CampaignSend.objects.create(campaign=campaign, target=target, email="a@example.com")

    message = Renderer(campaign).message(send, connection=None)

    html = message.alternatives[0][0]
    assert "<script>" not in html
    assert "<p>Dear &lt;script&gt;alert(1)&lt;/script&gt; Ærlig &amp; Co 🚀</p>" in html
    # The text part is text/plain, never read as markup: the name stands as typed.
    assert message.body.startswith(f"Dear {HOSTILE_NAME}")
    assert message.subject == f"Offer for {HOSTILE_NAME}"


# --- Oversize and malformed payloads ---------------------------------------------------------


def test_a_json_body_over_the_upload_limit_is_refused_not_a_500(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = json.dumps({"party_type": "organization", "name": "Big", "notes": "x" * 200_000})
    before = counts()

    response = api.post("/api/v1/parties/", body, content_type="application/json")

    assert response.status_code in (400, 413), response.status_code
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    ["{", "[]", "null", '{"name": {"$gt": ""}}', "\x00\x01", '{"name": "' + "\\ud800" + '"}'],
    ids=["truncated", "list", "null", "object_for_string", "binary", "lone_surrogate"],
)
def test_a_malformed_json_body_is_a_400(api, body):
    before = counts()

    response = api.post("/api/v1/parties/", body, content_type="application/json")

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert counts() == before
