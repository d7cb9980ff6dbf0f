"""Issue 18: no dead ends. Packing slips have their list and pages with the printable PDF,
linked from the order; a posted invoice offers "Register payment" filled in; the lists show
amounts and status badges; a failed sign-in keeps the user name; the site has a favicon."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from orders.services.orders import (
    sales_order_confirm,
    sales_order_create,
    sales_order_picking_list,
)
from salesmkt.core.documents import documents_for
from tests import factories as f
from tests.ui.test_payment_pages import invoice_for  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_slip():
    """make_slip() posts a packing slip of 10 smoked salmon and 15 brunost."""
    return _post_slip


@pytest.fixture
def slip():
    return _post_slip()


def _post_slip():
    return f.delivered_order()[1]


@pytest.fixture
def clerk(client):
    user = f.UserFactory(groups=["sales clerk"])
    client.force_login(user)
    return user


def test_the_clerk_finds_every_posted_packing_slip_in_its_list(client, clerk, slip):
    page = client.get(reverse("invoicing:posted-packing-slips-list")).content.decode()

    assert slip.number in page
    assert slip.order.number in page
    assert "10 × Smoked salmon; 15 × Brunost" in page


def test_the_packing_slip_list_reads_as_many_queries_whatever_its_rows(
    client, clerk, make_slip, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("invoicing:posted-packing-slips-list")
    make_slip()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        make_slip()

    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url)

    assert page.content.decode().count("× Brunost") == 4


def test_a_packing_slip_page_shows_its_lines_and_prints_its_pdf(client, clerk, slip):
    page = client.get(reverse("invoicing:posted-packing-slips-detail", args=[slip.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Smoked salmon" in text and "Brunost" in text
    assert reverse("invoicing:posted-packing-slip-pdf", args=[slip.pk]) in text
    assert reverse("orders:sales-orders-detail", args=[slip.order_id]) in text
    assert 'data-action-button="update"' not in text  # a posted slip never changes


def test_the_print_link_opens_the_packing_slips_pdf(client, clerk, slip):
    document = documents_for(slip).get(kind="packing_slip")

    response = client.get(reverse("invoicing:posted-packing-slip-pdf", args=[slip.pk]))

    assert response.status_code == 302
    assert response.url == reverse("document-pdf", args=[document.pk])


def test_a_posted_packing_slip_cannot_be_made_or_edited_on_its_pages(client, clerk, slip):
    new = client.get(reverse("invoicing:posted-packing-slips-create"))
    edit = client.get(reverse("invoicing:posted-packing-slips-update", args=[slip.pk]))

    # made by posting a delivery on the order's page; a posted slip never changes
    assert [new.status_code, edit.status_code] == [403, 403]


def test_the_order_page_links_its_packing_slips_and_their_pdfs(client, clerk, slip):
    page = client.get(reverse("orders:sales-orders-detail", args=[slip.order_id])).content.decode()

    assert reverse("invoicing:posted-packing-slips-detail", args=[slip.pk]) in page
    assert reverse("invoicing:posted-packing-slip-pdf", args=[slip.pk]) in page


def test_a_posted_invoice_offers_register_payment_filled_in(client, invoice_for):  # noqa: F811
    invoice = invoice_for("2")
    client.force_login(f.UserFactory(groups=["accountant"]))

    page = client.get(reverse("invoicing:invoices-detail", args=[invoice.pk])).content.decode()

    create = reverse("invoicing:payments-create")
    link = (
        f"{create}?customer={invoice.customer_id}&amp;amount={invoice.total_amount}"
        f"&amp;reference={invoice.number}"
    )
    assert 'data-action-button="register-payment"' in page
    assert link in page
    form = client.get(
        f"{create}?customer={invoice.customer_id}&amount={invoice.total_amount}"
        f"&reference={invoice.number}"
    ).content.decode()
    assert f'value="{invoice.number}"' in form
    assert f'value="{invoice.total_amount}"' in form


def test_the_order_and_quotation_lists_show_amounts_and_status_badges(client, clerk, slip):
    orders = client.get(reverse("orders:sales-orders-list")).content.decode()
    f_quotation = client.get(reverse("orders:quotations-list"))

    assert "2,500.00" in orders
    assert 'data-status="delivered"' in orders
    assert f_quotation.status_code == 200


def test_a_failed_sign_in_keeps_the_user_name(client):
    f.UserFactory(username="kari")

    page = client.post(reverse("login"), {"username": "kari", "password": "wrong"})

    assert 'value="kari"' in page.content.decode()


def test_every_page_has_the_favicon(client):
    page = client.get(reverse("login")).content.decode()

    assert 'rel="icon"' in page and "favicon.svg" in page
    assert finders.find("favicon.svg")


def _selected(page: str, name: str) -> str:
    import re

    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else ""


def test_a_new_customer_form_starts_from_the_default_customer_template(client, clerk):
    default = f.CustomerTemplateFactory()

    page = client.get(reverse("crm:customers-create")).content.decode()

    assert _selected(page, "template") == str(default.pk)
    assert _selected(page, "customer_group") == str(default.customer_group_id)
    assert _selected(page, "payment_terms") == str(default.payment_terms_id)
    assert _selected(page, "currency") == str(default.currency_id)
    assert _selected(page, "sales_tax_group") == str(default.sales_tax_group_id)
    assert _selected(page, "posting_profile") == str(default.posting_profile_id)


def test_choosing_a_customer_template_fills_the_form_and_keeps_what_was_typed(client, clerk):
    f.CustomerTemplateFactory()
    export = f.NewCustomerTemplateFactory(code="EXPORT", name="Export customers")

    page = client.get(
        reverse("crm:customers-create"),
        {"template": export.pk, "party-name": "Fjord Fisk AS"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert _selected(page, "template") == str(export.pk)
    assert _selected(page, "customer_group") == str(export.customer_group_id)
    assert _selected(page, "currency") == str(export.currency_id)
    assert _selected(page, "posting_profile") == str(export.posting_profile_id)
    assert 'value="Fjord Fisk AS"' in page
    assert 'hx-get="/' in page and "data-customer-template" in page


def test_a_customer_made_from_a_template_has_its_settings(client, clerk):
    from crm.models import Customer

    template = f.CustomerTemplateFactory()
    values = {
        "party-party_type": "organization",
        "party-name": "Fjord Fisk AS",
        "party-language": "nb",
        "party-country": "NO",
        "template": template.pk,
        "customer_group": template.customer_group_id,
        "payment_terms": template.payment_terms_id,
        "currency": template.currency_id,
        "sales_tax_group": template.sales_tax_group_id,
        "posting_profile": template.posting_profile_id,
        "credit_limit": "5000.00",
        "shipping_lead_time_days": "0",
        "on_hold": "no",
    }

    response = client.post(reverse("crm:customers-create"), values)

    assert response.status_code == 302, response.content.decode()[-3000:]
    customer = Customer.objects.get(party__name="Fjord Fisk AS")
    assert customer.customer_group_id == template.customer_group_id


def test_the_order_page_prints_its_picking_list_as_a_pdf(client, clerk):
    warehouse = f.WarehouseFactory()
    salmon = f.ItemFactory(name="Smoked salmon")
    order = sales_order_create(
        data={
            "customer": f.CustomerFactory(),
            "requested_ship_date": timezone.localdate() + timedelta(days=3),
            "lines": [{"item": salmon, "warehouse": warehouse, "quantity": Decimal(10)}],
        },
        actor=None,
    )
    order = sales_order_confirm(order=order, actor=None)
    sales_order_picking_list(order=order, actor=None)

    page = client.get(reverse("orders:sales-orders-detail", args=[order.pk])).content.decode()
    pdf = client.get(reverse("invoicing:picking-list-pdf", args=[order.pk]))

    assert reverse("invoicing:picking-list-pdf", args=[order.pk]) in page
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
