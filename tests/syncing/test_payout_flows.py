"""Shopify Payments payouts in the books, proved by account balances read back from QuickBooks.

Orders are placed and refunded through the Admin API and synced; disputes, a reserve, a Shopify
Capital advance, duties and an adjustment are made in the Shopify sandbox, which then pays out.
After the payout sync the Shopify Payments clearing account must net to zero, every other account
hold exactly what the balance transactions put there, each Deposit equal the payout, and a second
sync change nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from accounts.clients import shopify_client
from sandbox.shopify import payouts as sandbox_payouts
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.payouts import parse_payout
from syncing import ledger, payouts
from syncing.context import context_open
from syncing.models import SyncedRecord, SyncIssue
from syncing.runs import shop_sweep
from tests.sandboxes import Store
from tests.syncing.test_engine import refund

D = Decimal

ROLES = ("chargebacks", "payout_reserve", "capital_loan", "duties")


def balances(shop) -> dict[str, Decimal]:
    """Every account's CurrentBalance, by id, as QuickBooks shows it (credit-normal accounts positive
    for a credit balance)."""
    ctx = context_open(shop.pk)
    return {a["Id"]: D(str(a["CurrentBalance"])) for a in qbo.query_all(ctx.qb, "select * from Account", "Account")}


def moved(before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: after[key] - before.get(key, D(0)) for key in after if after[key] != before.get(key, D(0))}


def emulated(sandboxes, shop):
    emulator = sandboxes.shopify
    return emulator.store, emulator.store.shops[shop.domain]


def sandbox_order(shop_data, placed: dict):
    return shop_data.orders[int(placed["id"].rsplit("/", 1)[-1])]


@pytest.fixture
def accounts(shop):
    """The accounts a payout books to, by role, as the shop's setup mapped them."""
    mapping = context_open(shop.pk).mapping
    missing = [role for role in ROLES if role not in mapping.accounts]
    assert not missing, f"the test shop's setup maps no account for {missing}"
    return {
        "clearing": mapping.clearing_for("shopify_payments").value,
        "fees": mapping.fees_account.value,
        "bank": mapping.bank_account.value,
        **{role: mapping.accounts[role].value for role in ROLES},
    }


