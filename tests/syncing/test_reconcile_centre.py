"""The reconciliation centre over HTTP against both sandboxes: per day Shopify's sales, refunds,
tax, fees and payouts against the documents read back from QuickBooks, each difference with the
order or document behind it, each payout's chain to the bank; the page, its CSV exports, and
``manage.py shopqb reconcile --since --json`` (one JSON object per day, exit status 1 when a
difference is unexplained). Another shop's session gets none of it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.clients import shopify_client
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.models import SyncedRecord
from syncing.reconcile_centre import centre_cached, centre_compute
from syncing.runs import shop_sweep
from tests.factories import session_token as app_session_token
from tests.syncing.test_reconcile_accounts import pay_out, place

D = Decimal

pytestmark = pytest.mark.usefixtures("app_settings")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def today(shop) -> date:
    return timezone.now().astimezone(ZoneInfo(shop.iana_timezone or "UTC")).date()


def receipt_of(shop, name: str) -> SyncedRecord:
    return SyncedRecord.objects.get(shop=shop, source_type="order", source_name=name, kind="SalesReceipt")


def person_changes(shop, name: str, amount: str) -> None:
    """A bookkeeper edits the sales receipt's only line in QuickBooks, as its screens would."""
    ctx = context_open(shop.pk)
    record = receipt_of(shop, name)
    held = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    [line] = [line for line in held["Line"] if line.get("DetailType") == "SalesItemLineDetail"]
    detail = {**line["SalesItemLineDetail"], "UnitPrice": amount, "Qty": 1}
    qbo.update(
        ctx.qb,
        "SalesReceipt",
        {"Line": [{**line, "Amount": amount, "SalesItemLineDetail": detail}]},
        qbo_id=record.qbo_id,
        sync_token=held["SyncToken"],
        request_id=f"by-hand-change-{record.qbo_id}",
    )


def person_deletes(shop, name: str) -> None:
    ctx = context_open(shop.pk)
    record = receipt_of(shop, name)
    held = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    qbo.delete(ctx.qb, "SalesReceipt", qbo_id=record.qbo_id, sync_token=held["SyncToken"], request_id=f"by-hand-{name}")


def kept_out_order(shop, price: str) -> dict:
    """A test order: the default rules keep test orders out of the books."""
    order = {
        "currency": "USD",
        "test": True,
        "financialStatus": "PAID",
        "lineItems": [
            {
                "title": "Mug",
                "sku": "MUG",
                "quantity": 1,
                "priceSet": {"shopMoney": {"amount": price, "currencyCode": "USD"}},
            }
        ],
    }
    mutation = "mutation C($order: OrderCreateOrderInput!) { orderCreate(order: $order) { order { id name } userErrors { message } } }"
    data = shopify_client(shop).execute(mutation, {"order": order})["orderCreate"]
    assert not data["userErrors"]
    return data["order"]


@pytest.fixture
def books(shop, sandboxes):
    """Three card sales, paid out, booked: then a person changes #1001 and deletes #1002 in
    QuickBooks; a test order is kept out by the rules."""
    place(shop, "100.00", ("shopify_payments", "100.00"))
    place(shop, "40.00", ("shopify_payments", "40.00"))
    place(shop, "25.00", ("shopify_payments", "25.00"))
    shop_sweep(shop_id=shop.pk)
    pay_out(sandboxes, shop)
    shop_sweep(shop_id=shop.pk)
    return shop


def test_every_day_matches_when_the_books_hold_what_shopify_says(books):
    shop = books
    day = today(shop)
    # Shopify pays the day's charges out overnight: the payout is dated the next day.
    centre = centre_compute(shop_id=shop.pk, start=day - timedelta(days=29), end=day + timedelta(days=1))
    row, paid = centre.rows
    assert row.day == day and row.status == "match" and paid.day == day + timedelta(days=1)
    assert row.shopify["sales"] == row.qbo["sales"] == D("165.00")
    assert paid.shopify["payouts"] == paid.qbo["payouts"] == D("159.31")  # 165.00 less the card fees
    assert paid.shopify["fees"] == paid.qbo["fees"] == D("5.69")
    assert paid.status == "match" and not row.explanations and not paid.explanations and not centre.unexplained
    [payout] = centre.payouts
    assert not payout.broken and payout.booked == 3 and payout.deposit.startswith("Deposit")
    assert payout.deposit_amount == payout.net and payout.bank and payout.bank_balance == payout.net


