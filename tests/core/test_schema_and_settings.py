import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert "/api/v1/customers/" in paths
    assert all(p.startswith("/api/v1/") for p in paths)
    create = paths["/api/v1/customers/"]["post"]
    assert {"400", "401", "403", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    customer = schema["components"]["schemas"]["Customer"]
    assert "account_number" in customer["properties"]
    assert customer["properties"]["account_number"].get("readOnly") is True


def test_deploy_check_passes_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": "x9#" + "production-secret-key-with-plenty-of-entropy-0123456789abcdef",
        "ALLOWED_HOSTS": "sales.example.com",
        "DATABASE_URL": "sqlite:////tmp/salesmkt-deploy-check.sqlite3",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_runs_the_full_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn salesmkt.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A salesmkt worker")
    assert services["beat"]["command"].startswith("celery -A salesmkt beat")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert set(services[name]["depends_on"]) == {"postgres", "redis", "migrate"}
        assert (ROOT / services[name]["build"]["dockerfile"]).exists()
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "salesmkt"


def test_docker_compose_checks_health_restarts_and_migrates_before_the_app_starts():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]

    # Then one one-shot service migrates, and web, worker and beat start after it has succeeded
    assert "manage.py migrate" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["restart"] == "unless-stopped"
        assert "migrate" not in service["command"] and "load_demo" not in service["command"]
        health = service["healthcheck"]
        assert health["test"][0] in ("CMD", "CMD-SHELL") and health["interval"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "celerybeat-schedule" in " ".join(services["beat"]["healthcheck"]["test"])


def test_docker_compose_loads_demo_users_only_when_asked():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    command = " ".join(services["migrate"]["command"])

    assert services["migrate"]["environment"]["LOAD_DEMO"] == "${LOAD_DEMO:-0}"
    assert 'if [ "$$LOAD_DEMO" = 1 ]; then python manage.py load_demo; fi' in command
    assert not any(
        "load_demo" in str(service.get("command", ""))
        for name, service in services.items()
        if name != "migrate"
    )


def test_docker_compose_has_no_secret_key_of_its_own():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")


@pytest.mark.django_db
def test_the_health_check_answers_while_the_database_does(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_health_check_answers_503_when_the_database_does_not(client, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503 and response.json()["database"] == "down"


@pytest.mark.django_db
def test_demo_data_loads_twice_without_duplicates():
    from crm.models import Customer, Party
    from inventory.models import Item

    call_command("load_demo", stdout=StringIO())
    counts = (Party.objects.count(), Customer.objects.count(), Item.objects.count())
    call_command("load_demo", stdout=StringIO())

    assert (Party.objects.count(), Customer.objects.count(), Item.objects.count()) == counts
    assert counts[1] >= 5 and counts[2] >= 5


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_connections_do_not_jit_compile_page_queries():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
