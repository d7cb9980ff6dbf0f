"""The UI works under its Content-Security-Policy: Chromium opens the main pages, draws their
charts, opens menus, confirms and toggles, and reports no CSP violation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_create
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# securitypolicyviolation events fire in the page; an init script is injected by the browser
# itself, so it runs under the policy without being refused by it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched_page(page):
    page.context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def violations() -> list[str]:
        return console + page.evaluate("() => window.__cspViolations || []")

    page.csp_violations = violations
    return page


def chart_drawn(page, canvas_id: str) -> bool:
    return page.evaluate(f"() => !!window.Chart && !!Chart.getChart('{canvas_id}')")


def test_the_main_pages_work_without_a_content_security_policy_violation(watched_page, login):
    page = watched_page
    f.UserFactory(username="boss", is_staff=True, is_superuser=True)
    f.OpportunityFactory()
    campaign = f.CampaignFactory()
    f.CampaignTargetFactory(campaign=campaign)
    item, warehouse = f.ItemFactory(name="Mooring rope"), f.WarehouseFactory()
    order, editable = (
        sales_order_create(
            data={
                "customer": f.CustomerFactory(),
                "requested_ship_date": timezone.localdate() + timedelta(days=3),
                "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(5)}],
            },
            actor=None,
        )
        for _ in range(2)
    )
    packing_slip_post(
        order=order, lines=[{"order_line": order.lines.get(), "quantity": Decimal(2)}], actor=None
    )

    login("boss")
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart('chart-customers')")
    assert chart_drawn(page, "chart-items") and chart_drawn(page, "chart-pipeline")
    page.locator("nav .dropdown-toggle").first.click()  # Bootstrap's menus run
    page.wait_for_selector(".dropdown-menu.show")

    page.goto(reverse("crm:pipeline"))
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart('chart-pipeline')")

    page.goto(reverse("crm:campaigns-detail", args=[campaign.pk]))
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart('chart-responses')")

    page.goto(reverse("orders:sales-orders-detail", args=[order.pk]))
    # A confirmation asked through data-confirm: dismissed, nothing is cancelled.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(f"button[form='cancel-remainder-{order.lines.get().pk}']").click()
    page.wait_for_timeout(200)
    order.refresh_from_db()
    assert order.lines.get().deliver_remainder == Decimal(3)

    # An htmx request (changing a line's quantity) goes out with its CSRF header and is answered.
    page.goto(reverse("orders:sales-orders-detail", args=[editable.pk]))
    line = editable.lines.get()
    with page.expect_response(lambda r: r.url.endswith(f"/{line.pk}/quantity/") and r.ok):
        page.fill(f"input[name='quantity-{line.pk}']", "6")
        page.locator(f"input[name='quantity-{line.pk}']").dispatch_event("change")
    line.refresh_from_db()
    assert line.quantity == Decimal(6)

    page.goto(reverse("orders:backorder-item", args=[item.pk]))
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart('chart-projection')")

    page.goto(reverse("orders:allocation"))
    page.select_option("#id_item", str(item.pk))
    page.get_by_role("button", name="Show backorders").click()
    page.wait_for_load_state()

    page.goto(reverse("invoicing:packing-slips"))
    page.locator(".select-customer").first.check()
    assert page.locator("input[name='slips']").first.is_checked()

    page.goto(reverse("api-docs"))
    page.wait_for_selector(".swagger-ui .information-container", timeout=30_000)

    page.goto(reverse("admin:index"))
    page.wait_for_selector("#content")

    page.goto(reverse("crm:pipeline"))
    with page.expect_navigation():
        page.select_option("#language-switch", "nb")
    assert page.locator("html").get_attribute("lang") == "nb"

    assert page.csp_violations() == []
