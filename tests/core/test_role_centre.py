"""The role centre: each role's work queues (cues) count the right records with one query, open
a list showing exactly those records, and the start page shows the cues of each of the user's
roles, their charts and the recent changes of records they may see."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Campaign
from invoicing.services.invoices import invoice_from_order, invoice_post
from invoicing.services.payments import payment_register
from orders.models import ApprovalRule
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm
from orders.services.quotations import quotation_create
from salesmkt.core import role_centre
from salesmkt.core.role_centre import CUES, ROLE_CUES
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    revenue = f.LedgerAccountFactory(number="3000", name="Sales", account_type="revenue")
    vat = f.LedgerAccountFactory(number="2700", name="Output VAT", account_type="liability")
    f.LedgerAccountFactory(number="1920", name="Bank", account_type="asset")
    profile = f.PostingProfileFactory()
    profile.revenue_account = revenue
    profile.save()
    code = f.SalesTaxCodeFactory()
    code.tax_account = vat
    code.save()
    return SimpleNamespace(profile=profile)


@pytest.fixture
def world(make_order, accounts, user_in):
    """Two records in every queue and some just outside it."""
    today = timezone.localdate()
    customer = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)
    item, warehouse = f.ItemFactory(), f.WarehouseFactory()
    clerk = user_in("sales clerk")

    def quotation(expiry_date, party=customer.party):
        return quotation_create(
            data={
                "party": party,
                "expiry_date": expiry_date,
                "requested_ship_date": today + timedelta(days=20),
                "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal(1)}],
            },
            actor=None,
        )

    def order(ship_in_days, **extra):
        return make_order(
            customer=customer, requested_ship_date=today + timedelta(days=ship_in_days), **extra
        )

    def delivered(ship_in_days=-40):
        shipped = order(ship_in_days)
        packing_slip_post(
            order=shipped,
            lines=[{"order_line": shipped.lines.get(), "quantity": Decimal(10)}],
            actor=None,
        )
        return shipped

    def posted(invoice_date):
        return invoice_post(
            invoice=invoice_from_order(order=delivered(), actor=None),
            actor=None,
            invoice_date=invoice_date,
        )

    w = SimpleNamespace(clerk=clerk, today=today, customer=customer)
    w.expiring = [quotation(today), quotation(today + timedelta(days=6))]
    w.not_expiring = [quotation(today + timedelta(days=7))]
    w.to_confirm = [order(10), order(11)]
    w.confirmed = sales_order_confirm(order=order(12), actor=None)
    w.journal = order(-5, order_type="journal")
    w.ship_today = [order(0), order(0)]
    w.late = [order(-1), order(-3)]
    w.delivered = [delivered(), delivered()]
    oldest = posted(today - timedelta(days=95))  # dated in order: invoice dates never go back
    w.overdue = [posted(today - timedelta(days=40)), oldest]
    w.not_due = posted(today)
    w.draft = invoice_from_order(order=delivered(), actor=None)
    w.payment = payment_register(
        data={"customer": customer, "date": today, "amount": Decimal("99.00")}, actor=None
    )
    strict = f.CustomerFactory(posting_profile=accounts.profile, credit_limit=0)
    ApprovalRule.objects.create(customer=strict, amount_threshold=Decimal(0))
    w.pending_order = make_order(customer=strict, requested_ship_date=today + timedelta(days=30))
    w.pending_quotation = quotation(today + timedelta(days=30), party=strict.party)
    w.campaigns = [f.CampaignFactory(status=Campaign.Status.ACTIVE) for _ in range(2)]
    f.CampaignFactory()  # a draft
    w.leads = [f.LeadFactory(), f.LeadFactory()]
    now = timezone.now()
    w.activities = [
        f.ActivityFactory(owner=clerk, due_at=now - timedelta(days=2)),
        f.ActivityFactory(owner=clerk, due_at=now),
    ]
    f.ActivityFactory(owner=clerk, due_at=now + timedelta(days=2))  # not due yet
    f.ActivityFactory(owner=clerk, due_at=now - timedelta(days=1), done=True)
    f.ActivityFactory(due_at=now - timedelta(days=1))  # someone else's
    return w


def test_each_cue_counts_with_one_query(world, django_assert_num_queries):
    for key in sorted(CUES):
        with django_assert_num_queries(1):
            cue = CUES[key].evaluate(world.clerk, world.today)

        assert cue.count >= 1, key


def test_quotations_expiring_this_week_are_the_open_ones_expiring_within_seven_days(world):
    assert _listed(world, "quotations_expiring") == {q.pk for q in world.expiring}


def test_orders_to_confirm_leave_out_confirmed_orders_and_journals(world):
    confirm = CUES["orders_to_confirm"].evaluate(world.clerk, world.today)

    # every open sales order not confirmed: to confirm, to ship today, late, delivered
    expected = {o.pk for o in world.to_confirm + world.ship_today + world.late}
    assert confirm.count >= len(expected)
    assert world.confirmed.pk not in _listed(world, "orders_to_confirm")
    assert world.journal.pk not in _listed(world, "orders_to_confirm")


def test_orders_to_ship_today_and_late_orders_are_told_apart_by_ship_date(world):
    assert _listed(world, "orders_ship_today") == {o.pk for o in world.ship_today}
    assert _listed(world, "orders_late") == {o.pk for o in world.late}


def test_delivered_orders_leave_the_queue_once_invoiced(world):
    listed = _listed(world, "orders_delivered_not_invoiced")

    assert {o.pk for o in world.delivered} <= listed
    assert world.draft.sales_order_id in listed  # on a draft invoice, not invoiced yet
    assert not {i.sales_order_id for i in world.overdue} & listed


def test_overdue_invoices_count_and_amount_are_what_is_open_past_the_due_date(world):
    cue = CUES["invoices_overdue"].evaluate(world.clerk, world.today)

    assert cue.count == 2
    expected = sum((i.open_item.remaining for i in world.overdue), Decimal(0))
    assert [(a.currency, a.amount) for a in cue.amounts] == [("NOK", expected)]


def test_invoices_to_post_are_the_drafts(world):
    assert _listed(world, "invoices_to_post") == {world.draft.pk}


def test_unapplied_payments_show_the_amount_not_applied(world):
    cue = CUES["payments_unapplied"].evaluate(world.clerk, world.today)

    assert cue.count == 1
    assert [(a.currency, a.amount) for a in cue.amounts] == [("NOK", Decimal("99.00"))]


def test_my_activities_due_are_my_open_ones_due_today_or_before(world):
    cue = CUES["my_activities_due"].evaluate(world.clerk, world.today)

    assert cue.count == 2


def test_marketing_queues_count_running_campaigns_and_open_leads(world):
    assert CUES["campaigns_running"].evaluate(world.clerk, world.today).count == 2
    assert CUES["leads_to_qualify"].evaluate(world.clerk, world.today).count == 2


def _listed(world, key) -> set[int]:
    """The records of the list page the cue opens (signed in as a superuser)."""
    from django.test import Client

    client = Client()
    client.force_login(f.UserFactory(is_superuser=True, is_staff=True))
    if key == "my_activities_due":
        client.force_login(world.clerk)
    cue = CUES[key].evaluate(world.clerk, world.today)
    response = client.get(cue.url)
    assert response.status_code == 200
    return {row["obj"].pk for row in response.context["rows"]}


def test_each_cue_opens_a_list_of_exactly_the_records_it_counts(world):
    for key in sorted(CUES):
        cue = CUES[key].evaluate(world.clerk, world.today)

        records = set(CUES[key].records(world.clerk, world.today).values_list("pk", flat=True))
        assert _listed(world, key) == records, key
        assert len(records) == cue.count, key


def test_documents_waiting_for_approval_are_the_managers_queue_not_the_clerks(world):
    assert _listed(world, "orders_awaiting_approval") == {world.pending_order.pk}
    assert _listed(world, "quotations_awaiting_approval") == {world.pending_quotation.pk}
    assert world.pending_order.pk not in _listed(world, "orders_to_confirm")


def test_a_list_offers_its_work_queues_as_a_filter(world):
    from django.test import Client

    client = Client()
    client.force_login(world.clerk)
    page = client.get(reverse("orders:sales-orders-list")).content.decode()

    assert 'name="queue"' in page
    assert 'value="late"' in page and 'value="delivered_not_invoiced"' in page


def test_each_role_sees_its_own_cues(user_in):
    for role, keys in ROLE_CUES.items():
        sections = role_centre.role_sections(user_in(role))

        assert [s["role"] for s in sections] == [role]
        assert [c.key for c in sections[0]["cues"]] == keys


def test_a_user_in_two_groups_sees_the_cues_of_both_roles_each_once(user_in):
    sections = role_centre.role_sections(user_in("sales clerk", "accountant"))

    assert [s["role"] for s in sections] == ["sales clerk", "accountant"]
    keys = [c.key for s in sections for c in s["cues"]]
    assert len(keys) == len(set(keys))
    assert {"orders_late", "invoices_overdue", "payments_unapplied"} <= set(keys)


def test_a_superuser_sees_every_cue(superuser):
    keys = {c.key for c in role_centre.user_cues(superuser)}

    assert keys == set(CUES)


def test_marketing_does_not_see_order_or_invoice_queues(user_in):
    keys = {c.key for c in role_centre.user_cues(user_in("marketing"))}

    assert keys == {"campaigns_running", "leads_to_qualify", "my_activities_due"}


def test_role_centre_api_lists_the_users_cues_with_counts_amounts_and_list_urls(world, api_as):
    api = api_as("accountant")

    response = api.get("/api/v1/role-centre/")

    assert response.status_code == 200
    (section,) = response.json()["roles"]
    assert section["role"] == "accountant"
    cues = {cue["key"]: cue for cue in section["cues"]}
    assert cues["invoices_overdue"]["count"] == 2
    assert cues["invoices_overdue"]["amounts"][0]["currency"] == "NOK"
    assert cues["invoices_overdue"]["url"] == reverse("invoicing:invoices-list") + "?queue=overdue"
    assert cues["invoices_overdue"]["name"] == "Overdue invoices"


def test_role_centre_api_refuses_unknown_query_parameters(api_as):
    assert api_as("marketing").get("/api/v1/role-centre/?mine=1").status_code == 400


def test_role_centre_is_in_the_openapi_schema(api_as):
    schema = api_as("marketing").get("/api/schema/", {"format": "json"})

    assert "/api/v1/role-centre/" in schema.json()["paths"]


def test_the_clerk_sees_recent_changes_of_records_the_clerk_may_view(world, client):
    client.force_login(world.clerk)

    page = client.get(reverse("dashboard"))

    events = page.context["events"]
    assert events
    assert {e.content_type.app_label for e in events} <= {"orders", "invoicing", "crm"}
    assert "Recent changes" in page.content.decode()


def test_recent_changes_leave_out_records_the_user_may_not_view(world, user_in):
    events = role_centre.recent_events(user_in("marketing"), limit=100)

    assert not [e for e in events if e.content_type.model in {"salesorder", "invoice"}]


def test_overdue_chart_puts_open_amounts_in_buckets_of_days_past_due(world):
    data = role_centre.overdue_by_bucket(world.today, "NOK")

    # due 30 days after the invoice date: 10 and 65 days past due
    ten, sixty_five = (i.open_item.remaining for i in world.overdue)
    assert data["values"] == [str(ten), "0.00", str(sixty_five), "0.00"]


def test_sales_chart_adds_up_this_months_net_sales_day_by_day(world):
    data = role_centre.sales_by_day(world.today, "NOK")

    this_month = data["datasets"][0]["values"]
    assert len(this_month) == world.today.day
    assert Decimal(this_month[-1]) >= world.not_due.net_amount


def test_the_start_page_shows_the_cues_and_charts_of_the_role(world, client):
    client.force_login(world.clerk)

    response = client.get(reverse("dashboard"))

    page = response.content.decode()
    assert 'data-cue="orders_late"' in page
    assert reverse("orders:sales-orders-list") + "?queue=late" in page
    assert [c["key"] for c in response.context["role_charts"]] == ["sales_by_day"]
