"""``bin/demo``: the whole product on one machine, against the local emulators.

Starts both sandboxes (state kept in .demo/ so a second run sees the same store
and books), seeds a demo shop through the public API when it is empty, connects
it to a sandbox QuickBooks company, runs the sync through a real django-q2
worker, prints the reconciliation, then serves the app until Ctrl-C.
``--once`` stops after the report and exits 0 only if the totals match. ``--redis URL`` makes
Redis the task broker (REDIS_URL) and ``--workers N`` starts N worker clusters (N qcluster
processes), as a scaled-out deployment runs them; with PostgreSQL, set DATABASE_URL.

``--country GB|CA|AU|US`` (default US): the shop is one in that country (its currency, time
zone, tax style and locations: sandbox/shopify/countries.py) and the QuickBooks company is that
country's preset (sandbox/qbo/presets.py). Each country keeps its own state directory (.demo for
the US, .demo/GB, .demo/CA, .demo/AU), so switching country never mixes books.

The first stdout line is the sandbox's JSON credentials line (the contract in
sandbox/management/commands/sandbox.py). The terminal gets the report and the addresses only:
every process's log goes to a file in the state directory (demo.log, sandbox.log,
qcluster.log, app.log, gunicorn.log, access.log).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORDERS = 60

# The demo's countries: the QuickBooks company preset each connects to, and its name in the report.
QBO_PRESETS = {"US": "US", "GB": "UK", "CA": "CA", "AU": "AU"}
COUNTRY_NAMES = {"US": "the United States", "GB": "the United Kingdom", "CA": "Canada", "AU": "Australia"}


def default_state_dir(country: str) -> Path:
    """.demo for the US (as before countries existed), .demo/<country> for the others."""
    return ROOT / ".demo" if country == "US" else ROOT / ".demo" / country


def claim_state_dir(state: Path, country: str) -> None:
    """A state directory holds one country's demo: refuse to run another country's in it."""
    marker = state / "country"
    if marker.exists() and (kept := marker.read_text().strip()) != country:
        raise SystemExit(
            f"{state} holds the demo of {kept}, not {country}: run ./bin/demo --country {kept}, "
            "or give another --state-dir"
        )
    marker.write_text(country + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def send_logs_to(path: Path) -> None:
    """Move this process's log records from the terminal to ``path``: django-q2 logs a line per
    task it enqueues, which would bury the report."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for console in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(console)
    root.addHandler(handler)


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def start_sandbox(state: Path, app_url: str, country: str = "US") -> tuple[subprocess.Popen[str], dict[str, Any]]:
    sandbox_log = (state / "sandbox.log").open("a")
    # The US demo starts the sandbox as it always has (its default shop and company).
    abroad = [] if country == "US" else ["--shop-country", country, "--qbo-companies", QBO_PRESETS[country]]
    proc = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "sandbox", "--shopify-port", "0", "--qbo-port", "0"),
            *("--state-dir", str(state / "sandbox"), "--app-url", app_url),
            *abroad,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=sandbox_log,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"the sandbox did not start; see {state / 'sandbox.log'}")
    return proc, json.loads(line)


def app_environment(info: dict[str, Any], app_url: str, state: Path) -> dict[str, str]:
    secret_file = state / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
    env = {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{state / 'db.sqlite3'}",
        "SECRET_KEY": secret_file.read_text().strip(),
        "APP_URL": app_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SHOPIFY_API_KEY": info["app"]["api_key"],
        "SHOPIFY_API_SECRET": info["app"]["api_secret"],
        "SHOPIFY_ADMIN_BASE": info["shopify"].rstrip("/") + "/{shop}",
        "QBO_CLIENT_ID": info["qbo_app"]["client_id"],
        "QBO_CLIENT_SECRET": info["qbo_app"]["client_secret"],
        "QBO_ENVIRONMENT": info["qbo"].rstrip("/") + "/.well-known/openid_configuration",
        "QBO_API_BASE": info["qbo"].rstrip("/") + "/v3",
        "QBO_REDIRECT_URI": app_url + "/qbo/callback",
        # The emulators speak plain http on loopback; production never sets this.
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        # Pages load App Bridge from Shopify's CDN in production; offline, the sandbox's
        # stand-in gives the same shopify.idToken() inside its admin frame.
        "SHOPIFY_APP_BRIDGE_URL": info["shopify"].rstrip("/") + "/_sandbox/app-bridge.js",
    }
    return {key: value for key, value in env.items() if value}


