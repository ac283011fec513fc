"""An access token refused before the expiry we stored: one single-flight refresh, one
retry, everywhere the app calls QuickBooks or Shopify; a refused refresh pauses the shop.

The sandboxes refuse the tokens (``expire-tokens`` with ``after_requests``, or their
clocks moved on) while the app's stored expiry still says they are fresh.
"""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from accounts import install, quickbooks_connect
from accounts.clients import qbo_client, qbo_settings
from accounts.models import OAuthState, PauseCode, QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.quickbooks import oauth as quickbooks_auth
from shopqb_app.integrations.shopify import oauth as shopify_auth
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.errors import ShopifyAuthError
from syncing import tasks
from syncing.context import context_open
from syncing.models import SyncedRecord, SyncIssue, SyncRun
from syncing.orders import order_sync
from syncing.reconcile import reconcile_shop
from syncing.runs import shop_sweep
from tests.sandboxes import Store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh(shop):
    """The shop, its QuickBooks token stored as good for another hour."""
    QuickBooksConnection.objects.filter(shop=shop).update(access_token_expires_at=timezone.now() + timedelta(hours=1))
    return shop


@pytest.fixture
def qbo_refreshes(monkeypatch):
    """Each refresh asked of Intuit (the sandbox), with how many documents were booked by then."""
    calls: list[int] = []
    real = quickbooks_auth.refresh

    def spy(*, refresh_token):
        calls.append(SyncedRecord.objects.filter(status=SyncedRecord.Status.SYNCED).count())
        return real(refresh_token=refresh_token)

    monkeypatch.setattr(quickbooks_auth, "refresh", spy)
    return calls


def qbo_control(info, path: str, body: dict | None = None) -> None:
    realm = info["qbo_companies"][0]["realm_id"]
    requests.post(f"{info['qbo']}/_sandbox/qbo/{realm}/{path}", json=body or {}, timeout=5).raise_for_status()


def expire_qbo_tokens(info, *, after_requests: int) -> None:
    qbo_control(info, "expire-tokens", {"after_requests": after_requests})


def run_payouts(info, shop) -> None:
    requests.post(
        info["shopify"] + "/_sandbox/payouts/run", json={"shop": shop.domain, "through": "2099-12-31"}, timeout=5
    ).raise_for_status()


def receipts_by_number(shop) -> dict[str, int]:
    ctx = context_open(shop.pk)
    counts: dict[str, int] = {}
    for receipt in qbo.query_all(ctx.qb, "select * from SalesReceipt", "SalesReceipt"):
        counts[receipt["DocNumber"]] = counts.get(receipt["DocNumber"], 0) + 1
    return counts


# --- QuickBooks: the sync, an order, the reconciliation ----------------------------------


def test_a_sweep_survives_a_token_refused_mid_run(fresh, sandbox_settings, qbo_refreshes):
    store = Store(fresh)
    store.order(lines=[("A", 1, "10.00")])
    shop_sweep(shop_id=fresh.pk)  # maps the defaults; the token is still good
    assert qbo_refreshes == []
    for price in ("11.00", "12.00", "13.00"):
        store.order(lines=[("B", 1, price)])
    run_payouts(sandbox_settings, fresh)
    old_token = QuickBooksConnection.objects.get(shop=fresh).access_token

    # Served: the preferences read, the check for changes made in QuickBooks, the first order's
    # DocNumber lookup and its create.
    expire_qbo_tokens(sandbox_settings, after_requests=4)
    result = shop_sweep(shop_id=fresh.pk)

    assert result.outcomes.get("written") == 3 and result.outcomes.get("payout written") == 1
    assert result.run.status == SyncRun.Status.SUCCEEDED
    # One refresh, in the middle of the run: one of its documents was written before it.
    assert qbo_refreshes == [2]
    stored = QuickBooksConnection.objects.get(shop=fresh)
    assert stored.access_token != old_token and stored.access_token_expires_at > timezone.now()
    assert list(receipts_by_number(fresh).values()) == [1, 1, 1, 1]
    assert not SyncedRecord.objects.filter(shop=fresh).exclude(status=SyncedRecord.Status.SYNCED).exists()
    assert not SyncIssue.objects.filter(shop=fresh, resolved_at__isnull=True).exists()