def test_every_balance_transaction_lands_on_its_own_account_and_clearing_nets_to_zero(
    shop, sandboxes, accounts, monkeypatch
):
    monkeypatch.setattr(payouts, "TRANSACTIONS_PAGE", 3)  # its 13 balance transactions come in 5 pages

    store_api = Store(shop)
    a = store_api.order(lines=[("A", 1, "100.00")])
    b = store_api.order(lines=[("B", 1, "40.00")])
    c = store_api.order(lines=[("C", 1, "60.00")])
    d = store_api.order(lines=[("D", 1, "30.00")])
    refund(store_api.client, b, quantity=1, amount="10.00")
    assert shop_sweep(shop_id=shop.pk).outcomes == {"written": 4}  # four sales, one with its refund
    before = balances(shop)
    store, data = emulated(sandboxes, shop)
    with store.lock:
        sandbox_payouts.charge_refund_fee(store, data, sandbox_order(data, b), D("0.50"))
        sandbox_payouts.open_dispute(store, data, sandbox_order(data, c))
        won = sandbox_payouts.open_dispute(store, data, sandbox_order(data, d))
        sandbox_payouts.win_dispute(store, data, won)
        sandbox_payouts.hold_reserve(store, data, D("50.00"))
        sandbox_payouts.pay_advance(store, data, D("500.00"))
        sandbox_payouts.repay_advance(store, data, D("25.00"))
        sandbox_payouts.charge_duties(store, data, sandbox_order(data, a), D("7.50"))
        sandbox_payouts.add_adjustment(store, data, D("1.20"), "Processing fee returned")
        today = store.now().astimezone(ZoneInfo(data.config.timezone)).date()
        [first] = sandbox_payouts.run_payouts(store, data, through=today)

    # Charges 230 less fees 7.87 (2.9% + 0.30 each), the refund 10 and its fee 0.50, dispute C lost
    # (60 + fee 15), dispute D withdrawn (30 + 15) and won back (30 + 15), reserve 50 held, advance
    # 500 in and 25 repaid, duties 7.50, an adjustment of 1.20 back.
    assert first.transaction_type == "DEPOSIT" and first.net == D("555.33")
    assert shop_sweep(shop_id=shop.pk).outcomes.get("payout written") == 1
    record = SyncedRecord.objects.get(shop=shop, source_type="payout")
    deposit = qbo.read(context_open(shop.pk).qb, "Deposit", record.qbo_id)
    assert record.kind == "Deposit" and D(str(deposit["TotalAmt"])) == D("555.33")
    after_first = balances(shop)
    assert moved(before, after_first) == {
        accounts["bank"]: D("555.33"),
        accounts["clearing"]: D("-220.00"),  # 230 charged less 10 refunded: all of it paid out
        accounts["fees"]: D("7.17"),  # 7.87 + 0.50 on the refund - 1.20 returned
        accounts["chargebacks"]: D("75.00"),  # C lost with its fee; D withdrawn and returned
        accounts["payout_reserve"]: D("50.00"),
        accounts["capital_loan"]: D("475.00"),
        accounts["duties"]: D("-7.50"),  # paid to customs: the order's own duties line credits it
    }
    assert after_first[accounts["clearing"]] == D("0.00")

    # The next day: order A disputed and lost (100 + 15), the reserve released, 25 repaid. Net
    # -90: Shopify takes it from the bank.
    with store.lock:
        tomorrow = store.now() + timedelta(days=1)
        sandbox_payouts.open_dispute(store, data, sandbox_order(data, a), when=tomorrow)
        sandbox_payouts.release_reserve(store, data, D("50.00"), when=tomorrow)
        sandbox_payouts.repay_advance(store, data, D("25.00"), when=tomorrow)
        [withdrawal] = sandbox_payouts.run_payouts(store, data, through=today + timedelta(days=1))
    assert withdrawal.transaction_type == "WITHDRAWAL" and withdrawal.net == D("90.00")
    assert shop_sweep(shop_id=shop.pk).outcomes.get("payout written") == 1
    journal = SyncedRecord.objects.get(shop=shop, source_type="payout", source_id__endswith=f"/{withdrawal.id}")
    assert journal.kind == "JournalEntry"
    entry = qbo.read(context_open(shop.pk).qb, "JournalEntry", journal.qbo_id)
    [bank_line] = [
        line for line in entry["Line"] if line["JournalEntryLineDetail"]["AccountRef"]["value"] == accounts["bank"]
    ]
    assert bank_line["JournalEntryLineDetail"]["PostingType"] == "Credit" and D(str(bank_line["Amount"])) == D("90")
    after_second = balances(shop)
    assert moved(after_first, after_second) == {
        accounts["bank"]: D("-90.00"),
        accounts["chargebacks"]: D("115.00"),
        accounts["payout_reserve"]: D("-50.00"),
        accounts["capital_loan"]: D("-25.00"),
    }
    assert after_second[accounts["clearing"]] == D("0.00")

    again = shop_sweep(shop_id=shop.pk)
    assert again.outcomes.get("payout unchanged") == 2 and "payout written" not in again.outcomes
    assert balances(shop) == after_second
    # Booked under another mapping version: read again, recomputed, and still the same documents.
    version = context_open(shop.pk).mapping.version
    SyncedRecord.objects.filter(shop=shop, source_type="payout").update(mapping_version=version + 1)
    with mock.patch.object(qbo, "update", side_effect=AssertionError("nothing to update")):
        assert shop_sweep(shop_id=shop.pk).outcomes.get("payout unchanged") == 2
    assert balances(shop) == after_second
    assert set(
        SyncedRecord.objects.filter(shop=shop, source_type="payout").values_list("mapping_version", flat=True)
    ) == {version}
    assert not SyncIssue.objects.filter(shop=shop, source_type="payout").exists()


