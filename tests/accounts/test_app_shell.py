"""The app's shell in the sandbox admin, in Debian chromium: App Bridge's title bar, navigation
menu, loading bar, toasts and confirmation modal, drawn by the admin around the app's frame
from what the app's pages declare (templates/accounts/base.html, static/accounts/app.js).

Screenshots at 1280 and 375 pixels go to ``$SHOPQB_TEST_ARTIFACTS`` (default:
``.artifacts/shell/`` in the repository). The accessibility checks need axe-core's
``axe.min.js`` (``npm install axe-core``): at ``$AXE_CORE_JS``, or in ``node_modules/`` here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop
from mappings.models import SyncSettings
from tests.accounts.test_embedded_browser import connect_in_admin
from tests.browser import artifacts_dir, chromium, embed_in_sandbox_admin, needs_chromium
from tests.factories import session_token

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-store.myshopify.com"


def in_chromium(test: Any) -> Any:
    """A test that drives the sandbox admin in Debian chromium, against the live server."""
    marks = (
        pytest.mark.browser,
        pytest.mark.slow,
        needs_chromium,
        pytest.mark.django_db(transaction=True),
    )
    for mark in marks:
        test = mark(test)
    return test


def test_the_menu_leaves_out_a_page_the_app_does_not_have():
    html = Template(
        '{% load embedded %}{% nav_link "home" "Overview" rel="home" %}{% nav_link "no-such-page" "Later" %}'
    ).render(Context())
    assert html == '<a href="/" rel="home">Overview</a>'


@pytest.mark.django_db
def test_every_page_declares_its_title_bar_and_the_menu(client, shop_a):
    home = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert '<ui-title-bar title="Overview">' in home
    assert "Sync now</button>" not in home.split("</ui-title-bar>")[0]  # nothing to sync without QuickBooks
    menu = home.split("<ui-nav-menu>")[1].split("</ui-nav-menu>")[0]
    assert [line.strip() for line in menu.strip().splitlines()] == [
        '<a href="/" rel="home">Overview</a>',
        '<a href="/setup">Setup</a>',
        '<a href="/orders">Orders</a>',
        '<a href="/issues">Issues</a>',
        '<a href="/reconciliation">Reconciliation</a>',
    ]
    assert '<ui-modal id="shopqb-confirm">' in home
    step = client.get("/setup/filters", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert '<ui-title-bar title="Filters">' in step
    assert '<a variant="breadcrumb" href="/setup">Setup</a>' in step
    # Once live, the setup is the shop's settings.
    SyncSettings.objects.update_or_create(shop=shop_a, defaults={"live_at": timezone.now()})
    home = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert '<a href="/setup">Settings</a>' in home and '<a href="/setup">Setup</a>' not in home


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("shell")


@pytest.fixture
def sandboxes(live_server, settings, tmp_path, monkeypatch):
    from sandbox.runner import start_sandboxes

    boxes = start_sandboxes(
        app_url=live_server.url,
        state_dir=tmp_path,
        seed=3,
        shopify_options={"toml_path": ROOT / "shopify.app.toml"},
        qbo_options={"companies": ["US"]},
    )
    info = boxes.info
    embed_in_sandbox_admin(settings, monkeypatch, info, live_server.url)
    yield boxes
    boxes.shopify.dispatcher.wait_idle(timeout=10)
    boxes.stop()


@pytest.fixture
def browser(monkeypatch):
    yield from chromium(monkeypatch)


class Admin:
    """The merchant's admin page, with the app's frame inside it."""

    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.app = page.frame_locator("#app-iframe")
        self.artifacts = artifacts
        self.title = page.locator("#title-bar-title")
        self.actions = page.locator("#title-bar-actions")
        self.nav = page.get_by_role("navigation", name="ShopQB")

    @property
    def frame(self) -> Any:
        return self.page.frame(name="app-iframe")

    def shows(self, title: str, heading: str) -> None:
        """The admin's title bar says ``title`` and the page in the frame is the one headed ``heading``."""
        from playwright.sync_api import expect

        expect(self.app.get_by_role("heading", level=1)).to_have_text(heading)
        expect(self.title).to_have_text(title)
        self.frame.wait_for_load_state("load")

    def toast(self, text: str) -> Any:
        return self.page.locator(".admin-toast").filter(has_text=text)

    def screenshots(self, name: str) -> None:
        for width in (1280, 375):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            self.page.screenshot(path=str(self.artifacts / f"shell-{name}-{width}.png"))
        self.page.set_viewport_size({"width": 1280, "height": 900})


def watch_loading_bar(page: Any) -> None:
    """Record every change of the admin's loading bar: an action on a local server is over
    before an assertion could look at the bar."""
    page.evaluate(
        """() => {
            const bar = document.getElementById("admin-loading");
            window.loadingSeen = [];
            new MutationObserver(() => window.loadingSeen.push(!bar.hidden))
                .observe(bar, {attributes: true, attributeFilter: ["hidden"]});
        }"""
    )


