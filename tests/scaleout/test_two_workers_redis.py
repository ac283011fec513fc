"""Scale-out: two django-q2 clusters on Redis racing over one shop, against PostgreSQL.

Needs a PostgreSQL server (DATABASE_URL) and a Redis server named by TEST_REDIS_URL (not
REDIS_URL: that would move the whole suite's broker to Redis). Skips with the reason
otherwise; a fresh machine has neither and the suite still runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.scaleout.scratch import ROOT, postgres_problem, redis_problem

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _needs_postgres_and_redis() -> str:
    problem = postgres_problem(os.environ.get("DATABASE_URL", "")) or redis_problem(
        os.environ.get("TEST_REDIS_URL", "")
    )
    if problem:
        pytest.skip(f"needs PostgreSQL and Redis (TEST_REDIS_URL): {problem}")
    return os.environ["TEST_REDIS_URL"]


def test_two_clusters_on_redis_write_every_order_once_however_often_it_is_asked_for():
    """12 orders, each asked for 6 times the way webhooks ask (created, then repeats), with
    drains and sweeps of the same shop queued over and over while two clusters (two workers
    each) take tasks from one Redis queue: the company holds each order exactly once, none
    is lost, and both clusters took part."""
    redis_url = _needs_postgres_and_redis()
    done = subprocess.run(
        [sys.executable, "-m", "tests.scaleout.race", "--orders", "12", "--bursts", "6"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-4000:]
    result = json.loads(lines[-1])
    assert result["broker"].startswith("Redis"), result
    assert result["settled_in_s"] is not None, (result, done.stderr[-4000:])
    assert result["documents_per_order"] == [1] * 12, result
    assert result["duplicates"] == 0 and result["lost"] == 0, result
    assert result["records"] == {"synced": 12}, result
    assert all(n > 0 for n in result["tasks_processed_per_cluster"]), result
    assert result["ok"] and done.returncode == 0, done.stderr[-4000:]