def test_seeded_payout_cases_book_without_an_issue_and_leave_clearing_at_zero(shop, sandboxes, accounts):
    store_api = Store(shop)
    for price in ("80.00", "45.00", "25.00"):
        store_api.order(lines=[("X", 1, price)])
    assert shop_sweep(shop_id=shop.pk).outcomes.get("written") == 3
    store, data = emulated(sandboxes, shop)
    made = sandbox_payouts.seed_payout_cases(store, data)
    assert [p.transaction_type for p in made][-1] == "WITHDRAWAL"
    # The orders were placed today: their charges go out in today's payout.
    today = store.now().astimezone(ZoneInfo(data.config.timezone)).date()
    made += sandbox_payouts.run_payouts(store, data, through=today)
    before = balances(shop)
    shop_sweep(shop_id=shop.pk)
    records = SyncedRecord.objects.filter(shop=shop, source_type="payout")
    assert sorted(r.kind for r in records) == sorted(
        "JournalEntry" if p.transaction_type == "WITHDRAWAL" else "Deposit" for p in made
    )
    assert all(r.status == SyncedRecord.Status.SYNCED for r in records)
    # What the app reads adds up three ways: the transactions, the summary and the payout's net.
    for paid in payouts.paid_payouts(shopify_client(shop)):
        assert sum(t.net for t in paid.transactions) == paid.gross - paid.fees == paid.signed_net
        disputes = [t for t in paid.transactions if t.type.startswith("DISPUTE")]
        assert paid.summary["adjustmentsGross"] == sum((t.amount for t in disputes), D(0)) + sum(
            (t.amount for t in paid.transactions if t.type in ("ADJUSTMENT", "CUSTOMS_DUTY", "IMPORT_TAX")), D(0)
        )
        assert paid.summary["adjustmentsFee"] == sum((t.fee for t in disputes), D(0))
    after = balances(shop)
    assert after[accounts["clearing"]] == D("0.00")
    signed = sum((p.net if p.transaction_type == "DEPOSIT" else -p.net for p in made), D(0))
    assert after[accounts["bank"]] - before[accounts["bank"]] == signed
    # Two disputes lost (25 + 15 and 80 + 15; the one on 45 won), advance 500 less two repayments.
    assert moved(before, after)[accounts["chargebacks"]] == D("135.00")
    assert moved(before, after)[accounts["capital_loan"]] == D("450.00")
    assert accounts["payout_reserve"] not in moved(before, after)


# ---- the ledger alone -----------------------------------------------------------------------------


def mapping(**accounts) -> ledger.Mapping:
    ref = ledger.Ref
    return ledger.Mapping(
        sales_item=ref("1"),
        shipping_item=ref("2"),
        discount_item=ref("3"),
        tip_item=ref("4"),
        gift_card_item=ref("5"),
        rounding_item=ref("6"),
        customer=ref("7"),
        clearing_accounts={"shopify_payments": ref("10", "Shopify Payments clearing")},
        default_clearing=ref("11"),
        bank_account=ref("20", "Bank"),
        fees_account=ref("30", "Fees"),
        accounts={role: ref(value) for role, value in accounts.items()},
        timezone="America/New_York",
    )


def payout(*transactions: tuple[str, str, str], net: str, kind: str = "DEPOSIT"):
    return parse_payout(
        {
            "id": "gid://shopify/ShopifyPaymentsPayout/9",
            "legacyResourceId": "9",
            "issuedAt": "2026-03-02T05:00:00Z",
            "status": "PAID",
            "transactionType": kind,
            "net": {"amount": net, "currencyCode": "USD"},
        },
        [
            {
                "id": f"gid://shopify/ShopifyPaymentsBalanceTransaction/{n}",
                "type": type_,
                "transactionDate": "2026-03-01T15:00:00Z",
                "amount": {"amount": amount, "currencyCode": "USD"},
                "fee": {"amount": fee, "currencyCode": "USD"},
                "net": {"amount": str(D(amount) - D(fee)), "currencyCode": "USD"},
                "adjustmentReason": "Fee returned" if type_ == "ADJUSTMENT" else None,
            }
            for n, (type_, amount, fee) in enumerate(transactions, start=1)
        ],
    )


def postings(document: ledger.Document) -> dict[tuple[str, str], Decimal]:
    return {(line.item.value, line.description): line.amount for line in document.lines}


