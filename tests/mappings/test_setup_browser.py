"""The whole setup in Debian chromium, as a merchant goes through it inside the Shopify admin.

A store with a month of orders installs the app and connects a QuickBooks company that already
keeps books: its own chart of accounts, an item with one of the store's SKUs, one with a
product's name, a class for the online store. Then every step, by clicking and typing: what to
sync, accounts, payment gateways, taxes, products, locations and channels, filters, preview,
test sync, go live. The queued import runs as a worker would run it, and the books are
reconciled against the store.

Each step leaves a full-page screenshot, 1280 pixels wide, in ``$SHOPQB_TEST_ARTIFACTS``
(default: ``.artifacts/setup-browser/`` in the repository).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from accounts.models import QuickBooksConnection, Shop
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    ProductMapping,
    SetupStep,
    SyncSettings,
)
from sandbox.runner import start_sandboxes
from sandbox.shopify.seeder import seed_shop
from syncing.models import SyncedRecord
from syncing.reconcile import reconcile_shop
from tests.browser import chromium, embed_in_sandbox_admin, needs_chromium
from tests.worker import run_queued

ROOT = Path(__file__).resolve().parents[2]
SHOP = "setup-store.myshopify.com"
SEED, ORDERS = 3, 12
# Seed 3 processes its orders 2 to 27 days before the day it runs, none from 21 to 26 days
# back: a start date 24 days back leaves exactly one order before it, with days to spare on
# either side whatever the time zone.
START_DAYS_BACK = 24
BEFORE_START = "#1007"
MIN_TOTAL = "25.00"
FILTERED = "#1011"  # 23.39: below the minimum
WIDTH, HEIGHT = 1280, 900
QUICKBOOKS_MOVES = frozenset(
    [
        "SyncToken",
        "MetaData",
        "QtyOnHand",
        "Balance",
        "BalanceWithJobs",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
    ]
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


@pytest.fixture
def artifacts() -> Path:
    from django.db import connection

    # One folder per database: the SQLite and PostgreSQL runs may share a checkout at once.
    base = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts")
    path = base / "setup-browser" / connection.vendor
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("[0-9][0-9]-*.png"):  # a renamed step leaves no stale picture behind
        old.unlink()
    return path


@pytest.fixture
def sandboxes(live_server, settings, tmp_path, monkeypatch):
    boxes = start_sandboxes(
        app_url=live_server.url,
        state_dir=tmp_path,
        seed=SEED,
        shopify_options={"toml_path": ROOT / "shopify.app.toml", "shops": [SHOP]},
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


class Company:
    """The merchant's QuickBooks company through its API, with the token the sandbox issued."""

    ENTITIES = ("Account", "Item", "Class", "Customer")

    def __init__(self, base: str, company: dict[str, Any]) -> None:
        self.url = f"{base}/v3/company/{company['realm_id']}"
        self.headers = {"Authorization": f"Bearer {company['access_token']}", "Accept": "application/json"}

    def query(self, entity: str) -> list[dict[str, Any]]:
        answer = requests.get(
            f"{self.url}/query",
            params={"query": f"select * from {entity} maxresults 1000"},
            headers=self.headers,
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["QueryResponse"].get(entity, [])

    def named(self, entity: str, name: str) -> dict[str, Any]:
        (found,) = [o for o in self.query(entity) if o.get("Name", o.get("DisplayName")) == name]
        return found

    def names(self, entity: str) -> set[str]:
        return {o.get("Name", o.get("DisplayName")) for o in self.query(entity)}

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = requests.post(f"{self.url}/{entity.lower()}", json=body, headers=self.headers, timeout=10)
        answer.raise_for_status()
        return answer.json()[entity]

    def lists(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every name-list object as the merchant could have edited it: without what QuickBooks
        itself moves as documents post (a sale of an inventory item lowers its quantity)."""
        return {
            (entity, o["Id"]): {k: v for k, v in o.items() if k not in QUICKBOOKS_MOVES}
            for entity in self.ENTITIES
            for o in self.query(entity)
        }


def the_merchants_own_books(company: Company) -> dict[str, dict[str, Any]]:
    """What the company holds besides the sandbox's defaults before ShopQB connects."""
    income = {"IncomeAccountRef": {"value": company.named("Account", "Sales of Product Income")["Id"]}}
    return {
        "pen": company.create("Item", {"Name": "Pen, fountain", "Sku": "PEN-01", "Type": "NonInventory", **income}),
        "apron": company.create("Item", {"Name": "Linen Apron", "Type": "NonInventory", **income}),
        "class": company.create("Class", {"Name": "Online Store"}),
    }


def classes_on(document: dict[str, Any]) -> set[str]:
    """The classes a document's sales lines carry (ShopQB sets the class on each line)."""
    return {
        line["SalesItemLineDetail"].get("ClassRef", {}).get("value", "")
        for line in document["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    }


def item_on(line: dict[str, Any]) -> str:
    return line["SalesItemLineDetail"]["ItemRef"]["name"]


class Merchant:
    """The merchant's browser on the admin page that holds the app; one screenshot per step."""

    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.app = page.frame_locator("#app-iframe")
        self.artifacts = artifacts
        self.shots: list[Path] = []

    @property
    def frame(self) -> Any:
        return self.page.frame(name="app-iframe")

    def heading(self, text: str) -> None:
        """Wait for the page titled ``text`` with its script and stylesheet loaded: until then a
        click finds no handler and a screenshot no style."""
        from playwright.sync_api import expect

        expect(self.app.get_by_role("heading", level=1)).to_have_text(text)
        self.frame.wait_for_load_state("load")

    def open(self, link: str) -> None:
        self.app.get_by_role("link", name=link, exact=True).click()

    def click(self, button: str) -> None:
        self.app.get_by_role("button", name=button, exact=True).click()

    @contextmanager
    def reloads(self) -> Iterator[None]:
        """An action that loads the same page again (a POST, then a reload): wait for the new one."""
        with self.frame.expect_navigation(wait_until="load"):
            yield

    def screenshot(self, name: str) -> None:
        """The admin page with the app at its full height: the frame grows with the window."""
        frame = self.frame
        height = frame.evaluate("document.documentElement.scrollHeight")
        self.page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, height + 60)})
        # The frame is another site, drawn by its own renderer: wait until it has grown and painted.
        frame.wait_for_function("height => window.innerHeight >= height", arg=height)
        frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        self.shots.append(path)

    def step(self, step: SetupStep) -> Any:
        return self.app.get_by_test_id(f"step-{step.value}")

    def saved(self, text: str) -> None:
        from playwright.sync_api import expect

        expect(self.app.get_by_test_id("saved")).to_have_text(text)
        self.frame.wait_for_load_state("load")


@pytest.mark.django_db(transaction=True)
def test_a_merchant_sets_up_the_books_in_the_admin_and_goes_live(sandboxes, browser, artifacts):
    from playwright.sync_api import expect

    info = sandboxes.info
    shopify = info["shopify"]
    (store,) = info["shops"]
    company = Company(info["qbo"], info["qbo_companies"][0])
    admin_app = f"{shopify}/{SHOP}/admin/apps/{info['app']['api_key']}"

    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    seeded = seed_shop(
        base_url=shopify, shop=SHOP, token=store["access_token"], orders=ORDERS, seed=SEED, anchor=anchor
    )
    assert seeded["orders_created"] == ORDERS
    # The store's webhooks for those orders are answered before the merchant arrives (SQLite
    # takes one writer at a time: the steps below should not race a burst of deliveries).
    assert sandboxes.shopify.dispatcher.wait_idle(timeout=60)
    own = the_merchants_own_books(company)
    theirs = company.lists()
    accounts_before = company.names("Account")

    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.set_default_timeout(20_000)
    # Assertions wait as long as actions: on a loaded 2-core machine a page can take over 5 s.
    expect.set_options(timeout=20_000)
    merchant = Merchant(page, artifacts)
    app = merchant.app

    # 1. Install: the merchant opens the app in the admin (managed install, token exchange).
    page.goto(admin_app)
    merchant.heading("Overview")
    expect(app.get_by_test_id("shop-name")).to_have_text("Setup Store")
    shop = Shop.objects.get(domain=SHOP)
    assert shop.is_installed
    merchant.screenshot("installed")

    # 2. Connect QuickBooks: Intuit's consent page, top level, and back into the admin.
    merchant.click("Connect QuickBooks")
    page.wait_for_url(f"{info['qbo']}/connect/oauth2**")
    page.click("#connect")
    page.wait_for_url(f"{admin_app}**")
    expect(app.get_by_test_id("qbo-company")).to_have_text(info["qbo_companies"][0]["name"])
    merchant.frame.wait_for_load_state("load")
    assert QuickBooksConnection.objects.get(shop=shop).status == "connected"
    merchant.screenshot("quickbooks-connected")

    # 3. The setup. The app's home page has no link to it: the merchant opens its admin address,
    #    where an entry of the app's navigation would lead.
    page.goto(f"{admin_app}/setup")
    merchant.heading("Set up ShopQB")
    expect(merchant.step(SetupStep.CONNECT).locator(".badge")).to_have_text("Done")
    expect(merchant.step(SetupStep.WHAT_TO_SYNC).locator(".badge")).to_have_text("To do")
    expect(app.get_by_test_id("missing")).to_contain_text("Choose the date to start syncing from (What to sync).")
    merchant.screenshot("setup-overview")

    # 4. Read my orders: the gateways, tax rates and channels to map; nothing written anywhere.
    with merchant.reloads():
        merchant.click("Read my orders for gateways, taxes and locations")
    expect(merchant.step(SetupStep.GATEWAYS)).to_contain_text("5 to confirm")
    expect(merchant.step(SetupStep.ACCOUNTS)).to_contain_text("16 to confirm")
    gateways = set(GatewayMapping.objects.filter(shop=shop).values_list("gateway", flat=True))
    assert gateways == {"shopify_payments", "paypal", "manual", "gift_card", "shopify_store_credit"}
    assert DimensionMapping.objects.filter(shop=shop, kind="channel", shopify_id="web").exists()
    assert company.names("Account") == accounts_before
    merchant.screenshot("orders-read")

    # 5. What to sync: the start date typed in; the rest as proposed.
    start = (anchor - timedelta(days=START_DAYS_BACK)).date()
    merchant.open("2. What to sync")
    merchant.heading("What to sync")
    app.get_by_label("Start syncing from").fill(start.isoformat())
    merchant.screenshot("what-to-sync")
    merchant.click("Save")
    merchant.saved("Saved: What to sync.")
    assert SyncSettings.objects.get(shop=shop).start_date == start
    expect(merchant.step(SetupStep.WHAT_TO_SYNC).locator(".badge")).to_have_text("Done")

    # 6. Accounts: the proposals, but shipping income goes to the company's own account.
    merchant.open("3. Accounts")
    merchant.heading("Accounts")
    expect(app.get_by_label("Product sales income")).to_have_value("create")
    app.get_by_label("Shipping income").select_option(label="Shipping Income (Income)")
    merchant.screenshot("accounts")
    merchant.click("Save")
    merchant.saved("Saved: Accounts.")
    expect(merchant.step(SetupStep.ACCOUNTS)).to_contain_text("All confirmed")
    shipping = AccountRoleMapping.objects.get(shop=shop, role=AccountRole.SHIPPING_INCOME)
    assert (shipping.qbo_name, shipping.create_spec, shipping.confirmed) == ("Shipping Income", {}, True)
    assert not AccountRoleMapping.objects.filter(shop=shop, confirmed=False).exists()

    # 7. Payment gateways: the orders read again, from the start date now (the samples to
    #    preview come from there), then every gateway's clearing account as proposed.
    merchant.open("4. Payment gateways")
    merchant.heading("Payment gateways")
    with merchant.reloads():
        merchant.click("Read my orders again for new ones")
    merchant.heading("Payment gateways")
    expect(app.get_by_label("Shopify Payments")).to_have_value("create")
    expect(app.get_by_text("Seen in 10 orders.")).to_be_visible()
    merchant.screenshot("payment-gateways")
    merchant.click("Save")
    merchant.saved("Saved: Payment gateways.")
    assert not GatewayMapping.objects.filter(shop=shop, confirmed=False).exists()

    # 8. Taxes: a US company books Shopify's tax amount; the merchant reviews the two codes.
    merchant.open("5. Taxes")
    merchant.heading("Taxes")
    expect(app.get_by_test_id("tax-lines")).to_contain_text("New York City Tax")
    expect(app.get_by_label("Tax code for taxed lines")).to_have_value("TAX")
    merchant.screenshot("taxes")
    merchant.click("Save")
    merchant.saved("Saved: Taxes.")

    # 9. Products: found and matched (one by SKU, one by name); one mapped by hand after a search
    #    typed into the box; the rest created at go-live by the bulk action.
    merchant.open("6. Products")
    merchant.heading("Products")
    merchant.click("Find products")
    expect(app.get_by_test_id("found")).to_have_text("Found 11 variants; 2 matched to QuickBooks items by SKU or name.")
    rows = {r.title: r for r in ProductMapping.objects.filter(shop=shop)}
    assert (rows["Fountain Pen"].qbo_item_id, rows["Fountain Pen"].matched_by) == (own["pen"]["Id"], "sku")
    assert (rows["Linen Apron"].qbo_item_id, rows["Linen Apron"].matched_by) == (own["apron"]["Id"], "name")
    merchant.screenshot("products-found")

    app.get_by_role("link", name="Change the item for Enamel Camp Mug").click()
    expect(app.get_by_test_id("current-item")).to_have_text("None: books to the item for unmapped products")
    merchant.heading("Products")
    search = app.get_by_label("Search QuickBooks items by name or SKU")
    search.fill("mug")
    search.press("Enter")
    expect(app.get_by_test_id("item-choices")).to_contain_text("QuickBooks items matching “mug”")
    merchant.frame.wait_for_load_state("load")
    app.get_by_role("radio", name=re.compile("^Coffee Mug")).check()
    merchant.screenshot("product-mapped-by-hand")
    merchant.click("Use this item")
    merchant.saved("Saved.")
    assert ProductMapping.objects.get(shop=shop, title="Enamel Camp Mug").qbo_item_name == "Coffee Mug"

    app.get_by_role("link", name="Create the missing items in QuickBooks").click()
    expect(app.get_by_test_id("when")).to_contain_text("Nothing is written to QuickBooks now")
    merchant.frame.wait_for_load_state("load")
    expect(app.get_by_role("radio", name=re.compile("^Non-inventory"))).to_be_checked()
    merchant.screenshot("products-bulk-create")
    merchant.click("Create 8 items at go-live")
    merchant.saved("Saved: ShopQB will create the missing items.")
    expect(app.get_by_test_id("counts").locator("dd")).to_have_text(["11", "0", "8 (at go-live)", "3"])
    assert company.lists() == theirs  # nothing created yet
    merchant.screenshot("products")
    merchant.click("Done with products")
    merchant.saved("Saved: Products.")

    # 10. Locations and channels: the online store's sales carry the company's class.
    merchant.open("7. Locations and channels")
    merchant.heading("Locations and channels")
    app.get_by_label("Class for Web").select_option(label="Online Store")
    merchant.screenshot("locations-and-channels")
    merchant.click("Save")
    merchant.saved("Saved: Locations and channels.")
    web = DimensionMapping.objects.get(shop=shop, kind="channel", shopify_id="web")
    assert (web.class_id, web.class_name) == (own["class"]["Id"], "Online Store")

    # 11. Filters: small orders stay out of the books, with a reason. Enter sends the form.
    merchant.open("8. Filters")
    merchant.heading("Filters")
    minimum = app.get_by_label("Only orders of at least")
    minimum.fill(MIN_TOTAL)
    merchant.screenshot("filters")
    minimum.press("Enter")
    merchant.saved("Saved: Filters.")
    assert SyncSettings.objects.get(shop=shop).min_total == Decimal(MIN_TOTAL)

    # 12. Go live, too early: refused with the precise list, and nothing is written.
    expect(app.get_by_test_id("missing").get_by_role("listitem")).to_have_text(
        ["Look at the preview of at least one order."]
    )
    merchant.click("Go live")
    expect(app.get_by_test_id("action-error")).to_have_text(
        "Not ready to go live. Look at the preview of at least one order."
    )
    assert not SyncSettings.objects.get(shop=shop).is_live
    assert company.lists() == theirs
    merchant.screenshot("go-live-refused")

    # 13. Preview: the refunded order the scan found, its documents next to it, the totals check.
    merchant.open("9. Preview")
    merchant.heading("Preview")
    app.get_by_label("A typical order of your store").select_option(label="Refunded")
    merchant.click("Preview")
    expect(app.get_by_test_id("totals-match")).to_contain_text("The totals match.")
    merchant.frame.wait_for_load_state("load")
    checks = app.get_by_test_id("totals-check").locator("tbody tr")
    expect(checks).to_have_count(3)  # order total, tax, refunded
    expect(checks.filter(has_text="Same")).to_have_count(3)
    expect(app.get_by_test_id("qbo-document")).to_have_count(2)  # the sale and its refund
    sale = app.get_by_test_id("qbo-document").first
    expect(sale).to_contain_text("Online Store")  # the class chosen for the web channel
    # Each line's item, as the preview names it (items go-live will create are marked so).
    previewed = [cell.splitlines()[0] for cell in sale.locator("tbody th").all_inner_texts()]
    assert "Trail Map Poster (created at go-live)" in previewed
    order_name = app.get_by_test_id("shopify-order").get_by_role("heading").inner_text().removeprefix("Shopify order ")
    merchant.screenshot("preview")
    assert not SyncedRecord.objects.filter(shop=shop).exists()
    assert company.lists() == theirs

    # 14. Test sync: that order written for real, read back, compared; then removed again.
    merchant.open("Test-sync this order")
    merchant.heading("Test sync")
    expect(app.get_by_test_id("to-create")).to_contain_text("8 items for your products (Products)")
    merchant.screenshot("test-sync")
    merchant.click("Write this order to QuickBooks")
    expect(app.get_by_test_id("test-sync-verdict")).to_contain_text(
        "every line and every total is the same, to the cent"
    )
    expect(app.get_by_test_id("written-document")).to_have_count(2)
    written = SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.SYNCED).exclude(qbo_id="")
    assert sorted(written.values_list("kind", flat=True)) == ["RefundReceipt", "SalesReceipt"]
    (receipt,) = company.query("SalesReceipt")
    assert receipt["DocNumber"] == "S" + order_name.removeprefix("#")
    assert classes_on(receipt) == {own["class"]["Id"]}
    # Nothing is written that the preview did not show: the same item on every line.
    assert [item_on(line) for line in receipt["Line"] if "SalesItemLineDetail" in line] == [
        name.removesuffix(" (created at go-live)") for name in previewed
    ]
    merchant.screenshot("test-sync-written")
    merchant.click("Remove it")
    expect(app.get_by_test_id("removed")).to_contain_text("Removed: 2 documents deleted from QuickBooks.")
    assert company.query("SalesReceipt") == [] and company.query("RefundReceipt") == []
    merchant.screenshot("test-sync-removed")

    # 15. Go live: everything is mapped; it creates what was confirmed and queues the import.
    merchant.open("Setup")
    merchant.heading("Set up ShopQB")
    expect(app.get_by_test_id("go-live")).to_contain_text("Everything is mapped.")
    merchant.screenshot("ready-to-go-live")
    merchant.click("Go live")
    merchant.heading("Settings")
    expect(app.get_by_test_id("setup-steps")).to_contain_text("Live since")
    merchant.screenshot("live")
    assert SyncSettings.objects.get(shop=shop).is_live
    accounts_now = company.names("Account")
    assert "Shopify Sales" in accounts_now and "Shopify Shipping Income" not in accounts_now
    shipping_item = company.named("Item", "Shopify Shipping")
    assert shipping_item["IncomeAccountRef"]["value"] == company.named("Account", "Shipping Income")["Id"]
    assert not ProductMapping.objects.filter(shop=shop, qbo_item_id="").exists()

    # 16. The import runs as a worker would: from the start date, through the filters.
    run_queued("syncing.tasks.")
    merchant.open("Overview")
    merchant.heading("Overview")
    last_run = app.get_by_test_id("last-run")
    expect(last_run).to_contain_text(f"{ORDERS - 1} orders checked")  # all but the one before the start
    expect(last_run).to_contain_text("1 skipped, 0 failed.")
    records = SyncedRecord.objects.filter(shop=shop)
    synced = records.filter(status=SyncedRecord.Status.SYNCED).exclude(qbo_id="")
    expect(app.get_by_test_id("synced-count")).to_contain_text(f"{synced.count()} written")
    expect(app.get_by_test_id("no-issues")).to_be_visible()
    merchant.screenshot("synced")
    assert not records.filter(status=SyncedRecord.Status.FAILED).exists()
    booked = set(synced.filter(source_type="order").values_list("source_name", flat=True))
    assert len(booked) == ORDERS - 2 and order_name in booked
    assert BEFORE_START not in booked and FILTERED not in booked
    skipped = records.get(status=SyncedRecord.Status.SKIPPED)
    assert (skipped.source_name, skipped.last_error) == (FILTERED, f"total 23.39 is below the minimum {MIN_TOTAL}")
    assert all(record.mapping_version for record in synced)
    # The test-synced order, removed, is in the books once again, as one sale and one refund.
    assert [r["DocNumber"] for r in company.query("SalesReceipt")].count(receipt["DocNumber"]) == 1
    assert len(company.query("RefundReceipt")) == 1

    # The books match the store; every line carries the class; the merchant's own lists are as they were.
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched, report.differences
    assert report.found_documents == report.expected_documents == ORDERS - 2
    for entity in ("SalesReceipt", "Invoice", "RefundReceipt"):
        for document in company.query(entity):
            assert classes_on(document) == {own["class"]["Id"]}, (entity, document["DocNumber"])
    now = company.lists()
    assert {key: now[key] for key in theirs} == theirs

    # Every step's screenshot was saved (another run may share the directory: check ours only).
    assert merchant.shots and all(shot.is_file() and shot.stat().st_size > 0 for shot in merchant.shots)


