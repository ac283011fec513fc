"""The merchant's states in the sandbox admin, in Debian chromium (issue 10, "Done when"): a
QuickBooks grant revoked, a pass that failed, an issue fixed through its action and retried.

Each page is checked with axe-core (``$AXE_CORE_JS``) and screenshot at 1280 and 375 pixels into
``$SHOPQB_TEST_ARTIFACTS`` (default: ``.artifacts/states/`` in the repository).
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.apps import apps as django_apps
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.integrations.shopify.fetch import fetch_order
from syncing import ledger
from syncing.context import ShopNotReady, context_open
from syncing.models import SyncIssue, SyncRun
from syncing.runs import shop_sweep
from tests.accounts import test_app_shell as shell
from tests.accounts.test_embedded_browser import connect_in_admin
from tests.browser import artifacts_dir
from tests.sandboxes import Store, go_live
from tests.worker import run_queued

ROOT = Path(__file__).resolve().parents[2]
SHOP = shell.SHOP

# The shell's fixtures: the sandboxes behind the live server, and Debian chromium.
sandboxes = shell.sandboxes
browser = shell.browser


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("states")


class Merchant:
    """A merchant whose shop is connected in the admin and live, looking at the app's pages."""

    def __init__(self, sandboxes: Any, browser: Any, artifacts: Path) -> None:
        self.sandboxes = sandboxes
        self.info = sandboxes.info
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(20_000)
        connect_in_admin(self.page, self.info, SHOP)
        self.admin = shell.Admin(self.page, artifacts)
        self.admin.shows("Overview", "Overview")
        self.shop = Shop.objects.get(domain=SHOP)
        go_live(self.shop)
        self.app = self.admin.app
        self.artifacts = artifacts
        self.axe = shell.axe_script()

    def order(self) -> dict[str, Any]:
        """An order placed in the store, once its webhook reached the app: the test database
        (SQLite's shared cache) refuses a write while the live server handles one."""
        order = Store(self.shop).order(lines=[("MUG-1", 1, "12.50")])
        assert self.sandboxes.shopify.dispatcher.wait_idle(timeout=10)
        return order

    def open(self, entry: str, title: str, heading: str) -> None:
        """A page through the admin's navigation menu (``entry``), drawn afresh."""
        self.admin.nav.get_by_role("link", name=entry).click()
        self.admin.shows(title, heading)

    def reload(self, title: str, heading: str) -> None:
        self.page.reload()
        self.admin.shows(title, heading)

    def checked(self, name: str) -> None:
        """No axe-core violation in the app's frame or the admin around it, and a screenshot, at
        1280 and at 375 px."""
        for width in (1280, 375):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.admin.frame.evaluate(
                "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            assert shell.axe_violations(self.admin.frame, self.axe) == [], (name, width)
            assert shell.axe_violations(self.page, self.axe) == [], (name, width)
            self.page.screenshot(path=str(self.artifacts / f"states-{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def qbo_control(self, path: str, body: dict | None = None) -> None:
        realm = self.info["qbo_companies"][0]["realm_id"]
        url = f"{self.info['qbo']}/_sandbox/qbo/{realm}/{path}"
        requests.post(url, json=body or {}, timeout=5).raise_for_status()


@pytest.fixture
def sweep_schedule(transactional_db) -> None:
    """The schedule that sweeps every connected shop, as its migration makes it (a transactional
    test starts from empty tables), next due in five minutes."""
    migration = importlib.import_module("syncing.migrations.0002_sweep_schedule")
    migration.add_schedule(django_apps, None)
    Schedule.objects.filter(name="sweep all shops").update(next_run=timezone.now() + timedelta(minutes=5))


@pytest.fixture
def merchant(sandboxes, browser, artifacts, sweep_schedule) -> Merchant:
    return Merchant(sandboxes, browser, artifacts)


@shell.in_chromium
def test_a_revoked_grant_asks_to_reconnect_quickbooks(merchant):
    from playwright.sync_api import expect

    app = merchant.app
    expect(app.get_by_test_id("glance-connection")).to_contain_text("Connected to")
    merchant.order()
    merchant.qbo_control("revoke")  # the merchant disconnected ShopQB inside QuickBooks

    # The pass meets the refusal at its first QuickBooks call, and leaves its trace: a pass
    # stopped with the reason, and one issue that asks to reconnect.
    with pytest.raises(ShopNotReady, match="reconnect QuickBooks"):
        shop_sweep(shop_id=merchant.shop.pk)
    assert QuickBooksConnection.objects.get(shop=merchant.shop).status == "reconnect_needed"
    run = SyncRun.objects.get(shop=merchant.shop)
    assert run.status == SyncRun.Status.FAILED and run.error.startswith("Stopped:")
    assert SyncIssue.objects.open().filter(shop=merchant.shop, code="qbo_auth").count() == 1

    merchant.reload("Overview", "Overview")
    expect(app.get_by_test_id("reconnect-banner")).to_contain_text("QuickBooks needs reconnecting.")
    expect(app.get_by_test_id("glance-connection")).to_have_text("Needs reconnecting · syncing paused")
    expect(app.get_by_test_id("glance-last-pass")).to_contain_text("Failed")
    expect(app.get_by_test_id("glance-next-pass")).to_have_text("none until you reconnect QuickBooks")
    expect(app.get_by_test_id("glance-issues")).to_have_text("1")
    expect(app.get_by_role("button", name="Reconnect QuickBooks")).to_be_visible()
    expect(app.get_by_text("Connected to", exact=False)).to_have_count(0)
    expect(merchant.admin.actions.get_by_role("button", name="Sync now")).to_have_count(0)
    merchant.checked("revoked-overview")

    merchant.open("Issues", "Issues", "Issues")
    issue = app.get_by_test_id("issue")
    expect(issue).to_have_count(1)
    expect(issue.get_by_test_id("issue-title")).to_have_text("QuickBooks no longer accepts ShopQB's sign-in")
    expect(issue.get_by_role("button", name="Reconnect QuickBooks")).to_be_visible()
    merchant.checked("revoked-issues")


def shopify_unreachable_for_a_pass(merchant: Merchant, settings: Any) -> None:
    """A sweep while Shopify cannot be reached: the pass fails before it reads an order."""
    merchant.order()
    reachable = settings.SHOPIFY_ADMIN_BASE
    settings.SHOPIFY_ADMIN_BASE = "http://127.0.0.1:9/{shop}"  # nothing listens on the discard port
    with pytest.raises(ShopifyError):
        shop_sweep(shop_id=merchant.shop.pk)
    settings.SHOPIFY_ADMIN_BASE = reachable
    assert SyncRun.objects.get(shop=merchant.shop).status == SyncRun.Status.FAILED


@shell.in_chromium
def test_a_failed_pass_is_shown_and_explained_in_plain_words(merchant, settings):
    from playwright.sync_api import expect

    app = merchant.app
    shopify_unreachable_for_a_pass(merchant, settings)

    merchant.reload("Overview", "Overview")
    expect(app.get_by_test_id("glance-last-pass")).to_contain_text("Failed")
    expect(app.get_by_test_id("last-run")).to_contain_text("Failed")
    expect(app.get_by_test_id("glance-issues")).to_have_text("1")
    # The schedule still sweeps the shop: the next pass is at its time, not "none".
    expect(app.get_by_test_id("glance-next-pass")).to_have_text(re.compile(r"^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} \w+$"))
    merchant.checked("failed-pass-overview")

    merchant.open("Issues", "Issues", "Issues")
    issue = app.get_by_test_id("issue")
    expect(issue).to_have_count(1)
    expect(issue.get_by_test_id("issue-title")).to_have_text("The last sync pass stopped early")
    expect(issue.get_by_test_id("issue-books")).to_contain_text("Nothing was written twice.")
    expect(issue.get_by_test_id("issue-todo")).to_contain_text("the next pass starts where this one stopped")
    # The raw code stays behind "Details" until the merchant opens it.
    details = issue.get_by_test_id("issue-details")
    expect(details.get_by_text("sweep_failed")).to_be_hidden()
    assert "Connection refused" not in issue.inner_text()
    merchant.checked("failed-pass-issues")
    details.get_by_text("Details").click()
    expect(details.get_by_text("sweep_failed")).to_be_visible()


@shell.in_chromium
def test_a_taken_document_number_is_fixed_through_its_action_and_retried(merchant):
    from playwright.sync_api import expect

    app, admin = merchant.app, merchant.admin
    shop = merchant.shop
    ctx = context_open(shop.pk)
    order = merchant.order()
    name = fetch_order(ctx.shopify, order["id"])["name"]
    number = ledger.doc_number(ctx.mapping.doc_number_prefix, name)
    # The bookkeeper keyed in a receipt with the number ShopQB would give the order.
    theirs = qbo.create(
        ctx.qb,
        "SalesReceipt",
        {
            "DocNumber": number,
            "CustomerRef": ctx.mapping.customer.as_qbo(),
            "Line": [
                {
                    "Amount": "99.00",
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": ctx.mapping.sales_item.as_qbo(), "Qty": 1, "UnitPrice": "99.00"},
                }
            ],
        },
        request_id="bookkeeper-1",
    )
    shop_sweep(shop_id=shop.pk)
    assert SyncIssue.objects.filter(shop=shop, code="doc_number_taken", resolved_at__isnull=True).count() == 1

    merchant.open("Issues", "Issues", "Issues")
    issue = app.get_by_test_id("issue")
    expect(issue).to_have_count(1)
    expect(issue.get_by_test_id("issue-subject")).to_contain_text(name)
    expect(issue.get_by_test_id("issue-todo")).to_contain_text("Rename")
    expect(issue.get_by_test_id("issue-details")).not_to_have_attribute("open", "")
    merchant.checked("doc-number-issue")

    # The action leads to the setup page where the numbering is chosen.
    issue.get_by_test_id("issue-action").click()
    admin.shows("What to sync", "What to sync")
    merchant.checked("doc-number-action")

    # The bookkeeper renames their receipt in QuickBooks; the merchant retries from the Issues page.
    theirs_now = qbo.read(ctx.qb, "SalesReceipt", theirs.id)
    qbo.update(
        ctx.qb,
        "SalesReceipt",
        {"DocNumber": "BK-1"},
        qbo_id=theirs.id,
        sync_token=theirs_now["SyncToken"],
        request_id="bookkeeper-2",
    )
    merchant.open("Issues", "Issues", "Issues")
    app.get_by_test_id("issue-retry").click()
    expect(admin.toast("Done.")).to_be_visible()
    admin.shows("Issues", "Issues")  # the page drawn again: the live server is idle before the task runs
    run_queued("syncing.")
    merchant.reload("Issues", "Issues")
    expect(app.get_by_test_id("issue")).to_have_count(0)
    expect(app.get_by_test_id("no-issues")).to_be_visible()
    merchant.checked("doc-number-retried")

    merchant.open("Orders", "Orders", "Orders")
    row = app.get_by_test_id("order-row").filter(has_text=name)
    expect(row.get_by_test_id("order-state")).to_have_text("In QuickBooks")
    expect(row.get_by_test_id("qbo-link")).to_contain_text(number)
    merchant.checked("doc-number-orders")


@shell.in_chromium
def test_the_overview_keeps_a_failed_pass_raw_error_out_of_sight(merchant, settings):
    shopify_unreachable_for_a_pass(merchant, settings)
    merchant.reload("Overview", "Overview")
    shown = merchant.app.get_by_test_id("sync-card").inner_text()
    assert "Failed" in shown
    for raw in ("graphql.json", "ConnectionError", "Errno", "127.0.0.1"):
        assert raw not in shown, raw
