"""The Procfile under honcho: the app and two workers, on PostgreSQL and Redis, with one command.

``python -m tests.scaleout.procfile_run [--orders N]`` needs DATABASE_URL (a PostgreSQL
server: the run makes and drops its own database) and REDIS_URL (a Redis server). It
starts both sandboxes, migrates a fresh database, connects the sandbox's shop and takes it
live, then runs ``honcho start -c worker=2`` against the repository's Procfile: gunicorn
and two ``qcluster`` processes. Once ``/readyz`` answers 200 (database, broker, a worker's
heartbeat), it places N orders in the Shopify sandbox, which signs and delivers their
webhooks to the app (each delivered twice more with the same webhook id, as Shopify may),
and runs a sweep through the queue. It passes when every order is in the QuickBooks
company exactly once, every delivery got a 2xx, and honcho stops cleanly on SIGTERM.
Prints one JSON line; exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import requests

from sandbox.demo import free_port
from tests.scaleout.scratch import ROOT, Deployment, scratch_deployment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--wait", type=float, default=240.0, help="seconds each stage may take")
    args = parser.parse_args(argv)
    honcho = shutil.which("honcho")
    if honcho is None:
        raise SystemExit("honcho is not installed (requirements-dev.txt)")
    port = free_port(8000)
    app_url = f"http://127.0.0.1:{port}"
    with scratch_deployment(redis_url=os.environ.get("REDIS_URL", ""), app_url=app_url) as deployment:
        result = run(deployment, honcho=honcho, port=port, app_url=app_url, orders=args.orders, wait=args.wait)
        print(json.dumps(result), flush=True)
        if not result["ok"]:
            print(deployment.log_tail("honcho", 6000), file=sys.stderr)
        return 0 if result["ok"] else 1


def run(deployment: Deployment, *, honcho: str, port: int, app_url: str, orders: int, wait: float) -> dict[str, Any]:
    from django_q.tasks import result as task_result

    from syncing.models import PendingSync, SyncedRecord
    from syncing.pending import enqueue_sweep
    from tests.sandboxes import Store

    shopify = deployment.sandboxes.info["shopify"]
    shop = deployment.shop
    # gunicorn binds 0.0.0.0:$PORT by default (honcho sets PORT): loopback only here.
    deployment.env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port}"
    procs = deployment.start("honcho", [honcho, "-f", str(ROOT / "Procfile"), "start", "-c", "worker=2"])
    outcome: dict[str, Any] = {"ok": False, "app": app_url}
    started = time.monotonic()
    ready = _wait_ready(app_url, procs, wait)
    outcome["readyz"] = ready
    outcome["ready_in_s"] = round(time.monotonic() - started, 1)
    if ready.get("status") != 200:
        return outcome

    requests.post(f"{shopify}/_sandbox/webhooks/faults", json={"duplicate": 2}, timeout=10).raise_for_status()
    store = Store(shop)
    gids = [store.order(lines=[(f"PROC-{n}", 1 + n, "10.00")], tax="1.00")["id"] for n in range(orders)]
    requests.post(f"{shopify}/_sandbox/webhooks/flush", json={"timeout": wait}, timeout=wait + 10)
    attempts = requests.get(f"{shopify}/_sandbox/webhooks/attempts", params={"shop": shop.domain}, timeout=10).json()
    attempts = attempts.get("attempts", attempts) if isinstance(attempts, dict) else attempts
    statuses = sorted({str(a.get("status")) for a in attempts})
    outcome["webhook_deliveries"] = len(attempts)
    outcome["webhook_statuses"] = statuses

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and procs.poll() is None:
        synced = SyncedRecord.objects.filter(shop=shop, order_gid__in=gids, status="synced").count()
        if synced == len(gids) and not PendingSync.objects.filter(shop=shop).exists():
            break
        time.sleep(0.5)
    task_id = enqueue_sweep(shop_id=shop.pk)
    sweep = None
    while time.monotonic() < deadline and procs.poll() is None and sweep is None:
        sweep = task_result(task_id)
        time.sleep(0.5)
    outcome["sweep"] = sweep
    documents = deployment.documents_per_order(gids)
    outcome["documents_per_order"] = documents
    outcome["seconds"] = round(time.monotonic() - started, 1)

    # honcho passes SIGTERM on, SIGKILLs what still runs 5 s later, and exits with the status
    # of the first process that ended (143 after a SIGTERM): stopped means gone, app and all.
    procs.send_signal(signal.SIGTERM)
    try:
        outcome["honcho_exit"] = procs.wait(timeout=60)
    except subprocess.TimeoutExpired:
        outcome["honcho_exit"] = None
    outcome["app_stopped"] = not _answers(app_url)
    outcome["ok"] = (
        attempts != []
        and all(s.startswith("2") for s in statuses)
        and documents == [1] * len(gids)
        and isinstance(sweep, dict)
        and outcome["honcho_exit"] is not None
        and outcome["app_stopped"]
    )
    return outcome


def _answers(app_url: str) -> bool:
    try:
        requests.get(f"{app_url}/healthz", timeout=2)
    except requests.RequestException:
        return False
    return True


def _wait_ready(app_url: str, procs: subprocess.Popen[bytes], wait: float) -> dict[str, Any]:
    """/readyz's last answer: 200 once the database, Redis and a worker's heartbeat all check out."""
    deadline = time.monotonic() + wait
    last: dict[str, Any] = {"status": None}
    while time.monotonic() < deadline and procs.poll() is None:
        try:
            response = requests.get(f"{app_url}/readyz", timeout=5)
            last = {"status": response.status_code, "checks": response.json().get("checks")}
            if response.status_code == 200:
                return last
        except (requests.RequestException, ValueError) as exc:
            last = {"status": None, "error": type(exc).__name__}
        time.sleep(1)
    return last


if __name__ == "__main__":
    sys.exit(main())
