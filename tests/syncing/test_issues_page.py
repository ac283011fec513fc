"""Issues as the merchant reads them: plain words for every code the app raises, the action
that fixes each, Retry only where it can help, the full list paginated, one shop's only."""

import re
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.urls import include, path, reverse
from django.utils import timezone

from syncing.issue_texts import GENERIC, TEXTS, ActionKind, Retry, issue_text
from syncing.models import SyncedRecord, SyncIssue
from syncing.urls import urlpatterns as syncing_urlpatterns
from syncing.writing import FAILURE_CODES
from tests.accounts import test_app_shell as shell
from tests.accounts.factories import make_connection
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

ROOT = Path(__file__).resolve().parents[2]
ORDER = "gid://shopify/Order/{}"
# The sandbox admin in chromium (tests/accounts/test_app_shell.py).
sandboxes, browser = shell.sandboxes, shell.browser

# The app without its Orders page: actions that lead to an order must not break a page
# (the Issues page came before the Orders page, and a deployment may lack it).
urlpatterns = [
    path("", include([entry for entry in syncing_urlpatterns if entry.name != "orders"])),
    path("", include("accounts.urls")),
    path("", include("mappings.urls")),
]


def codes_raised_in_the_source() -> set[str]:
    """Every issue code the app can raise, read from the source the way grep would."""
    codes = set(FAILURE_CODES.values())
    for app in ("syncing", "accounts", "mappings"):
        for file in (ROOT / app).rglob("*.py"):
            if "migrations" in file.parts:
                continue
            text = file.read_text()
            codes |= set(re.findall(r"\bcode=\"([a-z][a-z0-9_]*)\"", text))
            codes |= set(re.findall(r"LedgerError\(\s*\"([a-z][a-z0-9_]*)\"", text))
            # The fallback of a lookup: FAILURE_CODES.get(type(exc), "qbo_rejected").
            codes |= set(re.findall(r"FAILURE_CODES\.get\([^,]+,\s*\"([a-z][a-z0-9_]*)\"\)", text))
    return codes


def test_every_code_raised_in_the_code_base_has_its_own_text():
    raised = codes_raised_in_the_source()
    # The scan itself works: it finds codes of each kind of raiser.
    assert {"tax_codes_unmapped", "total_mismatch", "payout_mismatch", "sweep_failed", "qbo_rejected"} <= raised
    assert {"cancelled_partly_paid", "doc_number_taken", "qbo_auth", "reconcile_difference"} <= raised
    missing = sorted(code for code in raised if code not in TEXTS)
    assert not missing, f"write a plain-language entry in syncing/issue_texts.py for {missing}"


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_each_entry_says_what_happened_what_it_means_and_what_to_do(key):
    text = TEXTS[key]
    for part in (text.title, text.books, text.todo):
        assert part.strip() and part == part.strip()
        assert key.split(":")[0] not in part, "a raw code in the merchant's text"
        assert "(s)" not in part
    if text.action is not None and text.action.kind != ActionKind.ORDER:
        assert reverse(text.action.url_name)
    if text.retry == Retry.TRANSIENT:
        assert text.action is None or text.action.kind == ActionKind.ORDER, "a passing failure needs no fix first"


@pytest.mark.parametrize(
    "code,fault,words,action",
    [
        ("qbo_rejected", "6140", "already has a document with this number", "mappings:what_to_sync"),
        ("doc_number_taken", "6140", "Rename that document in QuickBooks", "mappings:what_to_sync"),
        ("qbo_rejected", "6000", "business rules", "mappings:accounts"),
        ("qbo_unavailable", "3001", "slow down", None),
        ("qbo_auth", "3200", "Reconnect QuickBooks", "accounts:qbo_connect"),
        ("tax_codes_unmapped", "", "tax code", "mappings:taxes"),
    ],
)
def test_quickbooks_fault_codes_and_ledger_codes_get_their_own_words_and_action(code, fault, words, action):
    text = issue_text(code, {"qbo_code": fault} if fault else {})
    assert text is not GENERIC
    assert words in f"{text.title} {text.todo}"
    assert (text.action.url_name if text.action else None) == action


