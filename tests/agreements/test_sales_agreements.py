"""Sales agreements: their status, their terms, the release check orders call, fulfilment and the
nightly close of expired agreements."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from agreements.models import SalesAgreement, SalesAgreementLine, SalesAgreementRelease
from agreements.services.pricing import price_lookup
from agreements.services.sales_agreements import (
    agreement_record_delivery,
    agreement_record_invoice,
    agreement_release,
    close_expired_agreements,
    fulfilment,
    sales_agreement_close,
    sales_agreement_create,
    sales_agreement_make_effective,
)
from agreements.tasks import close_expired_sales_agreements
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.models import AuditEvent
from tests import factories as f


def today():
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def make_agreement(
    *,
    customer=None,
    lines=None,
    status="effective",
    commitment_type="product_quantity",
    total_commitment=Decimal("0.00"),
    tolerance=Decimal("0"),
    effective_date=None,
    expiration_date=None,
):
    """An agreement made through its services, in the given status. `lines` are dicts of
    SalesAgreementLine fields; by default one line of 100 of a new item at 10.00."""
    customer = customer or f.CustomerFactory()
    if lines is None:
        lines = [
            {
                "item": f.ItemFactory(),
                "committed_quantity": Decimal("100"),
                "unit_price": Decimal("10.0000"),
            }
        ]
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": effective_date or days(-10),
            "expiration_date": expiration_date or days(30),
            "commitment_type": commitment_type,
            "total_commitment": total_commitment,
            "over_release_tolerance": tolerance,
            "lines": lines,
        },
        actor=None,
    )
    if status in ("effective", "closed"):
        agreement = sales_agreement_make_effective(agreement=agreement, actor=None)
    if status == "closed":
        agreement = sales_agreement_close(agreement=agreement, actor=None)
    return agreement


def release(agreement, *rows, customer=None, ship=None, reference="SO-1"):
    """Release (item, quantity) rows from the agreement for its customer."""
    return agreement_release(
        agreement=agreement,
        customer=customer or agreement.customer,
        requested_ship_date=ship or today(),
        lines=[{"item": item, "quantity": quantity} for item, quantity in rows],
        reference=reference,
        actor=None,
    )


def line_of(agreement, item=None):
    lines = SalesAgreementLine.objects.filter(agreement=agreement)
    return lines.get(item=item) if item is not None else lines.get()


def events_of(record):
    return AuditEvent.objects.filter(
        content_type__app_label=record._meta.app_label,
        content_type__model=record._meta.model_name,
        object_id=str(record.pk),
    )


def assert_nothing_released(agreement):
    assert not SalesAgreementRelease.objects.filter(agreement=agreement).exists()
    assert (
        list(
            SalesAgreementLine.objects.filter(agreement=agreement).values_list(
                "released_quantity", "released_amount"
            )
        )
        == [(Decimal("0"), Decimal("0.00"))] * agreement.lines.count()
    )
    assert not events_of(agreement).filter(action="released").exists()


def agreement_payload(customer, item, **fields):
    return {
        "customer": customer.pk,
        "effective_date": str(days(-10)),
        "expiration_date": str(days(30)),
        "commitment_type": "product_quantity",
        "lines": [{"item": item.pk, "committed_quantity": "100", "unit_price": "10.0000"}],
        **fields,
    }


# --- status -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_new_agreement_is_on_hold_and_numbered_from_its_series(manager_api):
    customer = f.CustomerFactory()
    item = f.ItemFactory()

    response = manager_api.post(
        "/api/v1/sales-agreements/", agreement_payload(customer, item), format="json"
    )

    assert response.status_code == 201, response.json()
    agreement = SalesAgreement.objects.get(pk=response.json()["id"])
    assert agreement.number == "SA00001"
    assert agreement.status == SalesAgreement.Status.ON_HOLD
    assert agreement.customer == customer
    assert agreement.currency == customer.currency
    assert agreement.owner == manager_api.user
    line = line_of(agreement)
    assert (line.item, line.committed_quantity, line.unit_price) == (
        item,
        Decimal("100"),
        Decimal("10.0000"),
    )


@pytest.mark.django_db
def test_an_on_hold_agreement_with_lines_can_be_made_effective(manager_api):
    agreement = make_agreement(status="on_hold")

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/make-effective/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "effective"
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.EFFECTIVE
    event = events_of(agreement).get(action="make_effective")
    assert (event.from_status, event.to_status, event.actor) == (
        "on_hold",
        "effective",
        manager_api.user,
    )


@pytest.mark.django_db
def test_an_effective_agreement_can_be_put_back_on_hold(manager_api):
    agreement = make_agreement(status="effective")

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/put-on-hold/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.ON_HOLD


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["on_hold", "effective"])
def test_an_open_agreement_can_be_closed(manager_api, status):
    agreement = make_agreement(status=status)
    before = timezone.now()

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/close/", {}, format="json"
    )

    assert response.status_code == 200, response.json()
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.CLOSED
    assert agreement.closed_at is not None and agreement.closed_at >= before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("on_hold", "put-on-hold"),
        ("effective", "make-effective"),
        ("closed", "make-effective"),
        ("closed", "put-on-hold"),
        ("closed", "close"),
    ],
)
def test_a_transition_the_status_does_not_allow_is_refused_and_changes_nothing(
    manager_api, status, action
):
    agreement = make_agreement(status=status)
    closed_at = agreement.closed_at
    events_before = AuditEvent.objects.count()

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/{action}/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    agreement.refresh_from_db()
    assert agreement.status == status
    assert agreement.closed_at == closed_at
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_an_agreement_without_lines_cannot_take_effect(manager_api):
    agreement = make_agreement(status="on_hold", lines=[])

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/make-effective/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "agreement_has_no_lines"
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.ON_HOLD


@pytest.mark.django_db
def test_an_expired_agreement_cannot_take_effect(manager_api):
    agreement = make_agreement(status="on_hold", effective_date=days(-30), expiration_date=days(-1))

    response = manager_api.post(
        f"/api/v1/sales-agreements/{agreement.pk}/make-effective/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "agreement_expired"
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.ON_HOLD


# --- terms ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_terms_of_an_on_hold_agreement_can_be_changed(manager_api):
    agreement = make_agreement(status="on_hold")

    response = manager_api.patch(
        f"/api/v1/sales-agreements/{agreement.pk}/",
        {"expiration_date": str(days(60)), "over_release_tolerance": "5.00"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    agreement.refresh_from_db()
    assert agreement.expiration_date == days(60)
    assert agreement.over_release_tolerance == Decimal("5.00")


@pytest.mark.django_db
def test_the_terms_of_an_effective_agreement_cannot_be_changed(manager_api):
    agreement = make_agreement(status="effective")
    expiration_date = agreement.expiration_date

    response = manager_api.patch(
        f"/api/v1/sales-agreements/{agreement.pk}/",
        {"expiration_date": str(days(60))},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "agreement_not_on_hold"
    agreement.refresh_from_db()
    assert agreement.expiration_date == expiration_date
    assert agreement.status == SalesAgreement.Status.EFFECTIVE


@pytest.mark.django_db
def test_status_and_fulfilment_progress_cannot_be_posted(manager_api):
    customer = f.CustomerFactory()
    item = f.ItemFactory()
    progress = {
        "released_quantity": "50",
        "released_amount": "500.00",
        "delivered_quantity": "40",
        "delivered_amount": "400.00",
        "invoiced_quantity": "30",
        "invoiced_amount": "300.00",
    }
    payload = agreement_payload(customer, item, status="effective", number="SA99999")
    payload["lines"][0].update(progress)

    created = manager_api.post("/api/v1/sales-agreements/", payload, format="json")
    assert created.status_code == 201, created.json()
    agreement = SalesAgreement.objects.get(pk=created.json()["id"])
    line = line_of(agreement)
    changed = manager_api.patch(
        f"/api/v1/sales-agreements/{agreement.pk}/",
        {"status": "closed", "lines": [{"id": line.pk, "item": item.pk, **progress}]},
        format="json",
    )

    assert changed.status_code == 200, changed.json()
    agreement.refresh_from_db()
    assert agreement.status == SalesAgreement.Status.ON_HOLD
    assert agreement.number == "SA00001"
    line.refresh_from_db()
    assert [getattr(line, field) for field in progress] == [Decimal("0")] * 6


@pytest.mark.django_db
def test_an_agreement_cannot_expire_before_it_takes_effect(manager_api):
    payload = agreement_payload(
        f.CustomerFactory(),
        f.ItemFactory(),
        effective_date=str(days(10)),
        expiration_date=str(days(9)),
    )

    response = manager_api.post("/api/v1/sales-agreements/", payload, format="json")

    assert response.status_code == 400
    assert "expiration_date" in response.json()["errors"]
    assert not SalesAgreement.objects.exists()


@pytest.mark.django_db
def test_a_total_amount_commitment_needs_its_amount(manager_api):
    payload = agreement_payload(
        f.CustomerFactory(), f.ItemFactory(), commitment_type="total_amount"
    )

    response = manager_api.post("/api/v1/sales-agreements/", payload, format="json")

    assert response.status_code == 400
    assert "total_commitment" in response.json()["errors"]
    assert not SalesAgreement.objects.exists()


@pytest.mark.django_db
def test_an_item_appears_on_one_line_of_an_agreement(manager_api):
    item = f.ItemFactory()
    line = {"item": item.pk, "committed_quantity": "10", "unit_price": "10.0000"}
    payload = agreement_payload(f.CustomerFactory(), item, lines=[line, dict(line)])

    response = manager_api.post("/api/v1/sales-agreements/", payload, format="json")

    assert response.status_code == 400
    assert "lines" in response.json()["errors"]
    assert not SalesAgreement.objects.exists()


@pytest.mark.django_db
def test_every_line_of_a_product_quantity_commitment_commits_a_quantity(manager_api):
    committed = {"item": f.ItemFactory().pk, "committed_quantity": "10", "unit_price": "10.0000"}
    uncommitted = {"item": f.ItemFactory().pk, "unit_price": "10.0000"}
    payload = agreement_payload(
        f.CustomerFactory(), f.ItemFactory(), lines=[committed, uncommitted]
    )

    response = manager_api.post("/api/v1/sales-agreements/", payload, format="json")

    assert response.status_code == 400
    assert "lines" in response.json()["errors"]
    assert not SalesAgreement.objects.exists()


# --- releases ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("status", ["on_hold", "closed"])
def test_orders_are_released_only_from_an_effective_agreement(status):
    agreement = make_agreement(status=status)
    item = line_of(agreement).item

    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("10")))

    assert refused.value.code == "agreement_not_effective"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_an_expired_agreement_releases_nothing():
    agreement = make_agreement(status="effective", effective_date=days(-30))
    SalesAgreement.objects.filter(pk=agreement.pk).update(expiration_date=days(-1))
    item = line_of(agreement).item

    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("10")), ship=days(-2))

    assert refused.value.code == "agreement_expired"
    assert_nothing_released(agreement)


@pytest.mark.django_db
@pytest.mark.parametrize("ship_day", [-11, 31], ids=["before_effective", "after_expiration"])
def test_a_ship_date_outside_the_validity_period_is_refused(ship_day):
    agreement = make_agreement(effective_date=days(-10), expiration_date=days(30))
    item = line_of(agreement).item

    with pytest.raises(DomainError) as refused:
        release(agreement, (item, Decimal("10")), ship=days(ship_day))

    assert refused.value.code == "ship_date_outside_validity"
    assert refused.value.field == "requested_ship_date"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_ship_dates_on_the_first_and_last_day_of_validity_are_accepted():
    agreement = make_agreement(effective_date=days(-10), expiration_date=days(30))
    item = line_of(agreement).item

    release(agreement, (item, Decimal("10")), ship=days(-10), reference="SO-1")
    release(agreement, (item, Decimal("10")), ship=days(30), reference="SO-2")

    assert sorted(
        SalesAgreementRelease.objects.filter(agreement=agreement).values_list(
            "reference", "requested_ship_date"
        )
    ) == [("SO-1", days(-10)), ("SO-2", days(30))]
    assert line_of(agreement).released_quantity == Decimal("20")


@pytest.mark.django_db
def test_an_agreement_releases_only_to_its_own_customer():
    agreement = make_agreement()
    item = line_of(agreement).item

    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("10")), customer=f.CustomerFactory())

    assert refused.value.code == "agreement_customer_mismatch"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_an_item_not_on_the_agreement_is_refused_with_the_whole_release():
    agreement = make_agreement()
    item = line_of(agreement).item

    with pytest.raises(DomainError) as refused:
        release(agreement, (item, Decimal("10")), (f.ItemFactory(), Decimal("1")))

    assert refused.value.code == "item_not_in_agreement"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_a_release_beyond_the_committed_quantity_is_refused():
    agreement = make_agreement(tolerance=Decimal("0"))
    item = line_of(agreement).item

    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("100.0001")))

    assert refused.value.code == "commitment_exceeded"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_releases_may_exceed_the_committed_quantity_by_the_over_release_tolerance():
    agreement = make_agreement(tolerance=Decimal("10"))  # committed 100
    item = line_of(agreement).item

    release(agreement, (item, Decimal("60")), reference="SO-1")
    release(agreement, (item, Decimal("50")), reference="SO-2")
    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("1")), reference="SO-3")

    assert refused.value.code == "commitment_exceeded"
    assert line_of(agreement).released_quantity == Decimal("110")
    assert sorted(
        SalesAgreementRelease.objects.filter(agreement=agreement).values_list(
            "reference", flat=True
        )
    ) == ["SO-1", "SO-2"]


@pytest.mark.django_db
def test_a_product_amount_commitment_limits_the_released_amount_of_each_line():
    item = f.ItemFactory()
    agreement = make_agreement(
        commitment_type="product_amount",
        lines=[
            {
                "item": item,
                "committed_amount": Decimal("1000.00"),
                "unit_price": Decimal("12.5000"),
                "discount_percent": Decimal("20.00"),  # 10.00 net a unit
            }
        ],
    )

    release(agreement, (item, Decimal("95")), reference="SO-1")
    with pytest.raises(ConflictError) as refused:
        release(agreement, (item, Decimal("6")), reference="SO-2")
    release(agreement, (item, Decimal("5")), reference="SO-3")

    assert refused.value.code == "commitment_exceeded"
    line = line_of(agreement)
    assert line.released_amount == Decimal("1000.00")
    assert line.released_quantity == Decimal("100")
    assert sorted(
        SalesAgreementRelease.objects.filter(agreement=agreement).values_list("reference", "amount")
    ) == [("SO-1", Decimal("950.00")), ("SO-3", Decimal("50.00"))]


@pytest.mark.django_db
def test_a_release_is_valued_at_quantity_times_price_less_discount_rounded_once_to_cents():
    item = f.ItemFactory()
    agreement = make_agreement(
        commitment_type="product_amount",
        lines=[
            {
                "item": item,
                "committed_amount": Decimal("1000.00"),
                "unit_price": Decimal("3.3350"),
                "discount_percent": Decimal("10.00"),
            }
        ],
    )
    priced = price_lookup(
        customer=agreement.customer, item=item, quantity=Decimal("3"), sales_agreement=agreement
    ).line_amount(Decimal("3"))

    (released,) = release(agreement, (item, Decimal("3")))

    assert priced == Decimal("9.00")  # 3 x 3.3350 = 10.005, less 10 % = 9.0045
    assert released.amount == Decimal("9.00")
    assert line_of(agreement).released_amount == Decimal("9.00")


@pytest.mark.django_db
def test_a_total_amount_commitment_limits_the_amount_released_across_lines():
    chairs, tables = f.ItemFactory(), f.ItemFactory()
    agreement = make_agreement(
        commitment_type="total_amount",
        total_commitment=Decimal("1000.00"),
        lines=[
            {"item": chairs, "unit_price": Decimal("10.0000")},
            {"item": tables, "unit_price": Decimal("20.0000")},
        ],
    )

    release(agreement, (chairs, Decimal("30")), (tables, Decimal("20")), reference="SO-1")  # 700
    with pytest.raises(ConflictError) as refused:  # 320 more: 1020
        release(agreement, (chairs, Decimal("10")), (tables, Decimal("11")), reference="SO-2")
    release(agreement, (chairs, Decimal("10")), (tables, Decimal("10")), reference="SO-3")  # 1000

    assert refused.value.code == "commitment_exceeded"
    assert line_of(agreement, chairs).released_amount == Decimal("400.00")
    assert line_of(agreement, tables).released_amount == Decimal("600.00")
    assert not SalesAgreementRelease.objects.filter(reference="SO-2").exists()


@pytest.mark.django_db
def test_a_release_is_recorded_per_line_raises_the_released_totals_and_is_audited(user_in):
    chairs, tables = f.ItemFactory(), f.ItemFactory()
    agreement = make_agreement(
        lines=[
            {
                "item": chairs,
                "committed_quantity": Decimal("100"),
                "unit_price": Decimal("10.0000"),
            },
            {
                "item": tables,
                "committed_quantity": Decimal("10"),
                "unit_price": Decimal("250.0000"),
                "discount_percent": Decimal("10.00"),
            },
        ],
    )
    actor = user_in("sales manager")

    releases = agreement_release(
        agreement=agreement,
        customer=agreement.customer,
        requested_ship_date=days(5),
        lines=[
            {"item": chairs, "quantity": Decimal("12")},
            {"item": tables, "quantity": Decimal("2")},
        ],
        reference="SO-1",
        actor=actor,
    )

    assert len(releases) == 2
    recorded = SalesAgreementRelease.objects.filter(agreement=agreement).order_by("line_id")
    assert [
        (r.line.item, r.quantity, r.amount, r.requested_ship_date, r.reference, r.released_by)
        for r in recorded
    ] == [
        (chairs, Decimal("12"), Decimal("120.00"), days(5), "SO-1", actor),
        (tables, Decimal("2"), Decimal("450.00"), days(5), "SO-1", actor),
    ]
    assert (
        line_of(agreement, chairs).released_quantity,
        line_of(agreement, chairs).released_amount,
    ) == (Decimal("12"), Decimal("120.00"))
    assert (
        line_of(agreement, tables).released_quantity,
        line_of(agreement, tables).released_amount,
    ) == (Decimal("2"), Decimal("450.00"))
    event = events_of(agreement).get(action="released")
    assert event.actor == actor
    assert event.data == {"reference": "SO-1", "lines": 2, "amount": "570.00"}


@pytest.mark.django_db
def test_fulfilment_reports_committed_released_delivered_invoiced_and_remaining():
    chairs, tables = f.ItemFactory(), f.ItemFactory()
    agreement = make_agreement(
        lines=[
            {
                "item": chairs,
                "committed_quantity": Decimal("100"),
                "unit_price": Decimal("10.0000"),
            },
            {
                "item": tables,
                "committed_quantity": Decimal("50"),
                "unit_price": Decimal("20.0000"),
            },
        ],
    )
    release(agreement, (chairs, Decimal("40")), (tables, Decimal("10")))
    agreement_record_delivery(
        line=line_of(agreement, chairs), quantity=Decimal("30"), amount=Decimal("300.00")
    )
    agreement_record_invoice(
        line=line_of(agreement, chairs), quantity=Decimal("20"), amount=Decimal("200.00")
    )

    summary = fulfilment(agreement)

    keys = ("committed", "released", "delivered", "invoiced", "remaining")
    assert summary["measure"] == "quantity"
    assert [(entry["line"].item, *(entry[key] for key in keys)) for entry in summary["lines"]] == [
        (chairs, Decimal("100"), Decimal("40"), Decimal("30"), Decimal("20"), Decimal("60")),
        (tables, Decimal("50"), Decimal("10"), Decimal("0"), Decimal("0"), Decimal("40")),
    ]
    assert [summary["total"][key] for key in keys] == [
        Decimal("150"),
        Decimal("50"),
        Decimal("30"),
        Decimal("20"),
        Decimal("100"),
    ]


@pytest.mark.django_db
def test_fulfilment_of_an_amount_commitment_is_measured_in_amounts():
    item = f.ItemFactory()
    agreement = make_agreement(
        commitment_type="product_amount",
        lines=[
            {
                "item": item,
                "committed_amount": Decimal("1000.00"),
                "unit_price": Decimal("10.0000"),
            }
        ],
    )
    release(agreement, (item, Decimal("25")))
    agreement_record_delivery(
        line=line_of(agreement), quantity=Decimal("10"), amount=Decimal("100.00")
    )

    summary = fulfilment(agreement)

    assert summary["measure"] == "amount"
    keys = ("committed", "released", "delivered", "invoiced", "remaining")
    assert [summary["total"][key] for key in keys] == [
        Decimal("1000.00"),
        Decimal("250.00"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("750.00"),
    ]


# --- expiry -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_agreements_past_their_expiration_date_are_closed_and_others_left():
    on_hold_expired = make_agreement(status="on_hold", expiration_date=days(-1))
    effective_expired = make_agreement(status="effective")
    SalesAgreement.objects.filter(pk=effective_expired.pk).update(expiration_date=days(-1))
    expiring_today = make_agreement(status="effective", expiration_date=today())
    running = make_agreement(status="on_hold", expiration_date=days(30))
    already_closed = make_agreement(status="closed")
    SalesAgreement.objects.filter(pk=already_closed.pk).update(expiration_date=days(-1))
    closed_at = already_closed.closed_at

    closed = close_expired_agreements()

    assert closed == 2
    statuses = dict(SalesAgreement.objects.values_list("pk", "status"))
    assert statuses == {
        on_hold_expired.pk: "closed",
        effective_expired.pk: "closed",
        expiring_today.pk: "effective",
        running.pk: "on_hold",
        already_closed.pk: "closed",
    }
    already_closed.refresh_from_db()
    assert already_closed.closed_at == closed_at
    event = events_of(effective_expired).get(action="close")
    assert (event.from_status, event.to_status, event.data["reason"]) == (
        "effective",
        "closed",
        "expired",
    )


@pytest.mark.django_db
def test_closing_expired_agreements_twice_closes_nothing_more():
    expired = make_agreement(status="on_hold", expiration_date=days(-1))
    close_expired_agreements()
    expired.refresh_from_db()
    closed_at = expired.closed_at
    events_before = AuditEvent.objects.count()

    closed_again = close_expired_agreements()

    assert closed_again == 0
    expired.refresh_from_db()
    assert expired.status == SalesAgreement.Status.CLOSED
    assert expired.closed_at == closed_at
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_the_nightly_task_closes_expired_agreements():
    expired = make_agreement(status="on_hold", expiration_date=days(-1))
    running = make_agreement(status="effective")

    closed = close_expired_sales_agreements.apply().get()

    assert closed == 1
    expired.refresh_from_db()
    running.refresh_from_db()
    assert (expired.status, running.status) == ("closed", "effective")
    assert close_expired_sales_agreements.apply().get() == 0


# --- concurrency ------------------------------------------------------------------------------
def at_once(*calls):
    """Run each call in its own thread (own database connection), all released together;
    returns what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_never_exceed_the_commitment():
    agreement = make_agreement(tolerance=Decimal("0"))  # one line, committed 100
    item = line_of(agreement).item

    def release_20(n):
        return lambda: release(agreement, (item, Decimal("20")), reference=f"SO-{n}")

    outcomes = at_once(*(release_20(n) for n in range(8)))

    released = [outcome for outcome in outcomes if isinstance(outcome, list)]
    refused = [
        outcome
        for outcome in outcomes
        if isinstance(outcome, ConflictError) and outcome.code == "commitment_exceeded"
    ]
    assert (len(released), len(refused)) == (5, 3), outcomes
    assert line_of(agreement).released_quantity == Decimal("100")
    assert SalesAgreementRelease.objects.filter(agreement=agreement).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-5")])
def test_a_release_of_nothing_or_less_is_refused(quantity):
    agreement = make_agreement()

    with pytest.raises(DomainError) as refused:
        release(agreement, (line_of(agreement).item, quantity))

    assert refused.value.code == "invalid_quantity"
    assert_nothing_released(agreement)


@pytest.mark.django_db
def test_a_line_may_take_over_the_item_of_a_line_removed_in_the_same_change(manager_api):
    first, second = f.ItemFactory(), f.ItemFactory()
    agreement = make_agreement(
        status="on_hold",
        lines=[
            {"item": first, "committed_quantity": Decimal("1"), "unit_price": Decimal("1")},
            {"item": second, "committed_quantity": Decimal("2"), "unit_price": Decimal("2")},
        ],
    )
    kept = line_of(agreement, second)

    response = manager_api.patch(
        f"/api/v1/sales-agreements/{agreement.pk}/",
        {
            "lines": [
                {"id": kept.pk, "item": first.pk, "committed_quantity": "5", "unit_price": "2"}
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert list(agreement.lines.values_list("pk", "item_id")) == [(kept.pk, first.pk)]
