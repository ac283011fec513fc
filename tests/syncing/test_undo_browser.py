"""Changes in QuickBooks and Remove what ShopQB posted, in Debian chromium inside the sandbox admin:
each look checked by axe-core at 1280 and 375 pixels and screenshot; the merchant keeps QuickBooks'
version of a document a bookkeeper changed, then removes March and confirms in the admin's modal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.accounts import test_app_shell as shell

ROOT = Path(__file__).resolve().parents[2]
sandboxes, browser = shell.sandboxes, shell.browser


@pytest.fixture
def undo_artifacts() -> Path:
    path = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts") / "undo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def looked_at(page, admin, script: str, artifacts: Path, name: str) -> None:
    from tests.accounts.test_app_shell import axe_violations

    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        admin.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert axe_violations(admin.frame, script) == [], (name, width)
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@shell.in_chromium
def test_the_changes_and_undo_pages_in_the_admin(sandboxes, browser, undo_artifacts):
    from playwright.sync_api import expect

    from accounts.models import Shop
    from syncing import cdc
    from syncing.models import SyncedRecord, UndoRun
    from syncing.orders import order_sync
    from syncing.undo import undo_continue
    from tests.accounts.test_app_shell import SHOP, Admin, axe_script
    from tests.accounts.test_embedded_browser import connect_in_admin
    from tests.sandboxes import go_live
    from tests.syncing.qbo_person import person_edits, place, qb_of

    script = axe_script()
    info = sandboxes.info
    admin_app = f"{info['shopify']}/{SHOP}/admin/apps/{info['app']['api_key']}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    admin = Admin(page, undo_artifacts)
    admin.shows("Overview", "Overview")
    shop = Shop.objects.get(domain=SHOP)
    go_live(shop)
    gids = [place(shop, price=p, day=f"2026-03-1{n}") for n, p in enumerate(("10.00", "20.00", "30.00"))]
    # The orders' webhooks reach the app's live server: let it finish with the (in-memory) database.
    sandboxes.shopify.dispatcher.wait_idle(timeout=20)
    for gid in gids:
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    cdc.drift_check(shop, qb_of(shop))
    changed = SyncedRecord.objects.get(shop=shop, source_id=gids[0], kind="SalesReceipt")
    person_edits(shop, "SalesReceipt", changed.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    cdc.drift_check(shop, qb_of(shop))

    page.goto(f"{admin_app}/reconciliation/changes")
    admin.shows("Changes in QuickBooks", "Changes in QuickBooks")
    app = admin.app
    expect(app.get_by_test_id("drift-row")).to_have_count(1)
    looked_at(page, admin, script, undo_artifacts, "changes")
    app.get_by_test_id("drift-accept").click()
    expect(admin.toast("QuickBooks' version")).to_be_visible()
    expect(app.get_by_test_id("drift-resolution")).to_have_text("QuickBooks' version kept")

    page.goto(f"{admin_app}/reconciliation/undo")
    admin.shows("Remove what ShopQB posted", "Remove what ShopQB posted")
    app.get_by_label("From").fill("2026-03-01")
    app.get_by_label("To (empty: up to today)").fill("2026-03-31")
    app.get_by_role("button", name="List the documents").click()
    expect(app.get_by_test_id("undo-row")).to_have_count(2)  # the changed one is kept, and said so
    expect(app.get_by_test_id("undo-kept")).to_contain_text("changed in QuickBooks by someone else")
    looked_at(page, admin, script, undo_artifacts, "undo")
    app.get_by_test_id("undo-confirm").click()
    dialog = page.get_by_role("dialog", name="Remove 2 documents?")
    expect(dialog).to_contain_text("voids or deletes these 2 documents")
    page.screenshot(path=str(undo_artifacts / "undo-confirm-1280.png"))
    dialog.get_by_role("button", name="Remove 2 documents").click()
    expect(app.get_by_test_id("undo-run")).to_have_count(1)
    run = UndoRun.objects.get(shop=shop)
    undo_continue(run.pk)  # the queued task, as a worker runs it
    page.reload()
    expect(app.get_by_test_id("undo-run")).to_have_attribute("data-status", "done")
    expect(app.get_by_test_id("undo-resync")).to_be_visible()
    expect(app.get_by_test_id("undo-form-errors")).to_have_count(0)  # a plain visit asks nothing yet
    looked_at(page, admin, script, undo_artifacts, "undo-done")
