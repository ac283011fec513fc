"""The Orders page: every order the app knows, in the merchant's words, with links to its
QuickBooks documents and to the order in Shopify; search, filters, pages; one shop's only."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import escape, unescape
from pathlib import Path

import pytest

from syncing.issue_texts import issue_text
from syncing.models import PendingSync, SyncedRecord, SyncIssue
from syncing.order_states import OrderFilters, OrderState
from syncing.orders_page import orders_page
from tests.accounts import test_app_shell as shell
from tests.accounts.factories import make_connection
from tests.accounts.test_app_shell import Admin, axe_script, axe_violations, in_chromium
from tests.accounts.test_embedded_browser import connect_in_admin
from tests.browser import artifacts_dir
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]
ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-store.myshopify.com"
# The sandbox admin in chromium (tests/accounts/test_app_shell.py).
sandboxes, browser = shell.sandboxes, shell.browser

QBO_APP = "https://app.qbo.intuit.com/app/{page}?txnId={txn_id}"
ADMIN_ORDER = "https://admin.shopify.com/store/{handle}/orders/{order_id}"


@pytest.fixture(autouse=True)
def _links(settings):
    settings.QBO_DOCUMENT_URL = QBO_APP
    settings.SHOPIFY_ADMIN_ORDER_URL = ADMIN_ORDER


def gid(n: int) -> str:
    return f"gid://shopify/Order/{n}"


def record(shop, n: int, kind: str = "SalesReceipt", status: str = "synced", **fields) -> SyncedRecord:
    """A record of order #n (Shopify id n); written ones have a QuickBooks id and an amount."""
    source_type = fields.pop("source_type", "order")
    defaults = {"source_name": f"#{n}", "doc_number": str(n), "currency": "USD"}
    if status in ("synced", "voided", "failed"):
        # Order #1001 is of March 2, #1002 of March 3...
        defaults |= {"amount": Decimal("54.00"), "txn_date": date(2026, 3, 1) + timedelta(days=(n - 1000) % 28)}
    if status in ("synced", "voided"):
        defaults["qbo_id"] = f"{n}{kind[:2]}"
    return SyncedRecord.objects.create(
        shop=shop,
        source_type=source_type,
        source_id=fields.pop("source_id", gid(n)),
        order_gid=gid(n),
        kind=kind,
        status=status,
        request_id=f"{shop.pk}-{n}-{kind}-{source_type}",
        **{**defaults, **fields},
    )


def page_html(client, shop, **params) -> str:
    response = client.get("/orders", {**params, "id_token": session_token(shop.domain)})
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str) -> list[str]:
    """The order names of the page's rows, in order."""
    names = re.findall(r'<th scope="row" data-label="Order">\s*(?:<a [^>]*>)?([^<]+)', html)
    return [name.strip() for name in names]


@pytest.fixture
def orders(shop_a, shop_b):
    """One order of every kind for shop A, and one of shop B's that A must never see."""
    make_connection(shop_a, company_name="Alpha Books Ltd", realm_id="9130000001")
    shop_a.currency = "USD"
    shop_a.save()
    record(shop_a, 1001)  # in QuickBooks
    record(shop_a, 1002, status="skipped", last_error="test order")
    failed = record(shop_a, 1003, status="failed", last_error="Invalid Reference Id: Item 17 is inactive")
    SyncIssue.objects.raise_for(
        shop=shop_a,
        code="qbo_rejected",
        message="SalesReceipt 1003 for #1003: Invalid Reference Id",
        source_type="order",
        source_id=gid(1003),
        record=failed,
        detail={"qbo_code": "2500"},
    )
    SyncIssue.objects.raise_for(  # the ledger refused it: no record at all
        shop=shop_a,
        code="total_mismatch",
        message="#1004: lines + tax come to 53.99 but Shopify says 54.00 (USD).",
        source_type="order",
        source_id=gid(1004),
        retryable=False,
    )
    PendingSync.objects.create(shop=shop_a, order_gid=gid(1005))  # queued, not synced yet
    record(shop_a, 1006, kind="Invoice")
    record(shop_a, 1006, kind="Payment", txn_date=date(2026, 3, 20))
    record(shop_a, 1007)
    record(
        shop_a,
        1007,
        kind="RefundReceipt",
        source_type="refund",
        source_id="gid://shopify/Refund/77",
        source_name="#1007 refund 1",
        doc_number="R1007-1",
        amount=Decimal("12.50"),
    )
    record(shop_a, 1008, status="voided")
    record(shop_a, 1009)  # written, then asked for again: it waits
    PendingSync.objects.create(shop=shop_a, order_gid=gid(1009))
    record(shop_a, 1010, status="failed", last_error="Business Validation Error")  # failed, queued again:
    PendingSync.objects.create(shop=shop_a, order_gid=gid(1010))  # it stays failed until it is booked
    record(shop_b, 1001, source_name="#B-SECRET")
    return shop_a


