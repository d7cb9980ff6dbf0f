"""Notes and scheduled activities (call, meeting, to-do) on a record, shown with its history;
each user's activities due."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity
from crm.selectors import my_activities_due
from crm.services.activities import activity_add_note, activity_mark_done, activity_schedule
from salesmkt.core.errors import ConflictError
from salesmkt.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def events_of(record, action):
    return AuditEvent.objects.filter(
        content_type__app_label=record._meta.app_label,
        content_type__model=record._meta.model_name,
        object_id=str(record.pk),
        action=action,
    )


def test_a_note_on_a_customer_is_kept_about_it_and_its_party():
    clerk = f.UserFactory()
    customer = f.CustomerFactory()

    note = activity_add_note(about=customer, notes="Prefers delivery before 7 am.", actor=clerk)

    assert note.kind == Activity.Kind.NOTE
    assert note.about == customer and note.party == customer.party
    assert (note.done, note.done_by, note.owner) == (True, clerk, clerk)
    assert note.subject == "Prefers delivery before 7 am."
    assert events_of(note, "created").get().actor == clerk


def test_an_empty_note_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        activity_add_note(about=f.CustomerFactory(), notes="  ", actor=f.UserFactory())


def test_a_scheduled_activity_on_an_opportunity_is_open_and_owned_by_the_actor():
    clerk = f.UserFactory()
    opportunity = f.OpportunityFactory()
    due = timezone.now() + timedelta(days=2)

    call = activity_schedule(
        about=opportunity, kind="call", subject="Call the buyer", due_at=due, actor=clerk
    )

    assert (call.done, call.owner, call.due_at) == (False, clerk, due)
    assert call.opportunity == opportunity and call.party == opportunity.party
    assert call.about_repr == str(opportunity)


def test_a_note_is_not_scheduled_and_an_activity_needs_a_due_date():
    from django.core.exceptions import ValidationError

    customer = f.CustomerFactory()
    with pytest.raises(ValidationError):
        activity_schedule(
            about=customer, kind="note", subject="x", due_at=timezone.now(), actor=None
        )
    with pytest.raises(ValidationError):
        activity_schedule(about=customer, kind="call", subject="x", due_at=None, actor=None)


def test_activities_are_kept_only_on_customer_and_sales_records():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        activity_add_note(about=f.UserFactory(), notes="Hello", actor=None)


def test_marking_an_activity_done_records_who_and_when_once():
    clerk = f.UserFactory()
    todo = activity_schedule(
        about=f.CustomerFactory(),
        kind="todo",
        subject="Send price list",
        due_at=timezone.now(),
        actor=clerk,
    )
    before = timezone.now()

    activity_mark_done(activity=todo, actor=clerk)

    todo.refresh_from_db()
    assert todo.done and todo.done_by == clerk and todo.done_at >= before
    assert events_of(todo, "done").get().actor == clerk
    with pytest.raises(ConflictError) as refused:
        activity_mark_done(activity=todo, actor=clerk)
    assert refused.value.code == "activity_done"


def test_my_activities_due_are_my_open_ones_due_that_day_or_before():
    me, other = f.UserFactory(), f.UserFactory()
    customer = f.CustomerFactory()
    today = timezone.localdate()
    now = timezone.now()

    def schedule(owner, days, kind="call"):
        return activity_schedule(
            about=customer,
            kind=kind,
            subject=f"{kind} {days}",
            due_at=now + timedelta(days=days),
            owner=owner,
            actor=me,
        )

    overdue, due_today = schedule(me, -3), schedule(me, 0, "meeting")
    schedule(me, 5)  # later
    schedule(other, 0)  # someone else's
    activity_mark_done(activity=schedule(me, -1), actor=me)  # done
    activity_add_note(about=customer, notes="A note", actor=me)  # not an activity to do

    assert list(my_activities_due(me, on=today)) == [overdue, due_today]


def test_my_activities_due_takes_one_query_however_many(django_assert_num_queries):
    me = f.UserFactory()
    for _ in range(6):
        activity_schedule(
            about=f.CustomerFactory(),
            kind="todo",
            subject="Follow up",
            due_at=timezone.now(),
            actor=me,
        )

    with django_assert_num_queries(1):
        rows = [
            (a.subject, a.party.name, a.about_repr)
            for a in my_activities_due(me, on=timezone.localdate())
        ]

    assert len(rows) == 6


# --- API --------------------------------------------------------------------------------------
def test_the_api_lists_the_activities_of_one_record(manager_api):
    customer, other = f.CustomerFactory(), f.CustomerFactory()
    mine = activity_add_note(about=customer, notes="On this one", actor=manager_api.user)
    activity_add_note(about=other, notes="On another", actor=manager_api.user)
    content_type = ContentType.objects.get_for_model(customer)

    response = manager_api.get(
        f"/api/v1/activities/?content_type={content_type.pk}&object_id={customer.pk}"
    )

    body = response.json()
    rows = body.get("results", body)
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["record_type"] == "crm.customer"


def test_the_api_schedules_an_activity_on_a_record_named_by_its_type(manager_api):
    customer = f.CustomerFactory()

    response = manager_api.post(
        "/api/v1/activities/",
        {
            "kind": "meeting",
            "subject": "Tasting",
            "content_type": "crm.customer",
            "object_id": customer.pk,
            "due_at": "2030-01-15T10:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.about == customer and activity.party == customer.party


def test_the_api_marks_an_activity_done_once(manager_api):
    todo = activity_schedule(
        about=f.CustomerFactory(),
        kind="todo",
        subject="x",
        due_at=timezone.now(),
        actor=manager_api.user,
    )

    first = manager_api.post(f"/api/v1/activities/{todo.pk}/done/", {}, format="json")
    again = manager_api.post(f"/api/v1/activities/{todo.pk}/done/", {}, format="json")

    assert first.status_code == 200 and first.json()["done_by"] == manager_api.user.pk
    assert again.status_code == 409 and again.json()["code"] == "activity_done"


def test_the_activity_list_takes_the_same_queries_however_many(
    manager_api, django_assert_max_num_queries
):
    for _ in range(10):
        activity_add_note(about=f.CustomerFactory(), notes="Note", actor=manager_api.user)
    manager_api.get("/api/v1/activities/")

    with django_assert_max_num_queries(8):
        response = manager_api.get("/api/v1/activities/")

    assert response.status_code == 200


# --- pages ------------------------------------------------------------------------------------
@pytest.fixture
def clerk(client, user_in):
    user = user_in("sales clerk")
    client.force_login(user)
    client.user = user
    return client


def test_a_note_added_on_the_customer_page_shows_in_its_panel(clerk):
    customer = f.CustomerFactory()
    content_type = ContentType.objects.get_for_model(customer)

    page = clerk.get(reverse("crm:customers-detail", args=[customer.pk]))
    response = clerk.post(
        reverse("crm:activity-note", args=[content_type.pk, customer.pk]),
        {"note-notes": "Asked for organic salmon."},
        HTTP_HX_REQUEST="true",
    )

    assert b'id="activity-panel"' in page.content
    assert response.status_code == 200
    assert "Asked for organic salmon." in response.content.decode()
    assert Activity.objects.get().about == customer


def test_an_activity_scheduled_on_the_opportunity_page_is_open_until_done(clerk):
    opportunity = f.OpportunityFactory()
    content_type = ContentType.objects.get_for_model(opportunity)

    clerk.post(
        reverse("crm:activity-schedule", args=[content_type.pk, opportunity.pk]),
        {
            "schedule-kind": "call",
            "schedule-subject": "Call about the tasting",
            "schedule-due_at": "2030-01-15T10:00",
        },
        HTTP_HX_REQUEST="true",
    )
    activity = Activity.objects.get()
    panel = clerk.get(reverse("crm:opportunities-detail", args=[opportunity.pk]))
    done = clerk.post(reverse("crm:activity-done", args=[activity.pk]), HTTP_HX_REQUEST="true")

    assert activity.owner == clerk.user and not activity.done
    assert [a.pk for a in panel.context["open_activities"]] == [activity.pk]
    assert [a.pk for a in done.context["done_activities"]] == [activity.pk]


def test_my_activities_page_groups_overdue_today_and_upcoming(clerk):
    customer = f.CustomerFactory()
    now = timezone.now()
    for days in (-2, 0, 3):
        activity_schedule(
            about=customer,
            kind="todo",
            subject=f"Todo {days}",
            due_at=now + timedelta(days=days),
            actor=clerk.user,
        )

    response = clerk.get(reverse("crm:my-activities"))

    groups = {key: [a.subject for a in rows] for key, _label, rows in response.context["groups"]}
    assert groups == {"overdue": ["Todo -2"], "today": ["Todo 0"], "upcoming": ["Todo 3"]}
    assert reverse("crm:customers-detail", args=[customer.pk]) in response.content.decode()


def test_a_sales_order_page_keeps_notes_and_activities_about_the_order(clerk, make_order):
    order = make_order()
    content_type = ContentType.objects.get_for_model(order)

    clerk.post(
        reverse("crm:activity-note", args=[content_type.pk, order.pk]),
        {"note-notes": "Customer asked to deliver to the back door."},
        HTTP_HX_REQUEST="true",
    )
    page = clerk.get(reverse("orders:sales-orders-detail", args=[order.pk]))

    note = Activity.objects.get()
    assert note.about == order and note.party == order.customer.party
    assert "Customer asked to deliver to the back door." in page.content.decode()
