"""The free text invoice in the clerk UI: entered with its ledger-account lines, edited while a
draft, posted to the customer's summary account; an invoice of an order is not edited here."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from invoicing.services.credit_notes import credit_note_create
from invoicing.services.invoices import free_text_invoice_create, invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from tests import factories as f


def management(total, initial=0):
    return {
        "lines-TOTAL_FORMS": str(total),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def setup():
    """A revenue account, a tax code with its tax account, a customer."""
    revenue = f.LedgerAccountFactory(number="3010", name="Services", account_type="revenue")
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()
    return revenue, code, f.CustomerFactory()


@pytest.mark.django_db
def test_a_clerk_enters_a_free_text_invoice_and_edits_it_while_a_draft(client, user_in, setup):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    created = client.post(
        "/invoicing/invoices/new/",
        {
            "customer": customer.pk,
            "notes": "Consulting, November",
            **management(3),
            "lines-0-ledger_account": revenue.pk,
            "lines-0-description": "Workshop",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "450.00",
            "lines-0-sales_tax_code": code.pk,
        },
    )
    invoice = Invoice.objects.get()
    line = invoice.lines.get()
    edited = client.post(
        f"/invoicing/invoices/{invoice.pk}/edit/",
        {
            "notes": "Consulting, November (corrected)",
            **management(1, initial=1),
            "lines-0-id": line.pk,
            "lines-0-invoice": invoice.pk,
            "lines-0-ledger_account": revenue.pk,
            "lines-0-description": "Workshop",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "450.00",
            "lines-0-sales_tax_code": code.pk,
        },
    )

    assert created.status_code == 302, created.content.decode()[:2000]
    assert edited.status_code == 302, edited.content.decode()[:2000]
    invoice.refresh_from_db()
    assert (invoice.kind, invoice.status, invoice.customer) == ("free_text", "draft", customer)
    assert invoice.total_amount == Decimal("1687.50")  # 3 x 450 + 25 %
    assert invoice.lines.get().item is None and invoice.notes.endswith("(corrected)")


@pytest.mark.django_db
def test_a_free_text_line_without_its_ledger_account_is_refused_and_nothing_is_saved(
    client, user_in, setup
):
    _revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    refused = client.post(
        "/invoicing/invoices/new/",
        {
            "customer": customer.pk,
            **management(1),
            "lines-0-description": "Workshop",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "100",
            "lines-0-sales_tax_code": code.pk,
        },
    )

    assert refused.status_code == 400 and "invalid-feedback" in refused.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_pro_forma_is_entered_from_the_same_form(client, user_in, setup):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    client.post(
        "/invoicing/invoices/new/",
        {
            "customer": customer.pk,
            "pro_forma": "on",
            **management(1),
            "lines-0-ledger_account": revenue.pk,
            "lines-0-description": "Estimate",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "100",
            "lines-0-sales_tax_code": code.pk,
        },
    )

    invoice = Invoice.objects.get()
    assert invoice.kind == "pro_forma" and invoice.number == ""
    page = client.get(f"/invoicing/invoices/{invoice.pk}/").content.decode()
    assert "/do/post/" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("pro_forma", [False, True])
def test_an_invoice_of_an_order_is_not_edited_from_the_free_text_form(
    client, user_in, make_order, pro_forma
):
    order = make_order(quantities=["4"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("4")}], actor=None
    )
    invoice = invoice_from_order(order=order, actor=None, pro_forma=pro_forma)
    client.force_login(user_in("accountant"))
    edit = reverse("invoicing:invoices-update", args=[invoice.pk])

    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()
    refused = client.post(edit, {"notes": "changed", **management(0)})

    assert f'href="{edit}"' not in page
    assert refused.status_code == 400
    assert "Only a draft free text invoice is edited" in refused.content.decode()
    invoice.refresh_from_db()
    assert invoice.notes == "" and invoice.lines.get().quantity == Decimal("4")


@pytest.mark.django_db
def test_a_draft_credit_note_of_a_free_text_invoice_is_not_edited_from_the_form(
    client, user_in, setup
):
    revenue, code, customer = setup
    line = {
        "ledger_account": revenue,
        "description": "Workshop",
        "quantity": Decimal("1"),
        "unit_price": Decimal("100.00"),
        "sales_tax_code": code,
    }
    invoice = free_text_invoice_create(data={"customer": customer, "lines": [line]}, actor=None)
    note = credit_note_create(invoice=invoice_post(invoice=invoice, actor=None), actor=None)
    client.force_login(user_in("accountant"))

    refused = client.post(
        reverse("invoicing:invoices-update", args=[note.pk]),
        {
            **management(1),
            "lines-0-ledger_account": revenue.pk,
            "lines-0-description": "Anything",
            "lines-0-quantity": "5",
            "lines-0-unit_price": "1000.00",
            "lines-0-sales_tax_code": code.pk,
        },
    )

    assert refused.status_code == 400
    note.refresh_from_db()
    assert note.total_amount == Decimal("125.00")
    assert note.lines.get().credited_line == invoice.lines.get()


@pytest.mark.django_db
def test_the_api_replaces_a_draft_free_text_invoices_lines_and_refuses_once_posted(api_as, setup):
    revenue, code, customer = setup
    api = api_as("accountant")
    line = {
        "ledger_account": revenue.pk,
        "description": "Support",
        "quantity": "1",
        "unit_price": "80.00",
        "sales_tax_code": code.pk,
    }
    invoice = api.post(
        "/api/v1/invoices/", {"customer": customer.pk, "lines": [line]}, format="json"
    ).json()

    changed = api.patch(
        f"/api/v1/invoices/{invoice['id']}/",
        {"lines": [line, {**line, "description": "Travel", "unit_price": "20.00"}]},
        format="json",
    )
    api.post(f"/api/v1/invoices/{invoice['id']}/post/")
    refused = api.patch(f"/api/v1/invoices/{invoice['id']}/", {"notes": "x"}, format="json")

    assert changed.status_code == 200, changed.content
    assert [row["description"] for row in changed.json()["lines"]] == ["Support", "Travel"]
    assert changed.json()["total_amount"] == "125.00"
    assert refused.status_code == 409 and refused.json()["code"] == "invoice_posted"
