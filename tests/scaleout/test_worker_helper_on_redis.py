"""tests/worker.py's ``run_queued`` on the Redis broker: it runs the tasks asked for and leaves the
others queued, in order, as it does on the ORM broker. Needs a Redis server named by TEST_REDIS_URL."""

from __future__ import annotations

import os
import uuid

import pytest
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from tests.scaleout.scratch import redis_problem
from tests.worker import run_queued


@pytest.fixture
def redis_broker(monkeypatch):
    url = os.environ.get("TEST_REDIS_URL", "")
    if problem := redis_problem(url):
        pytest.skip(f"needs Redis (TEST_REDIS_URL): {problem}")
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"shopqb-test-{uuid.uuid4().hex[:8]}")
    broker = get_broker()
    yield broker
    broker.delete_queue()


def test_run_queued_runs_the_matching_tasks_and_keeps_the_rest_in_order(redis_broker):
    async_task("operator.mul", 6, 7)
    async_task("operator.add", 2, 3)
    async_task("operator.sub", 9, 4)
    async_task("operator.add", 10, 20)

    assert run_queued("operator.add") == [5, 30]

    assert redis_broker.queue_size() == 2
    left = [SignedPackage.loads(payload) for _ack, payload in [*redis_broker.dequeue(), *redis_broker.dequeue()]]
    assert [(t["func"], t["args"]) for t in left] == [("operator.mul", (6, 7)), ("operator.sub", (9, 4))]
