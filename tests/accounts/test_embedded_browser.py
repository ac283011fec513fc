"""End to end in Debian chromium: install in the sandbox admin, land in the app, connect QuickBooks.

Then the secrets check: with the tokens the sandboxes really issued (the canaries),
a sync pass runs, and no token appears in any log record of the app or in a dump
of every table of the database.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import QuickBooksConnection, Shop
from tests.browser import chromium, embed_in_sandbox_admin, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SHOP = "demo-store.myshopify.com"
SECOND_SHOP = "second-store.myshopify.com"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


@pytest.fixture
def sandboxes(live_server, settings, tmp_path, monkeypatch):
    try:
        from sandbox.runner import start_sandboxes
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"sandbox emulators are not available: {exc}")
    from sandbox.shopify.emulator import DEFAULT_SHOP

    boxes = start_sandboxes(
        app_url=live_server.url,
        state_dir=tmp_path,
        seed=3,
        shopify_options={"toml_path": ROOT / "shopify.app.toml", "shops": [DEFAULT_SHOP, SECOND_SHOP]},
        qbo_options={"companies": ["US"], "rotate_refresh_tokens": True},
    )
    info = boxes.info
    embed_in_sandbox_admin(settings, monkeypatch, info, live_server.url)
    yield boxes
    boxes.shopify.dispatcher.wait_idle(timeout=10)
    boxes.stop()


@pytest.fixture
def browser(monkeypatch):
    yield from chromium(monkeypatch)


def database_dump() -> str:
    """Every row of every table, as text (what a leaked backup would show)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.append(f"{table}: {cursor.fetchall()!r}")
    # Queued django-q2 tasks are signed pickles: open them, a token could hide there.
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    chunks.extend(repr(SignedPackage.loads(task.payload)) for task in OrmQ.objects.all())
    return "\n".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_install_land_in_admin_and_connect_quickbooks(sandboxes, browser, caplog):
    from playwright.sync_api import expect

    caplog.set_level(logging.DEBUG)
    info = sandboxes.info
    shopify, qbo = info["shopify"], info["qbo"]
    company = info["qbo_companies"][0]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(20_000)

    # 1. The merchant opens the app in the sandbox admin: managed install by token exchange.
    page.goto(f"{shopify}/{SHOP}/admin/apps/{info['app']['api_key']}")
    app = page.frame_locator("#app-iframe")
    expect(app.locator("[data-testid=shop-name]")).to_be_visible()
    shop = Shop.objects.get(domain=SHOP)
    assert shop.is_installed and shop.access_token.startswith("shpat_") and shop.refresh_token
    assert shop.access_token_expires_at is not None  # an expiring offline token

    # 2. Connect QuickBooks: top-level round trip to Intuit's (sandbox) consent page and back.
    app.get_by_role("button", name="Connect QuickBooks").click()
    page.wait_for_url(f"{qbo}/connect/oauth2**")
    page.click("#connect")
    page.wait_for_url(f"{shopify}/{SHOP}/admin/apps/**")
    expect(app.locator("[data-testid=qbo-company]")).to_have_text(company["name"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embedded-app-quickbooks-connected.png"), full_page=True)

    conn = QuickBooksConnection.objects.get(shop=shop)
    assert conn.realm_id == company["realm_id"] and conn.status == "connected"

    # 3. Orders arrive (signed webhooks to /webhooks) and a sync pass uses both tokens,
    #    refreshing Shopify's first so a rotated pair is among the canaries too.
    from accounts import tokens
    from sandbox.shopify.seeder import seed_shop
    from syncing.models import SyncedRecord, WebhookDelivery
    from syncing.runs import shop_sweep

    Shop.objects.filter(pk=shop.pk).update(access_token_expires_at=shop.access_token_expires_at.replace(year=2000))
    shop = Shop.objects.get(pk=shop.pk)
    canaries = {shop.access_token, shop.refresh_token, conn.access_token, conn.refresh_token}
    seed_shop(base_url=shopify, shop=SHOP, token=tokens.shopify_access_token(shop), orders=3, seed=5)
    shop.refresh_from_db()
    canaries |= {shop.access_token, shop.refresh_token}
    assert sandboxes.shopify.dispatcher.wait_idle(timeout=30)
    assert WebhookDelivery.objects.filter(shop_domain=SHOP, topic="orders/create").count() >= 3
    # The merchant goes through the setup (every proposal accepted) before anything is written.
    from tests.sandboxes import go_live

    go_live(shop)
    conn.refresh_from_db()
    # The QuickBooks access token has expired too: the pass refreshes it (a rotated pair).
    QuickBooksConnection.objects.filter(pk=conn.pk).update(access_token_expires_at=conn.connected_at.replace(year=2000))
    result = shop_sweep(shop_id=shop.pk)
    conn.refresh_from_db()
    canaries |= {conn.access_token, conn.refresh_token}
    assert len(canaries) == 8, "both tokens of both services were rotated"
    assert result.run.failed == 0, result.outcomes
    assert SyncedRecord.objects.filter(shop=shop).exclude(qbo_id="").count() >= 2

    app_logs = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}"
        for r in caplog.records
        if not r.name.startswith(("sandbox", "werkzeug"))
    )
    dump = database_dump()
    for canary in canaries:
        assert len(canary) >= 16
        assert canary not in app_logs, "a token was logged"
        assert canary not in dump, "a token is stored in clear"

    # 4. Disconnect from inside the app: revoked at Intuit, the page shows the way back.
    app.get_by_role("button", name="Disconnect QuickBooks").click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect QuickBooks").click()
    expect(app.get_by_role("button", name="Reconnect QuickBooks")).to_be_visible()
    assert QuickBooksConnection.objects.get(shop=shop).status == "disconnected"