def test_an_unknown_code_or_fault_gets_a_safe_text():
    assert issue_text("something_new", {}) is GENERIC
    # An unknown QuickBooks fault falls back to the code's own entry.
    assert issue_text("qbo_rejected", {"qbo_code": "9999"}) is TEXTS["qbo_rejected"]
    assert GENERIC.action is None and GENERIC.retry == Retry.NEVER


def auth(shop):
    return {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop.domain)}


def page(client, shop, url="/issues"):
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}id_token={session_token(shop.domain)}")
    assert response.status_code == 200
    return response.content.decode()


def issue(shop, code, n=1, *, source_type="order", source_id=None, message="", retryable=True, **fields):
    return SyncIssue.objects.create(
        shop=shop,
        code=code,
        source_type=source_type,
        source_id=ORDER.format(n) if source_id is None else source_id,
        message=message or f"{code} on {n}",
        retryable=retryable,
        **fields,
    )


def outside_details(html):
    """The text a merchant reads without opening "Details" (tags and their attributes left out)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<details.*?</details>", "", html, flags=re.DOTALL))


def entries(html):
    return re.findall(r'<li data-testid="issue">.*?</li>', html, flags=re.DOTALL)


def test_the_issues_page_explains_each_issue_and_keeps_raw_codes_behind_details(client, shop_a):
    make_connection(shop_a)
    SyncedRecord.objects.create(
        shop=shop_a, source_type="order", source_id=ORDER.format(1), kind="SalesReceipt", request_id="r1",
        source_name="#1001", status="failed",
    )  # fmt: skip
    issue(
        shop_a,
        "qbo_rejected",
        1,
        message="SalesReceipt S1001 for #1001: Business Validation Error: zzz-raw-answer",
        detail={"qbo_code": "6000"},
        occurrences=3,
        pk=6000,  # ids are in the buttons' URLs, never in the text
    )
    issue(shop_a, "qbo_unavailable", 2, message="QuickBooks answered HTTP 503", detail={"qbo_code": "503"}, pk=503)
    html = page(client, shop_a)

    visible = outside_details(html)
    assert "Order #1001" in visible and "Order 2" in visible
    assert "QuickBooks refused it under its business rules" in visible
    assert "QuickBooks could not be reached" in visible
    assert "3 times" in visible
    for raw in ("qbo_rejected", "qbo_unavailable", "6000", "503", "zzz-raw-answer", "gid://shopify"):
        assert raw not in visible, raw
        assert raw in html, f"{raw} is kept for support under Details"
    assert html.count("<summary>Details</summary>") == 2
    rejected, unavailable = sorted(entries(html), key=lambda entry: "qbo_unavailable" in entry)
    assert "<dt>QuickBooks error code</dt><dd>6000</dd>" in rejected
    assert "<dt>HTTP status</dt><dd>503</dd>" in unavailable


def test_a_message_written_for_the_merchant_is_shown(client, shop_a):
    issue(
        shop_a, "total_mismatch", 1, message="#1001: lines + tax come to 10.00 but Shopify says 10.07", retryable=False
    )
    assert "lines + tax come to 10.00 but Shopify says 10.07" in outside_details(page(client, shop_a))


def test_the_full_list_is_paginated_newest_first(client, shop_a):
    now = timezone.now()
    for n in range(30):
        made = issue(shop_a, "qbo_unavailable", n)
        SyncIssue.objects.filter(pk=made.pk).update(updated_at=now - timedelta(minutes=n))
    issue(shop_a, "qbo_unavailable", 99, resolved_at=now)  # resolved: not listed

    first = page(client, shop_a)
    assert "30 open issues" in first
    shown = re.findall(r'data-testid="issue-subject">Order (\d+)<', first)
    assert shown == [str(n) for n in range(25)]
    assert "Page 1 of 2" in first and 'href="?page=2"' in first

    second = page(client, shop_a, "/issues?page=2")
    assert re.findall(r'data-testid="issue-subject">Order (\d+)<', second) == [str(n) for n in range(25, 30)]
    assert 'href="?page=1"' in second and "?page=3" not in second
    # A page past the end shows the last one rather than failing.
    assert "Page 2 of 2" in page(client, shop_a, "/issues?page=9")


def test_retry_all_queues_only_transient_retryable_failures_each_order_once(client, shop_a, shop_b):
    issue(shop_a, "qbo_unavailable", 1, detail={"qbo_code": "3001"})
    issue(shop_a, "waiting_for_linked_document", 1)  # the same order: queued once
    issue(shop_a, "qbo_stale_object", 2)
    issue(shop_a, "sweep_failed", source_type="", source_id="")
    issue(shop_a, "qbo_unavailable", 3, retryable=False)  # whoever raised it said a retry cannot help
    issue(shop_a, "qbo_rejected", 4, detail={"qbo_code": "6000"})  # needs a fix first
    issue(shop_a, "tax_codes_unmapped", 5, retryable=False)
    issue(shop_a, "qbo_unavailable", source_type="refund", source_id="gid://shopify/Refund/6")  # nothing to queue
    issue(shop_a, "made_up_code", 7)
    issue(shop_b, "qbo_unavailable", 8)

    with (
        mock.patch("syncing.pending.enqueue_order_sync") as order_sync,
        mock.patch("syncing.pending.enqueue_sweep") as sweep,
    ):
        response = client.post(reverse("issues_retry_all"), **auth(shop_a))
    assert response.status_code == 200 and response.json() == {"queued": 3, "message": "Trying again: 3 failures."}
    assert sorted(c.kwargs["order_gid"] for c in order_sync.call_args_list) == [ORDER.format(1), ORDER.format(2)]
    assert {c.kwargs["shop_id"] for c in order_sync.call_args_list} == {shop_a.pk}
    sweep.assert_called_once_with(shop_id=shop_a.pk)


def test_retry_all_needs_a_post():
    from django.test import Client

    assert Client().get(reverse("issues_retry_all")).status_code in (401, 405)


def retry_buttons(html):
    return re.findall(r"/sync/issues/(\d+)/retry", html)


def test_retry_is_offered_only_where_it_can_help(client, shop_a):
    transient = issue(shop_a, "qbo_unavailable", 1)
    after_fix = issue(shop_a, "tax_codes_unmapped", 2, retryable=False)  # retry once the taxes are mapped
    said_no = issue(shop_a, "qbo_stale_object", 3, retryable=False)
    informational = issue(shop_a, "rounding_line", 4, retryable=False)
    payout = issue(shop_a, "payout_accounts_unmapped", source_type="payout", source_id="gid://shopify/Payout/5")
    unknown_yes = issue(shop_a, "made_up_code", 6)
    unknown_no = issue(shop_a, "another_code", 7, retryable=False)
    html = page(client, shop_a)
    offered = {int(pk) for pk in retry_buttons(html)}
    assert offered == {transient.pk, after_fix.pk, unknown_yes.pk}
    assert not offered & {said_no.pk, informational.pk, payout.pk, unknown_no.pk}
    # No transient failure that a retry can queue: no "Retry all".
    SyncIssue.objects.filter(pk=transient.pk).update(resolved_at=timezone.now())
    assert 'data-testid="retry-all"' not in page(client, shop_a)


def test_each_action_leads_where_the_fix_is(client, shop_a):
    SyncedRecord.objects.create(
        shop=shop_a, source_type="order", source_id=ORDER.format(1), kind="SalesReceipt", request_id="r1",
        source_name="#1001",
    )  # fmt: skip
    SyncedRecord.objects.create(
        shop=shop_a, source_type="refund", source_id="gid://shopify/Refund/9", order_gid=ORDER.format(1),
        kind="RefundReceipt", request_id="r2", source_name="#1001 refund 1",
    )  # fmt: skip
    issue(shop_a, "refund_adjustment", source_type="refund", source_id="gid://shopify/Refund/9", retryable=False)
    issue(shop_a, "doc_number_taken", 2, detail={"qbo_code": "6140"})
    issue(shop_a, "tax_codes_unmapped", 3, retryable=False)
    issue(shop_a, "qbo_auth", 4, detail={"qbo_code": "3200"})
    html = page(client, shop_a)
    by_subject = {re.search(r'issue-subject">([^<]+)<', e).group(1): e for e in entries(html)}

    refund = by_subject["Order #1001, refund 1"]
    assert "Review this refund" in refund and f'href="{reverse("orders")}?q=%231001"' in refund
    assert f'href="{reverse("mappings:what_to_sync")}"' in by_subject["Order 2"]
    assert "Rename that document in QuickBooks, or change the number prefix" in by_subject["Order 2"]
    assert f'href="{reverse("mappings:taxes")}"' in by_subject["Order 3"]
    reconnect = by_subject["Order 4"]
    assert 'data-action="qbo-connect"' in reconnect and f'data-url="{reverse("accounts:qbo_connect")}"' in reconnect


@pytest.mark.urls(__name__)
def test_an_order_action_without_an_orders_page_is_left_out(client, shop_a):
    issue(shop_a, "total_mismatch", 1, retryable=False)
    issue(shop_a, "tax_codes_unmapped", 2, retryable=False)
    html = page(client, shop_a)
    assert "Review this order" not in html
    assert html.count('data-testid="issue-action"') == 1  # the tax mapping still has its page


def test_another_shop_sees_none_of_these_issues_and_retries_none(client, shop_a, shop_b):
    mine = issue(shop_a, "qbo_unavailable", 1, message="Alpha secret failure")
    html = page(client, shop_b)
    assert "Alpha secret failure" not in html and "Nothing needs your attention" in html
    assert str(mine.pk) not in retry_buttons(html)
    with mock.patch("syncing.pending.enqueue_order_sync") as order_sync:
        assert client.post(reverse("issues_retry_all"), **auth(shop_b)).json()["queued"] == 0
        assert client.post(reverse("issue_retry", args=[mine.pk]), **auth(shop_b)).status_code == 404
    order_sync.assert_not_called()


def test_the_home_page_shows_the_newest_five_in_the_same_words(client, shop_a):
    make_connection(shop_a)
    now = timezone.now()
    for n in range(7):
        made = issue(shop_a, "qbo_unavailable", n, detail={"qbo_code": "3001"})
        SyncIssue.objects.filter(pk=made.pk).update(updated_at=now - timedelta(minutes=n))
    html = page(client, shop_a, "/")
    assert len(entries(html)) == 5
    assert re.findall(r'data-testid="issue-subject">Order (\d+)<', html) == ["0", "1", "2", "3", "4"]
    assert "QuickBooks asked ShopQB to slow down" in html
    assert "qbo_unavailable" not in outside_details(html)
    assert f'href="{reverse("issues")}"' in html and "See all 7 issues" in html


def test_a_page_of_issues_costs_the_same_queries_however_many_it_shows(client, shop_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count):
        SyncIssue.objects.all().delete()
        for n in range(count):
            SyncedRecord.objects.get_or_create(
                shop=shop_a, source_type="order", source_id=ORDER.format(n), kind="SalesReceipt",
                defaults={"request_id": f"r{n}", "source_name": f"#{1000 + n}"},
            )  # fmt: skip
            issue(shop_a, "qbo_rejected", n, detail={"qbo_code": "6000"})
        with CaptureQueriesContext(connection) as captured:
            page(client, shop_a)
        return len(captured.captured_queries)

    assert queries_for(2) == queries_for(25)


# --- in Debian chromium, inside the sandbox admin -------------------------------------------


@pytest.fixture
def issues_artifacts() -> Path:
    import os

    path = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts") / "issues"
    path.mkdir(parents=True, exist_ok=True)
    return path


class IssuesWalk:
    """The merchant's admin with the app in its frame; every look is checked by axe-core and
    screenshot at 1280 and 375 pixels."""

    def __init__(self, page, admin, artifacts: Path, script: str) -> None:
        self.page, self.admin, self.artifacts, self.script = page, admin, artifacts, script

    def checked(self, name: str) -> None:
        from tests.accounts.test_app_shell import axe_violations

        for width in (1280, 375):
            self.page.set_viewport_size({"width": width, "height": 900})
            self.admin.frame.evaluate(
                "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            assert axe_violations(self.admin.frame, self.script) == [], (name, width)
            assert axe_violations(self.page, self.script) == [], (name, width)
            self.page.screenshot(path=str(self.artifacts / f"issues-{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def open_issues(self) -> None:
        self.admin.nav.get_by_role("link", name="Issues").click()
        self.admin.shows("Issues", "Issues")


def failed_order(shop, n: int, code: str, **fields) -> SyncIssue:
    """Order #n whose receipt could not be written, and the issue that says why."""
    record = SyncedRecord.objects.create(
        shop=shop,
        source_type="order",
        source_id=ORDER.format(n),
        source_name=f"#{n}",
        order_gid=ORDER.format(n),
        kind="SalesReceipt",
        status="failed",
        request_id=f"issues-{n}",
        attempts=1,
    )
    return SyncIssue.objects.raise_for(
        shop=shop, source_type="order", source_id=ORDER.format(n), code=code, record=record, **fields
    )