# --- outside the US: the Taxes step of a Canadian company ---------------------------------------------

CA_SHOP = "maple-goods.myshopify.com"
ORDER_CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name } userErrors { field message } }
}
"""


@pytest.fixture
def canadian_sandboxes(live_server, settings, tmp_path, monkeypatch):
    boxes = start_sandboxes(
        app_url=live_server.url,
        state_dir=tmp_path,
        seed=SEED,
        shopify_options={
            "toml_path": ROOT / "shopify.app.toml",
            "shops": [{"domain": CA_SHOP, "name": "Maple Goods", "currency": "CAD", "country": "CA"}],
        },
        qbo_options={"companies": ["CA"]},
    )
    embed_in_sandbox_admin(settings, monkeypatch, boxes.info, live_server.url)
    yield boxes
    boxes.shopify.dispatcher.wait_idle(timeout=10)
    boxes.stop()


def place_order(shop: Shop, lines: list[list[tuple[str, str]]], shipping: list[tuple[str, str]]) -> None:
    """An order through Shopify's orderCreate: a $10 line per entry of ``lines`` with those taxes
    (title, rate), and $5 shipping with ``shipping``'s."""
    from accounts.clients import shopify_client

    def money(amount: Decimal) -> dict[str, Any]:
        return {"shopMoney": {"amount": str(amount), "currencyCode": "CAD"}}

    def taxed(base: Decimal, taxes: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return [
            {"title": t, "rate": r, "priceSet": money((base * Decimal(r)).quantize(Decimal("0.01")))} for t, r in taxes
        ]

    total = Decimal(0)
    items = []
    for n, taxes in enumerate(lines):
        tax_lines = taxed(Decimal("10.00"), taxes)
        total += Decimal("10.00") + sum((Decimal(t["priceSet"]["shopMoney"]["amount"]) for t in tax_lines), Decimal(0))
        items.append(
            {"title": f"Maple syrup {n}", "quantity": 1, "priceSet": money(Decimal("10.00")), "taxLines": tax_lines}
        )
    ship = taxed(Decimal("5.00"), shipping)
    total += Decimal("5.00") + sum((Decimal(t["priceSet"]["shopMoney"]["amount"]) for t in ship), Decimal(0))
    order = {
        "currency": "CAD",
        "financialStatus": "PAID",
        "lineItems": items,
        "shippingLines": [{"title": "Standard", "priceSet": money(Decimal("5.00")), "taxLines": ship}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money(total)}],
    }
    answer = shopify_client(shop).execute(ORDER_CREATE, {"order": order})["orderCreate"]
    assert not answer["userErrors"], answer["userErrors"]