def test_every_kind_of_order_in_the_merchants_words(client, orders):
    html = page_html(client, orders)
    assert shown(html) == [f"#{n}" for n in (1010, 1009, 1008, 1007, 1006)] + ["Order 1005", "Order 1004", "#1003"] + [
        "#1002",
        "#1001",
    ]
    rows = dict(zip(shown(html), html.split('data-testid="order-row"')[1:], strict=True))
    assert "In QuickBooks" in rows["#1001"] and "54.00 USD" in rows["#1001"]
    assert "Skipped" in rows["#1002"] and "test order" in rows["#1002"]
    # The issue's plain title (as the Issues page words it), QuickBooks' own words only behind "Details".
    rejected = escape(issue_text("qbo_rejected", {"qbo_code": "2500"}).title)
    assert "Failed" in rows["#1003"] and rejected in rows["#1003"]
    assert "<details" in rows["#1003"] and "Item 17 is inactive" in rows["#1003"].split("<details")[1]
    assert "Item 17" not in rows["#1003"].split("<details")[0]
    assert "Failed" in rows["Order 1004"] and escape(issue_text("total_mismatch").title) in rows["Order 1004"]
    assert "Waiting" in rows["Order 1005"] and "in the queue" in rows["Order 1005"]
    assert "Waiting" in rows["#1009"]
    assert "Failed" in rows["#1010"] and "Business Validation Error" in rows["#1010"]
    assert "Cancelled: voided in QuickBooks" in rows["#1008"] and "(voided)" in rows["#1008"]
    assert "Refund receipt R1007-1" in rows["#1007"] and "12.50" in rows["#1007"]


def test_documents_link_to_quickbooks_and_orders_to_the_shopify_admin(client, orders):
    html = unescape(page_html(client, orders))
    links = set(re.findall(r'href="(https://app\.qbo\.intuit\.com/[^"]+)"', html))
    assert "https://app.qbo.intuit.com/app/salesreceipt?txnId=1001Sa" in links
    assert "https://app.qbo.intuit.com/app/invoice?txnId=1006In" in links
    assert "https://app.qbo.intuit.com/app/recvpayment?txnId=1006Pa" in links
    assert "https://app.qbo.intuit.com/app/refundreceipt?txnId=1007Re" in links
    assert not any("1003" in link or "1002" in link for link in links), "nothing was written for these"
    assert 'href="https://admin.shopify.com/store/alpha-goods/orders/1001" target="_top"' in html


def test_the_sandbox_inspector_takes_the_company_and_the_entity(client, orders, settings):
    settings.QBO_DOCUMENT_URL = "http://127.0.0.1:9/_sandbox/qbo/{realm_id}/{entity}/{txn_id}"
    html = unescape(page_html(client, orders))
    assert 'href="http://127.0.0.1:9/_sandbox/qbo/9130000001/SalesReceipt/1001Sa"' in html


@pytest.mark.parametrize("query", ["#1007", "1007", " #1007 "])
def test_search_by_order_number(client, orders, query):
    assert shown(page_html(client, orders, q=query)) == ["#1007"]


def test_search_by_number_finds_an_order_known_only_by_its_id(client, orders):
    assert shown(page_html(client, orders, q="1004")) == ["Order 1004"]


def test_search_by_part_of_a_name(client, orders):
    assert shown(page_html(client, orders, q="refund")) == ["#1007"]
    html = page_html(client, orders, q="no such order")
    assert shown(html) == [] and "No orders match these filters" in html


@pytest.mark.parametrize(
    "state,expected",
    [
        ("in_quickbooks", ["#1007", "#1006", "#1001"]),
        ("waiting", ["#1009", "Order 1005"]),
        ("failed", ["#1010", "Order 1004", "#1003"]),
        ("skipped", ["#1002"]),
        ("voided", ["#1008"]),
    ],
)
def test_filter_by_status(client, orders, state, expected):
    assert shown(page_html(client, orders, status=state)) == expected


def test_filter_by_date_of_the_first_document(client, orders):
    # #1006's invoice is dated March 7, its payment March 20: it is an order of March 7.
    html = page_html(client, orders, start="2026-03-05", end="2026-03-08")
    assert shown(html) == ["#1007", "#1006"]
    assert shown(page_html(client, orders, start="2026-03-20", end="2026-03-20")) == []


def test_a_date_filter_with_a_search_and_a_status(client, orders):
    assert shown(page_html(client, orders, q="#1006", status="in_quickbooks", start="2026-03-07")) == ["#1006"]
    assert shown(page_html(client, orders, q="#1006", status="failed")) == []


