"""The overview at a glance (orders booked today and this week in the shop's own time zone;
sales, refunds and payouts each beside their QuickBooks counterpart) and a running pass's
progress, as the page polls it after "Sync now"."""

import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests
from django.utils import timezone
from django_q.models import Schedule

from accounts.clients import shopify_client
from accounts.models import Shop
from shopqb_app.integrations.shopify.fetch import all_orders
from syncing import batches, dashboard, runs
from syncing.dashboard import ImportSize, shop_glance
from syncing.models import SyncedRecord, SyncRun
from tests.accounts.factories import make_connection
from tests.accounts.test_app_shell import (  # noqa: F401 # the browser fixtures
    ROOT,
    SHOP,
    Admin,
    axe_script,
    axe_violations,
    browser,
    in_chromium,
    sandboxes,
)
from tests.accounts.test_embedded_browser import connect_in_admin
from tests.factories import session_token
from tests.sandboxes import Store

pytestmark = pytest.mark.usefixtures("app_settings")

# Monday 30 November 2026, 02:30 in Sydney (AEDT, UTC+11): still Sunday 29 November in UTC.
NOW = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)


def record(shop, n, kind, status, amount, *, synced_at=None, currency="AUD", order=None):
    return SyncedRecord.objects.create(
        shop=shop,
        source_type={"Deposit": "payout", "RefundReceipt": "refund"}.get(kind, "order"),
        source_id=f"gid://shopify/Thing/{n}",
        order_gid=order or ("" if kind == "Deposit" else f"gid://shopify/Order/{n}"),
        kind=kind,
        status=status,
        request_id=f"r-{shop.pk}-{n}",
        amount=Decimal(amount) if amount is not None else None,
        currency=currency,
        synced_at=synced_at,
    )


@pytest.fixture
def sydney(shop_a):
    shop_a.iana_timezone = "Australia/Sydney"
    shop_a.currency = "AUD"
    shop_a.save()
    return shop_a


@pytest.mark.django_db
def test_today_and_this_week_are_the_shops_own(sydney, shop_b):
    monday_morning = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)  # 01:00 Monday in Sydney
    sunday_night = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # 23:00 Sunday in Sydney: last week
    last_tuesday = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # already last week on Monday
    record(sydney, 1, "SalesReceipt", "synced", "10.00", synced_at=monday_morning)
    record(sydney, 2, "Invoice", "synced", "20.00", synced_at=monday_morning)
    record(sydney, 3, "Payment", "synced", "20.00", synced_at=monday_morning, order="gid://shopify/Order/2")
    record(sydney, 4, "SalesReceipt", "synced", "5.00", synced_at=sunday_night)
    record(sydney, 5, "SalesReceipt", "synced", "5.00", synced_at=last_tuesday)
    record(sydney, 6, "SalesReceipt", "failed", "7.00", synced_at=None)
    record(sydney, 7, "RefundReceipt", "synced", "3.00", synced_at=monday_morning, order="gid://shopify/Order/1")
    record(shop_b, 8, "SalesReceipt", "synced", "99.00", synced_at=monday_morning)

    glance = shop_glance(sydney, now=NOW)
    # UTC would count orders 1, 2 and 4 as "today"; Sydney's Monday started after order 4.
    assert (glance.orders_today, glance.orders_this_week) == (2, 2)
    # A week later, on Sunday in Sydney, the week from Monday still holds them.
    later = shop_glance(sydney, now=NOW + timedelta(days=6))
    assert (later.orders_today, later.orders_this_week) == (0, 2)


@pytest.mark.django_db
def test_sales_refunds_and_payouts_each_beside_quickbooks_never_summed(sydney, shop_b):
    record(sydney, 1, "SalesReceipt", "synced", "100.00")
    record(sydney, 2, "Invoice", "synced", "50.00")
    record(sydney, 3, "SalesReceipt", "failed", "25.00")  # Shopify has it, QuickBooks not yet
    record(sydney, 4, "SalesReceipt", "skipped", "999.00")  # kept out by the merchant's rules
    record(sydney, 5, "SalesReceipt", "voided", "888.00")  # a cancelled order
    record(sydney, 6, "Payment", "synced", "50.00")  # the invoice's payment is no second sale
    record(sydney, 7, "RefundReceipt", "synced", "12.50")
    record(sydney, 8, "Deposit", "synced", "140.00")
    record(sydney, 9, "SalesReceipt", "synced", "30.00", currency="USD")
    record(shop_b, 10, "SalesReceipt", "synced", "777.00")

    figures = {(f.key, f.currency): f for f in shop_glance(sydney, now=NOW).figures}
    assert list(figures) == [("sales", "AUD"), ("sales", "USD"), ("refunds", "AUD"), ("payouts", "AUD")]
    sales = figures["sales", "AUD"]
    assert (sales.shopify_amount, sales.quickbooks_amount, sales.count, sales.synced) == (
        Decimal("175.00"),
        Decimal("150.00"),
        3,
        2,
    )
    assert not sales.matches
    assert figures["refunds", "AUD"].quickbooks_amount == Decimal("12.50") and figures["refunds", "AUD"].matches
    assert figures["payouts", "AUD"].shopify_amount == figures["payouts", "AUD"].quickbooks_amount == Decimal("140.00")
    assert figures["sales", "USD"].quickbooks_amount == Decimal("30.00")