@in_chromium
def test_title_bar_navigation_loading_toasts_and_the_disconnect_modal(sandboxes, browser, artifacts):
    from django_q.models import OrmQ
    from playwright.sync_api import expect

    info = sandboxes.info
    admin_app = f"{info['shopify']}/{SHOP}/admin/apps/{info['app']['api_key']}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    admin = Admin(page, artifacts)
    app = admin.app

    # 1. The title bar and the navigation menu are the admin's, drawn from the page's declarations.
    admin.shows("Overview", "Overview")
    expect(app.get_by_test_id("qbo-company")).to_have_text(info["qbo_companies"][0]["name"])
    expect(admin.actions.get_by_role("button")).to_have_text(["Sync now"])
    # The home route is the app's name (rel="home"); the other entries follow, in order.
    expect(admin.nav.get_by_role("link")).to_have_text(["ShopQB", "Setup", "Orders", "Issues", "Reconciliation"])
    expect(admin.nav.get_by_role("link", name="ShopQB")).to_have_attribute("aria-current", "page")
    # Inside the frame: no "ShopQB" heading, one h1 for screen readers, App Bridge's elements hidden.
    expect(app.get_by_role("heading", name="ShopQB")).to_have_count(0)
    assert admin.frame.locator("h1").evaluate("h => h.getBoundingClientRect().width") <= 1
    expect(app.locator("ui-title-bar").first).to_be_hidden()
    expect(app.locator("ui-nav-menu")).to_be_hidden()
    admin.screenshots("overview")
    page.set_viewport_size({"width": 375, "height": 900})
    page.get_by_role("button", name="Menu").click()  # on a phone the menu drops down from the title bar
    expect(admin.nav.get_by_role("link", name="Setup")).to_be_visible()
    page.screenshot(path=str(artifacts / "shell-nav-menu-375.png"))
    page.keyboard.press("Escape")
    expect(admin.nav).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})

    # 2. A menu entry loads its page in the frame, with a fresh session token; the address follows.
    admin.nav.get_by_role("link", name="Setup").click()
    admin.shows("Setup", "Set up ShopQB")
    expect(page).to_have_url(f"{admin_app}/setup")
    expect(admin.nav.get_by_role("link", name="Setup")).to_have_attribute("aria-current", "page")
    app.get_by_role("link", name="2. What to sync").click()
    admin.shows("What to sync", "What to sync")
    expect(admin.nav.get_by_role("link", name="Setup")).to_have_attribute("aria-current", "page")
    crumb = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Setup")
    admin.screenshots("setup-step")
    crumb.click()
    admin.shows("Setup", "Set up ShopQB")
    page.reload()  # the admin's address is the page's: a reload shows it again
    admin.shows("Setup", "Set up ShopQB")
    admin.nav.get_by_role("link", name="ShopQB").click()
    admin.shows("Overview", "Overview")

    # 3. The title bar's action is the page's own button: the loading bar while it runs, then a toast.
    queued = OrmQ.objects.count()
    watch_loading_bar(page)
    admin.actions.get_by_role("button", name="Sync now").click()
    expect(admin.toast("Sync pass queued")).to_be_visible()
    expect(page.locator("#admin-loading")).to_be_hidden()
    assert page.evaluate("window.loadingSeen")[:2] == [True, False]
    assert OrmQ.objects.count() == queued + 1
    admin.shows("Overview", "Overview")  # the page again, with what changed
    admin.screenshots("toast")

    # A failure: an error toast, and the page's own box read out by screen readers.
    shop = Shop.objects.get(domain=SHOP)
    shop.pause("QuickBooks is being moved to a new company.")  # after the page was drawn
    admin.actions.get_by_role("button", name="Sync now").click()
    expect(page.locator(".admin-toast-error")).to_contain_text("Syncing is paused")
    expect(app.get_by_role("alert").filter(has_text="Syncing is paused")).to_be_visible()
    assert OrmQ.objects.count() == queued + 1
    shop.resume()

    # 4. Disconnect asks first, in the admin's modal; Cancel and Escape keep the connection.
    disconnect = app.get_by_role("button", name="Disconnect QuickBooks")
    dialog = page.get_by_role("dialog", name="Disconnect QuickBooks?")
    disconnect.click()
    expect(dialog).to_contain_text("Syncing stops until you connect again.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice
    admin.screenshots("disconnect-modal")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(disconnect).to_be_focused()
    disconnect.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert QuickBooksConnection.objects.get(shop__domain=SHOP).status == "connected"

    disconnect.click()
    dialog.get_by_role("button", name="Disconnect QuickBooks").click()
    expect(app.get_by_role("button", name="Reconnect QuickBooks")).to_be_visible()
    expect(admin.toast("QuickBooks disconnected.")).to_be_visible()
    assert QuickBooksConnection.objects.get(shop__domain=SHOP).status == "disconnected"
    expect(admin.actions).to_be_hidden()  # nothing to sync without QuickBooks


def axe_script() -> str:
    found = [Path(p) for p in (os.environ.get("AXE_CORE_JS", ""), ROOT / "node_modules/axe-core/axe.min.js") if p]
    script = next((p for p in found if p.is_file()), None)
    if script is None:
        pytest.skip("axe-core is not installed: set AXE_CORE_JS to its axe.min.js")
    return script.read_text()


def axe_violations(target: Any, script: str) -> list[str]:
    """axe-core's default rules (WCAG A/AA and best practices) on a page or frame."""
    target.add_script_tag(content=script)
    found = target.evaluate("async () => (await axe.run(document, {iframes: false})).violations")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


@in_chromium
def test_the_home_page_and_the_admin_around_it_pass_axe(sandboxes, browser, artifacts):
    from playwright.sync_api import expect

    script = axe_script()
    info = sandboxes.info
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    admin = Admin(page, artifacts)
    admin.shows("Overview", "Overview")

    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(admin.frame, script) == [], width
        assert axe_violations(page, script) == [], width

    # The admin with the modal open: the dialog is labelled, described and keyboard-operable.
    page.set_viewport_size({"width": 1280, "height": 900})
    admin.app.get_by_role("button", name="Disconnect QuickBooks").click()
    expect(page.get_by_role("dialog", name="Disconnect QuickBooks?")).to_be_visible()
    assert axe_violations(page, script) == []
