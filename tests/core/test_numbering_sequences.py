"""Order, quotation and RMA numbers come from a PostgreSQL sequence per series: concurrent
entries never wait for each other (gaps are allowed there); invoices and the other gapless
series keep the locked counter. Proven with threads on PostgreSQL."""

import threading
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from orders.models import SalesOrder
from orders.services.orders import sales_order_create
from salesmkt.core import numbering
from salesmkt.core.models import NumberSeries
from salesmkt.core.numbering import next_number, number_series_update
from tests import factories as f


def order_of(customer, warehouse, item):
    return sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": date(2026, 12, 1),
            "lines": [{"item": item, "warehouse": warehouse, "quantity": Decimal("1")}],
        },
        actor=None,
    )


@pytest.fixture
def goods():
    return f.CustomerFactory(credit_limit=0), f.WarehouseFactory(), f.ItemFactory()


@pytest.mark.postgres
@pytest.mark.django_db
def test_orders_quotations_and_rmas_draw_from_sequences_invoices_from_the_gapless_counter():
    with transaction.atomic():
        numbers = [next_number(code) for code in ("sales-order", "quotation", "rma", "invoice")]

    assert numbers == ["SO000001", "SQ000001", "RMA000001", "INV000001"]
    kinds = dict(NumberSeries.objects.values_list("code", "gapless"))
    assert kinds == {"sales-order": False, "quotation": False, "rma": False, "invoice": True}
    # a sequence's series row is not written (nor locked) when a number is taken
    assert NumberSeries.objects.get(code="sales-order").next_value == 1
    assert NumberSeries.objects.get(code="invoice").next_value == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_entering_orders_at_once_get_eight_distinct_numbers(goods):
    customer, warehouse, item = goods
    with transaction.atomic():
        next_number("sales-order")  # the series and its sequence exist before the race
    numbers, errors = [], []
    lock, start = threading.Lock(), threading.Barrier(8)

    def clerk():
        try:
            start.wait()
            order = order_of(customer, warehouse, item)
            with lock:
                numbers.append(order.number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(set(numbers)) == 8
    assert all(number.startswith("SO") for number in numbers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_entered_while_another_entry_is_still_open_commits_without_waiting(goods):
    customer, warehouse, item = goods
    with transaction.atomic():
        next_number("sales-order")
    first_open, first_may_commit = threading.Event(), threading.Event()
    outcome = {}

    def slow_clerk():
        try:
            with transaction.atomic():
                outcome["slow"] = order_of(customer, warehouse, item).number
                first_open.set()  # its order and number are taken, not committed
                first_may_commit.wait(30)
        finally:
            connections.close_all()

    def quick_clerk():
        try:
            with connection.cursor() as cursor:  # waiting on a lock would fail, not hang
                cursor.execute("SET lock_timeout = '2s'")
            outcome["quick"] = order_of(customer, warehouse, item).number
        except BaseException as exc:
            outcome["quick_error"] = exc
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_clerk)
    slow.start()
    assert first_open.wait(30)
    quick = threading.Thread(target=quick_clerk)
    quick.start()
    quick.join(30)
    quick_committed, first_still_open = not quick.is_alive(), slow.is_alive()
    first_may_commit.set()
    slow.join(30)

    assert "quick_error" not in outcome
    assert quick_committed and first_still_open
    assert outcome["quick"] != outcome["slow"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_rolled_back_order_leaves_a_gap_in_the_order_numbers(goods):
    customer, warehouse, item = goods

    class Abort(Exception):
        pass

    first = order_of(customer, warehouse, item)
    with pytest.raises(Abort), transaction.atomic():
        order_of(customer, warehouse, item)
        raise Abort
    third = order_of(customer, warehouse, item)

    assert (first.number, third.number) == ("SO000001", "SO000003")


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_admin_moves_a_sequence_forward_and_never_back():
    with transaction.atomic():
        next_number("sales-order")
    series = NumberSeries.objects.get(code="sales-order")

    number_series_update(instance=series, data={"next_value": 500}, actor=None)
    with transaction.atomic():
        moved = next_number("sales-order")
    with pytest.raises(ValidationError) as refused:
        number_series_update(instance=series, data={"next_value": 10}, actor=None)

    assert moved == "SO000500"
    assert "next_value" in refused.value.message_dict


@pytest.mark.django_db
def test_a_gapless_series_next_value_is_not_moved_by_hand():
    with transaction.atomic():
        next_number("invoice")
    series = NumberSeries.objects.get(code="invoice")

    with pytest.raises(ValidationError) as refused:
        number_series_update(instance=series, data={"next_value": 50}, actor=None)

    assert "next_value" in refused.value.message_dict


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_series_switched_between_kinds_continues_where_it_stood():
    with transaction.atomic():
        taken = [next_number("quotation") for _ in range(3)]
    series = NumberSeries.objects.get(code="quotation")

    number_series_update(instance=series, data={"gapless": True}, actor=None)
    with transaction.atomic():
        counted = next_number("quotation")
    number_series_update(
        instance=NumberSeries.objects.get(code="quotation"), data={"gapless": False}, actor=None
    )
    with transaction.atomic():
        drawn = next_number("quotation")

    assert taken == ["SQ000001", "SQ000002", "SQ000003"]
    assert (counted, drawn) == ("SQ000004", "SQ000005")


@pytest.mark.django_db
def test_without_postgresql_every_series_uses_the_locked_counter():
    embedded = mock.Mock(vendor="sqlite", in_atomic_block=True)

    with mock.patch.object(numbering, "connection", embedded), transaction.atomic():
        numbers = [next_number("sales-order") for _ in range(2)]

    assert numbers == ["SO000001", "SO000002"]
    assert NumberSeries.objects.get(code="sales-order").next_value == 3


@pytest.mark.django_db
def test_the_admin_shows_which_kind_each_series_is(superuser, client):
    with transaction.atomic():
        next_number("sales-order")
        next_number("invoice")
    client.force_login(superuser)

    page = client.get("/admin/core/numberseries/").content.decode()

    assert "gapless counter" in page
    expected = "sequence (gaps allowed)" if connection.vendor == "postgresql" else "counter"
    assert expected in page


@pytest.mark.django_db
def test_a_number_written_with_its_document_is_padded_like_the_series_and_never_cut(goods):
    customer, warehouse, item = goods
    with transaction.atomic():
        next_number("sales-order")  # the series exists
    series = NumberSeries.objects.get(code="sales-order")
    number_series_update(instance=series, data={"next_value": 9_999_999}, actor=None)

    with transaction.atomic():
        numbers = [order_of(customer, warehouse, item).number for _ in range(2)]

    assert numbers == ["SO9999999", "SO10000000"]
    assert sorted(numbers) == sorted(SalesOrder.objects.values_list("number", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_number_is_taken_and_written_to_its_document_in_one_statement(goods):
    customer, warehouse, item = goods
    with transaction.atomic():
        order = order_of(customer, warehouse, item)
    order.number = "SO-OLD"
    order.save(update_fields=["number"])

    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        number = numbering.assign_number(order, "number", "sales-order")

    assert len(statements) == 1
    assert order.number == number == "SO000002"
    assert type(order).objects.get(pk=order.pk).number == "SO000002"
