"""/readyz: 200 when the database, the broker and a worker are there; 503 naming what is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from operations import readiness
from operations.models import WorkerHeartbeat
from operations.tasks import heartbeat
from tests.shopqb_app.test_settings import PRODUCTION, run_python

pytestmark = pytest.mark.django_db


def test_ready_when_a_worker_beat_lately(client):
    host = heartbeat()  # what the scheduled task writes
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["failed"] == []
    assert body["checks"]["database"] == {"ok": True, "detail": "answers"}
    assert body["checks"]["broker"]["detail"].startswith("ORM broker, 0 queued")
    assert body["checks"]["worker"]["detail"].startswith(f"heartbeat from {host} ")
    assert "no-cache" in response["Cache-Control"]


def test_not_ready_without_a_worker(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]
    assert "no worker has ever written a heartbeat" in response.json()["checks"]["worker"]["detail"]

    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 180
    WorkerHeartbeat.objects.create(host="worker-1", beat_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["worker"]
    assert response.json()["checks"]["worker"]["detail"].startswith("last heartbeat from worker-1 6")


class DownBroker:
    def queue_size(self):
        raise OperationalError("no such table: django_q_ormq")


def test_not_ready_when_the_broker_fails(client, monkeypatch):
    heartbeat()
    monkeypatch.setattr(readiness, "get_broker", DownBroker)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert response.json()["checks"]["broker"]["detail"] == "OperationalError: no such table: django_q_ormq"


class SilentRedis:
    def ping(self):
        return False


def test_a_redis_broker_must_answer_ping(client, monkeypatch):
    heartbeat()
    monkeypatch.setattr(readiness.Conf, "ORM", None)
    monkeypatch.setattr(readiness, "get_broker", SilentRedis)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["broker"]["detail"] == "no answer to PING"


def test_not_ready_when_the_database_fails(client, monkeypatch):
    heartbeat()

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(readiness.connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.json()["failed"]
    assert response.json()["checks"]["database"]["detail"] == "OperationalError: connection refused"


def test_readyz_and_metrics_answer_over_http_in_production(tmp_path):
    """Monitors ask over plain http on the private network, like the load balancer's /healthz."""
    code = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "r = c.get('/readyz', HTTP_HOST='shopqb.example.com'); m = c.get('/metrics', HTTP_HOST='shopqb.example.com'); "
        "p = c.get('/orders', HTTP_HOST='shopqb.example.com'); print(r.status_code, m.status_code, p.status_code)"
    )
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_python(code, env)
    # No tables in that database: not ready (503), metrics off (404); nothing redirected but /orders.
    assert result.stdout.split() == ["503", "404", "301"], result.stdout + result.stderr