def test_bad_filters_are_explained_and_left_out(client, orders):
    html = page_html(client, orders, start="2026-03-09", end="2026-03-01", status="nonsense")
    assert 'data-testid="filter-errors"' in html and "The end date is before the start date." in html
    assert shown(html) == ["#1010", "#1009", "#1008"]  # the start date alone still filters


def test_pages_of_fifty_newest_first_both_ways(client, shop_a):
    for n in range(1, 121):
        record(shop_a, n)
    first = page_html(client, shop_a)
    assert shown(first) == [f"#{n}" for n in range(120, 70, -1)]
    assert "Newer orders" not in first
    second = page_html(client, shop_a, after=gid(71))
    assert shown(second) == [f"#{n}" for n in range(70, 20, -1)]
    third = page_html(client, shop_a, after=gid(21))
    assert shown(third) == [f"#{n}" for n in range(20, 0, -1)] and "Older orders" not in third
    back = page_html(client, shop_a, before=gid(20))
    assert shown(back) == shown(second)
    assert shown(page_html(client, shop_a, before=gid(70))) == shown(first)


def test_the_pager_keeps_the_filters(client, shop_a):
    for n in range(1, 61):
        record(shop_a, n, status="skipped" if n % 2 else "synced", last_error="test order")
    html = unescape(page_html(client, shop_a, status="skipped"))
    assert len(shown(html)) == 30 and "Older orders" not in html
    for n in range(61, 161):
        record(shop_a, n, status="skipped" if n % 2 else "synced", last_error="test order")
    html = unescape(page_html(client, shop_a, status="skipped"))
    assert shown(html) == [f"#{n}" for n in range(159, 59, -2)]
    assert 'href="?status=skipped&after=gid%3A//shopify/Order/61"' in html


def test_a_longer_shopify_id_is_a_newer_order(client, shop_a):
    for n in (999_999_999, 1_000_000_000, 99, 1_000_000_001):
        record(shop_a, n)
    assert shown(page_html(client, shop_a)) == ["#1000000001", "#1000000000", "#999999999", "#99"]


def test_queued_and_refused_orders_are_merged_into_the_pages_in_order(shop_a):
    """Three sources, one order each at most: every order once, in order, across pages."""
    for n in range(1, 301):
        if n % 3 == 0:
            PendingSync.objects.create(shop=shop_a, order_gid=gid(n))
        elif n % 3 == 1:
            record(shop_a, n)
        else:
            SyncIssue.objects.create(shop=shop_a, source_type="order", source_id=gid(n), code="total_mismatch")
    seen, after = [], ""
    while True:
        page = orders_page(shop=shop_a, filters=OrderFilters(), after=after)
        seen += [row.gid for row in page.rows]
        if not page.older:
            break
        after = page.older
    assert seen == [gid(n) for n in range(300, 0, -1)]
    waiting = orders_page(shop=shop_a, filters=OrderFilters(state=OrderState.WAITING))
    assert [row.gid for row in waiting.rows] == [gid(n) for n in range(300, 150, -3)]
    assert waiting.older == gid(153)


def test_a_page_costs_the_same_queries_however_many_orders(shop_a, django_assert_max_num_queries):
    for n in range(1, 200):
        record(shop_a, n)
    with django_assert_max_num_queries(7):
        orders_page(shop=shop_a, filters=OrderFilters())
    with django_assert_max_num_queries(8):
        orders_page(shop=shop_a, filters=OrderFilters(state=OrderState.IN_QUICKBOOKS), after=gid(120))


def test_another_shops_token_sees_none_of_these_orders(client, orders, shop_b):
    html = page_html(client, shop_b)
    assert shown(html) == ["#B-SECRET"]
    assert "alpha-goods" not in html and "#1003" not in html and "Alpha Books" not in html
    for query in ({"q": "1003"}, {"status": "failed"}, {"after": gid(9999)}, {"before": gid(1)}):
        assert "1003" not in "".join(shown(page_html(client, shop_b, **query)))


def test_money_in_the_shops_currency_and_dates_as_booked(client, shop_a):
    record(shop_a, 1001, amount=Decimal("12345.5"), currency="CAD", txn_date=date(2026, 3, 9))
    html = page_html(client, shop_a)
    assert "12,345.50 CAD" in html and '<time datetime="2026-03-09">9 Mar 2026</time>' in html


def test_no_orders_yet_says_so(client, shop_a):
    assert 'data-testid="no-orders"' in page_html(client, shop_a)


def test_the_home_page_links_to_the_orders(client, shop_a):
    html = client.get(f"/?id_token={session_token(shop_a.domain)}").content.decode()
    assert 'href="/orders"' in html