def connect_demo_shop(info: dict[str, Any]) -> Any:
    """The demo shop and its QuickBooks company, with the sandbox's current credentials."""
    from django.utils import timezone

    from accounts import tokens
    from accounts.clients import shopify_client
    from accounts.models import QuickBooksConnection, Shop
    from shopqb_app.integrations.quickbooks.company import company_details
    from shopqb_app.integrations.shopify.client import load_query

    shop_info = info["shops"][0]
    company = info["qbo_companies"][0]
    shop, _ = Shop.objects.get_or_create(domain=shop_info["domain"], defaults={"installed_at": timezone.now()})
    shop.access_token = shop_info["access_token"]
    shop.uninstalled_at = None
    shop.installed_at = shop.installed_at or timezone.now()
    shop.save()
    data = shopify_client(shop).execute(load_query("shop"))["shop"]
    Shop.objects.filter(pk=shop.pk).update(
        name=data["name"], currency=data["currencyCode"], iana_timezone=data["ianaTimezone"]
    )
    # The sandbox's tokens live an hour, like Intuit's; a later run gets the same one
    # back, perhaps expired by then: its expiry goes in too, so the app refreshes it.
    expires_in = timedelta(seconds=int(company["access_token_expires_in"]))
    QuickBooksConnection.objects.update_or_create(
        shop=shop,
        defaults={
            "realm_id": company["realm_id"],
            "access_token": company["access_token"],
            "access_token_expires_at": timezone.now() + expires_in,
            "refresh_token": company["refresh_token"],
            "status": QuickBooksConnection.Status.CONNECTED,
        },
    )
    # What the app's own connect reads (CompanyInfo and Preferences): the company's real name,
    # country, home currency and tax settings, never a raw realm id on the merchant's screens.
    connection = QuickBooksConnection.objects.get(shop=shop)
    details = company_details(realm_id=connection.realm_id, access_token=tokens.qbo_access_token(connection))
    QuickBooksConnection.objects.filter(pk=connection.pk).update(
        company_name=details.company_name,
        country=details.country or "US",
        home_currency=details.home_currency,
        automated_sales_tax=details.automated_sales_tax,
        multicurrency=details.multicurrency,
    )
    shop.refresh_from_db()
    return shop


def seed_if_empty(info: dict[str, Any], shop: Any) -> None:
    from accounts.clients import shopify_client
    from sandbox.shopify.seeder import seed_shop

    probe = shopify_client(shop).execute("query { orders(first: 1) { nodes { id } } }")
    if probe["orders"]["nodes"]:
        return
    log(f"Seeding {shop.domain} with {DEMO_ORDERS} orders through the Admin API ...")
    # Every money flow too: split tenders, store credit, partial payments, edits, cancellations, duties.
    seed_shop(
        base_url=info["shopify"],
        shop=shop.domain,
        token=info["shops"][0]["access_token"],
        orders=DEMO_ORDERS,
        seed=7,
        money_flows=True,
    )
    # Shopify pays out every day; the sandbox does it when asked (emulator-only controls): first the
    # payouts with a chargeback, a reserve, an advance, duties and a withdrawal, then the rest.
    import requests

    for control in ("payouts/cases", "payouts/run"):
        response = requests.post(f"{info['shopify']}/_sandbox/{control}", json={"shop": shop.domain}, timeout=30)
        response.raise_for_status()


def posting_summary(shop: Any) -> str:
    """Summary posting from the sync's start date: every order the demo books is summarised per
    Shopify Payments payout, or per day for the other gateways (syncing/summary.py)."""
    from mappings.models import SyncSettings

    rules = SyncSettings.objects.get(shop=shop)
    if rules.posting_mode != SyncSettings.PostingMode.SUMMARY:
        rules.posting_mode = SyncSettings.PostingMode.SUMMARY
        rules.summary_from = rules.summary_from or rules.start_date
        rules.save(update_fields=["posting_mode", "summary_from", "updated_at"])
    return f"one summary per payout and per day from {rules.summary_from}"


