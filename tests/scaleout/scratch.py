"""A throwaway scale-out deployment: a fresh PostgreSQL database, its own queue on a Redis
server, both sandboxes and a shop connected and live. Used by the two-worker race
(tests/scaleout/race.py) and the Procfile run (tests/scaleout/procfile_run.py), each in a
process of its own (django.setup() runs once per process, with the scratch environment).

django-q2 keys its Redis queue by the cluster's name (``django_q:<name>:q``), so every
scratch deployment takes a name of its own (Q_NAME): two runs sharing a Redis server
never take each other's tasks.
Reference: https://django-q2.readthedocs.io/en/master/configure.html#name
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.syncing.crash_scenario import _database_url, scratch_finish

ROOT = Path(__file__).resolve().parents[2]


def redis_problem(url: str) -> str | None:
    """Why the Redis server at ``url`` cannot be used (None: it answers PING)."""
    if not url:
        return "no Redis URL given"
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (requirements.txt)"
    try:
        redis.from_url(url, socket_connect_timeout=2, socket_timeout=5).ping()
    except Exception as exc:  # whatever stops it: refused, wrong password, bad URL
        return f"Redis at {url} does not answer: {type(exc).__name__}: {exc}"
    return None


def postgres_problem(url: str) -> str | None:
    if not url.startswith("postgres"):
        return "DATABASE_URL names no PostgreSQL server (many workers on many hosts need one)"
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            pass
    except Exception as exc:
        return f"PostgreSQL at {url} does not answer: {type(exc).__name__}: {exc}"
    return None


@dataclass
class Deployment:
    scratch: Path
    env: dict[str, str]
    sandboxes: Any
    shop: Any
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], **popen: Any) -> subprocess.Popen[bytes]:
        """A child process with the deployment's environment, its output in ``<name>.log``."""
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=(self.scratch / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            **popen,
        )
        self.processes.append(process)
        return process

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.scratch / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def documents_per_order(self, gids: list[str]) -> list[int]:
        """How many sales documents each order has in the QuickBooks company, read back from it
        (our documents name their order as ``(gid://shopify/Order/N)`` in PrivateNote)."""
        from shopqb_app.integrations.quickbooks import client as qbo
        from syncing.context import context_open

        qb = context_open(self.shop.pk).qb
        notes = [
            str(doc.get("PrivateNote") or "")
            for entity in ("SalesReceipt", "Invoice")
            for doc in qbo.query_all(qb, f"select * from {entity}", entity)
        ]
        counts = Counter(gid for note in notes for gid in gids if f"({gid})" in note)
        return [counts[gid] for gid in gids]


@contextmanager
def scratch_deployment(*, redis_url: str, app_url: str = "http://127.0.0.1:9") -> Iterator[Deployment]:
    """Everything a scale-out run needs, torn down afterwards (processes, sandboxes, the
    database and the Redis keys of the run's queue)."""
    server_url = os.environ.get("DATABASE_URL", "")
    for problem in (postgres_problem(server_url), redis_problem(redis_url)):
        if problem:
            raise SystemExit(problem)
    from sandbox.demo import app_environment
    from sandbox.runner import start_sandboxes

    scratch = Path(tempfile.mkdtemp(prefix="shopqb-scaleout-"))
    database_url, pg_database = _database_url(scratch)
    name = f"shopqb-scaleout-{uuid.uuid4().hex[:8]}"
    sandboxes = start_sandboxes(app_url=app_url)
    deployment = None
    try:
        env = {
            **app_environment(sandboxes.info, app_url, scratch),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "Q_NAME": name,
            "Q_WORKERS": "2",
        }
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "shopqb_app.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from sandbox.demo import connect_demo_shop
        from sandbox.setup import setup_as_proposed

        shop = connect_demo_shop(sandboxes.info)
        setup_as_proposed(shop)
        deployment = Deployment(scratch=scratch, env=env, sandboxes=sandboxes, shop=shop)
        yield deployment
    finally:
        scratch_finish(
            deployment.processes if deployment else [], sandboxes, server_url=server_url, pg_database=pg_database
        )
        _forget_queue(redis_url, name)


def _forget_queue(redis_url: str, name: str) -> None:
    import redis

    connection = redis.from_url(redis_url, socket_connect_timeout=2)
    keys = list(connection.scan_iter(match=f"django_q:{name}:*"))
    if keys:
        connection.delete(*keys)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def fresh_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the PostgreSQL server of ``server_url``; its URL."""
    import psycopg

    maintenance = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    # For CI: `python -m tests.scaleout.scratch check` says why the scale-out steps cannot run
    # (exit 1) from DATABASE_URL and REDIS_URL; `... fresh-database NAME` prints a new database's URL.
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["check", "fresh-database"])
    parser.add_argument("name", nargs="?", default="shopqb_scaleout")
    args = parser.parse_args()
    database, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if args.action == "check":
        problem = postgres_problem(database) or redis_problem(broker)
        print(problem or f"PostgreSQL and Redis ({broker}) answer")
        sys.exit(1 if problem else 0)
    print(fresh_database(database, args.name))
