"""What summary posting saves (run by bin/bench; figures go to BENCHMARKS.md): the same seeded
store synced once per posting mode, each against fresh emulators and a fresh database, counting
the documents ShopQB writes and every request QuickBooks answers (retries included), per 1,000
orders. The store's days are paid out first, so that payouts can be summarised.

``python -m sandbox.bench.posting [--orders N]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass


@dataclass
class PostingRun:
    mode: str
    orders: int
    documents: int
    summaries: int
    requests: int
    seconds: float

    def per_thousand(self, value: int) -> float:
        return value * 1000 / self.orders if self.orders else 0.0


def run_mode(mode: str, n: int) -> PostingRun:
    import requests
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import QuickBooksConnection, Shop
    from mappings.models import SyncSettings
    from sandbox.runner import start_sandboxes
    from sandbox.setup import setup_as_proposed
    from sandbox.shopify.seeder import seed_shop
    from shopqb_app.integrations.quickbooks import client as qbo_client
    from syncing.models import SourceType, SyncedRecord
    from syncing.runs import shop_sweep
    from syncing.summary_models import Summary

    call_command("flush", interactive=False, verbosity=0)
    sandboxes = start_sandboxes()
    counted = [0]

    def count(_realm: str, _status: int, _throttled: bool) -> None:
        counted[0] += 1

    try:
        info = sandboxes.info
        _point_at(info)
        shop_info, company = info["shops"][0], info["qbo_companies"][0]
        seed_shop(base_url=info["shopify"], shop=shop_info["domain"], token=shop_info["access_token"], orders=n, seed=3)
        for control in ("payouts/cases", "payouts/run"):
            requests.post(f"{info['shopify']}/_sandbox/{control}", json={"shop": shop_info["domain"]}, timeout=30)
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
        setup_as_proposed(shop)  # reads the orders and previews samples: not counted
        if mode == "summary":
            rules = SyncSettings.objects.get(shop=shop)
            SyncSettings.objects.filter(shop=shop).update(posting_mode="summary", summary_from=rules.start_date)
        qbo_client.request_observers.append(count)
        start = time.perf_counter()
        first = shop_sweep(shop_id=shop.pk, full=True)
        seconds = time.perf_counter() - start
        documents = SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.SYNCED).exclude(
            source_type=SourceType.CUSTOMER
        )
        return PostingRun(
            mode=mode,
            orders=first.run.orders_seen,
            documents=documents.count(),
            summaries=Summary.objects.filter(shop=shop).count(),
            requests=counted[0],
            seconds=seconds,
        )
    finally:
        if count in qbo_client.request_observers:
            qbo_client.request_observers.remove(count)
        sandboxes.stop()


def _point_at(info: dict) -> None:
    from django.conf import settings

    settings.SHOPIFY_ADMIN_BASE = info["shopify"] + "/{shop}"
    settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["qbo"] + "/.well-known/openid_configuration"
    settings.QBO_API_BASE = info["qbo"] + "/v3"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    db = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False)
    os.environ["DATABASE_URL"] = f"sqlite:///{db.name}"  # never the caller's database
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    # Requests counted, not paced: the request budget would only add waiting to the timings.
    os.environ.setdefault("REQUEST_BUDGET", "off")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopqb_app.settings")  # also when run outside bin/bench
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        for mode in ("per_order", "summary"):
            run = run_mode(mode, args.orders)
            print(
                f"posting {run.mode}: {run.orders} orders -> {run.documents} documents "
                f"({run.summaries} summaries), {run.requests} QuickBooks requests in {run.seconds:.1f} s; "
                f"per 1,000 orders: {run.per_thousand(run.documents):,.0f} documents, "
                f"{run.per_thousand(run.requests):,.0f} requests"
            )
    finally:
        os.unlink(db.name)


if __name__ == "__main__":
    main()
