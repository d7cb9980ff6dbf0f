from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import Invoice
from invoicing.services.invoices import invoice_from_packing_slips, invoice_post
from orders.services.delivery import packing_slip_post
from tests import factories as f

PAGE = "invoicing:packing-slips"


@pytest.fixture
def posting_setup():
    profile = f.PostingProfileFactory()
    profile.revenue_account = f.LedgerAccountFactory(
        number="3000", name="Sales", account_type="revenue"
    )
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = f.LedgerAccountFactory(number="2700", name="VAT", account_type="liability")
    code.save()


@pytest.fixture
def accountant(client, user_in):
    client.force_login(user_in("accountant", "sales manager"))
    return client


@pytest.fixture
def deliver():
    def post(order, quantity, on=None):
        return packing_slip_post(
            order=order,
            lines=[{"order_line": order.lines.get(), "quantity": Decimal(quantity)}],
            actor=None,
            delivery_date=on,
        )

    return post


def listed(response) -> list[str]:
    return [row["slip"].number for row in response.context["rows"]]


@pytest.mark.django_db
def test_only_posted_slips_waiting_for_an_invoice_are_listed(
    accountant, make_order, deliver, posting_setup
):
    waiting = deliver(make_order(quantities=["10"]), "4")
    drafted = deliver(make_order(quantities=["10"]), "2")
    invoice_from_packing_slips(packing_slips=[drafted], actor=None)
    invoiced = deliver(make_order(quantities=["10"]), "3")
    invoice_post(
        invoice=invoice_from_packing_slips(packing_slips=[invoiced], actor=None), actor=None
    )
    returned = deliver(make_order(quantities=["1"], order_type="returned"), "1")

    response = accountant.get(reverse(PAGE))

    assert response.status_code == 200
    assert listed(response) == [waiting.number]
    assert {drafted.number, invoiced.number, returned.number}.isdisjoint(listed(response))


@pytest.mark.django_db
def test_a_slip_of_an_order_invoiced_as_a_whole_is_not_offered_again(
    accountant, make_order, deliver, posting_setup
):
    from invoicing.services.invoices import invoice_from_order

    order = make_order(quantities=["10"])
    deliver(order, "10")
    invoice_post(invoice=invoice_from_order(order=order, actor=None), actor=None)

    assert listed(accountant.get(reverse(PAGE))) == []


@pytest.mark.django_db
def test_the_list_shows_lines_and_the_net_amount_less_discounts(accountant, make_order, deliver):
    order = make_order(quantities=["10"])
    line = order.lines.get()
    line.discount_percent = Decimal("10")
    line.discount_amount = Decimal("5")
    line.save()
    deliver(order, "4")

    row = accountant.get(reverse(PAGE)).context["rows"][0]

    # 4 × (100 − 5) less 10 %
    assert (row["line_count"], row["net_amount"]) == (1, Decimal("342.00"))


@pytest.mark.django_db
def test_the_list_is_filtered_by_customer_search_and_delivery_date(accountant, make_order, deliver):
    first, second = f.CustomerFactory(), f.CustomerFactory()
    early = deliver(make_order(customer=first), "1", on=date(2026, 1, 5))
    late = deliver(make_order(customer=first), "1", on=date(2026, 2, 5))
    other = deliver(make_order(customer=second), "1", on=date(2026, 1, 10))

    assert set(listed(accountant.get(reverse(PAGE)))) == {early.number, late.number, other.number}
    assert set(listed(accountant.get(reverse(PAGE), {"customer": first.pk}))) == {
        early.number,
        late.number,
    }
    assert listed(accountant.get(reverse(PAGE), {"q": second.party.name})) == [other.number]
    assert set(
        listed(
            accountant.get(
                reverse(PAGE), {"delivered_from": "2026-01-01", "delivered_to": "2026-01-31"}
            )
        )
    ) == {early.number, other.number}