def test_one_order_sync_survives_a_token_refused_at_its_write(fresh, sandbox_settings, qbo_refreshes):
    store = Store(fresh)
    store.order(lines=[("A", 1, "10.00")])
    shop_sweep(shop_id=fresh.pk)
    order = store.order(lines=[("B", 2, "7.50")])

    expire_qbo_tokens(sandbox_settings, after_requests=0)
    assert order_sync(shop_id=fresh.pk, order_gid=order["id"]) == "written"

    assert len(qbo_refreshes) == 1
    record = SyncedRecord.objects.get(shop=fresh, source_id=order["id"])
    assert record.status == SyncedRecord.Status.SYNCED and record.amount == Decimal("15.00")
    assert list(receipts_by_number(fresh).values()) == [1, 1]


def test_a_reconciliation_survives_a_token_refused_mid_run(fresh, sandbox_settings, qbo_refreshes):
    store = Store(fresh)
    for price in ("10.00", "20.00", "30.00"):
        store.order(lines=[("A", 1, price)])
    run_payouts(sandbox_settings, fresh)
    shop_sweep(shop_id=fresh.pk)

    expire_qbo_tokens(sandbox_settings, after_requests=1)
    report = reconcile_shop(shop_id=fresh.pk)

    assert len(qbo_refreshes) == 1
    assert report.matched and report.found_documents == 3 and report.payouts_found == 1
    assert report.qbo_total == Decimal("60.00")


def test_a_refused_refresh_after_a_401_pauses_the_shop_and_ends_the_sweep(fresh, sandbox_settings, qbo_refreshes):
    store = Store(fresh)
    store.order(lines=[("A", 1, "10.00")])
    shop_sweep(shop_id=fresh.pk)
    order = store.order(lines=[("B", 1, "11.00")])
    real_preference = qbo.refuses_duplicate_doc_numbers

    def read_then_revoke(qb):
        answer = real_preference(qb)
        qbo_control(sandbox_settings, "revoke")  # the merchant disconnected us inside QuickBooks, mid-pass
        return answer

    with mock.patch.object(qbo, "refuses_duplicate_doc_numbers", side_effect=read_then_revoke):
        with pytest.raises(qbo.QBOAuthError):
            shop_sweep(shop_id=fresh.pk)

    assert len(qbo_refreshes) == 1  # one try, no loop
    connection = QuickBooksConnection.objects.get(shop=fresh)
    assert connection.status == QuickBooksConnection.Status.RECONNECT_NEEDED
    assert connection.access_token == "" and connection.refresh_token == ""
    shop = Shop.objects.get(pk=fresh.pk)
    assert shop.sync_paused and shop.paused_code == PauseCode.QBO_RECONNECT
    run = SyncRun.objects.filter(shop=fresh).order_by("-started_at").first()
    assert run.status == SyncRun.Status.FAILED and "reconnect" in run.error.lower()
    # The pass met the refusal at its first call after opening (the check for changes made in
    # QuickBooks): the order was not written, and the shop's issue asks to reconnect.
    synced = SyncedRecord.objects.filter(shop=fresh, source_id=order["id"], status=SyncedRecord.Status.SYNCED)
    assert not synced.exists()
    assert SyncIssue.objects.open().filter(shop=fresh, code="qbo_auth").exists()
    # The next passes stop before calling anyone.
    assert "skipped" in tasks.sweep_shop(fresh.pk)
    assert order_sync(shop_id=fresh.pk, order_gid=order["id"]) == "not_ready"
    assert len(qbo_refreshes) == 1


def test_a_refused_refresh_at_the_first_call_of_a_pass_stops_it_with_a_trace(fresh, sandbox_settings, qbo_refreshes):
    """Before anything was mapped, the first QuickBooks call is the setup's own lookup: the pass is
    recorded as stopped, with one issue telling the merchant to reconnect."""
    qbo_control(sandbox_settings, "revoke")
    assert "skipped" in tasks.sweep_shop(fresh.pk)
    assert len(qbo_refreshes) == 1
    assert QuickBooksConnection.objects.get(shop=fresh).status == QuickBooksConnection.Status.RECONNECT_NEEDED
    assert Shop.objects.get(pk=fresh.pk).paused_code == PauseCode.QBO_RECONNECT
    [run] = SyncRun.objects.filter(shop=fresh)
    assert run.status == SyncRun.Status.FAILED and run.error.startswith("Stopped:")
    assert SyncIssue.objects.open().filter(shop=fresh, code="qbo_auth").count() == 1
    # Passes refused while the shop waits for the reconnect leave no further trace.
    tasks.sweep_shop(fresh.pk)
    assert SyncRun.objects.filter(shop=fresh).count() == 1


