import re
from datetime import date, timedelta

import pytest

from orders.models import PackingSlip, SalesOrder
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_quotation_is_confirmed_into_an_order_and_delivered_in_two_packing_slips(page, login):
    f.UserFactory(username="seller", groups=["sales manager"])
    f.CustomerFactory(party=f.PartyFactory(name="Fjordkjøkken AS"))
    f.ItemFactory(name="Smoked salmon")
    warehouse = f.WarehouseFactory()

    login("seller")
    page.goto("/orders/quotations/new/")
    page.fill("#id_party", "Fjordkjøk")  # type-ahead: pick the first match
    page.wait_for_selector("#id_party_results [data-pk]")
    page.press("#id_party", "Enter")
    page.fill("#id_expiry_date", (date.today() + timedelta(days=30)).isoformat())
    page.fill("#id_requested_ship_date", (date.today() + timedelta(days=14)).isoformat())
    page.fill("#id_lines-0-item", "Smoked")
    page.wait_for_selector("#id_lines-0-item_results [data-pk]")
    page.press("#id_lines-0-item", "Enter")
    page.select_option("#id_lines-0-warehouse", str(warehouse.pk))
    page.fill("#id_lines-0-quantity", "10")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=SQ000001")

    page.get_by_role("button", name=re.compile("Send")).click()
    page.wait_for_selector(".alert-success")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_selector("text=SO000001")

    line = SalesOrder.objects.get().lines.get()
    page.fill(f"input[name='deliver-{line.pk}']", "4")
    page.get_by_role("button", name=re.compile("Post packing slip")).click()
    page.get_by_role("button", name="Confirm and post").click()  # what ships is confirmed first
    page.wait_for_selector("text=PS000001")
    assert page.input_value(f"input[name='deliver-{line.pk}']") == "6"  # prefilled with the rest
    page.get_by_role("button", name=re.compile("Post packing slip")).click()
    page.get_by_role("button", name="Confirm and post").click()
    page.wait_for_selector("text=PS000002")

    order = SalesOrder.objects.get()
    assert order.status == "delivered"
    assert PackingSlip.objects.count() == 2
    assert "Delivered" in page.inner_text("main")