def test_a_change_and_a_deletion_by_a_person_and_a_rule_explain_the_day(books):
    shop = books
    kept_out_order(shop, "9.00")
    person_changes(shop, "#1001", "90.00")
    person_deletes(shop, "#1002")
    day = today(shop)

    centre = centre_compute(shop_id=shop.pk, start=day, end=day + timedelta(days=1))
    row = centre.days[day]
    assert (row.shopify["sales"], row.qbo["sales"]) == (D("174.00"), D("115.00"))
    causes = {e.cause: e for e in row.explanations}
    assert set(causes) == {"changed", "deleted", "filtered"}
    assert causes["changed"].amounts["sales"] == D("-10.00") and "#1001" in causes["changed"].what
    assert "changed in QuickBooks by a person" in causes["changed"].what
    assert causes["deleted"].amounts["sales"] == D("-40.00") and "deleted in QuickBooks" in causes["deleted"].what
    assert causes["filtered"].amounts["sales"] == D("-9.00") and causes["filtered"].explains
    # The person's changes wait for the merchant's decision: the day is a difference.
    assert not causes["changed"].explains and not causes["deleted"].explains
    assert row.unexplained["sales"] == D("-50.00") and row.status == "difference" and centre.unexplained
    assert causes["changed"].order_url == "/orders?q=%231001"
    [payout] = centre.payouts
    assert payout.booked == 2 and "#1002" in payout.broken


def session_token(domain: str) -> str:
    """App Bridge's token for the app the sandboxes know (their key and secret)."""
    return app_session_token(domain, secret=settings.SHOPIFY_API_SECRET, aud=settings.SHOPIFY_API_KEY)


def page(client, shop, **params) -> str:
    response = client.get("/reconciliation", {**params, "id_token": session_token(shop.domain)})
    assert response.status_code == 200
    return response.content.decode()


def bearer(shop) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {session_token(shop.domain)}"}


def test_the_page_reads_on_request_and_shows_the_difference_with_its_explanation(client, books):
    shop = books
    person_deletes(shop, "#1002")
    html = page(client, shop)
    assert 'data-testid="not-read"' in html and "data-reconcile-autoread" in html
    assert 'id="reconcile-chart"' not in html

    day = today(shop)
    start, end = (day - timedelta(days=29)).isoformat(), (day + timedelta(days=1)).isoformat()
    response = client.post(f"/reconciliation/refresh?start={start}&end={end}", **bearer(shop))
    assert response.status_code == 200 and "1 day with a difference" in response.json()["message"]

    html = page(client, shop, start=start, end=end)
    assert 'data-testid="read-at"' in html and 'data-status="difference"' in html
    assert "deleted in QuickBooks by a person" in html and "/orders?q=%231002" in html
    assert 'id="reconcile-chart-data"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert 'data-testid="payout"' in html and "Broken link" in html
    # The figures are kept per range: another range is not read yet.
    assert 'data-testid="not-read"' in page(client, shop, start=day.isoformat(), end=day.isoformat())


def test_a_bad_range_is_said_and_the_last_30_days_shown(client, shop):
    html = page(client, shop, start="2026-03-10", end="2026-03-01")
    assert 'data-testid="range-errors"' in html and "The end date is before the start date." in html
    day = today(shop)
    assert f'value="{(day - timedelta(days=29)).isoformat()}"' in html and f'value="{day.isoformat()}"' in html


