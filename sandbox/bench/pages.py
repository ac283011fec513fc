"""What the page benchmarks share: each runs in a child process per database (a scratch SQLite
file, then the PostgreSQL of DATABASE_URL if set), times a page through Django's test client
with a fresh session token, and prints one line per figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent.parent

Run = Callable[[str], dict[str, object]]
Report = Callable[[dict[str, object]], list[str]]


def database_ready(url: str) -> None:
    """The PostgreSQL database of ``url`` exists (created if not)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run_child(module: str, arguments: list[str], database_url: str) -> dict[str, object]:
    """``python -m module --child ...`` on one database; its last stdout line is its JSON result."""
    env = {**os.environ, "DATABASE_URL": database_url}
    env.setdefault("DJANGO_SETTINGS_MODULE", "shopqb_app.settings")
    command = [sys.executable, "-m", module, "--child", *arguments]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {database_url.split(':')[0]} run failed:\n{done.stderr[-3000:]}{done.stdout[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def on_each_database(run: Run, report: Report) -> None:
    scratch = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False)
    try:
        for line in report(run(f"sqlite:///{scratch.name}")):
            print(line, flush=True)
    finally:
        os.unlink(scratch.name)
    server = os.environ.get("DATABASE_URL", "")
    if server.startswith("postgres"):
        database_ready(server)
        for line in report(run(server)):
            print(line, flush=True)
    else:
        print("postgresql: skipped (set DATABASE_URL=postgres://... to measure it)")


def session_token(shop: str, api_key: str, api_secret: str) -> str:
    """A session token as App Bridge mints it, for the benchmark's own app key."""
    now = int(time.time())
    claims: dict[str, object] = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key}
    claims |= {"sub": "1", "exp": now + 60, "nbf": now, "iat": now, "jti": str(now), "sid": "bench"}
    return jwt.encode(claims, api_secret, algorithm="HS256")


def page_lines(db: object, page: str, pages: dict[str, list[float]]) -> list[str]:
    return [
        f"{db}: {page}, {label}: median {median:.0f} ms, worst {worst:.0f} ms, {queries:.0f} queries (target < 300 ms)"
        for label, (median, worst, queries) in pages.items()
    ]
