"""Issue 18: a document's page always shows what happens next: the steps this user may take
first, and who takes the steps this user may not."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm
from salesmkt.core.templatetags.next_steps import groups_allowed
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return f.stocked_order()


def delivered(order):
    order = sales_order_confirm(order=order, actor=None)
    lines = [{"order_line": line, "quantity": line.quantity} for line in order.lines.all()]
    packing_slip_post(order=order, lines=lines, actor=None)
    order.refresh_from_db()
    return order


def page_of(client, user, order) -> str:
    client.force_login(user)
    with translation.override("en"):
        response = client.get(
            reverse("orders:sales-orders-detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    return response.content.decode()


def test_a_delivered_order_tells_the_clerk_who_invoices_it(client, order):
    order = delivered(order)
    clerk = f.UserFactory(groups=["sales clerk"])

    page = page_of(client, clerk, order)

    assert "data-next-steps" in page
    assert 'data-waiting="invoice"' in page
    assert "Waiting for a sales manager or an accountant to “Invoice delivered quantities”" in page


def test_the_accountant_is_not_told_to_wait_for_the_step_they_take(client, order):
    order = delivered(order)
    accountant = f.UserFactory(groups=["accountant"])

    page = page_of(client, accountant, order)

    assert 'data-waiting="invoice"' not in page


def test_an_open_order_shows_the_clerk_their_own_next_step(client, order):
    clerk = f.UserFactory(groups=["sales clerk"])

    page = page_of(client, clerk, order)

    mine = re.search(r"data-next-mine>(.*?)</span>\s*(<span class=\"text|</div>)", page, re.S)
    assert mine is not None
    assert "Confirm" in mine.group(1)


def test_the_steps_the_user_may_take_come_before_the_refused_ones(client, order):
    clerk = f.UserFactory(groups=["sales clerk"])

    page = page_of(client, clerk, order).split("data-next-steps")[0]

    enabled = [m.start() for m in re.finditer(r'name="run" value="', page)]
    refused = [m.start() for m in re.finditer(r' disabled data-action="', page)]
    assert enabled
    if refused:
        assert max(enabled) < min(refused)


def test_allowed_first_keeps_the_order_of_each_kind():
    from salesmkt.core.templatetags.next_steps import allowed_first

    actions = [{"n": 1, "refusal": "x"}, {"n": 2, "refusal": None}, {"n": 3, "refusal": None}]

    assert [a["n"] for a in allowed_first(actions)] == [2, 3, 1]


def test_the_groups_that_may_invoice_are_the_managers_and_the_accountants():
    assert groups_allowed("invoicing.add_invoice") == ["sales manager", "accountant"]
    assert "sales clerk" in groups_allowed("orders.add_packingslip")


def test_the_order_history_reads_as_sentences_on_its_page(client, order):
    order = delivered(order)
    clerk = f.UserFactory(groups=["sales clerk"])

    page = page_of(client, clerk, order)

    assert "posted: 10 × Smoked salmon, 15 × Brunost" in page
    assert "packing_slip_posted</strong>" not in page
    assert "{&#x27;" not in page  # no Python dictionary
