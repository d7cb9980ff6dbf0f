"""API fuzzing: schemathesis generates requests from the published OpenAPI schema (`/api/schema/`)
for every operation, valid ones and invalid ones, sends them as a superuser with a token, and
checks each answer: never a 5xx, a status code, content type and body the schema declares.

Every list resource is seeded with a record first, and generated ids are pointed at it, so detail
operations and actions reach a real record instead of answering 404 to every example. The counts
are bounded (a few examples per operation, derandomized) so the run is reproducible and takes well
under a minute in CI; the total is printed for the README.

The stateful part follows links between operations: drf-spectacular publishes none, so the links
are the ones schemathesis infers from the schema (a create's `id` feeding the retrieve, update,
delete and actions of the same resource), and the state machine runs a bounded number of steps.
"""

import re
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f
from tests.core.test_api_conventions import LIST_ENDPOINTS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}
STATEFUL_SCENARIOS = 50
STATEFUL_STEPS = 8

FUZZ_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

RESOURCE = re.compile(r"^/api/v1/(?P<resource>[a-z-]+(?:/by-[a-z]+)?)/")


@pytest.fixture
def wsgi_app(settings, monkeypatch):
    """The real WSGI app in this thread, inside the test's transaction: no throttling, and no
    closing of the connection between requests (as Django's test client does)."""
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SECURE_SSL_REDIRECT = False
    scopes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", dict.fromkeys(scopes, "100000/second")
    )
    request_started.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)


@pytest.fixture
def token_headers():
    user = f.UserFactory(is_superuser=True, is_staff=True)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def seeded_ids():
    """One record of every list resource; path parameters of detail operations point at them."""
    ids = {}
    for resource, make in LIST_ENDPOINTS.items():
        record = make()
        ids[resource] = record.pk
        if resource == "invoices":
            ids["receivables"] = record.customer_id
        if resource == "backorders/by-item":
            ids["backorders/by-item"] = record.item_id
    return ids


def point_at_seeded_record(case, seeded_ids) -> None:
    match = RESOURCE.match(case.path)
    if not match or not case.path_parameters:
        return
    record = seeded_ids.get(match["resource"])
    for name, value in case.path_parameters.items():
        # Negative examples (a string, a negative number) keep their generated value: they must
        # answer 404 or 400, not reach a record.
        if record is not None and isinstance(value, int) and value >= 0:
            case.path_parameters[name] = record


def has_input(operation) -> bool:
    """Whether the operation takes a parameter or a body a negative case could spoil (the
    security headers and cookies every operation declares do not count: they are sent right)."""
    return bool(len(operation.path_parameters) or len(operation.query) or len(operation.body))


def describe(error) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    raw = getattr(error, "_raw_message", None)
    if raw is not None:
        return f"{error.title}: {raw} at {list(error.instance_path)} got {error.instance!r:.80}"
    message = getattr(error, "message", None) or str(error) or error.__class__.__name__
    return f"{getattr(error, 'title', '')}: {' '.join(message.split())[:200]}"


@pytest.mark.django_db
def test_every_operation_answers_within_its_schema(wsgi_app, token_headers, seeded_ids):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=token_headers)
    counts = Counter()
    failures = []

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not has_input(operation):
                continue  # nothing to make invalid (GET /company/ takes no parameter or body)

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(max_examples=examples, **FUZZ_SETTINGS)
            def fuzz(case):
                point_at_seeded_record(case, seeded_ids)
                # Each request its own transaction, as in production: a request that fails in
                # the database must not abort the ones after it.
                savepoint = transaction.savepoint()
                response = case.call(headers=token_headers)
                if response.status_code >= 500:
                    transaction.savepoint_rollback(savepoint)
                else:
                    transaction.savepoint_commit(savepoint)
                counts[operation.label] += 1
                case.validate_response(response, checks=CHECKS, headers=token_headers)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as error:  # every operation's failures at once
                failures.append(f"{operation.label} [{mode.value}]: {describe(error)}")

    print(f"\nAPI fuzzing: {len(counts)} operations, {sum(counts.values())} cases")
    assert not failures, "\n\n".join(failures)


def count_links(schema) -> int:
    from schemathesis.specs.openapi.stateful import collect_transitions

    operations = [result.ok() for result in schema.get_all_operations()]
    transitions = collect_transitions(operations)
    return sum(len(entry.outgoing) for entry in transitions.operations.values())


@pytest.mark.django_db
def test_stateful_runs_following_links_answer_within_the_schema(
    wsgi_app, token_headers, seeded_ids
):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=token_headers)
    machine = schema.as_state_machine()  # infers the links the schema does not publish
    links = count_links(schema)
    steps = Counter()

    class Scenario(machine):
        # Every scenario starts from the seeded records: what one created or deleted is rolled
        # back, so a replayed scenario meets the same data and draws the same way.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": token_headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            steps[response.status_code // 100 * 100] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=token_headers)

    Scenario.run(
        settings=hypothesis_settings(
            max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS, **FUZZ_SETTINGS
        )
    )

    print(f"\nAPI fuzzing, stateful: {links} links, {sum(steps.values())} calls, {dict(steps)}")
    assert links > 0
    assert steps[200] > 0, "no stateful call succeeded"
