"""The Reconciliation page in the sandbox admin, in Debian chromium (issue 13, "Done when"): a
bookkeeper edits one of ShopQB's sales receipts and deletes another in the QuickBooks sandbox,
and the page shows the day's difference with both explanations, the payout's broken chain, and
the chart; checked with axe-core and screenshot at 1280 and 375 pixels (``$SHOPQB_TEST_ARTIFACTS``,
default ``.artifacts/reconciliation/``). ``SHOPQB_SCREENSHOT_DOCS=1`` also saves the 1280-pixel
picture as docs/screenshots/reconciliation.png for the README."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from syncing.models import SyncedRecord
from syncing.runs import shop_sweep
from tests.accounts import test_app_shell as shell
from tests.accounts.test_merchant_states import Merchant, sweep_schedule  # noqa: F401 (a fixture)
from tests.browser import artifacts_dir
from tests.sandboxes import Store
from tests.syncing.test_page_walk import wider_than_the_screen
from tests.syncing.test_reconcile_accounts import pay_out
from tests.syncing.test_reconcile_centre import person_changes, person_deletes, today

ROOT = Path(__file__).resolve().parents[2]

# The shell's fixtures: the sandboxes behind the live server, and Debian chromium.
sandboxes = shell.sandboxes
browser = shell.browser


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("reconciliation")


@pytest.fixture
def merchant(sandboxes, browser, artifacts, sweep_schedule) -> Merchant:  # noqa: F811
    return Merchant(sandboxes, browser, artifacts)


@shell.in_chromium
def test_a_difference_planted_in_quickbooks_is_shown_with_its_explanation(merchant, sandboxes):
    from playwright.sync_api import expect

    app, admin, shop = merchant.app, merchant.admin, merchant.shop
    store = Store(shop)
    names = []
    for lines in ([("MUG-1", 4, "25.00")], [("MUG-1", 2, "20.00")], [("MUG-1", 1, "25.00")]):
        names.append(store.order(lines=lines)["name"])
        assert sandboxes.shopify.dispatcher.wait_idle(timeout=10)
    first, second, _third = names
    shop_sweep(shop_id=shop.pk)
    pay_out(sandboxes, shop)
    shop_sweep(shop_id=shop.pk)
    assert SyncedRecord.objects.filter(shop=shop, source_name__in=names, status="synced").count() == 3
    # The bookkeeper, in QuickBooks: the first order's receipt lowered to 90.00, the second's deleted.
    person_changes(shop, first, "90.00")
    person_deletes(shop, second)

    merchant.open("Reconciliation", "Reconciliation", "Reconciliation")
    # Never read for these dates: the page reads them at once, then shows what it read.
    expect(app.get_by_test_id("read-at")).to_be_visible()
    # The payout of the day's sales is dated the next morning: show both days.
    day = today(shop)
    app.get_by_label("To").fill((day + timedelta(days=1)).isoformat())
    app.get_by_role("button", name="Show").click()
    expect(app.get_by_test_id("read-at")).to_be_visible()
    admin.shows("Reconciliation", "Reconciliation")

    row = app.locator(f'[data-testid=day][data-day="{day.isoformat()}"]')
    expect(row).to_have_attribute("data-status", "difference")
    expect(row.get_by_test_id("qbo-sales")).to_contain_text("(-50.00)")
    explained = app.locator(f'[data-testid=day-explained][data-day="{day.isoformat()}"]')
    changed = explained.locator("[data-testid=explanation][data-cause=changed]")
    expect(changed).to_contain_text(f"{first}: changed in QuickBooks by a person")
    expect(changed).to_contain_text("it now holds 90.00 where ShopQB wrote 100.00")
    deleted = explained.locator("[data-testid=explanation][data-cause=deleted]")
    expect(deleted).to_contain_text(f"{second}: deleted in QuickBooks by a person")
    expect(explained.get_by_test_id("unexplained")).to_contain_text(
        "Sales: -50.00 USD not settled until you decide about the changes made in QuickBooks"
    )
    payout = app.get_by_test_id("payout")
    expect(payout.get_by_test_id("payout-broken")).to_contain_text(second)
    # The chart is drawn by Chart.js, served with the app.
    assert merchant.admin.frame.evaluate(
        "() => !!window.Chart && !!window.Chart.getChart(document.getElementById('reconcile-chart'))"
    )
    merchant.checked("reconciliation")
    merchant.page.set_viewport_size({"width": 375, "height": 900})
    # Chart.js redraws its canvas for the new width on its resize observer's next turn, which a
    # busy machine may take a while to reach: the page is judged once it has had the time.
    for _ in range(50):
        if not wider_than_the_screen(merchant.admin.frame):
            break
        time.sleep(0.2)
    assert wider_than_the_screen(merchant.admin.frame) == []  # a phone reads each day as a card
    merchant.page.set_viewport_size({"width": 1280, "height": 900})
    # The whole page in one picture: a window tall enough for the admin's frame to hold all of it.
    expect(merchant.page.locator(".admin-toast")).to_have_count(0)
    for width in (1280, 375):
        merchant.page.set_viewport_size({"width": width, "height": 900})
        height = merchant.admin.frame.evaluate("() => document.documentElement.scrollHeight")
        merchant.page.set_viewport_size({"width": width, "height": height + 80})
        merchant.page.screenshot(path=str(merchant.artifacts / f"reconciliation-whole-{width}.png"))
    whole = merchant.artifacts / "reconciliation-whole-1280.png"
    merchant.page.set_viewport_size({"width": 1280, "height": 900})
    if os.environ.get("SHOPQB_SCREENSHOT_DOCS"):
        shutil.copy(whole, ROOT / "docs/screenshots/reconciliation.png")

    # The export: the CSV the page's button downloads, named after the shop and the dates.
    with merchant.page.expect_download() as download:
        app.get_by_test_id("export-days").click()
    name = download.value.suggested_filename
    assert (
        name
        == f"shopqb-reconciliation-demo-store-{(day - timedelta(days=29)).isoformat()}-to-{(day + timedelta(days=1)).isoformat()}.csv"
    )
    header, *rows = csv.reader(io.StringIO(Path(download.value.path()).read_text()))
    [sales] = [r for r in rows if r[0] == day.isoformat()]
    assert dict(zip(header, sales, strict=True))["Sales difference"] == "-50.00"

    # The order's link leads to its row on the Orders page.
    deleted.get_by_test_id("order-link").click()
    admin.shows("Orders", "Orders")
    expect(app.get_by_test_id("order-row")).to_have_count(1)
    expect(app.get_by_test_id("order-row")).to_contain_text(second)