@pytest.mark.django_db
def test_the_list_asks_the_same_number_of_queries_for_one_slip_or_many(
    accountant, make_order, deliver
):
    deliver(make_order(), "1")
    accountant.get(reverse(PAGE))  # session, user and permissions cached as for the second call
    with CaptureQueriesContext(connection) as one:
        accountant.get(reverse(PAGE))
    for _ in range(5):
        order = make_order(quantities=["5", "5"])
        packing_slip_post(
            order=order,
            lines=[{"order_line": line, "quantity": Decimal(1)} for line in order.lines.all()],
            actor=None,
        )
    with CaptureQueriesContext(connection) as many:
        response = accountant.get(reverse(PAGE))

    assert len(response.context["rows"]) == 6
    assert len(many) == len(one)


@pytest.mark.django_db
def test_checked_slips_of_one_customer_become_one_draft_invoice(accountant, make_order, deliver):
    customer = f.CustomerFactory()
    first = deliver(make_order(customer=customer), "4")
    second = deliver(make_order(customer=customer), "6")

    response = accountant.post(reverse(PAGE), {"slips": [first.pk, second.pk]})

    invoice = Invoice.objects.get()
    assert response.url == reverse("invoicing:invoices-detail", args=[invoice.pk])
    assert (invoice.status, invoice.customer) == ("draft", customer)
    assert set(invoice.packing_slips.all()) == {first, second}
    assert sorted(line.quantity for line in invoice.lines.all()) == [Decimal("4"), Decimal("6")]


@pytest.mark.django_db
def test_slips_of_different_customers_are_refused_and_nothing_changes(
    accountant, make_order, deliver
):
    first = deliver(make_order(), "1")
    second = deliver(make_order(), "1")

    response = accountant.post(reverse(PAGE), {"slips": [first.pk, second.pk]}, follow=True)

    assert "different customers" in response.content.decode()
    assert not Invoice.objects.exists()
    assert set(listed(response)) == {first.number, second.number}


@pytest.mark.django_db
def test_creating_an_invoice_without_a_chosen_slip_is_refused(accountant, make_order, deliver):
    deliver(make_order(), "1")

    response = accountant.post(reverse(PAGE), {"filters": "q=x"})

    assert response.url == reverse(PAGE) + "?q=x"
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_the_page_needs_the_permission_to_add_invoices(client, user_in):
    client.force_login(user_in("sales clerk"))

    assert client.get(reverse(PAGE)).status_code == 403
    assert client.post(reverse(PAGE), {"slips": [1]}).status_code == 403


@pytest.mark.django_db
def test_the_invoice_list_and_the_menu_lead_to_the_page(accountant):
    page = accountant.get(reverse("invoicing:invoices-list")).content.decode()

    assert page.count(f'href="{reverse(PAGE)}"') == 2  # menu entry and list button


@pytest.mark.django_db
def test_the_invoice_run_button_shows_only_to_users_who_may_start_a_run(client, user_in):
    run = f'href="{reverse("invoicing:runs-create")}"'
    client.force_login(user_in("sales manager"))  # adds invoices, only views runs
    manager_page = client.get(reverse(PAGE)).content.decode()
    client.force_login(user_in("accountant"))
    accountant_page = client.get(reverse(PAGE)).content.decode()

    assert run not in manager_page
    assert run in accountant_page


@pytest.mark.django_db
def test_a_slip_held_by_a_draft_drafted_from_its_order_is_not_offered(
    accountant, make_order, deliver
):
    from invoicing.services.invoices import invoice_from_order

    held = make_order(quantities=["10"])
    deliver(held, "4")
    invoice_from_order(order=held, actor=None)
    other = make_order(quantities=["10"])
    drafted = deliver(other, "4")
    waiting = deliver(other, "3")
    invoice_from_packing_slips(packing_slips=[drafted], actor=None)

    assert listed(accountant.get(reverse(PAGE))) == [waiting.number]
