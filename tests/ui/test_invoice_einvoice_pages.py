"""The EN 16931 document data in the clerk UI: the free text invoice form takes the buyer's
references, delivery, period, prepaid amount, units, price bases, correction lines and document
allowances and charges; the invoice page shows them with the totals and, once posted, the
e-invoice's validation by the CEN and Peppol rules; a posting the rules refuse is shown and
nothing is posted."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from invoicing.services.invoices import free_text_invoice_create, invoice_from_order, invoice_post
from orders.services.delivery import packing_slip_post
from tests import factories as f

BRREG = "974760673"  # Brønnøysundregistrene's own organisation number


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def line(index, account, code, *, description="Workshop", quantity="2", price="450.00"):
    return {
        f"lines-{index}-ledger_account": account.pk,
        f"lines-{index}-description": description,
        f"lines-{index}-quantity": quantity,
        f"lines-{index}-unit_code": "HUR",
        f"lines-{index}-unit_price": price,
        f"lines-{index}-price_base_quantity": "1",
        f"lines-{index}-sales_tax_code": code.pk,
    }


@pytest.fixture
def setup():
    """A revenue account (also the posting profile's), a tax code with its tax account, a
    customer with an invoice address in Norway, and the unit "hour"."""
    revenue = f.LedgerAccountFactory(number="3010", name="Services", account_type="revenue")
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    f.UnitFactory(code="h", name="Hour", un_ece_code="HUR")
    return revenue, code, f.CustomerFactory(posting_profile=profile)


def draft(customer, account, code, **data) -> Invoice:
    return free_text_invoice_create(
        data={
            "customer": customer,
            "lines": [
                {
                    "ledger_account": account,
                    "description": "Kitchen consulting",
                    "quantity": Decimal("2"),
                    "unit_price": Decimal("500.00"),
                    "sales_tax_code": code,
                }
            ],
            **data,
        },
        actor=None,
    )


def brreg_customer(profile):
    """A Peppol-addressable buyer: its electronic address is its organisation number."""
    party = f.PartyFactory(
        name="Brønnøysundregistrene",
        email="post@brreg.no",
        vat_number=f"NO{BRREG}MVA",
        registration_scheme="0192",
        registration_id=BRREG,
        endpoint_scheme="0192",
        endpoint_id=BRREG,
        peppol_receiver=True,
    )
    return f.CustomerFactory(party=party, posting_profile=profile)


@pytest.mark.django_db
def test_the_free_text_form_saves_header_data_an_allowance_and_a_charge_into_the_totals(
    client, user_in, setup
):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    response = client.post(
        reverse("invoicing:invoices-create"),
        {
            "customer": customer.pk,
            "invoice_date": "2026-12-01",
            "buyer_reference": "Cost centre 4711",
            "order_reference": "PO-2026-118",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "delivery_name": "Fjordkjøkken Bergen",
            "delivery_street": "Bryggen 5",
            "delivery_postal_code": "5003",
            "delivery_city": "Bergen",
            "delivery_country": "no",
            **management("lines", 3),
            **line(0, revenue, code),
            **management("allowance_charges", 2),
            "allowance_charges-0-is_charge": "False",
            "allowance_charges-0-reason": "Volume discount",
            "allowance_charges-0-reason_code": "95",
            "allowance_charges-0-percent": "10",
            "allowance_charges-0-base_amount": "900.00",
            "allowance_charges-0-sales_tax_code": code.pk,
            "allowance_charges-1-is_charge": "True",
            "allowance_charges-1-reason": "Freight",
            "allowance_charges-1-reason_code": "FC",
            "allowance_charges-1-amount": "50.00",
            "allowance_charges-1-sales_tax_code": code.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert (invoice.buyer_reference, invoice.order_reference) == ("Cost centre 4711", "PO-2026-118")
    assert (str(invoice.period_start), str(invoice.period_end)) == ("2026-11-01", "2026-11-30")
    assert (invoice.delivery_city, invoice.delivery_country) == ("Bergen", "NO")
    line_saved = invoice.lines.get()
    assert (line_saved.unit_code, line_saved.price_base_quantity) == ("HUR", Decimal("1"))
    entries = {e.reason: e for e in invoice.allowance_charges.all()}
    assert (entries["Volume discount"].is_charge, entries["Volume discount"].amount) == (
        False,
        Decimal("90.00"),  # 10 % of 900
    )
    assert (entries["Freight"].is_charge, entries["Freight"].amount) == (True, Decimal("50.00"))
    # 900 - 90 + 50 = 860 net, 25 % VAT 215
    assert (invoice.net_amount, invoice.total_amount) == (Decimal("860.00"), Decimal("1075.00"))
    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk]))
    totals = page.context["totals"]
    assert (totals.line_total, totals.allowance_total, totals.charge_total, totals.total) == (
        Decimal("900.00"),
        Decimal("90.00"),
        Decimal("50.00"),
        Decimal("1075.00"),
    )
    assert page.context["amount_due"] == Decimal("1075.00")
    html = page.content.decode()
    assert "Volume discount" in html and "Freight" in html and "PO-2026-118" in html
    assert "Bryggen 5" in html and 'data-total="due"' in html


@pytest.mark.django_db
def test_a_negative_correction_line_is_saved(client, user_in, setup):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    response = client.post(
        reverse("invoicing:invoices-create"),
        {
            "customer": customer.pk,
            **management("lines", 2),
            **line(0, revenue, code),
            **line(1, revenue, code, description="Late delivery", quantity="-1", price="100"),
            **management("allowance_charges", 0),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    correction = invoice.lines.get(line_number=2)
    assert (correction.quantity, correction.line_amount) == (Decimal("-1"), Decimal("-100.00"))
    assert invoice.total_amount == Decimal("1000.00")  # (900 - 100) + 25 %


@pytest.mark.django_db
def test_a_zero_quantity_is_refused_naming_the_line_and_nothing_is_saved(client, user_in, setup):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    refused = client.post(
        reverse("invoicing:invoices-create"),
        {
            "customer": customer.pk,
            **management("lines", 2),
            **line(0, revenue, code),
            **line(1, revenue, code, description="Nothing", quantity="0"),
            **management("allowance_charges", 0),
        },
    )

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Line 2, Quantity: A line needs a quantity other than zero." in page
    assert refused.context["lines"].forms[1].errors["quantity"]  # next to the field
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_percentage_without_its_base_amount_is_shown_on_the_allowance_row(client, user_in, setup):
    revenue, code, customer = setup
    client.force_login(user_in("accountant"))

    refused = client.post(
        reverse("invoicing:invoices-create"),
        {
            "customer": customer.pk,
            **management("lines", 1),
            **line(0, revenue, code),
            **management("allowance_charges", 1),
            "allowance_charges-0-reason": "Discount",
            "allowance_charges-0-percent": "5",
            "allowance_charges-0-sales_tax_code": code.pk,
        },
    )

    assert refused.status_code == 400
    assert refused.context["allowance_charges"].forms[0].errors["base_amount"]
    assert "Allowance or charge 1, Base amount" in refused.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_editing_a_free_text_invoices_header_keeps_its_unchanged_lines(client, user_in, setup):
    revenue, code, customer = setup
    invoice = draft(customer, revenue, code)
    kept = invoice.lines.get()
    client.force_login(user_in("accountant"))

    response = client.post(
        reverse("invoicing:invoices-update", args=[invoice.pk]),
        {
            "buyer_reference": "Cost centre 12",
            **management("lines", 1, initial=1),
            "lines-0-id": kept.pk,
            "lines-0-invoice": invoice.pk,
            "lines-0-ledger_account": revenue.pk,
            "lines-0-description": kept.description,
            "lines-0-quantity": "2",
            "lines-0-unit_code": "C62",
            "lines-0-unit_price": "500.00",
            "lines-0-price_base_quantity": "1",
            "lines-0-sales_tax_code": code.pk,
            **management("allowance_charges", 0),
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    invoice.refresh_from_db()
    assert invoice.buyer_reference == "Cost centre 12"
    assert [(row.description, row.quantity) for row in invoice.lines.all()] == [
        ("Kitchen consulting", Decimal("2"))
    ]


@pytest.mark.django_db
def test_a_draft_invoice_of_an_order_edits_its_header_and_charges_but_not_its_lines(
    client, user_in, make_order, setup
):
    _revenue, code, customer = setup
    order = make_order(customer=customer, quantities=["4"])
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal("4")}], actor=None
    )
    invoice = invoice_from_order(order=order, actor=None)
    client.force_login(user_in("accountant"))
    header = reverse("invoicing:invoices-header", args=[invoice.pk])

    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()
    form = client.get(header)
    saved = client.post(
        header,
        {
            "order_reference": "PO-77",
            "delivery_date": "2026-11-20",
            **management("allowance_charges", 1),
            "allowance_charges-0-is_charge": "True",
            "allowance_charges-0-reason": "Freight",
            "allowance_charges-0-amount": "100.00",
            "allowance_charges-0-sales_tax_code": code.pk,
        },
    )

    assert f'href="{header}"' in page
    assert form.status_code == 200 and 'name="lines-TOTAL_FORMS"' not in form.content.decode()
    assert saved.status_code == 302, saved.content.decode()[:3000]
    invoice.refresh_from_db()
    assert (invoice.order_reference, str(invoice.delivery_date)) == ("PO-77", "2026-11-20")
    assert invoice.lines.get().quantity == Decimal("4")
    assert invoice.allowance_charges.get().amount == Decimal("100.00")
    assert invoice.total_amount == Decimal("625.00")  # (4 x 100 + 100 freight) + 25 %


@pytest.mark.django_db
def test_the_posted_invoice_page_shows_the_payment_reference_and_the_allowances(
    client, user_in, setup
):
    revenue, code, customer = setup
    invoice = draft(
        customer,
        revenue,
        code,
        buyer_reference="Cost centre 4711",
        allowance_charges=[
            {
                "is_charge": False,
                "reason": "Loyalty discount",
                "reason_code": "95",
                "amount": Decimal("100.00"),
                "sales_tax_code": code,
            },
            {
                "is_charge": True,
                "reason": "Freight",
                "reason_code": "FC",
                "amount": Decimal("40.00"),
                "sales_tax_code": code,
            },
        ],
    )
    invoice = invoice_post(invoice=invoice, actor=None)
    client.force_login(user_in("accountant"))

    response = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk]))

    page = response.content.decode()
    assert invoice.payment_reference and invoice.payment_reference in page
    assert "Loyalty discount" in page and "Freight" in page
    assert page.count("data-allowance-charge=") == 2
    assert response.context["totals"].total == invoice.total_amount == Decimal("1175.00")
    panel = reverse("invoicing:invoice-einvoice-check", args=[invoice.pk])
    assert re.search(rf'hx-get="{panel}" hx-trigger="load"', page)


@pytest.mark.django_db
def test_the_e_invoice_panel_says_valid_for_a_valid_posted_invoice(client, user_in, setup):
    revenue, code, customer = setup
    invoice = invoice_post(
        invoice=draft(brreg_customer(customer.posting_profile), revenue, code), actor=None
    )
    client.force_login(user_in("accountant"))

    panel = client.get(reverse("invoicing:invoice-einvoice-check", args=[invoice.pk]))

    html = panel.content.decode()
    assert panel.status_code == 200
    assert 'data-rule-set="cen" data-valid="true"' in html, html
    assert 'data-rule-set="peppol" data-valid="true"' in html, html
    assert "CEN EN 16931" in html and "Peppol BIS Billing 3.0" in html
    assert "data-rule=" not in html  # no fatal rule listed


@pytest.mark.django_db
def test_the_e_invoice_panel_lists_the_rules_a_broken_seller_breaks(client, user_in, setup):
    revenue, code, customer = setup
    invoice = invoice_post(invoice=draft(customer, revenue, code), actor=None)
    # The frozen seller altered behind the application's back.
    seller = {**invoice.seller, "vat_number": "", "org_number": "", "endpoint_id": ""}
    Invoice.objects.filter(pk=invoice.pk).update(seller=seller)
    client.force_login(user_in("accountant"))

    panel = client.get(reverse("invoicing:invoice-einvoice-check", args=[invoice.pk]))

    html = panel.content.decode()
    assert 'data-rule-set="cen" data-valid="false"' in html
    assert 'data-rule="BR-CO-26"' in html


@pytest.mark.django_db
def test_posting_a_customer_without_an_address_from_the_page_shows_the_refusal(
    client, user_in, setup
):
    revenue, code, customer = setup
    homeless = f.CustomerFactory(posting_profile=customer.posting_profile, invoice_address=None)
    invoice = draft(homeless, revenue, code)
    client.force_login(user_in("accountant"))

    response = client.post(
        reverse("invoicing:invoices-action", args=[invoice.pk, "post"]), follow=True
    )

    page = response.content.decode()
    assert "BR-11" in page and "nothing was posted" in page
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.payment_reference) == ("draft", "", "")


@pytest.mark.django_db
def test_the_admin_edits_a_drafts_allowances_and_shows_a_posted_ones_read_only(admin_client, setup):
    revenue, code, customer = setup
    invoice = draft(customer, revenue, code)
    change = reverse("admin:invoicing_invoice_change", args=[invoice.pk])

    form = admin_client.get(change).content.decode()
    saved = admin_client.post(
        change,
        {
            "invoice_date": "",
            "notes": "",
            "buyer_reference": "Cost centre 9",
            "prepaid_amount": "0",
            **management("allowance_charges", 1),
            "allowance_charges-0-is_charge": "True",
            "allowance_charges-0-reason": "Handling",
            "allowance_charges-0-amount": "20.00",
            "allowance_charges-0-sales_tax_code": code.pk,
            **management("lines", 1, initial=1),
            "lines-0-id": invoice.lines.get().pk,
            "lines-0-invoice": invoice.pk,
        },
    )

    assert 'name="buyer_reference"' in form and 'name="allowance_charges-TOTAL_FORMS"' in form
    assert 'name="payment_reference"' not in form  # set at posting, never entered
    assert saved.status_code == 302, saved.content.decode()[:3000]
    invoice.refresh_from_db()
    assert invoice.buyer_reference == "Cost centre 9"
    assert invoice.allowance_charges.get().reason == "Handling"
    assert invoice.total_amount == Decimal("1275.00")  # (1000 + 20) + 25 %
    posted = invoice_post(invoice=invoice, actor=None)
    page = admin_client.get(change).content.decode()
    assert "Handling" in page and 'name="allowance_charges-0-reason"' not in page
    assert posted.payment_reference in page