def test_a_deposit_takes_each_type_from_its_own_account():
    doc = ledger.payout_deposit(
        payout(
            ("CHARGE", "100.00", "3.20"),
            ("REFUND", "-10.00", "0.50"),
            ("DISPUTE_WITHDRAWAL", "-60.00", "15.00"),
            ("RESERVED_FUNDS", "-50.00", "0.00"),
            ("ADVANCE", "500.00", "0.00"),
            ("IMPORT_TAX", "-3.20", "0.00"),
            ("ADJUSTMENT", "1.20", "0.00"),
            net="459.30",
        ),
        mapping(chargebacks="40", payout_reserve="41", capital_loan="42", duties="43"),
    )
    assert doc.entity == "Deposit" and doc.total == doc.lines_total == D("459.30")
    assert postings(doc) == {
        ("10", "Shopify Payments charges"): D("100.00"),
        ("30", "Shopify Payments charges, fees"): D("-3.20"),
        ("10", "Shopify Payments refunds"): D("-10.00"),
        ("30", "Shopify Payments refunds, fees"): D("-0.50"),
        ("40", "Disputed charges withdrawn"): D("-60.00"),
        ("40", "Disputed charges withdrawn, fees"): D("-15.00"),
        ("41", "Payout reserve held"): D("-50.00"),
        ("42", "Shopify Capital"): D("500.00"),
        ("43", "Import taxes paid"): D("-3.20"),
        ("30", "Shopify Payments adjustment: Fee returned"): D("1.20"),
    }
    assert doc.doc_number == "P9" and doc.txn_date == date(2026, 3, 2)  # issued 00:00 in New York
    body = doc.as_qbo(mapping())
    assert body["DepositToAccountRef"] == {"value": "20", "name": "Bank"}
    assert sum(line["Amount"] for line in body["Line"]) == doc.total


def test_a_withdrawal_is_a_balanced_journal_entry_crediting_the_bank():
    doc = ledger.payout_deposit(
        payout(
            ("DISPUTE_WITHDRAWAL", "-100.00", "15.00"),
            ("RESERVED_FUNDS_REVERSAL", "50.00", "0.00"),
            ("ADVANCE_FUNDING", "-25.00", "0.00"),
            net="90.00",
            kind="WITHDRAWAL",
        ),
        mapping(chargebacks="40", payout_reserve="41", capital_loan="42"),
    )
    assert doc.entity == "JournalEntry" and doc.lines_total == 0
    assert postings(doc) == {
        ("40", "Disputed charges withdrawn"): D("100.00"),
        ("40", "Disputed charges withdrawn, fees"): D("15.00"),
        ("41", "Payout reserve released"): D("-50.00"),
        ("42", "Shopify Capital repayments"): D("25.00"),
        ("20", "Shopify Payments withdrawal 9"): D("-90.00"),
    }
    assert doc.total == D("140.00")  # the debits, as QuickBooks totals a journal entry
    lines = doc.as_qbo(mapping())["Line"]
    assert [(line["JournalEntryLineDetail"]["PostingType"], line["Amount"]) for line in lines][-1] == (
        "Credit",
        D("90.00"),
    )


def test_a_payout_is_refused_rather_than_lumped():
    with pytest.raises(ledger.LedgerError) as unmapped:
        ledger.payout_deposit(payout(("RESERVED_FUNDS", "-50.00", "0.00"), net="-50.00", kind="WITHDRAWAL"), mapping())
    assert unmapped.value.code == "money_account_unmapped" and "payout reserve" in str(unmapped.value)
    with pytest.raises(ledger.LedgerError) as unknown:
        ledger.payout_deposit(payout(("SHOP_CASH_CREDIT", "5.00", "0.00"), net="5.00"), mapping())
    assert unknown.value.code == "payout_type_unknown" and "SHOP_CASH_CREDIT" in str(unknown.value)
    with pytest.raises(ledger.LedgerError) as short:
        ledger.payout_deposit(payout(("CHARGE", "10.00", "0.59"), net="12.00"), mapping())
    assert short.value.code == "payout_mismatch"
    with pytest.raises(ledger.LedgerError) as no_accounts:
        ledger.payout_deposit(payout(net="0.00"), replace(mapping(), fees_account=None))
    assert no_accounts.value.code == "payout_accounts_unmapped"