@pytest.fixture
def tax_artifacts() -> Path:
    from django.db import connection

    path = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts") / "taxes-browser" / connection.vendor
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.png"):
        old.unlink()
    return path


@pytest.mark.django_db(transaction=True)
def test_a_canadian_merchant_maps_each_set_of_taxes_and_creates_a_combined_code(
    canadian_sandboxes, browser, tax_artifacts
):
    from playwright.sync_api import expect

    from mappings import taxes
    from mappings.models import MappingChange, TaxMapping
    from tests.accounts.test_app_shell import axe_script, axe_violations

    info = canadian_sandboxes.info
    admin_app = f"{info['shopify']}/{CA_SHOP}/admin/apps/{info['app']['api_key']}"
    company = Company(info["qbo"], info["qbo_companies"][0])
    # The preset company is registered for BC PST (a “PST BC” code of its 7% rate) but has no code
    # of GST and PST together.
    assert "PST BC" in company.names("TaxCode")

    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    merchant = Merchant(page, tax_artifacts)
    app = merchant.app
    page.goto(admin_app)
    merchant.heading("Overview")
    merchant.click("Connect QuickBooks")
    page.wait_for_url(f"{info['qbo']}/connect/oauth2**")
    page.click("#connect")
    page.wait_for_url(f"{admin_app}**")
    merchant.frame.wait_for_load_state("load")
    shop = Shop.objects.get(domain=CA_SHOP)
    assert QuickBooksConnection.objects.get(shop=shop).country == "CA"

    place_order(shop, [[("GST", "0.05"), ("PST", "0.07")]], [("GST", "0.05")])  # British Columbia
    place_order(shop, [[("HST", "0.13")], []], [("HST", "0.13")])  # Ontario, one line without tax
    place_order(shop, [[("GST", "0.05"), ("QST", "0.09975")]], [("GST", "0.05"), ("QST", "0.09975")])  # Quebec

    page.goto(f"{admin_app}/setup/taxes")
    merchant.heading("Taxes")
    with merchant.reloads():
        app.get_by_role("button", name="Read my orders again for new ones").click()
    keys = app.get_by_test_id("tax-key")
    expect(keys).to_have_count(5)
    expect(app.get_by_label("Shopify's HST 13%")).to_have_value(company.named("TaxCode", "HST ON")["Id"])
    expect(app.get_by_label("Shopify's GST 5% + QST 9.975%")).to_have_value(
        company.named("TaxCode", "GST/QST QC")["Id"]
    )
    expect(app.get_by_label("Lines Shopify charged no tax on")).to_have_value(
        company.named("TaxCode", "Zero-rated")["Id"]
    )
    bc = app.get_by_label("Shopify's GST 5% + PST 7%")
    expect(bc).to_have_value("")
    merchant.screenshot("taxes-outside-the-us")
    script = axe_script()
    for width in (WIDTH, 375):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        assert axe_violations(merchant.frame, script) == [], width
    # The narrow screen, the frame at its full height (it grows with the window).
    page.set_viewport_size({"width": 375, "height": HEIGHT})
    height = merchant.frame.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 375, "height": height + 120})
    merchant.frame.wait_for_function("height => window.innerHeight >= height", arg=height)
    page.screenshot(path=str(tax_artifacts / "taxes-outside-the-us-375.png"), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    # A code of other rates is refused, with what Shopify charged; the other choices stay.
    bc.select_option(label="HST ON — 13%")
    app.get_by_role("button", name="Save", exact=True).click()
    expect(app.get_by_test_id("form-errors")).to_contain_text(
        "“HST ON” is 13%; Shopify charged GST 5% + PST 7% on these lines."
    )
    expect(app.get_by_label("Shopify's HST 13%")).to_have_value(company.named("TaxCode", "HST ON")["Id"])
    assert not MappingChange.objects.filter(shop=shop).exists()
    merchant.screenshot("taxes-refused")
    assert axe_violations(merchant.frame, script) == []

    # The combined code: created in QuickBooks only once the merchant confirms, then chosen.
    assert "GST 5% + PST 7%" not in company.names("TaxCode")
    create = app.get_by_role("button", name="Create “GST 5% + PST 7%” in QuickBooks")
    create.click()
    dialog = page.get_by_role("dialog", name="Create a tax code in QuickBooks?")
    expect(dialog).to_be_visible()
    with merchant.reloads():
        dialog.get_by_role("button", name="Create “GST 5% + PST 7%” in QuickBooks").click()
    merchant.heading("Taxes")
    created = company.named("TaxCode", "GST 5% + PST 7%")
    expect(app.get_by_label("Shopify's GST 5% + PST 7%")).to_have_value(created["Id"])

    app.get_by_role("button", name="Save", exact=True).click()
    merchant.saved("Saved: Taxes.")
    expect(merchant.step(SetupStep.TAXES).locator(".badge")).to_have_text("Done")
    assert not TaxMapping.objects.filter(shop=shop, confirmed=False).exists()
    assert taxes.tax_missing(shop=shop) == []
    codes, untaxed = taxes.tax_snapshot(shop=shop, planned=False)
    assert codes[(("GST", "0.05"), ("PST", "0.07"))].ref.value == created["Id"]
    assert untaxed is not None and untaxed.ref.name == "Zero-rated"
    merchant.screenshot("taxes-saved")
