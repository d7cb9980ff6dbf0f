from datetime import timedelta

import pytest
from django.utils import timezone

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