@pytest.mark.django_db
def test_the_home_page_shows_the_figures_next_pass_and_open_issues(client, sydney, shop_b):
    make_connection(sydney, company_name="Sydney Books Pty")
    make_connection(shop_b, company_name="Bravo Books Inc")
    record(sydney, 1, "SalesReceipt", "synced", "1234.50", synced_at=timezone.now())
    record(sydney, 2, "RefundReceipt", "synced", "34.50")
    record(shop_b, 3, "Deposit", "synced", "4321.00", currency="AUD")
    Schedule.objects.update_or_create(
        name="sweep all shops",
        defaults={
            "func": "syncing.tasks.sweep_all_shops",
            "schedule_type": "I",
            "minutes": 5,
            "repeats": -1,
            "next_run": datetime(2099, 12, 1, 1, 5, tzinfo=UTC),
        },
    )
    page = client.get(f"/?id_token={session_token(sydney.domain)}").content.decode()
    glance = page.split('data-testid="glance-card"')[1].split("</section>")[0]
    assert "Connected to Sydney Books Pty" in glance
    sales = glance.split('data-testid="figure-sales"')[1].split("</tr>")[0]
    assert sales.count("1,234.50 AUD") == 2
    assert "34.50 AUD" in glance.split('data-testid="figure-refunds"')[1].split("</tr>")[0]
    payouts = glance.split('data-testid="figure-payouts"')[1].split("</tr>")[0]
    assert "0.00 AUD" in payouts and "4,321.00" not in page  # the other shop's payout
    assert "1,269.00" not in page  # sales and refunds never added up
    # 01:05 UTC is 12:05 in Sydney, and the page says so.
    next_pass = glance.split('data-testid="glance-next-pass"')[1].split("</dd>")[0]
    assert "12:05" in next_pass and "AEDT" in next_pass
    assert "<strong>1</strong> today" in glance

    # A time already past: a worker takes it within seconds; the page does not show a past time.
    Schedule.objects.filter(name="sweep all shops").update(next_run=datetime(2020, 1, 1, tzinfo=UTC))
    page = client.get(f"/?id_token={session_token(sydney.domain)}").content.decode()
    assert "due now" in page.split('data-testid="glance-next-pass"')[1].split("</dd>")[0]

    # A failed pass changes nothing: the schedule still sweeps the shop at its next time.
    Schedule.objects.filter(name="sweep all shops").update(next_run=datetime(2099, 12, 1, 1, 5, tzinfo=UTC))
    SyncRun.objects.create(shop=sydney, status="failed", finished_at=timezone.now(), error="Stopped: Shopify down")
    page = client.get(f"/?id_token={session_token(sydney.domain)}").content.decode()
    assert "12:05" in page.split('data-testid="glance-next-pass"')[1].split("</dd>")[0]

    # No pass is coming: the page says why.
    sydney.pause("merchant asked")
    page = client.get(f"/?id_token={session_token(sydney.domain)}").content.decode()
    next_pass = page.split('data-testid="glance-next-pass"')[1].split("</dd>")[0]
    assert "none while syncing is paused: merchant asked" in next_pass


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "paused", "says"),
    [
        ("reconnect_needed", True, "none until you reconnect QuickBooks"),
        ("confirm_shared", False, "none until you confirm the QuickBooks company"),
        ("disconnected", False, "none until QuickBooks is connected"),
        ("connected", True, "none while syncing is paused: support is moving your data"),
    ],
)
def test_the_next_pass_says_why_none_is_coming(shop_a, status, paused, says):
    make_connection(shop_a, status=status)
    if paused:
        shop_a.pause("support is moving your data")
    glance = shop_glance(shop_a, now=NOW)
    assert glance.next_pass is None and glance.next_pass_none == says


