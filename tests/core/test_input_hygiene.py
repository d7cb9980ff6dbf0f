"""Input hygiene: control characters, amounts beyond the stored precision, deep JSON, form bodies
that would lose data and counts a page form cannot take are refused naming the field, with
nothing written; every error under /api/ is JSON with a `code`; documents holding control
characters from before the rule still export."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from rest_framework.test import APIClient

from crm.api.views import PartyViewSet
from crm.models import ContactPerson, Party, PartyAddress
from invoicing.einvoice.validation import validate
from invoicing.models import Invoice, InvoiceLine
from invoicing.services import ledger_chain
from invoicing.services.invoices import invoice_from_order, invoice_post
from orders.models import SalesOrder, SalesOrderLine
from orders.services.delivery import packing_slip_post
from tests import factories as f
from tests.core.test_hostile_input import assert_refused, counts
from tests.invoicing.conftest import accounts as accounts  # the posting accounts
from tests.invoicing.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db

CONTROL_CHARACTERS = ["\u0007", "\u001b", "\u000b", "\u0000", "\u007f", "\u0085", "\r"]
LINE_BREAKS = ["\n", "\t", "\r\n"]


@pytest.fixture
def superuser():
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def api(superuser):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(superuser)
    return client


@pytest.fixture
def browser(client, superuser, settings):
    settings.OTP_REQUIRED_FOR = "none"  # the pages and the admin, not the second factor
    client.force_login(superuser)
    return client


def party_rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Party, PartyAddress, ContactPerson)}


# --- Control characters: API ------------------------------------------------------------------


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
def test_a_control_character_in_a_name_is_refused_by_the_api(api, character):
    before = counts()

    response = api.post(
        "/api/v1/parties/",
        {"party_type": "organization", "name": f"Acme{character}AS"},
        format="json",
    )

    assert_refused(response, "name", before)


def test_a_text_longer_than_its_field_is_refused_even_when_the_excess_is_whitespace(api):
    """Not trimmed into fitting: the length sent is the one the schema's maxLength promises."""
    before = counts()

    response = api.post(
        "/api/v1/parties/",
        {"party_type": "organization", "name": "A" * 200 + " "},
        format="json",
    )

    assert_refused(response, "name", before)


@pytest.mark.parametrize("character", LINE_BREAKS, ids=repr)
def test_a_single_line_field_refuses_line_breaks_and_tabs(api, character):
    before = counts()

    response = api.post(
        "/api/v1/parties/",
        {"party_type": "organization", "name": f"Acme{character}AS"},
        format="json",
    )

    assert_refused(response, "name", before)


def test_a_multi_line_field_keeps_line_breaks_and_tabs(api, order_with):
    order = order_with({"quantity": "1"}).json()
    notes = "Boxes\r\nblue\tlarge\nlast line"

    response = api.patch(f"/api/v1/sales-orders/{order['id']}/", {"notes": notes}, format="json")

    assert response.status_code == 200, response.content[:500]
    assert SalesOrder.objects.get(pk=order["id"]).notes == notes


@pytest.mark.parametrize("character", ["\u0007", "\u001b"], ids=repr)
def test_a_control_character_in_a_line_description_is_refused_naming_the_line(api, character):
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()
    before = counts()

    response = api.post(
        "/api/v1/sales-orders/",
        {
            "customer": customer.pk,
            "requested_ship_date": str(timezone.localdate() + timedelta(days=5)),
            "lines": [
                {
                    "item": item.pk,
                    "warehouse": warehouse.pk,
                    "quantity": "1",
                    "description": f"Bell{character}",
                }
            ],
        },
        format="json",
    )

    assert_refused(response, "lines", before)
    assert "lines[0].description" in response.json()["errors"]


def test_a_control_character_in_a_form_body_is_refused(api):
    before = counts()

    response = api.post(
        "/api/v1/parties/",
        {"party_type": "organization", "name": "Acme\u0007"},
        format="multipart",
    )

    assert_refused(response, "name", before)


# --- Control characters: pages and admin ------------------------------------------------------


def test_a_control_character_in_a_page_form_shows_on_the_field_and_saves_nothing(browser):
    before = party_rows()

    response = browser.post(
        reverse("crm:parties-create"),
        {
            "party_type": "organization",
            "name": "Acme\u001bAS",
            "language": "nb",
            **management("addresses", 0),
            **management("contacts", 0),
        },
    )

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert party_rows() == before


