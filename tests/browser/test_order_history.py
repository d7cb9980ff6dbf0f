"""Issue 18 in Chromium: an order's history reads as sentences in the clerk's language, and the
page says who takes the next step. Screenshots of the history in English and Norwegian are saved
under `$ARTIFACTS_DIR/screenshots/` (`.artifacts/` by default, git-ignored)."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("ARTIFACTS_DIR", ".artifacts")) / "screenshots"


@pytest.fixture
def delivered_order():
    """An order of 10 smoked salmon and 15 brunost, confirmed and delivered on one slip."""
    order, slip = f.delivered_order()
    order.slip_number = slip.number
    return order


def open_history(page, order, language: str) -> list[str]:
    """The order's page in `language`, chosen as the clerk does in the menu bar's switch."""
    page.goto(reverse("orders:sales-orders-detail", args=[order.pk]))
    if page.locator("html").get_attribute("lang") != language:
        with page.expect_navigation():
            page.select_option("#language-switch", language)
    history = page.locator("[data-history]")
    history.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    history.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"order-history-{language}.png"), full_page=True)
    return page.locator("[data-history] [data-sentence]").all_inner_texts()


def test_the_order_history_reads_as_norwegian_sentences(page, login, delivered_order):
    f.UserFactory(username="clerk", groups=["sales clerk"])
    login("clerk")

    english = open_history(page, delivered_order, "en")
    norwegian = open_history(page, delivered_order, "nb")

    number = delivered_order.slip_number
    assert f"Packing slip {number} posted: 10 × Smoked salmon, 15 × Brunost" in english
    assert f"Følgeseddel {number} bokført: 10 × Smoked salmon, 15 × Brunost" in norwegian
    assert "Levert i sin helhet" in norwegian
    assert page.locator("[data-history] .card-header").inner_text().strip() == "Historikk"
    # no event code, no Python dictionary, no English sentence left
    assert not set(english) & set(norwegian)
    assert all("packing_slip" not in text and "{" not in text for text in norwegian)
    # the next step: an accountant invoices the delivered order
    assert page.locator('[data-waiting="invoice"]').is_visible()


def test_choosing_a_customer_template_fills_the_new_customer_form(page, login):
    """The new customer form (issue 18): the template the clerk picks fills the account
    settings, and the name typed before stays."""
    f.CustomerTemplateFactory()
    export = f.NewCustomerTemplateFactory(code="EXPORT", name="Export customers")
    f.UserFactory(username="clerk", groups=["sales clerk"])
    login("clerk")
    page.goto(reverse("crm:customers-create"))
    page.fill("#id_party-name", "Fjord Fisk AS")

    with page.expect_response(lambda r: "template=" in r.url and r.ok):
        page.select_option("#id_template", str(export.pk))
    page.wait_for_function(
        f"() => document.querySelector('#id_currency').value === '{export.currency_id}'"
    )

    assert page.input_value("#id_customer_group") == str(export.customer_group_id)
    assert page.input_value("#id_posting_profile") == str(export.posting_profile_id)
    assert page.input_value("#id_party-name") == "Fjord Fisk AS"
    assert page.locator("form[novalidate]").count() == 1