@pytest.mark.django_db
def test_a_missing_schedule_is_not_shown_as_a_quiet_shop(shop_a):
    make_connection(shop_a)
    Schedule.objects.filter(name="sweep all shops").delete()
    assert "not scheduled" in shop_glance(shop_a, now=NOW).next_pass_none
    Schedule.objects.create(
        name="sweep all shops", func="syncing.tasks.sweep_all_shops", schedule_type="I", minutes=5, repeats=-1
    )
    glance = shop_glance(shop_a)
    assert glance.next_pass is not None and glance.next_pass_none == ""


@pytest.mark.django_db
def test_the_status_endpoint_gives_this_shops_running_pass_only(client, shop_a, shop_b):
    auth = {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop_a.domain)}
    assert client.get("/sync/status", **auth).json() == {"running": False, "run": None}
    assert client.get("/sync/status").status_code in (401, 403)  # no session, no figures

    SyncRun.objects.create(shop=shop_b, kind="sweep", orders_seen=500, documents_written=400)
    done = SyncRun.objects.create(
        shop=shop_a, status="succeeded", started_at=timezone.now() - timedelta(hours=1), finished_at=timezone.now()
    )
    answer = client.get("/sync/status", **auth).json()
    assert answer["running"] is False and answer["run"]["id"] == done.pk and answer["run"]["status"] == "succeeded"

    SyncRun.objects.create(shop=shop_a, kind="full", orders_seen=40, documents_written=35, failed=2)
    # Shopify listed 100 orders for the import a minute ago (tests/syncing/test_import_estimate.py
    # asks the emulator).
    listed = ImportSize(orders=100, ready_at=timezone.now() - timedelta(seconds=60))
    with mock.patch("syncing.dashboard.import_size", return_value=listed):
        answer = client.get("/sync/status", **auth).json()
    assert answer["running"] is True
    run = answer["run"]
    assert (run["orders_seen"], run["documents_written"], run["failed"], run["history_import"]) == (40, 35, 2, True)
    assert run["finished_at"] is None and run["started_at"]
    assert run["orders_total"] == 100 and run["time_left"] == "about 2 minutes left"  # 60 more at 40 a minute
    assert client.post("/sync/status", **auth).status_code == 405


@pytest.mark.django_db
def test_sync_now_names_the_pass_it_follows(client, shop_a, shop_b):
    make_connection(shop_a)
    SyncRun.objects.create(shop=shop_b, status="succeeded")
    last = SyncRun.objects.create(shop=shop_a, status="succeeded")
    with mock.patch("syncing.pending.enqueue_sweep", return_value="t1"):
        answer = client.post("/sync/run", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain)).json()
    assert answer == {"queued": "t1", "after": last.pk}


@pytest.mark.django_db(transaction=True)
def test_a_running_sweep_writes_its_counters_as_it_goes(shop, monkeypatch):
    store = Store(shop)
    for _ in range(4):
        store.order(lines=[("MUG-1", 1, "12.50")])
    monkeypatch.setattr(runs, "PROGRESS_EVERY_ORDERS", 2)
    monkeypatch.setattr(runs, "PROGRESS_EVERY_SECONDS", 3600.0)
    seen_while_running = []

    # The pass writes its orders a chunk at a time (syncing/batches.py): one order a chunk here.
    monkeypatch.setattr(batches, "ORDERS_PER_CHUNK", 1)
    write_chunk = batches.orders_write

    def watched(ctx, raws):
        seen_while_running.append(SyncRun.objects.get(shop=shop, status="running").orders_seen)
        return write_chunk(ctx, raws)

    monkeypatch.setattr(batches, "orders_write", watched)
    result = runs.shop_sweep(shop_id=shop.pk)
    # What another request reads in the database mid-pass: updated every second order.
    # (The drain after the listing may see the same orders again, queued by their webhooks.)
    assert seen_while_running[:4] == [0, 0, 2, 2]
    assert result.run.orders_seen == sum(result.outcomes.values()) >= 4
    assert result.run.documents_written == 4


@pytest.fixture
def overview_artifacts() -> Path:
    path = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts") / "overview"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshots(admin: Admin, path: Path, name: str, show: Any = None) -> None:
    for width in (1280, 375):
        admin.page.set_viewport_size({"width": width, "height": 900})
        if show is not None:
            show.scroll_into_view_if_needed()
        admin.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        admin.page.screenshot(path=str(path / f"overview-{name}-{width}.png"), full_page=True)
    admin.page.set_viewport_size({"width": 1280, "height": 900})


