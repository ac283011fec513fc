"""A EUR shop booked into a USD company with multicurrency on: each document is in EUR with the
company's exchange rate, and reconciliation compares EUR with EUR while reporting QuickBooks' own
USD equivalent; a document QuickBooks holds in another currency is a difference, explained."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import requests

from accounts.clients import shopify_client
from sandbox.runner import start_sandboxes
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.models import SyncedRecord, SyncIssue
from syncing.reconcile import reconcile_shop
from syncing.reconcile_report import report_as_json, report_lines
from syncing.runs import shop_sweep
from tests.mappings.test_currency import EURO_SHOP, connect_euro_shop
from tests.sandboxes import go_live, use_sandboxes

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) {
    order { id name totalPriceSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""


@pytest.fixture
def euro_sandboxes(settings, monkeypatch):
    """A EUR shop and the US preset company (USD) with multicurrency on."""
    running = start_sandboxes(shopify_options={"shops": [EURO_SHOP]}, qbo_options={"multicurrency": True})
    use_sandboxes(settings, monkeypatch, running.info)
    yield running
    running.stop()


@pytest.fixture
def euro_shop(db, euro_sandboxes):
    """The EUR shop connected and through the setup as proposed: live."""
    shop = connect_euro_shop(euro_sandboxes.info)
    go_live(shop)
    return shop


def euro_order(shop, *, lines: list[tuple[str, int, str]], shipping: str = "0.00") -> dict[str, Any]:
    def money(amount: Decimal | str) -> dict[str, Any]:
        return {"shopMoney": {"amount": str(amount), "currencyCode": "EUR"}}

    total = sum((Decimal(p) * q for _, q, p in lines), Decimal(0)) + Decimal(shipping)
    order: dict[str, Any] = {
        "currency": "EUR",
        "financialStatus": "PAID",
        "lineItems": [
            {"title": f"Item {sku}", "sku": sku, "quantity": qty, "priceSet": money(price)} for sku, qty, price in lines
        ],
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money(total)}
        ],
    }
    if Decimal(shipping):
        order["shippingLines"] = [{"title": "Standard", "priceSet": money(shipping)}]
    data = shopify_client(shop).execute(CREATE, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return data["order"]


def receipts(shop) -> list[dict[str, Any]]:
    return qbo.query_all(context_open(shop.pk).qb, "select * from SalesReceipt", "SalesReceipt")


def test_euro_orders_and_their_payout_are_booked_in_euro_and_reconcile_with_the_dollar_equivalent(
    euro_sandboxes, euro_shop
):
    first = euro_order(euro_shop, lines=[("MUG-1", 2, "12.50"), ("TEE-2", 1, "20.00")], shipping="4.99")
    second = euro_order(euro_shop, lines=[("CAP-3", 3, "9.99")])
    totals = {o["id"]: Decimal(o["totalPriceSet"]["shopMoney"]["amount"]) for o in (first, second)}
    assert sorted(totals.values()) == [Decimal("29.97"), Decimal("49.99")]

    assert shop_sweep(shop_id=euro_shop.pk).outcomes == {"written": 2}
    written = {r["Id"]: r for r in receipts(euro_shop)}
    home = Decimal(0)
    for record in SyncedRecord.objects.filter(shop=euro_shop, kind="SalesReceipt"):
        receipt = written[record.qbo_id]
        assert receipt["CurrencyRef"]["value"] == "EUR"
        rate = Decimal(str(receipt["ExchangeRate"]))
        assert rate > 0 and rate != 1
        assert Decimal(str(receipt["TotalAmt"])) == totals[record.order_gid]
        assert Decimal(str(receipt["HomeTotalAmt"])) == (totals[record.order_gid] * rate).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        home += Decimal(str(receipt["HomeTotalAmt"]))

    # Shopify Payments pays the two sales out, in EUR, to the EUR bank account.
    requests.post(
        euro_sandboxes.info["shopify"] + "/_sandbox/payouts/run",
        json={"shop": euro_shop.domain, "through": "2099-12-31"},
        timeout=5,
    ).raise_for_status()
    shop_sweep(shop_id=euro_shop.pk)
    [deposit] = qbo.query_all(context_open(euro_shop.pk).qb, "select * from Deposit", "Deposit")
    assert deposit["CurrencyRef"]["value"] == "EUR"

    report = reconcile_shop(shop_id=euro_shop.pk)
    assert report.matched, report.differences
    assert (report.payouts_found, report.payouts_qbo) == (1, Decimal(str(deposit["TotalAmt"])))
    assert report.payouts_qbo_home == Decimal(str(deposit["HomeTotalAmt"]))
    assert (report.currency, report.home_currency, report.foreign) == ("EUR", "USD", True)
    assert report.shopify_total == report.qbo_total == Decimal("79.96")
    assert report.qbo_home_total == home and report.home_unknown == 0
    lines = report_lines(report)
    assert "QuickBooks USD" in lines[0]
    assert f"{home:,.2f}" in next(line for line in lines if line.startswith("Total"))
    assert any("Compared in EUR" in line for line in lines)
    data = report_as_json(report)
    assert data["matched"] is True
    assert (data["currency"], data["home_currency"]) == ("EUR", "USD")
    assert data["sales"] == {
        "expected": 2,
        "found": 2,
        "shopify": "79.96",
        "quickbooks": "79.96",
        "quickbooks_home": f"{home:.2f}",
    }


def test_a_document_quickbooks_holds_in_another_currency_is_a_difference(euro_shop):
    """Books written as if EUR were USD (what ShopQB did before it knew currencies) do not match."""
    order = euro_order(euro_shop, lines=[("MUG-1", 1, "100.00")])
    shop_sweep(shop_id=euro_shop.pk)
    record = SyncedRecord.objects.get(shop=euro_shop, order_gid=order["id"], kind="SalesReceipt")
    ctx = context_open(euro_shop.pk)
    booked = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    walk_in = qbo.find_by(ctx.qb, "Customer", "DisplayName", "Walk-in Customer")[0]
    undeposited = qbo.find_by(ctx.qb, "Account", "Name", "Undeposited Funds")[0]
    as_dollars = qbo.create(
        ctx.qb,
        "SalesReceipt",
        {
            "CustomerRef": {"value": walk_in["Id"]},
            "DepositToAccountRef": {"value": undeposited["Id"]},
            "Line": [
                {**line, "Id": None} for line in booked["Line"] if line.get("DetailType") == "SalesItemLineDetail"
            ],
            "TxnTaxDetail": {"TotalTax": 0},
        },
        request_id="as-dollars-1",
    )
    SyncedRecord.objects.filter(pk=record.pk).update(qbo_id=as_dollars.id)

    report = reconcile_shop(shop_id=euro_shop.pk)
    assert not report.matched
    [difference] = report.differences
    assert difference.reason == "in USD in QuickBooks, not in EUR as in Shopify"
    assert (difference.shopify, difference.qbo) == (Decimal("100.00"), Decimal("100.00"))
    assert report.qbo_total == Decimal("0.00")  # never added to the EUR total
    issue = SyncIssue.objects.get(shop=euro_shop, code="reconcile_difference")
    assert "in USD in QuickBooks, not in EUR" in issue.message
    assert report_as_json(report)["differences"][0]["reason"] == difference.reason


def test_the_reconcile_command_prints_the_report_and_fails_on_a_difference(euro_shop):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    euro_order(euro_shop, lines=[("MUG-1", 2, "12.50")])
    shop_sweep(shop_id=euro_shop.pk)
    out = StringIO()
    call_command("shopqb", "reconcile", "--shop", euro_shop.domain.upper(), stdout=out)
    text = out.getvalue()
    assert "QuickBooks USD" in text and text.rstrip().endswith("MATCH")
    out = StringIO()
    call_command("shopqb", "reconcile", "--shop", euro_shop.domain, "--json", stdout=out)
    [day] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert day["status"] == "match" and day["shopify"]["sales"] == "25.00", day

    # Someone deletes the receipt in QuickBooks: the command says so and exits 1.
    record = SyncedRecord.objects.get(shop=euro_shop, kind="SalesReceipt")
    ctx = context_open(euro_shop.pk)
    booked = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    qbo.delete(ctx.qb, "SalesReceipt", qbo_id=record.qbo_id, sync_token=booked["SyncToken"], request_id="gone-1")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("shopqb", "reconcile", "--shop", euro_shop.domain, "--json", stdout=out)
    assert exc.value.returncode == 1
    [day] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert day["status"] == "difference" and day["quickbooks"]["sales"] == "0.00", day
    with pytest.raises(CommandError, match=r"no shop nowhere\.myshopify\.com"):
        call_command("shopqb", "reconcile", "--shop", "nowhere.myshopify.com")


def test_the_preview_shows_the_exchange_rate_a_euro_document_is_booked_at(euro_shop):
    from syncing import preview

    placed = euro_order(euro_shop, lines=[("MUG-1", 1, "40.00")])
    before = preview.order_preview(shop=euro_shop, order_gid=placed["id"])
    [receipt] = before.documents
    assert receipt.currency == "EUR" and receipt.exchange_rate is not None and receipt.exchange_rate > 0
    assert receipt.state == "would be created"
    shop_sweep(shop_id=euro_shop.pk)
    # Booked with that rate: the preview now finds it in QuickBooks, unchanged.
    after = preview.order_preview(shop=euro_shop, order_gid=placed["id"])
    assert after.documents[0].state == "in QuickBooks already, unchanged"
    written = qbo.read(context_open(euro_shop.pk).qb, "SalesReceipt", SyncedRecord.objects.get(shop=euro_shop).qbo_id)
    assert Decimal(str(written["ExchangeRate"])) == receipt.exchange_rate


def test_a_rate_quickbooks_cannot_give_refuses_the_document_not_the_pass(monkeypatch):
    from datetime import date

    from shopqb_app.integrations.quickbooks.errors import QBORejected
    from syncing import ledger
    from syncing.context import exchange_rates

    asked = []

    def refuse(qb, currency, day):
        asked.append((currency, day))
        raise QBORejected("Object Not Found: no exchange rate")

    monkeypatch.setattr(qbo, "exchange_rate", refuse)
    rate = exchange_rates(qb=None)
    with pytest.raises(ledger.LedgerError) as refused:
        rate("CHF", date(2026, 11, 3))
    assert refused.value.code == "exchange_rate_missing"
    assert "no exchange rate for CHF on 03 Nov 2026" in str(refused.value)