def test_a_second_401_right_after_a_renewal_is_final(sandbox_settings):
    company = sandbox_settings["qbo_companies"][0]
    renewals = []

    def renew(refused: str) -> str:
        renewals.append(refused)
        return "eyJ-a-token-quickbooks-does-not-know-either"

    qb = qbo.connect(
        qbo_settings(), realm_id=company["realm_id"], access_token=company["access_token"], on_unauthorized=renew
    )
    expire_qbo_tokens(sandbox_settings, after_requests=0)
    with pytest.raises(qbo.QBOAuthError):
        qbo.find_by(qb, "Account", "Name", "Checking")
    assert renewals == [company["access_token"]]


@pytest.mark.postgres
def test_two_workers_refused_the_same_token_refresh_it_once(fresh, sandbox_settings, monkeypatch):
    """Both workers send the same token and get a 401: the row lock lets one refresh."""
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL (the test SQLite database is in memory)")
    calls = []
    real = quickbooks_auth.refresh
    gate = threading.Barrier(2, timeout=10)

    def slow_refresh(*, refresh_token):
        calls.append(refresh_token)
        threading.Event().wait(0.3)  # the other worker queues on the row lock meanwhile
        return real(refresh_token=refresh_token)

    monkeypatch.setattr(quickbooks_auth, "refresh", slow_refresh)
    clients = [qbo_client(QuickBooksConnection.objects.select_related("shop").get(shop=fresh)) for _ in range(2)]
    assert clients[0].session.access_token == clients[1].session.access_token
    qbo_control(sandbox_settings, "expire-tokens")
    found, errors = [], []

    def worker(qb):
        try:
            gate.wait()
            found.append(qbo.find_by(qb, "Account", "Name", "Checking")[0]["Name"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker, args=(qb,)) for qb in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and found == ["Checking", "Checking"]
    assert len(calls) == 1
    assert clients[0].session.access_token == clients[1].session.access_token


# --- QuickBooks: connecting ---------------------------------------------------------------


def authorization_code(info) -> str:
    realm = info["qbo_companies"][0]["realm_id"]
    answer = requests.post(
        info["qbo"] + "/connect/oauth2",
        data={
            "client_id": info["qbo_app"]["client_id"],
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "redirect_uri": settings.QBO_REDIRECT_URI,
            "state": "s1",
            "realm_id": realm,
            "decision": "allow",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"].split("code=")[1].split("&")[0]


def test_connecting_survives_a_new_token_refused_at_once(sandbox_settings, qbo_refreshes):
    shop = Shop.objects.create(domain="token-test.myshopify.com", installed_at=timezone.now())
    row = OAuthState.objects.create(provider=OAuthState.Provider.QUICKBOOKS, state="s1", shop_domain=shop.domain)
    realm = sandbox_settings["qbo_companies"][0]["realm_id"]
    code = authorization_code(sandbox_settings)
    expire_qbo_tokens(sandbox_settings, after_requests=0)  # catches the token the code exchange gives

    quickbooks_connect.qbo_connect_complete(row=row, code=code, realm_id=realm, error="")

    assert len(qbo_refreshes) == 1
    assert OAuthState.objects.get(pk=row.pk).succeeded
    connection = QuickBooksConnection.objects.get(shop=shop)
    assert connection.status == QuickBooksConnection.Status.CONNECTED
    assert connection.company_name == sandbox_settings["qbo_companies"][0]["name"]
    # The grant stored is the refreshed one, and it works.
    qb = qbo_client(connection)
    assert qbo.find_by(qb, "Account", "Name", "Checking")
    assert len(qbo_refreshes) == 1


# --- Shopify ------------------------------------------------------------------------------


@pytest.fixture
def expiring_shopify_token(fresh, sandbox_settings):
    """The shop on an expiring offline token (token exchange), as installs now get."""
    id_token = requests.get(
        sandbox_settings["shopify"] + "/_sandbox/session-token", params={"shop": fresh.domain}, timeout=5
    ).json()["id_token"]
    grant = shopify_auth.exchange_session_token(shop=fresh.domain, session_token=id_token)
    assert grant.expires_at and grant.refresh_token
    Shop.objects.filter(pk=fresh.pk).update(
        access_token=grant.access_token,
        access_token_expires_at=grant.expires_at,
        refresh_token=grant.refresh_token,
        refresh_token_expires_at=grant.refresh_token_expires_at,
    )
    return grant


@pytest.fixture
def shopify_refreshes(monkeypatch):
    calls = []
    real = shopify_auth.refresh

    def spy(*, shop, refresh_token):
        calls.append(shop)
        return real(shop=shop, refresh_token=refresh_token)

    monkeypatch.setattr(shopify_auth, "refresh", spy)
    return calls


def test_a_sweep_survives_a_shopify_token_refused_before_its_stored_expiry(
    fresh, sandbox_settings, expiring_shopify_token, shopify_refreshes
):
    Store(fresh).order(lines=[("A", 1, "10.00")])
    # An hour passes at Shopify; by our clock the stored token is still good.
    requests.post(
        sandbox_settings["shopify"] + "/_sandbox/clock", json={"advance_seconds": 3601}, timeout=5
    ).raise_for_status()
    assert Shop.objects.get(pk=fresh.pk).access_token_expires_at > timezone.now() + timedelta(minutes=30)

    result = shop_sweep(shop_id=fresh.pk)

    assert result.outcomes.get("written") == 1
    assert shopify_refreshes == [fresh.domain]
    assert Shop.objects.get(pk=fresh.pk).access_token != expiring_shopify_token.access_token


def test_the_shop_details_read_survives_a_shopify_token_refused_early(
    fresh, sandbox_settings, expiring_shopify_token, shopify_refreshes
):
    Shop.objects.filter(pk=fresh.pk).update(name="")
    shop = Shop.objects.get(pk=fresh.pk)
    requests.post(
        sandbox_settings["shopify"] + "/_sandbox/clock", json={"advance_seconds": 3601}, timeout=5
    ).raise_for_status()
    install.shop_details_refresh(shop)
    assert Shop.objects.get(pk=fresh.pk).name
    assert shopify_refreshes == [fresh.domain]


def test_a_second_shopify_401_right_after_a_renewal_is_final(fresh, sandbox_settings):
    renewals = []

    def renew(refused: str) -> str:
        renewals.append(refused)
        return "shpat_unknown_to_the_store"

    client = ShopifyClient(
        shop_domain=fresh.domain,
        access_token="shpat_refused",
        admin_base=settings.SHOPIFY_ADMIN_BASE,
        api_version=settings.SHOPIFY_API_VERSION,
        on_unauthorized=renew,
    )
    with pytest.raises(ShopifyAuthError):
        client.execute("{ shop { name } }")
    assert renewals == ["shpat_refused"]


# --- the demo, an hour later --------------------------------------------------------------


def demo_once(state: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite in the state dir
    return subprocess.run(
        [str(ROOT / "bin" / "demo"), "--once", "--state-dir", str(state), "--port", "8750"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def advance_demo_qbo_clock(state: Path, seconds: int) -> None:
    """Move the demo's QuickBooks sandbox on while it is stopped (its clock is kept in its state)."""
    from sandbox.qbo.emulator import QBOEmulator
    from sandbox.runner import serve_in_thread

    emulator = QBOEmulator(state_dir=state / "sandbox", seed=0)  # as `manage.py sandbox` starts it
    server = serve_in_thread(emulator)
    try:
        requests.post(
            f"{server.base_url}/_sandbox/qbo/clock", json={"advance_seconds": seconds}, timeout=5
        ).raise_for_status()
    finally:
        server.stop()
        emulator.close()


@pytest.mark.slow
def test_the_demo_run_again_after_the_token_expired_still_matches(tmp_path):
    state = tmp_path / "demo"
    first = demo_once(state)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-4000:]
    advance_demo_qbo_clock(state, 2 * 3600)
    second = demo_once(state)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-4000:]
    assert "MATCH" in second.stdout.splitlines()[-1]