@in_chromium
def test_sync_now_shows_the_pass_running_then_its_result(sandboxes, browser, overview_artifacts, monkeypatch):  # noqa: F811
    """The worker is played by the test: it starts the pass and moves its counters on, as
    runs.shop_sweep does every few orders, while the page polls."""
    from playwright.sync_api import expect

    script = axe_script()
    info = sandboxes.info
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    admin = Admin(page, overview_artifacts)
    app = admin.app
    admin.shows("Overview", "Overview")
    expect(app.get_by_test_id("glance-connection")).to_contain_text(info["qbo_companies"][0]["name"])
    expect(app.get_by_test_id("figure-sales")).to_be_visible()
    screenshots(admin, overview_artifacts, "glance")
    shop = Shop.objects.get(domain=SHOP)

    admin.actions.get_by_role("button", name="Sync now").click()
    expect(admin.toast("Sync pass queued")).to_be_visible()
    progress = app.get_by_test_id("sync-progress")
    expect(progress).to_have_attribute("aria-live", "polite")
    expect(progress).to_contain_text("waiting for it to start")

    run = SyncRun.objects.create(shop=shop, kind="sweep", orders_seen=3, documents_written=2)
    expect(progress).to_contain_text("3 orders checked, 2 written to QuickBooks, 0 failed.")
    SyncRun.objects.filter(pk=run.pk).update(orders_seen=7, documents_written=5, failed=1)
    expect(progress).to_contain_text("7 orders checked, 5 written to QuickBooks, 1 failed.")
    screenshots(admin, overview_artifacts, "running", show=progress)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(admin.frame, script) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})

    SyncRun.objects.filter(pk=run.pk).update(
        status="succeeded", finished_at=timezone.now(), orders_seen=9, documents_written=6, skipped=2, failed=1
    )
    # The page loads itself again: the result, not the figures from before the pass.
    expect(app.get_by_test_id("last-run")).to_contain_text("9 orders checked, 6 written to QuickBooks")
    expect(app.get_by_test_id("glance-last-pass")).to_contain_text("Succeeded")
    expect(progress).not_to_contain_text("running")

    # The history import after go-live: while Shopify lists the orders, a bar and the orders read
    # so far, with no made-up estimate.
    monkeypatch.setattr(dashboard, "IMPORT_SIZE_ASK_AGAIN_SECONDS", 1)
    monkeypatch.setattr(dashboard, "ESTIMATE_AFTER_ORDERS", 2)
    history = SyncRun.objects.create(shop=shop, kind="full", orders_seen=1, documents_written=1)
    page.reload()
    admin.shows("Overview", "Overview")
    expect(progress).to_contain_text("Importing your order history")
    expect(progress).to_contain_text("1 order so far")
    expect(progress.get_by_role("progressbar", name="Order history import")).to_be_visible()
    expect(app.get_by_test_id("import-time-left")).to_have_count(0)
    screenshots(admin, overview_artifacts, "history-import", show=progress)
    assert axe_violations(admin.frame, script) == []

    # Shopify has listed 4 orders (two minutes ago); 2 are booked: the bar fills, and the rate so
    # far gives the time left, live.
    for n in range(4):
        Store(shop).order(lines=[("MUG-1", n + 1, "12.50")])
    assert sandboxes.shopify.dispatcher.wait_idle(timeout=10)
    clock = info["shopify"] + "/_sandbox/clock"
    requests.post(clock, json={"advance_seconds": -120}, timeout=5).raise_for_status()
    try:
        assert len(list(all_orders(shopify_client(shop), search=None))) == 4
    finally:
        requests.post(clock, json={"advance_seconds": 120}, timeout=5).raise_for_status()
    SyncRun.objects.filter(pk=history.pk).update(orders_seen=2, documents_written=2)
    expect(progress).to_contain_text("2 of 4 orders, 2 written to QuickBooks")
    expect(app.get_by_test_id("import-time-left")).to_have_text(re.compile(r"^About [23] minutes left\.$"))
    bar = progress.get_by_role("progressbar", name="Order history import")
    assert (bar.get_attribute("max"), bar.evaluate("b => b.value")) == ("4", 2)
    screenshots(admin, overview_artifacts, "history-import-estimate", show=progress)
    assert axe_violations(admin.frame, script) == []
    SyncRun.objects.filter(pk=history.pk).update(status="succeeded", finished_at=timezone.now(), orders_seen=4)
    expect(app.get_by_test_id("last-run")).to_contain_text("4 orders checked")