# --- in Debian chromium, inside the sandbox admin -------------------------------------------


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("orders")


def screenshots(admin: Admin, artifacts: Path, name: str) -> None:
    for width in (1280, 375):
        admin.page.set_viewport_size({"width": width, "height": 900})
        admin.page.screenshot(path=str(artifacts / f"orders-{name}-{width}.png"), full_page=True)
    admin.page.set_viewport_size({"width": 1280, "height": 900})


def axe_or_none() -> str | None:
    try:
        return axe_script()
    except pytest.skip.Exception:
        return None


@in_chromium
def test_a_merchant_finds_orders_and_opens_their_documents(sandboxes, browser, artifacts, settings):
    from playwright.sync_api import expect

    from accounts import tokens
    from accounts.models import Shop
    from sandbox.shopify.seeder import seed_shop
    from syncing.runs import shop_sweep
    from tests.sandboxes import go_live

    info = sandboxes.info
    shopify, qbo = info["shopify"], info["qbo"]
    # What the settings derive for the emulators (shopqb_app/settings.py).
    settings.QBO_DOCUMENT_URL = qbo + "/_sandbox/qbo/{realm_id}/{entity}/{txn_id}"
    settings.SHOPIFY_ADMIN_ORDER_URL = shopify + "/{shop}/admin/orders/{order_id}"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    shop = Shop.objects.get(domain=SHOP)
    seed_shop(base_url=shopify, shop=SHOP, token=tokens.shopify_access_token(shop), orders=60, seed=5)
    assert sandboxes.shopify.dispatcher.wait_idle(timeout=30)
    go_live(shop)
    shop_sweep(shop_id=shop.pk)
    SyncIssue.objects.raise_for(  # and one the ledger refused, known by its id only
        shop=shop,
        code="total_mismatch",
        message="#9999: lines + tax come to 10.00 but Shopify says 10.01 (USD).",
        source_type="order",
        source_id=gid(9_999_999_999_999),
        retryable=False,
    )
    known = set(SyncedRecord.objects.filter(shop=shop).exclude(order_gid="").values_list("order_gid", flat=True))

    page.goto(f"{shopify}/{SHOP}/admin/apps/{info['app']['api_key']}/orders")
    admin = Admin(page, artifacts)
    admin.shows("Orders", "Orders")
    rows = admin.app.get_by_test_id("order-row")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Order 9999999999999")
    expect(rows.first).to_contain_text("Failed")
    screenshots(admin, artifacts, "all")
    admin.app.get_by_role("link", name="Older orders").click()
    admin.shows("Orders", "Orders")
    expect(rows).to_have_count(len(known) + 1 - 50)
    admin.app.get_by_role("link", name="Newer orders").click()
    admin.shows("Orders", "Orders")
    expect(rows.first).to_contain_text("Order 9999999999999")
    script = axe_or_none()
    if script is not None:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            assert axe_violations(admin.frame, script) == [], width
        page.set_viewport_size({"width": 1280, "height": 900})

    # A document opens in the QuickBooks sandbox's inspector, in a new tab.
    link = admin.app.get_by_test_id("qbo-link").first
    entity, txn_id = link.get_attribute("href").rsplit("/", 2)[1:]
    with page.context.expect_page() as opened:
        link.click()
    inspector = opened.value
    assert inspector.url == f"{qbo}/_sandbox/qbo/{info['qbo_companies'][0]['realm_id']}/{entity}/{txn_id}"
    expect(inspector.get_by_role("heading", level=1)).to_have_text(f"{entity} {txn_id}")
    inspector.close()

    # Search by number: the one order.
    first_name = SyncedRecord.objects.filter(shop=shop, source_type="order").order_by("pk").first().source_name
    admin.app.get_by_label("Order number").fill(first_name)
    admin.app.get_by_role("button", name="Filter").click()
    admin.shows("Orders", "Orders")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("rowheader")).to_contain_text(first_name)

    # Skipped orders only (the seeder's test orders), each with its reason.
    admin.app.get_by_role("link", name="Clear").click()
    admin.shows("Orders", "Orders")
    admin.app.get_by_label("Status").select_option(label="Skipped")
    admin.app.get_by_role("button", name="Filter").click()
    admin.shows("Orders", "Orders")
    skipped = SyncedRecord.objects.filter(shop=shop, status="skipped").values("order_gid").distinct().count()
    assert skipped, "the seed has test orders"
    expect(rows).to_have_count(skipped)
    expect(admin.app.locator("[data-state=skipped]")).to_have_count(skipped)
    expect(admin.app.get_by_test_id("order-reason").first).not_to_be_empty()
    screenshots(admin, artifacts, "skipped")