@shell.in_chromium
def test_the_issues_page_in_the_admin_explains_fixes_retries_and_pages(sandboxes, browser, issues_artifacts):
    from playwright.sync_api import expect

    from accounts.models import QuickBooksConnection, Shop
    from syncing.context import ShopNotReady
    from syncing.models import PendingSync
    from syncing.runs import shop_sweep
    from tests.accounts.test_app_shell import SHOP, Admin, axe_script, watch_loading_bar
    from tests.accounts.test_embedded_browser import connect_in_admin
    from tests.sandboxes import go_live

    script = axe_script()
    info = sandboxes.info
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    admin = Admin(page, issues_artifacts)
    admin.shows("Overview", "Overview")
    walk = IssuesWalk(page, admin, issues_artifacts, script)
    app = admin.app
    shop = Shop.objects.get(domain=SHOP)
    go_live(shop)

    # 27 orders QuickBooks did not answer for (one of them three times), one whose tax rate has
    # no QuickBooks tax code, then QuickBooks access revoked, found by a pass.
    for n in range(1001, 1028):
        failed_order(
            shop,
            n,
            "qbo_unavailable",
            message=f"SalesReceipt {n} for #{n}: QuickBooks answered 503",
            detail={"qbo_code": "503"},
        )
    SyncIssue.objects.filter(source_id=ORDER.format(1001)).update(occurrences=3)
    failed_order(
        shop,
        1100,
        "tax_codes_unmapped",
        message="#1100: the tax rate CA State 7.25% has no QuickBooks tax code.",
        retryable=False,
    )
    realm = info["qbo_companies"][0]["realm_id"]
    import requests

    requests.post(f"{info['qbo']}/_sandbox/qbo/{realm}/revoke", json={}, timeout=5).raise_for_status()
    with pytest.raises(ShopNotReady):
        shop_sweep(shop_id=shop.pk)

    # 1. The list, newest first, 25 to a page, in plain words.
    walk.open_issues()
    expect(app.get_by_test_id("issue-count")).to_contain_text("29 open issues")
    entries = app.get_by_test_id("issue")
    expect(entries).to_have_count(25)
    expect(app.get_by_test_id("pager")).to_contain_text("Page 1 of 2")

    access = entries.nth(0)
    expect(access.get_by_test_id("issue-subject")).to_have_text("Your store")
    expect(access.get_by_test_id("issue-title")).to_have_text("QuickBooks no longer accepts ShopQB's sign-in")
    expect(access.get_by_test_id("issue-books")).to_contain_text("Orders wait; none is lost.")
    expect(access.get_by_test_id("issue-action")).to_have_text("Reconnect QuickBooks")
    expect(access.get_by_test_id("issue-retry")).to_have_count(0)  # a retry cannot help before reconnecting

    tax = entries.nth(1)
    expect(tax.get_by_test_id("issue-subject")).to_have_text("Order #1100")
    expect(tax.get_by_test_id("issue-title")).to_have_text("This order's tax rates have no QuickBooks tax code")
    expect(tax.get_by_test_id("issue-books")).to_contain_text("its sale is missing from your books")
    expect(tax.get_by_test_id("issue-todo")).to_contain_text("Choose a QuickBooks tax code")
    expect(tax.get_by_test_id("issue-message")).to_contain_text("CA State 7.25%")
    expect(tax.get_by_test_id("issue-action")).to_have_text("Map tax rates")

    late = entries.filter(has_text="Order #1027")
    expect(late.get_by_test_id("issue-title")).to_have_text("QuickBooks could not be reached")
    expect(late.get_by_test_id("issue-todo")).to_contain_text("the next sync pass tries again")
    expect(late.get_by_role("button", name="Retry Order #1027")).to_be_visible()
    # Raw codes and HTTP statuses only behind "Details".
    details = late.get_by_test_id("issue-details")
    for raw in ("qbo_unavailable", "HTTP status", "503"):
        expect(details.get_by_text(raw, exact=True)).to_be_hidden()
    assert "qbo_" not in app.get_by_test_id("issue-list").inner_text()
    walk.checked("list")
    details.get_by_text("Details").click()
    expect(details.get_by_text("qbo_unavailable", exact=True)).to_be_visible()
    expect(details.get_by_text("HTTP status", exact=True)).to_be_visible()
    walk.checked("details-open")

    # 2. Beyond 25: the rest on the next page, the repeats counted on their one entry.
    app.get_by_role("link", name="Next").click()
    admin.shows("Issues", "Issues")
    expect(entries).to_have_count(4)
    expect(app.get_by_test_id("pager")).to_contain_text("Page 2 of 2")
    first = entries.filter(has_text="Order #1001")
    expect(first.get_by_test_id("occurrences")).to_have_text("3 times")
    walk.checked("page-2")
    app.get_by_role("link", name="Previous").click()
    admin.shows("Issues", "Issues")
    expect(app.get_by_test_id("pager")).to_contain_text("Page 1 of 2")

    # 3. Retry all: the passing failures only, each order once; the loading bar, then a toast.
    watch_loading_bar(page)
    app.get_by_test_id("retry-all").click()
    expect(admin.toast("Trying again: 27 failures.")).to_be_visible()
    expect(page.locator("#admin-loading")).to_be_hidden()
    assert page.evaluate("window.loadingSeen")[:2] == [True, False]
    admin.shows("Issues", "Issues")
    queued = set(PendingSync.objects.filter(shop=shop).values_list("order_gid", flat=True))
    assert queued == {ORDER.format(n) for n in range(1001, 1028)}  # not #1100: it needs its tax code first
    walk.checked("retried")

    # 4. An issue's action leads to its fix: the tax rates...
    app.get_by_test_id("issue").nth(1).get_by_test_id("issue-action").click()
    admin.shows("Taxes", "Taxes")
    walk.open_issues()

    # ...and reconnecting QuickBooks, which clears the refusal by itself.
    app.get_by_test_id("issue").first.get_by_role("button", name="Reconnect QuickBooks").click()
    page.wait_for_url(f"{info['qbo']}/connect/oauth2**")
    page.click("#connect")
    page.wait_for_url(f"{info['shopify']}/{SHOP}/admin/apps/**")
    admin.shows("Overview", "Overview")
    assert QuickBooksConnection.objects.get(shop=shop).status == "connected"
    walk.open_issues()
    expect(app.get_by_test_id("issue-count")).to_contain_text("28 open issues")
    expect(app.get_by_text("QuickBooks no longer accepts ShopQB's sign-in")).to_have_count(0)
    walk.checked("reconnected")
