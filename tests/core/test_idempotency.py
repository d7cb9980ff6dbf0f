import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from crm.api.serializers import PartySerializer
from crm.api.views import PartyViewSet
from crm.models import Party
from salesmkt.core.api.idempotency import purge_expired
from salesmkt.core.models import IdempotencyRecord

URL = "/api/v1/parties/"


@pytest.mark.django_db
def test_retry_with_the_same_key_and_body_returns_the_first_response_without_doing_it_twice(
    manager_api,
):
    body = {"name": "Nordlys AS", "email": "post@nordlys.no"}

    first = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Party.objects.filter(name="Nordlys AS").count() == 1


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_refused_with_422(manager_api):
    manager_api.post(URL, {"name": "First AS"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = manager_api.post(
        URL, {"name": "Second AS"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Party.objects.filter(name="Second AS").exists()


@pytest.mark.django_db
def test_retry_while_the_first_request_is_still_running_gets_409(manager_api):
    body = {"name": "Slow AS"}
    manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    # Put the key back into the state it has while the first request is running.
    IdempotencyRecord.objects.filter(key="k-3").update(state=IdempotencyRecord.State.IN_PROGRESS)

    response = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert Party.objects.filter(name="Slow AS").count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user(api_as):
    alice, bob = api_as("sales manager"), api_as("sales manager")

    alice.post(URL, {"name": "Alice AS"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = bob.post(URL, {"name": "Bob AS"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert response.status_code == 201
    assert Party.objects.filter(name__in=["Alice AS", "Bob AS"]).count() == 2


@pytest.mark.django_db
def test_a_refused_request_is_replayed_as_refused(manager_api):
    body = {"name": ""}

    first = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    retry = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json()


@pytest.mark.django_db
def test_keys_are_kept_for_24_hours_then_forgotten(manager_api):
    manager_api.post(URL, {"name": "Kept AS"}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    record = IdempotencyRecord.objects.get(key="k-5")

    assert purge_expired(now=record.created_at + timedelta(hours=23)) == 0
    assert IdempotencyRecord.objects.filter(key="k-5").exists()
    assert purge_expired(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyRecord.objects.filter(key="k-5").exists()


@pytest.mark.django_db
def test_a_claim_left_unfinished_past_its_lease_is_taken_over_and_the_work_done_once(
    manager_api,
):
    body = {"name": "Orphan AS"}
    manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-6")
    # Given a claim committed unfinished by a process that died (its work never committed),
    # whose lease ran out:
    Party.objects.filter(name="Orphan AS").delete()
    IdempotencyRecord.objects.filter(key="k-6").update(
        state=IdempotencyRecord.State.IN_PROGRESS,
        response_status=None,
        response_body=None,
        lease_until=timezone.now() - timedelta(seconds=1),
    )

    retry = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-6")

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Party.objects.filter(name="Orphan AS").count() == 1
    assert IdempotencyRecord.objects.get(key="k-6").state == IdempotencyRecord.State.COMPLETED


@pytest.mark.django_db
def test_a_server_error_after_the_work_undoes_the_work_with_the_key_and_the_retry_does_it_once(
    manager_api,
):
    body = {"name": "Crash AS"}
    crash = RuntimeError("the process fails after the party was written")
    with (
        mock.patch.object(PartySerializer, "to_representation", side_effect=crash),
        pytest.raises(RuntimeError),
    ):
        manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-7")

    assert not Party.objects.filter(name="Crash AS").exists()
    assert not IdempotencyRecord.objects.filter(key="k-7").exists()
    retry = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert retry.status_code == 201
    assert Party.objects.filter(name="Crash AS").count() == 1


@pytest.fixture
def role_groups(transactional_db):
    """A transactional test's flush removes the role groups the migrations made: put them back."""
    from django.apps import apps

    from salesmkt.core.roles import sync_role_groups

    sync_role_groups(apps)


class HeldFirstRequest:
    """Holds the first request with a key after its work, before its transaction commits."""

    def __init__(self):
        self.working, self.release = threading.Event(), threading.Event()
        perform_create = PartyViewSet.perform_create

        def held(view, serializer):
            perform_create(view, serializer)
            if threading.current_thread().name == "first":
                self.working.set()
                self.release.wait(30)

        self.perform_create = held

    def post(self, api, body, key, answers, name):
        client = APIClient()  # one per thread, for the same user
        client.force_authenticate(user=api.user)

        def run():
            try:
                answers[name] = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
            finally:
                connection.close()

        thread = threading.Thread(target=run, name=name)
        thread.start()
        return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_waits_for_it_and_replays_its_answer(
    role_groups, manager_api
):
    held, answers, body = HeldFirstRequest(), {}, {"name": "Patient AS"}
    with mock.patch.object(PartyViewSet, "perform_create", held.perform_create):
        first = held.post(manager_api, body, "k-8", answers, "first")
        assert held.working.wait(30)
        retry = held.post(manager_api, body, "k-8", answers, "retry")
        time.sleep(0.3)  # the retry meets the first one's uncommitted claim (or its answer)
        held.release.set()
        first.join(30), retry.join(30)

    assert answers["first"].status_code == answers["retry"].status_code == 201
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert answers["retry"].json() == answers["first"].json()
    assert Party.objects.filter(name="Patient AS").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_gives_up_waiting_with_409_while_the_first_request_is_still_running(
    role_groups, manager_api, settings
):
    settings.IDEMPOTENCY_WAIT = timedelta(milliseconds=200)
    held, answers, body = HeldFirstRequest(), {}, {"name": "Busy AS"}
    with mock.patch.object(PartyViewSet, "perform_create", held.perform_create):
        first = held.post(manager_api, body, "k-9", answers, "first")
        assert held.working.wait(30)
        held.post(manager_api, body, "k-9", answers, "retry").join(30)
        held.release.set()
        first.join(30)

    assert answers["retry"].status_code == 409
    assert answers["retry"].json()["code"] == "idempotency_key_in_progress"
    assert answers["first"].status_code == 201
    assert Party.objects.filter(name="Busy AS").count() == 1


@pytest.mark.django_db
def test_a_refusal_echoing_a_nul_character_is_kept_and_replayed(manager_api):
    """PostgreSQL cannot store U+0000 in jsonb: the refusal naming a key sent with a NUL in it is
    still answered (400, not 500) and replayed, the stored copy showing it as U+FFFD."""
    body = {"name": "Nordlys AS", "bad\u0000key": 1}

    first = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul")
    retry = manager_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul")

    assert first.status_code == 400
    assert "bad\u0000key" in first.json()["errors"]
    assert retry.status_code == 400
    assert "bad\ufffdkey" in retry.json()["errors"]
    assert not Party.objects.exists()