def test_another_shops_session_gets_nothing(client, books, shop_b):
    shop = books
    day = today(shop)
    query = f"?start={day.isoformat()}&end={day.isoformat()}"
    assert client.post("/reconciliation/refresh" + query, **bearer(shop)).status_code == 200
    assert centre_cached(shop_id=shop.pk, start=day, end=day) is not None

    html = page(client, shop_b, start=day.isoformat(), end=day.isoformat())
    assert 'data-testid="not-read"' in html and "#1001" not in html and shop.domain not in html
    documents = client.get("/reconciliation/documents.csv" + query, **bearer(shop_b))
    rows = list(csv.reader(io.StringIO(b"".join(documents.streaming_content).decode())))
    assert len(rows) == 1  # the header only
    # shop_b is not connected to QuickBooks: nothing to read, said plainly, nothing of shop's shown.
    refused = client.post("/reconciliation/refresh" + query, **bearer(shop_b))
    assert refused.status_code == 409 and "cannot read the books" in refused.json()["error"]
    days = client.get("/reconciliation/days.csv" + query, **bearer(shop_b))
    assert days.status_code == 409
    # No session token, no page.
    assert client.post("/reconciliation/refresh" + query).status_code == 401


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_exports_the_days_and_the_documents_of_the_range(client, books):
    shop = books
    person_changes(shop, "#1001", "90.00")
    day = today(shop)
    query = f"?start={day.isoformat()}&end={day.isoformat()}"

    response = client.get("/reconciliation/days.csv" + query, **bearer(shop))
    handle = shop.domain.removesuffix(".myshopify.com")
    assert response["Content-Disposition"] == (
        f'attachment; filename="shopqb-reconciliation-{handle}-{day.isoformat()}-to-{day.isoformat()}.csv"'
    )
    header, *rows = read_csv(response)
    assert header[:5] == ["Day", "Currency", "Sales in Shopify", "Sales in QuickBooks", "Sales difference"]
    [row] = rows
    values = dict(zip(header, row, strict=True))
    assert values["Day"] == day.isoformat() and values["Sales in Shopify"] == "165.00"
    assert (values["Sales in QuickBooks"], values["Sales difference"]) == ("155.00", "-10.00")
    assert values["Status"] == "unexplained difference" and "#1001" in values["Explanations"]

    response = client.get("/reconciliation/documents.csv" + query, **bearer(shop))
    assert f"shopqb-documents-{handle}-{day.isoformat()}" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == ["Order", "Document kind", "Number", "QuickBooks Id", "Date", "Amount", "Currency", "Status"]
    written = SyncedRecord.objects.filter(shop=shop, txn_date=day)
    assert len(rows) == written.count() == 3  # the three sales (the payout's deposit is of the next day)
    receipt = receipt_of(shop, "#1001")
    assert [
        receipt.source_name,
        "SalesReceipt",
        receipt.doc_number,
        receipt.qbo_id,
        day.isoformat(),
        "100.00",
        "USD",
        "synced",
    ] in rows
    # Outside the range: nothing.
    before = (day - timedelta(days=3)).isoformat()
    response = client.get(f"/reconciliation/documents.csv?start={before}&end={before}", **bearer(shop))
    assert len(read_csv(response)) == 1


class _Out(io.StringIO):
    pass


def test_the_command_prints_one_json_object_per_day_and_exits_1_on_an_unexplained_difference(books):
    shop = books
    day = today(shop)
    out = _Out()
    call_command(
        "shopqb",
        "reconcile",
        "--shop",
        shop.domain,
        "--since",
        (day - timedelta(days=6)).isoformat(),
        "--json",
        stdout=out,
    )
    sales, paid = (json.loads(line) for line in out.getvalue().strip().splitlines())
    assert sales["day"] == day.isoformat() and sales["status"] == paid["status"] == "match"
    assert sales["shopify"]["sales"] == sales["quickbooks"]["sales"] == "165.00"
    assert paid["shopify"]["payouts"] == paid["quickbooks"]["payouts"] == "159.31"
    assert set(sales["difference"].values()) == set(paid["difference"].values()) == {"0.00"}

    person_deletes(shop, "#1003")
    out = _Out()
    with pytest.raises(CommandError) as failed:
        call_command("shopqb", "reconcile", "--shop", shop.domain, "--since", day.isoformat(), "--json", stdout=out)
    assert failed.value.returncode == 1
    data, _paid = (json.loads(line) for line in out.getvalue().strip().splitlines())
    assert data["difference"]["sales"] == "-25.00" and data["unexplained"]["sales"] == "-25.00"
    [why] = data["explanations"]
    assert why["cause"] == "deleted" and why["order"] == "#1003" and why["explains"] is False

    # Days from --since only: the day after the sales holds only the payout, which matches.
    out = _Out()
    since = (day + timedelta(days=1)).isoformat()
    call_command("shopqb", "reconcile", "--shop", shop.domain, "--since", since, "--json", stdout=out)
    [only] = (json.loads(line) for line in out.getvalue().strip().splitlines())
    assert only["day"] == since and only["status"] == "match"

    # As text, the same days.
    out = _Out()
    with pytest.raises(CommandError):
        call_command("shopqb", "reconcile", "--shop", shop.domain, "--since", day.isoformat(), stdout=out)
    text = out.getvalue()
    assert day.isoformat() in text and "deleted in QuickBooks by a person" in text and "unexplained difference" in text


