"""API fuzzing: schemathesis generates requests from the published OpenAPI schema (`/api/schema/`)
for every operation, valid ones and invalid ones, sends them as a superuser with a token, and
checks each answer: never a 5xx, a status code, content type and body the schema declares, an
invalid request refused ("invalid request accepted": `negative_data_rejection`), a missing
required header refused, a method the path does not declare answered 405, and no success without
the token (`ignored_auth` sends the request again without it and with a wrong one).

Three phases, as `schemathesis run` has them: the coverage phase (cases derived from the schema
without randomness: boundary lengths and values, each enum value, a property missing or of the
wrong type, a wrong Content-Type, an undeclared method), the fuzzing phase (hypothesis, positive
and negative) and the stateful phase.

Every list resource is seeded with a record first, and generated ids are pointed at it, so detail
operations and actions reach a real record instead of answering 404 to every example. The counts
are bounded (a few examples per operation, derandomized; one coverage case of each kind per
operation) so the run is reproducible and takes a few minutes in CI; the totals are printed.

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
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests import factories as f
from tests.core.test_api_conventions import LIST_ENDPOINTS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # "invalid request accepted"
    missing_required_header,
    unsupported_method,
    ignored_auth,
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
        # answer 404 or 400, not reach a record. The coverage phase sends path values as text.
        if record is not None and (
            (isinstance(value, int) and value >= 0) or (isinstance(value, str) and value.isdigit())
        ):
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


def coverage_cases(schema, operation):
    """The coverage phase's cases of an operation: schemathesis derives them from the schema
    without randomness (boundary lengths and values, every enum value, each property missing or
    of the wrong type, a wrong Content-Type, methods the path does not declare). An operation
    yields hundreds, mostly the same kind of case for one property after another: one case of
    each kind (mode, scenario, where in the request) keeps the run to a few minutes."""
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )
    kinds = set()
    for case in generator:
        scenario = case.meta.phase.data
        kind = (case.meta.generation.mode, scenario.scenario, scenario.parameter_location)
        if kind not in kinds:
            kinds.add(kind)
            yield case


@pytest.mark.django_db
def test_coverage_phase_cases_answer_within_the_schema(wsgi_app, token_headers, seeded_ids):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=token_headers)
    counts = Counter()
    failures = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        for case in coverage_cases(schema, operation):
            point_at_seeded_record(case, seeded_ids)
            savepoint = transaction.savepoint()
            try:
                response = case.call(headers=token_headers)
                counts[f"{case.meta.generation.mode.value} {response.status_code // 100}xx"] += 1
                case.validate_response(response, checks=CHECKS, headers=token_headers)
            except (Exception, BaseExceptionGroup) as error:
                # The first case of an operation that fails each way is enough to reproduce it.
                scenario = case.meta.phase.data
                key = (operation.label, describe(error)[:80])
                failures.setdefault(
                    key,
                    f"{case.method} {case.formatted_path} [{scenario.description}] "
                    f"query={case.query!r:.120} body={case.body!r:.160}: {describe(error)}",
                )
            finally:
                transaction.savepoint_rollback(savepoint)

    print(f"\nAPI fuzzing, coverage: {sum(counts.values())} cases, {dict(counts)}")
    assert not failures, "\n\n".join(failures.values())


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
