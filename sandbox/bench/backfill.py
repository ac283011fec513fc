"""Backfill: a history import of N orders at QuickBooks' real limits (run by ``bin/bench backfill``).

``python -m sandbox.bench.backfill --orders N [--workers W] [--single] [--json]``

The Shopify sandbox is seeded with N orders of the seeder's mix (its cost limit off while seeding,
which is not timed; on again for the import), the shop is set up as proposed, then one worker
process (a child of this one, so that its memory is its own) runs the history import: a full
sweep, as the first sync of a new shop does. The QuickBooks sandbox enforces QBO's limits: 500
requests a minute, 10 at once, 40 batch requests a minute of at most 30 operations. The worker
draws on the app's shared request budget, as in production.

The last line printed is one JSON object:

- ``orders``, ``documents``: orders seeded, documents the import wrote;
- ``seconds``: the import's wall clock;
- ``qbo_requests``, ``qbo_429s``: requests QuickBooks answered, and how many were throttled;
- ``ceiling_per_min``: the most documents a minute the sandbox's limits allow: every batch request
  full (40 x 30) and every other request of the minute a single create (500 - 40);
- ``docs_per_min``, ``ratio_to_ceiling``: what the import reached, and its share of that ceiling;
- ``duplicates``: documents beyond the first with the same number, read back from the company;
- ``peak_rss_mb``: the worker's own peak resident memory (VmHWM; ``ru_maxrss`` would count the
  parent's, which holds the sandboxes and every seeded order, and grows with the store).

``BACKFILL_DIAGNOSE=waits`` writes, next to the scratch database, how often and how long the worker
slept on the shared request budget and for what; ``BACKFILL_DIAGNOSE=1`` adds a cProfile and a
tracemalloc snapshot.

``--single`` writes one create per document (the engine before batching), for comparison.
``--workers`` above 1 is refused: one shop's import runs as one pass (one SyncRun per shop at a
time); spreading one shop's import over several workers is not built.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
# Document kinds an order's import may write, read back to count duplicates.
KINDS = ("SalesReceipt", "Invoice", "Payment", "RefundReceipt", "JournalEntry", "CreditMemo")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--single", action="store_true", help="one create per document (no batches)")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the child: the path of its job file
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(Path(args.worker))), flush=True)
        return
    if args.workers != 1:
        sys.exit("--workers above 1 is not supported: one shop's history import runs as one pass")
    lines, result = bench_backfill(args.orders, single=args.single)
    if not args.json:
        for line in lines:
            print(line, flush=True)
    print(json.dumps(result), flush=True)


def bench_backfill(n_orders: int, *, single: bool = False) -> tuple[list[str], dict[str, Any]]:
    scratch = Path(tempfile.mkdtemp(prefix="shopqb-backfill-"))
    db = scratch / "db.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"  # never the caller's database
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopqb_app.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import QuickBooksConnection, Shop
    from sandbox.runner import start_sandboxes
    from sandbox.setup import setup_as_proposed
    from sandbox.shopify.seeder import seed_shop

    call_command("migrate", verbosity=0)
    sandboxes = start_sandboxes()
    lines: list[str] = []
    try:
        info = sandboxes.info
        _use_sandboxes(info)
        shop_info, company = info["shops"][0], info["qbo_companies"][0]
        t0 = time.perf_counter()
        sandboxes.shopify.throttle_enabled = False  # seeding is not what is measured
        seed_shop(
            base_url=info["shopify"], shop=shop_info["domain"], token=shop_info["access_token"], orders=n_orders, seed=3
        )
        sandboxes.shopify.throttle_enabled = True
        lines.append(f"seed: {n_orders} orders in {time.perf_counter() - t0:.1f} s")
        Shop.objects.filter(domain=shop_info["domain"]).delete()
        shop = Shop.objects.create(
            domain=shop_info["domain"],
            currency="USD",
            iana_timezone="America/New_York",
            installed_at=timezone.now(),
            access_token=shop_info["access_token"],
        )
        QuickBooksConnection.objects.create(
            shop=shop, realm_id=company["realm_id"], access_token=company["access_token"], country="US"
        )
        setup_as_proposed(shop)  # reads the orders and previews samples: outside the import
        # The setup's own requests are out of the import's minute.
        time.sleep(61)
        job = scratch / "job.json"
        job.write_text(json.dumps({"info": info, "shop_id": shop.pk, "single": single}))
        child = subprocess.run(
            [sys.executable, "-m", "sandbox.bench.backfill", "--worker", str(job)],
            cwd=ROOT,
            env={**os.environ},
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise RuntimeError(f"the worker failed:\n{child.stdout[-3000:]}\n{child.stderr[-3000:]}")
        if os.environ.get("BACKFILL_DIAGNOSE") in ("1", "waits"):
            (scratch / "diagnosis.txt").write_text(child.stderr)
            lines.append(f"diagnosis: {scratch / 'diagnosis.txt'}")
        worker = json.loads(child.stdout.strip().splitlines()[-1])
        lines.append(f"worker: {worker}")
        duplicates, read_back = _duplicates(shop)
        lines.append(f"read back: {read_back} documents of ours in QuickBooks, {duplicates} duplicates")
        limits = sandboxes.qbo.limits
        batch_items = sandboxes.qbo.batch_max_items
        ceiling = limits.batch_per_minute * batch_items + (limits.per_minute - limits.batch_per_minute)
    finally:
        sandboxes.stop()
    seconds = worker["seconds"]
    docs_per_min = worker["documents"] / seconds * 60 if seconds else 0.0
    result = {
        "orders": n_orders,
        "documents": worker["documents"],
        "seconds": round(seconds, 1),
        "qbo_requests": worker["qbo_requests"],
        "qbo_429s": worker["qbo_429s"],
        "ceiling_per_min": ceiling,
        "docs_per_min": round(docs_per_min, 1),
        "ratio_to_ceiling": round(docs_per_min / ceiling, 3),
        "duplicates": duplicates,
        "peak_rss_mb": worker["peak_rss_mb"],
    }
    return lines, result


def _use_sandboxes(info: dict[str, Any]) -> None:
    from django.conf import settings

    settings.SHOPIFY_ADMIN_BASE = info["shopify"] + "/{shop}"
    settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["qbo"] + "/.well-known/openid_configuration"
    settings.QBO_API_BASE = info["qbo"] + "/v3"


def _worker(job_path: Path) -> dict[str, Any]:
    """The child: the history import, timed and counted, in a process of its own."""
    job = json.loads(job_path.read_text())
    import django

    django.setup()
    from shopqb_app.integrations.quickbooks import client as qbo
    from syncing import batches
    from syncing.orders import order_process
    from syncing.runs import shop_sweep

    _use_sandboxes(job["info"])
    counts = {"requests": 0, "throttled": 0}

    def seen(realm_id: str, status: int, throttled: bool) -> None:  # noqa: ARG001
        counts["requests"] += 1
        counts["throttled"] += int(throttled or status == 429)

    qbo.request_observers.append(seen)
    if job["single"]:
        # The engine before batching: every order on its own, one create per document.
        batches.orders_write = lambda ctx, raws: [(raw, order_process(ctx, raw)) for raw in raws]  # type: ignore[assignment]
    diagnose = os.environ.get("BACKFILL_DIAGNOSE") == "1"  # where the time and the memory go (stderr)
    waits = _budget_waits() if os.environ.get("BACKFILL_DIAGNOSE") in ("1", "waits") else None
    if diagnose:
        import cProfile
        import tracemalloc

        tracemalloc.start()
        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    result = shop_sweep(shop_id=job["shop_id"], full=True)
    seconds = time.perf_counter() - started
    if diagnose:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:25]:
            print(stat, file=sys.stderr)
    if waits is not None:
        for what, (count, slept) in sorted(waits.items()):
            if what.startswith("calls of"):
                print(f"budget: {what}: {count}", file=sys.stderr)
            elif what.startswith("shopify points actually"):
                print(f"budget: {what}: {slept:.0f} points", file=sys.stderr)
            elif what.startswith("shopify points"):
                print(f"budget: {what}: {count} queries, {slept:.0f} points", file=sys.stderr)
            else:
                print(f"budget waits: {what}: {count} waits, {slept:.1f} s asleep", file=sys.stderr)
    return {
        "seconds": seconds,
        "documents": result.run.documents_written,
        "orders_seen": result.run.orders_seen,
        "outcomes": result.outcomes,
        "qbo_requests": counts["requests"],
        "qbo_429s": counts["throttled"],
        "peak_rss_mb": _peak_rss_mb(),
        # What this figure was before: ru_maxrss, kilobytes on Linux (the parent's peak carried in).
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. Not ``ru_maxrss``: Linux carries into it the peak
    of the memory the process had before its exec (the parent's, which forked it and holds the
    sandboxes with every seeded order), so it grew with the store whatever the worker did.
    Reference: https://man7.org/linux/man-pages/man5/proc_pid_status.5.html (VmHWM)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # not Linux


def _budget_waits() -> dict[str, list[float]]:
    """Diagnosis: how often and how long the worker sleeps on the shared request budget, by what
    it waited for (a QuickBooks batch request, another QuickBooks request, Shopify points)."""
    from shopqb_app.integrations import budget

    shared = budget.current()
    waits: dict[str, list[float]] = {}
    if shared is None:
        return waits
    take, sleep, last = shared.store.take, shared.sleep, {"what": ""}

    def counted_take(key: str, shape: Any, costs: Any, now: float) -> float:
        wait = take(key, shape, costs, now)
        if key.startswith("shopify:") and not wait:
            asked = waits.setdefault("shopify points taken (before what was given back)", [0, 0.0])
            asked[0] += 1
            asked[1] += costs[0]
        kind = "QuickBooks batch" if key.startswith("qbo:") and costs[2] else key.split(":", 1)[0]
        if wait:  # who asked: the innermost function of the app's own
            callers = [f.name for f in traceback.extract_stack() if "/syncing/" in f.filename]
            kind += f" ({callers[-1] if callers else '?'})"
        last["what"] = kind
        return wait

    def counted_sleep(seconds: float) -> None:
        entry = waits.setdefault(last["what"], [0, 0.0])
        entry[0] += 1
        entry[1] += seconds
        sleep(seconds)

    from shopqb_app.integrations.quickbooks import client as qbo

    def counted(name: str) -> Any:
        real = getattr(qbo, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            waits.setdefault(f"calls of qbo.{name}", [0, 0.0])[0] += 1
            return real(*args, **kwargs)

        return call

    for name in ("batch_create", "create", "find_documents", "find_owned_document", "query_all"):
        setattr(qbo, name, counted(name))
    settle = shared.shopify_settle

    def counted_settle(shop: str, *, actual: float | None, **kwargs: Any) -> None:
        waits.setdefault("shopify points actually spent", [0, 0.0])[1] += actual or 0.0
        settle(shop, actual=actual, **kwargs)

    shared.shopify_settle = counted_settle  # type: ignore[method-assign]
    shared.store.take = counted_take  # type: ignore[method-assign]
    shared.sleep = counted_sleep
    return waits


def _duplicates(shop: Any) -> tuple[int, int]:
    """Documents of ours in the company beyond the first per kind and number, read back by query;
    and how many documents of ours there are."""
    from accounts.clients import qbo_client
    from accounts.models import QuickBooksConnection
    from shopqb_app.integrations.quickbooks import client as qbo

    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    duplicates = ours = 0
    for kind in KINDS:
        field = "PaymentRefNum" if kind == "Payment" else "DocNumber"
        seen: dict[str, int] = {}
        for doc in qbo.query_all(qb, f"select * from {kind}", kind):
            if "ShopQB" not in str(doc.get("PrivateNote") or ""):
                continue  # the company's own documents
            number = str(doc.get(field) or "")
            seen[number] = seen.get(number, 0) + 1
        ours += sum(seen.values())
        duplicates += sum(count - 1 for count in seen.values())
    return duplicates, ours


if __name__ == "__main__":
    main()
