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
- ``peak_rss_mb``: the worker's peak resident memory.

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
        if os.environ.get("BACKFILL_DIAGNOSE") == "1":
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
    return {
        "seconds": seconds,
        "documents": result.run.documents_written,
        "orders_seen": result.run.orders_seen,
        "outcomes": result.outcomes,
        "qbo_requests": counts["requests"],
        "qbo_429s": counts["throttled"],
        # Linux reports ru_maxrss in kilobytes.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


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