def test_a_control_character_in_the_admin_shows_on_the_field_and_saves_nothing(browser):
    before = party_rows()

    response = browser.post(
        reverse("admin:crm_party_add"),
        {"party_type": "organization", "name": "Acme\u0007AS", "language": "nb"},
    )

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert party_rows() == before


# --- Old data still exports -------------------------------------------------------------------


def test_an_invoice_holding_control_characters_from_before_the_rule_still_exports(
    make_order,
    accounts,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    customer = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)
    order = make_order(customer=customer, quantities=["2"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("2")}], actor=None
    )
    draft = invoice_from_order(order=order, actor=None)
    # Written before the rule: straight into the table, past every validator.
    InvoiceLine.objects.filter(invoice=draft).update(description="Bell\u0007 and escape\u001b")
    Invoice.objects.filter(pk=draft.pk).update(buyer_reference="Ref\u000b1")
    invoice = invoice_post(invoice=Invoice.objects.get(pk=draft.pk), actor=None)
    accountant = APIClient()
    accountant.force_authenticate(f.UserFactory(is_staff=True, is_superuser=True))

    text = pdf_text(invoice, "en")
    ubl = accountant.get(f"/api/v1/invoices/{invoice.pk}/ubl/")
    cii = accountant.get(f"/api/v1/invoices/{invoice.pk}/cii/")

    assert "Bell" in text
    assert ubl.status_code == 200 and cii.status_code == 200
    assert "Bell\ufffd and escape\ufffd".encode() in ubl.content
    for response, syntax in ((ubl, "ubl"), (cii, "cii")):
        result = validate(response.content, syntax)
        assert result.xsd_errors == [] and result.fatal == [], str(result)
        etree.fromstring(response.content)
    assert ledger_chain.verify() == []


# --- Precision --------------------------------------------------------------------------------


@pytest.fixture
def order_with(api):
    customer, item, warehouse = f.CustomerFactory(), f.ItemFactory(), f.WarehouseFactory()

    def post(*lines):
        return api.post(
            "/api/v1/sales-orders/",
            {
                "customer": customer.pk,
                "requested_ship_date": str(timezone.localdate() + timedelta(days=5)),
                "lines": [{"item": item.pk, "warehouse": warehouse.pk, **line} for line in lines],
            },
            format="json",
        )

    return post


def test_a_line_whose_amount_exceeds_the_stored_precision_is_refused(order_with):
    before = counts()

    # Quantity and price each fit their fields; their product (10^24) does not fit an amount.
    response = order_with({"quantity": "1000000000000", "unit_price": "1000000000000"})

    assert_refused(response, "lines", before)
    assert "lines[0].quantity" in response.json()["errors"]


def test_an_order_whose_total_exceeds_the_stored_precision_is_refused(order_with):
    line = {"quantity": "600000000000000", "unit_price": "1000"}  # 6 x 10^17 each: fits
    before = counts()

    response = order_with(line, line)

    assert_refused(response, "lines", before)
    assert "exceeds the largest amount" in json.dumps(response.json()["errors"]["lines"])
    assert (SalesOrder.objects.count(), SalesOrderLine.objects.count()) == (0, 0)


def test_an_order_just_within_the_stored_precision_is_taken(order_with):
    response = order_with({"quantity": "600000000000000", "unit_price": "1000"})

    assert response.status_code == 201, response.content[:500]


def test_a_free_text_invoice_whose_total_exceeds_the_stored_precision_is_refused(
    api,
    accounts,
):
    customer = f.CustomerFactory(posting_profile=accounts.profile)
    line = {
        "ledger_account": accounts.revenue.pk,
        "description": "Consulting",
        "quantity": "600000000000000",
        "unit_price": "1000",
        "sales_tax_code": accounts.tax_code.pk,
    }
    before = (Invoice.objects.count(), InvoiceLine.objects.count())

    response = api.post(
        "/api/v1/invoices/", {"customer": customer.pk, "lines": [line, line]}, format="json"
    )

    assert response.status_code == 400, response.content[:500]
    assert "exceeds the largest amount" in json.dumps(response.json()["errors"]["lines"])
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == before


# --- JSON depth -------------------------------------------------------------------------------


def test_a_json_body_nested_too_deep_is_a_400_not_a_500(api):
    body = '{"name": ' + "[" * 1100 + "]" * 1100 + "}"
    before = counts()

    response = api.post("/api/v1/parties/", body, content_type="application/json")

    assert_refused(response, "non_field_errors", before)


