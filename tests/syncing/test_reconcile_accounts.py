"""Reconciliation of the accounts where money waits, over HTTP against both sandboxes: the Shopify
Payments clearing account against the money Shopify has not paid out yet, other gateways' clearing
accounts next to their money, the gift card liability against the cards' balances, and every
difference explained by the documents behind it, or counted as a difference."""

from __future__ import annotations

import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.clients import shopify_client
from sandbox.shopify import payouts as sandbox_payouts
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.models import SyncedRecord
from syncing.reconcile import reconcile_shop
from syncing.reconcile_report import report_as_json, report_lines
from syncing.runs import shop_sweep

D = Decimal

CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name } userErrors { field message } }
}
"""
CARDS = "{ giftCards(first: 10) { nodes { id balance { amount } order { id } } } }"


def usd(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def place(shop, price: str, *tenders: tuple[str, str], gift_card: bool = False, card_id: str = "") -> dict:
    """An order of one line at ``price`` paid by ``tenders`` (gateway, amount); a gift card tender
    names ``card_id``."""
    line = {"title": "Gift card" if gift_card else "Mug", "sku": "" if gift_card else "MUG", "quantity": 1}
    order = {
        "currency": "USD",
        "financialStatus": "PAID",
        "lineItems": [{**line, "giftCard": gift_card, "priceSet": usd(price)}],
        "transactions": [
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": gateway,
                "amountSet": usd(amount),
                **({"giftCardId": card_id} if gateway == "gift_card" else {}),
            }
            for gateway, amount in tenders
        ],
    }
    data = shopify_client(shop).execute(CREATE, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return data["order"]


def pay_out(sandboxes, shop) -> None:
    """Shopify pays out everything charged so far, as its daily payout does."""
    store = sandboxes.shopify.store
    data = store.shops[shop.domain]
    with store.lock:
        today = store.now().astimezone(ZoneInfo(data.config.timezone)).date()
        sandbox_payouts.run_payouts(store, data, through=today)


def check(report, label: str):
    [found] = [c for c in report.accounts if c.label == label]
    return found


def clearing_of(report):
    return check(report, "Shopify Payments clearing")


@pytest.fixture
def sold(shop):
    """Card, PayPal and gift card money: a gift card sold by card, then half of it spent."""
    place(shop, "100.00", ("shopify_payments", "100.00"))
    place(shop, "30.00", ("paypal", "30.00"))
    gift = place(shop, "50.00", ("shopify_payments", "50.00"), gift_card=True)
    [card] = shopify_client(shop).execute(CARDS)["giftCards"]["nodes"]
    assert card["order"]["id"] == gift["id"]
    place(shop, "40.00", ("gift_card", "20.00"), ("shopify_payments", "20.00"), card_id=card["id"])
    assert shop_sweep(shop_id=shop.pk).outcomes.get("written") == 4
    return shop


def test_clearing_matches_the_money_in_transit_before_and_after_a_payout(sold, sandboxes):
    shop = sold
    report = reconcile_shop(shop_id=shop.pk)
    clearing = clearing_of(report)
    # 100 + 50 + 20 charged by card, none paid out yet: all of it in transit and in clearing.
    assert (clearing.qbo, clearing.shopify, clearing.difference) == (D("170.00"), D("170.00"), D(0))
    gift = check(report, "Gift card liability")
    assert (gift.qbo, gift.shopify, gift.unexplained) == (D("30.00"), D("30.00"), D(0))
    [paypal] = [c for c in report.accounts if c.label == "Clearing: paypal"]
    assert (paypal.compared, paypal.qbo, paypal.shopify) == (False, D("30.00"), D("30.00"))
    assert report.matched, report_lines(report)

    pay_out(sandboxes, shop)
    assert shop_sweep(shop_id=shop.pk).outcomes.get("payout written") == 1
    report = reconcile_shop(shop_id=shop.pk)
    clearing = clearing_of(report)
    assert (clearing.qbo, clearing.shopify) == (D("0.00"), D("0.00"))  # all paid out
    assert report.payouts_found == 1 and report.matched

    place(shop, "25.00", ("shopify_payments", "25.00"))  # charged after the payout: not paid out yet
    shop_sweep(shop_id=shop.pk)
    report = reconcile_shop(shop_id=shop.pk)
    clearing = clearing_of(report)
    assert (clearing.qbo, clearing.shopify, clearing.difference) == (D("25.00"), D("25.00"), D(0))
    assert report.matched
    text = "\n".join(report_lines(report))
    assert "Shopify Payments clearing" in text and "MATCH" in text and "Gift card liability" in text


def test_a_document_deleted_in_quickbooks_is_an_explained_difference_naming_its_order(sold):
    shop = sold
    ctx = context_open(shop.pk)
    record = SyncedRecord.objects.get(shop=shop, source_type="order", source_name="#1001", kind="SalesReceipt")
    receipt = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    qbo.delete(ctx.qb, "SalesReceipt", qbo_id=record.qbo_id, sync_token=receipt["SyncToken"], request_id="by-hand-1")

    clearing = clearing_of(reconcile_shop(shop_id=shop.pk))
    assert (clearing.qbo, clearing.shopify, clearing.difference) == (D("70.00"), D("170.00"), D("-100.00"))
    [why] = clearing.explanations
    assert why.explains and why.amount == D("-100.00") and "#1001" in why.what
    assert "no longer in QuickBooks" in why.what
    assert clearing.unexplained == D(0)


def test_a_document_someone_changed_in_quickbooks_is_named_but_not_explained_away(sold):
    shop = sold
    ctx = context_open(shop.pk)
    record = SyncedRecord.objects.get(shop=shop, source_type="order", source_name="#1001", kind="SalesReceipt")
    receipt = qbo.read(ctx.qb, "SalesReceipt", record.qbo_id)
    [line] = [line for line in receipt["Line"] if line.get("DetailType") == "SalesItemLineDetail"]
    detail = {**line["SalesItemLineDetail"], "UnitPrice": 90, "Qty": 1}
    changed = {**line, "Amount": 90, "SalesItemLineDetail": detail}
    qbo.update(
        ctx.qb,
        "SalesReceipt",
        {"Line": [changed]},
        qbo_id=record.qbo_id,
        sync_token=receipt["SyncToken"],
        request_id="by-hand-4",
    )

    report = reconcile_shop(shop_id=shop.pk)
    clearing = clearing_of(report)
    assert (clearing.qbo, clearing.shopify, clearing.unexplained) == (D("160.00"), D("170.00"), D("-10.00"))
    [why] = clearing.explanations
    assert not why.explains and why.amount == D("-10.00") and "#1001" in why.what
    assert not report.matched


def test_a_failed_write_is_an_explained_difference_naming_its_order(shop):
    # Someone else's sales receipt already has the number ShopQB would give order #1001, so ShopQB
    # writes nothing for it (doc_number_taken) and its money is missing from clearing.
    ctx = context_open(shop.pk)
    bank = ctx.mapping.bank_account
    qbo.create(
        ctx.qb,
        "SalesReceipt",
        {
            "DocNumber": "S1001",
            "DepositToAccountRef": {"value": bank.value},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": ctx.mapping.sales_item.value},
                        "Qty": 1,
                        "UnitPrice": 5,
                    },
                }
            ],
        },
        request_id="by-hand-2",
    )
    place(shop, "60.00", ("shopify_payments", "60.00"))
    place(shop, "15.00", ("shopify_payments", "15.00"))
    shop_sweep(shop_id=shop.pk)
    assert SyncedRecord.objects.get(shop=shop, source_name="#1001", kind="SalesReceipt").status == "failed"

    clearing = clearing_of(reconcile_shop(shop_id=shop.pk))
    assert (clearing.qbo, clearing.shopify, clearing.difference) == (D("15.00"), D("75.00"), D("-60.00"))
    [why] = clearing.explanations
    assert why.explains and why.amount == D("-60.00") and "#1001" in why.what and "failed" in why.what
    assert clearing.unexplained == D(0)


def test_a_journal_entry_someone_else_wrote_to_clearing_is_unexplained(sold):
    shop = sold
    ctx = context_open(shop.pk)
    clearing_account = ctx.mapping.clearing_for("shopify_payments")
    posting = {
        "DetailType": "JournalEntryLineDetail",
        "Amount": 12.5,
    }
    qbo.create(
        ctx.qb,
        "JournalEntry",
        {
            "DocNumber": "ADJ-7",
            "PrivateNote": "Bookkeeper's correction",
            "Line": [
                {
                    **posting,
                    "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": clearing_account.value}},
                },
                {
                    **posting,
                    "JournalEntryLineDetail": {
                        "PostingType": "Credit",
                        "AccountRef": {"value": ctx.mapping.bank_account.value},
                    },
                },
            ],
        },
        request_id="by-hand-3",
    )

    report = reconcile_shop(shop_id=shop.pk)
    clearing = clearing_of(report)
    assert (clearing.qbo, clearing.shopify, clearing.unexplained) == (D("182.50"), D("170.00"), D("12.50"))
    [why] = clearing.explanations
    assert not why.explains and why.amount == D("12.50")
    assert "JournalEntry ADJ-7" in why.what and "not written by ShopQB" in why.what
    assert not report.matched
    as_json = report_as_json(report)
    [shown] = [a for a in as_json["accounts"] if a["label"] == "Shopify Payments clearing"]
    assert (shown["status"], shown["unexplained"]) == ("DIFFERENCE", "12.50")
    assert shown["explanations"][0]["explains"] is False

    with pytest.raises(CommandError) as failed:
        call_command("shopqb", "reconcile", "--shop", shop.domain, stdout=(out := _Out()))
    assert failed.value.returncode == 1
    assert re.search(r"unexplained +12\.50 +JournalEntry ADJ-7", out.text), out.text
    assert out.text.rstrip().endswith("MISMATCH")


class _Out:
    """Collects what the command writes."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_without_access_to_gift_cards_the_liability_is_shown_not_compared(sold, sandboxes):
    shop = sold
    emulator = sandboxes.shopify
    with emulator.store.lock:
        # The app's own scopes without read_gift_cards.
        without_gift_cards = [scope for scope in settings.SHOPIFY_SCOPES if scope != "read_gift_cards"]
        limited = emulator.issue_offline(
            emulator.store.shops[shop.domain], ",".join(without_gift_cards), expiring=False
        )
    shop.access_token = limited["access_token"]
    shop.save()

    report = reconcile_shop(shop_id=shop.pk)
    gift = check(report, "Gift card liability")
    assert (gift.compared, gift.qbo, gift.shopify) == (False, D("30.00"), None)
    assert "read_gift_cards" in gift.note
    assert report.matched  # shown, not a difference by itself