def run_sync_through_worker(
    shop: Any, state: Path, env: dict[str, str], workers: int = 1
) -> tuple[list[subprocess.Popen[str]], dict]:
    """Start ``workers`` django-q2 clusters (qcluster.log, qcluster-2.log, ...) and sync the
    shop through them."""
    from django_q.tasks import result

    from syncing.pending import enqueue_sweep

    clusters = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=(state / ("qcluster.log" if n == 1 else f"qcluster-{n}.log")).open("a"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(1, workers + 1)
    ]
    from syncing.models import SyncRun

    task_id = enqueue_sweep(shop_id=shop.pk)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        outcome = result(task_id)
        running = SyncRun.objects.filter(shop=shop, status=SyncRun.Status.RUNNING).exists()
        if outcome is not None and not running:
            if "skipped" in outcome:
                # The scheduled sweep got there first: report the pass that ran.
                run = SyncRun.objects.filter(shop=shop).exclude(status=SyncRun.Status.RUNNING).first()
                if run is not None:
                    outcome = {"orders_seen": run.orders_seen, "documents_written": run.documents_written}
                    outcome["failed"] = run.failed
            return clusters, outcome
        if any(cluster.poll() is not None for cluster in clusters):
            raise SystemExit(f"a django-q2 worker stopped; see the qcluster logs in {state}")
        time.sleep(0.5)
    raise SystemExit("the sync did not finish within 15 minutes")


def print_report(shop: Any, sweep: dict, report: Any, country: str = "US") -> None:
    from syncing.reconcile_report import report_lines

    company = shop.qbo.company_name or shop.qbo.realm_id
    print(
        f"Shop: {shop.domain} in {COUNTRY_NAMES.get(country, country)} ({country}, {shop.currency}) "
        f"-> QuickBooks company {company} ({shop.qbo.realm_id}, {shop.qbo.country}, {shop.qbo.home_currency})"
    )
    print(
        f"Orders in Shopify: {report.orders_seen:,} ({plural(report.expected_documents, 'sale')} to book; "
        f"{report.skipped:,} cancelled, kept out by the filters or moving no money)"
    )
    print(
        f"This run: {plural(sweep.get('orders_seen', 0), 'order')} checked, "
        f"{plural(sweep.get('documents_written', 0), 'QuickBooks document')} written, {sweep.get('failed', 0):,} failed"
    )
    print(
        f"In QuickBooks: {plural(report.found_documents, 'sales document')}, "
        f"{plural(report.refunds_found, 'refund receipt')}"
    )
    for line in report_lines(report):
        print(line)
    compared = [c for c in report.accounts if c.compared]
    print(
        f"Accounts: {sum(not c.difference for c in compared)} at Shopify's figure, "
        f"{sum(bool(c.difference) and not c.unexplained for c in compared)} off by what the report explains, "
        f"{sum(bool(c.unexplained) for c in compared)} with a difference nothing explains; "
        f"{len(report.accounts) - len(compared)} shown, not compared"
    )
    print(
        f"Shopify total: {report.shopify_total:.2f} {report.currency}  "
        f"QuickBooks total: {report.qbo_total:.2f} {report.currency}  "
        f"{'MATCH' if report.matched else 'MISMATCH'}"
    )