# --- Every error under /api/ is JSON with a code ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("get", "/api/v1/no-such-resource/", 404, "not_found"),
        ("post", "/api/v1/invoices/abc/post/", 404, "not_found"),
        ("get", "/api/v1/parties/abc/", 404, "not_found"),
        ("put", "/api/v1/parties/", 405, "method_not_allowed"),
    ],
)
def test_an_api_error_is_json_with_a_code(api, method, url, status, code):
    response = getattr(api, method)(url)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


def test_an_unsupported_media_type_is_json_with_a_code(api):
    response = api.post("/api/v1/parties/", "<x/>", content_type="application/xml")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["json", "multipart"])
def test_a_body_over_the_upload_limit_is_a_413_with_a_code(api, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = {"party_type": "organization", "name": "Big", "vat_number": "x" * 20_000}
    before = counts()

    response = api.post("/api/v1/parties/", payload, format=content_type)

    assert response.status_code == 413, response.content[:300]
    assert response.json()["code"] == "request_too_large"
    assert counts() == before


def test_a_server_error_is_json_naming_the_request_id(api, monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(PartyViewSet, "list", broken)

    response = api.get("/api/v1/parties/")

    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert body["request_id"] == response["X-Request-ID"]


def test_a_page_error_outside_the_api_stays_html(browser):
    response = browser.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- No silent drops --------------------------------------------------------------------------


def test_nested_contacts_in_a_form_body_are_refused_not_dropped(api):
    before = party_rows()

    response = api.post(
        "/api/v1/parties/",
        {
            "party_type": "organization",
            "name": "Acme",
            "contacts[0]first_name": "Ola",
            "contacts[0]last_name": "Nordmann",
        },
        format="multipart",
    )

    assert response.status_code == 400, response.content[:300]
    assert "contacts" in response.json()["errors"]
    assert party_rows() == before


def test_an_unknown_field_in_a_form_body_is_refused(api):
    before = party_rows()

    response = api.post(
        "/api/v1/parties/",
        {"party_type": "organization", "name": "Acme", "nmae": "x"},
        format="multipart",
    )

    assert response.status_code == 400
    assert "nmae" in response.json()["errors"]
    assert party_rows() == before


def test_a_flat_form_body_is_still_taken(api):
    response = api.post(
        "/api/v1/parties/", {"party_type": "organization", "name": "Acme"}, format="multipart"
    )

    assert response.status_code == 201, response.content[:300]


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(("total", "initial"), [(-1, 0), (1, 2), (0, -1)])
def test_a_page_formset_with_impossible_counts_is_refused_and_saves_nothing(
    browser, total, initial
):
    before = party_rows()

    response = browser.post(
        reverse("crm:parties-create"),
        {
            "party_type": "organization",
            "name": "Acme",
            "language": "nb",
            **management("addresses", total, initial),
            "addresses-0-purpose": "invoice",
            "addresses-0-street": "Havnegata 3",
            "addresses-0-postal_code": "9008",
            "addresses-0-city": "Tromsø",
            "addresses-0-country": "NO",
            **management("contacts", 0),
        },
    )

    assert response.status_code == 400
    formsets = [form for form in response.context["forms"].values() if hasattr(form, "forms")]
    assert any(formset.non_form_errors() for formset in formsets)
    wrong_count = "TOTAL_FORMS" if total < 0 else "INITIAL_FORMS"
    assert f"addresses-{wrong_count}" in response.content.decode()  # shown on the page
    assert party_rows() == before


@pytest.mark.parametrize("parameter", ["page_size", "page"])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5"])
def test_a_paging_parameter_that_is_not_a_whole_number_is_refused(api, parameter, value):
    response = api.get("/api/v1/parties/", {parameter: value})

    assert response.status_code == 400, response.content[:300]
    assert parameter in response.json()["errors"]


def test_a_numeric_filter_that_is_not_a_number_is_refused(api):
    response = api.get("/api/v1/sales-orders/", {"customer": "abc"})

    assert response.status_code == 400
    assert "customer" in response.json()["errors"]


def test_the_ubl_of_a_clean_invoice_is_unchanged_by_the_replacement(api):
    # `printable` leaves text without control characters exactly as it was.
    from salesmkt.core.hygiene import printable

    text = "Ærlig & Co\ttab\r\nline 🚀"

    assert printable(text) == text
    assert json.dumps(printable("a\u0007b")) == json.dumps("a\ufffdb")