def connect_in_admin(page, info, shop):
    """The merchant of ``shop`` clicks Connect QuickBooks in the admin and approves at Intuit."""
    page.goto(f"{info['shopify']}/{shop}/admin/apps/{info['app']['api_key']}")
    app = page.frame_locator("#app-iframe")
    app.get_by_role("button", name="Connect QuickBooks").click()
    page.wait_for_url(f"{info['qbo']}/connect/oauth2**")
    page.click("#connect")
    page.wait_for_url(f"{info['shopify']}/{shop}/admin/apps/**")
    return app


def screenshots(page, name):
    """The page at a desktop and a phone width, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_connect_links_work_only_in_the_browser_that_asked(sandboxes, browser, live_server):
    import requests

    info = sandboxes.info
    shopify, qbo = info["shopify"], info["qbo"]
    merchant = browser.new_context(viewport={"width": 1280, "height": 900})
    someone_else = browser.new_context(viewport={"width": 1280, "height": 900})
    page, other = merchant.new_page(), someone_else.new_page()
    for p in (page, other):
        p.set_default_timeout(20_000)
    page.goto(f"{shopify}/{SHOP}/admin/apps/{info['app']['api_key']}")  # installs the shop
    expect_ready = page.frame_locator("#app-iframe").get_by_role("button", name="Connect QuickBooks")
    expect_ready.wait_for()

    # A start link, as the page gets it (session token), opened by the merchant's browser...
    token = requests.get(f"{shopify}/_sandbox/session-token", params={"shop": SHOP}, timeout=10).json()["id_token"]
    link = requests.post(
        f"{live_server.url}/qbo/connect", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["url"]
    page.goto(link)
    page.wait_for_url(f"{qbo}/connect/oauth2**")
    cookie = next(c for c in merchant.cookies() if c["name"] == "shopqb_qbo_browser")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/qbo/callback"

    # ... and forwarded: spent.
    other.goto(link)
    assert "cannot be used" in other.locator("[data-testid=problem]").inner_text()
    screenshots(other, "qbo-start-link-refused")

    # Intuit's answer (code and state) opened in the other browser connects nothing.
    callbacks = []

    def keep_the_redirect(route):
        answer = route.fetch(max_redirects=0)  # Intuit's 302 to /qbo/callback, held back
        callbacks.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="held back by the test")

    page.route(f"{qbo}/connect/oauth2**", keep_the_redirect)
    page.click("#connect")
    page.wait_for_load_state()
    assert len(callbacks) == 1 and callbacks[0].startswith(f"{live_server.url}/qbo/callback?")
    other.goto(callbacks[0])
    assert "did not start in this browser" in other.locator("[data-testid=problem]").inner_text()
    screenshots(other, "qbo-callback-refused")
    assert not QuickBooksConnection.objects.exists()

    # The merchant's own browser still completes it.
    page.goto(callbacks[0])
    page.wait_for_url(f"{shopify}/{SHOP}/admin/apps/**")
    assert QuickBooksConnection.objects.get(shop__domain=SHOP).status == "connected"
    merchant.close()
    someone_else.close()


@pytest.mark.django_db(transaction=True)
def test_a_second_store_on_the_same_company_asks_its_merchant_first(sandboxes, browser):
    from playwright.sync_api import expect

    info = sandboxes.info
    company = info["qbo_companies"][0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)

    connect_in_admin(page, info, SHOP)
    app = connect_in_admin(page, info, SECOND_SHOP)
    banner = app.locator("[data-testid=confirm-shared]")
    expect(banner).to_contain_text(SHOP)
    expect(banner).to_contain_text(company["name"])
    assert QuickBooksConnection.objects.get(shop__domain=SECOND_SHOP).status == "confirm_shared"
    screenshots(page, "qbo-confirm-shared")

    page.set_viewport_size({"width": 1280, "height": 900})
    app.get_by_role("button", name="Use this company for this store too").click()
    expect(app.locator("[data-testid=shared-realm]")).to_contain_text(SHOP)
    assert QuickBooksConnection.objects.get(shop__domain=SECOND_SHOP).status == "connected"

    page.goto(f"{info['shopify']}/{SHOP}/admin/apps/{info['app']['api_key']}")
    app = page.frame_locator("#app-iframe")
    expect(app.locator("[data-testid=shared-realm]")).to_contain_text(SECOND_SHOP)
    screenshots(page, "qbo-shared-notice")