def test_a_change_the_merchant_accepted_explains_the_difference(books):
    shop = books
    person_deletes(shop, "#1003")
    day = today(shop)
    [deleted] = centre_compute(shop_id=shop.pk, start=day, end=day).days[day].explanations
    # Change detection's page, where the merchant re-posts, accepts or ignores.
    assert deleted.drift_url == "/reconciliation/changes" and deleted.drift_label == "Re-post, accept or ignore"

    # The merchant keeps QuickBooks' version (change detection records the choice on the record).
    SyncedRecord.objects.filter(pk=receipt_of(shop, "#1003").pk).update(
        qbo_drift="deleted", qbo_drift_resolution="accepted"
    )
    row = centre_compute(shop_id=shop.pk, start=day, end=day).days[day]
    [deleted] = row.explanations
    assert deleted.explains and "you chose to accept it" in deleted.what
    assert row.status == "explained" and row.difference["sales"] == D("-25.00") and not any(row.unexplained.values())


def test_refunds_and_tax_per_day_and_a_failed_write_waiting_on_its_issue(shop):
    from tests.sandboxes import Store
    from tests.syncing.test_engine import refund

    sold = Store(shop).order(lines=[("A", 2, "10.00")], tax="1.60")
    shop_sweep(shop_id=shop.pk)
    refund(Store(shop).client, sold, quantity=1, amount="10.80")
    # Someone else's receipt already has the number the next order would get: ShopQB writes
    # nothing for it and raises an issue (doc_number_taken).
    ctx = context_open(shop.pk)
    line = {"Amount": 5, "DetailType": "SalesItemLineDetail"}
    line["SalesItemLineDetail"] = {"ItemRef": ctx.mapping.sales_item.as_qbo(), "Qty": 1, "UnitPrice": 5}
    qbo.create(ctx.qb, "SalesReceipt", {"DocNumber": "S1002", "Line": [line]}, request_id="theirs-1")
    Store(shop).order(lines=[("A", 1, "30.00")])
    shop_sweep(shop_id=shop.pk)
    assert SyncedRecord.objects.get(shop=shop, source_name="#1002").status == "failed"

    day = today(shop)
    row = centre_compute(shop_id=shop.pk, start=day, end=day).days[day]
    assert (row.shopify["sales"], row.qbo["sales"]) == (D("51.60"), D("21.60"))
    assert row.shopify["refunds"] == row.qbo["refunds"] == D("10.80")
    assert row.shopify["tax"] == row.qbo["tax"] == D("0.80")  # 1.60 charged, 0.80 refunded
    [failed] = row.explanations
    assert failed.cause == "failed" and failed.explains and "#1002" in failed.what
    assert failed.amounts["sales"] == D("-30.00") and failed.issue_url == "/issues"
    assert row.status == "explained" and not any(row.unexplained.values())


def test_a_document_shopqbs_undo_took_back_is_explained_as_removed(books):
    shop = books
    person_deletes(shop, "#1003")  # as the undo deletes it, then records it (syncing/undo.py)
    SyncedRecord.objects.filter(pk=receipt_of(shop, "#1003").pk).update(status="deleted")
    day = today(shop)
    row = centre_compute(shop_id=shop.pk, start=day, end=day).days[day]
    [removed] = row.explanations
    assert removed.cause == "removed" and removed.explains and "deleted by ShopQB" in removed.what
    assert row.status == "explained" and row.difference["sales"] == D("-25.00")