def serve(port: int, env: dict[str, str], state: Path) -> subprocess.Popen[str]:
    # The app's own log (Django's console handler: a line per webhook task enqueued) goes to
    # app.log; gunicorn's goes to gunicorn.log.
    app_log = (state / "app.log").open("a")
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", "shopqb_app/gunicorn.conf.py", "shopqb_app.wsgi"),
            *("-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4", "--access-logfile", str(state / "access.log")),
            *("--error-logfile", str(state / "gunicorn.log")),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=app_log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_answering(url: str, server: subprocess.Popen[str], timeout: float = 60.0) -> None:
    """``App:`` is printed only once the app answers (its health check), not when gunicorn starts."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the app server stopped; see app.log and gunicorn.log in the demo's state directory")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the app did not answer at {url} within {timeout:.0f} s")


def redis_check(url: str) -> None:
    """Stop early, and say why, when the Redis server named by ``--redis`` does not answer."""
    import redis

    try:
        redis.from_url(url, socket_connect_timeout=3, socket_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise SystemExit(f"--redis {url}: the Redis server does not answer ({type(exc).__name__}: {exc})") from None


def plural(count: int, one: str, many: str = "") -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/demo")
    parser.add_argument("--once", action="store_true", help="exit after the report (0 only if the totals match)")
    parser.add_argument("--port", type=int, default=8000, help="the app's port (another if taken)")
    parser.add_argument(
        "--country",
        type=str.upper,
        choices=sorted(QBO_PRESETS),
        default="US",
        help="the shop's country and the QuickBooks company's: US (default), GB, CA or AU",
    )
    parser.add_argument("--state-dir", default=None, help="default: .demo (US) or .demo/<country>")
    parser.add_argument(
        "--redis", metavar="URL", default="", help="Redis as the task broker (REDIS_URL), e.g. redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--workers", type=int, default=1, help="django-q2 cluster processes to start (default 1)")
    parser.add_argument(
        "--posting",
        choices=("per_order", "summary"),
        default="per_order",
        help="per_order (default), or summary: orders summarised per payout and per day (state in <state>/summary)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    if args.redis:
        redis_check(args.redis)

    state = Path(args.state_dir) if args.state_dir else default_state_dir(args.country)
    if args.posting == "summary" and not args.state_dir:
        state = state / "summary"  # its own books: never mixed with a per-order demo's
    state.mkdir(parents=True, exist_ok=True)
    claim_state_dir(state, args.country)
    port = free_port(args.port)
    app_url = f"http://127.0.0.1:{port}"
    children: list[subprocess.Popen[str]] = []

    def stop_children() -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        sandbox, info = start_sandbox(state, app_url, args.country)
        children.append(sandbox)
        print(json.dumps(info), flush=True)

        env = app_environment(info, app_url, state)
        if args.redis:
            env["REDIS_URL"] = args.redis
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopqb_app.settings")
        import django

        django.setup()
        send_logs_to(state / "demo.log")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        shop = connect_demo_shop(info)
        seed_if_empty(info, shop)
        from sandbox.setup import setup_as_proposed

        log(f"Setup: {setup_as_proposed(shop)}")
        if args.posting == "summary":
            log(f"Posting: {posting_summary(shop)}")
        if args.redis or args.workers > 1:
            from django_q.brokers import get_broker

            log(f"Workers: {plural(args.workers, 'django-q2 cluster')} on {get_broker().info()}")
        clusters, sweep = run_sync_through_worker(shop, state, env, args.workers)
        children.extend(clusters)

        from syncing.reconcile import reconcile_shop

        report = reconcile_shop(shop_id=shop.pk)
        print_report(shop, sweep, report, args.country)
        if args.once:
            return 0 if report.matched else 1

        call_command("collectstatic", interactive=False, verbosity=0)
        server = serve(port, env, state)
        children.append(server)
        wait_until_answering(app_url, server)
        print(f"App: {app_url}", flush=True)
        admin = f"{info['shopify']}/{shop.domain}/admin/apps/{info['app']['api_key']}"
        print(f"Open it as the merchant does, inside the Shopify admin: {admin}", flush=True)
        print(
            f"The QuickBooks books it writes (inspector): {info['qbo']}/_sandbox/qbo/{shop.qbo.realm_id}/", flush=True
        )
        print(f"Serving the app and {plural(args.workers, 'django-q2 worker')}; Ctrl-C stops everything.", flush=True)
        # Ctrl-C and SIGTERM both stop everything (explicitly: a shell may start us with SIGINT ignored).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        while all(child.poll() is None for child in children):
            time.sleep(1)
        log("a demo process stopped; shutting down")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_children()


if __name__ == "__main__":
    sys.exit(main())
