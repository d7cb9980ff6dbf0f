import threading

import pytest
from django.db import connections, transaction

from salesmkt.core.models import NumberSeries
from salesmkt.core.numbering import next_number


@pytest.mark.django_db
def test_numbers_follow_on_without_gaps_and_carry_the_series_format():
    NumberSeries.objects.create(code="quote", name="Quotations", prefix="Q-", padding=4)

    with transaction.atomic():
        numbers = [next_number("quote") for _ in range(3)]

    assert numbers == ["Q-0001", "Q-0002", "Q-0003"]


@pytest.mark.django_db
def test_number_of_a_rolled_back_transaction_is_given_out_again():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        next_number("rolled-back")
        raise Abort

    with transaction.atomic():
        assert next_number("rolled-back") == "000001"


@pytest.mark.django_db(transaction=True)
def test_next_number_refuses_to_run_outside_the_transaction_that_uses_it():
    with pytest.raises(RuntimeError):
        next_number("customer")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_are_gapless_and_unique_under_concurrent_use():
    """8 threads, each on its own connection, take 50 numbers each at the same time."""
    NumberSeries.objects.create(code="concurrent", name="Concurrent", prefix="", padding=6)
    threads_count, per_thread = 8, 50
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def worker():
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    number = next_number("concurrent")
                with lock:
                    taken.append(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    values = sorted(int(number) for number in taken)
    assert values == list(range(1, threads_count * per_thread + 1))  # no gap, no duplicate
    assert NumberSeries.objects.get(code="concurrent").next_value == threads_count * per_thread + 1
