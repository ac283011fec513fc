"""Split tenders, gift cards, store credit, partial payments and cancellations, proven by the
balances QuickBooks ends with (the sandbox's general ledger), not only by document totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.books import Books
from tests.syncing.factories import bag, order_node

D = Decimal
SP, PAYPAL, GC_CLEAR = "Shopify Payments Clearing", "PayPal Clearing", "Gift Card Clearing"
GC_LIABILITY, SC_LIABILITY = "Gift Card Liability", "Store Credit Liability"
SALES, DISCOUNTS = "Shopify Sales", "Shopify Discounts Given"
AR = "Accounts Receivable (A/R)"
_ids = iter(range(10_000, 99_999))


def txn(gateway: str, amount: str, *, kind: str = "SALE", when: str = "2026-03-02T15:00:00Z") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/OrderTransaction/{next(_ids)}",
        "kind": kind,
        "gateway": gateway,
        "status": "SUCCESS",
        "test": False,
        "processedAt": when,
        "amountSet": bag(amount),
        "fees": [],
    }


def refund(node: dict[str, Any], paid_back: list[tuple[str, str]], *, line: int = 0, when: str) -> dict[str, Any]:
    """A refund of one unit of the order's ``line``, paid back over ``paid_back`` (gateway, amount)."""
    item = node["lineItems"]["nodes"][line]
    total = sum((D(amount) for _, amount in paid_back), D(0))
    node["refunds"].append(
        {
            "id": f"gid://shopify/Refund/{next(_ids)}",
            "createdAt": when,
            "totalRefundedSet": bag(total),
            "refundLineItems": {
                "nodes": [
                    {
                        "quantity": 1,
                        "restockType": "NO_RESTOCK",
                        "lineItem": {"id": item["id"], "sku": item["sku"]},
                        "subtotalSet": bag(total),
                        "totalTaxSet": bag("0"),
                    }
                ]
            },
            "refundShippingLines": {"nodes": []},
            "transactions": {
                "nodes": [txn(gateway, amount, kind="REFUND", when=when) for gateway, amount in paid_back]
            },
        }
    )
    return node


def book(books: Books, node: dict[str, Any], booked: frozenset[str] = frozenset()) -> list[ledger.Document]:
    order = parse_order(node)
    documents = ledger.order_documents(order, books.mapping, booked)
    documents += ledger.refund_receipts(order, books.mapping) + ledger.refund_tender_entries(order, books.mapping)
    books.post(documents)
    return documents


def gift_card_sold(books: Books, amount: str) -> None:
    """A gift card bought by card: money in Shopify Payments' clearing, the card a liability."""
    node = order_node(lines=[("GC", 1, amount, "0")], order_id=next(_ids))
    node["lineItems"]["nodes"][0]["isGiftCard"] = True
    node["lineItems"]["nodes"][0]["taxable"] = False
    book(books, node)


def test_card_and_gift_card_each_land_where_their_money_is():
    books = Books()
    gift_card_sold(books, "40.00")
    assert books.balances(SP, GC_LIABILITY) == {SP: D("40.00"), GC_LIABILITY: D("40.00")}

    node = order_node(
        lines=[("SKU-1", 1, "100.00", "0")],
        transactions=[txn("shopify_payments", "60.00"), txn("gift_card", "40.00")],
        order_id=next(_ids),
    )
    documents = book(books, node)

    assert [d.entity for d in documents] == ["SalesReceipt", "JournalEntry"]
    receipt, _entry = documents
    assert receipt.total == D("100.00") and receipt.deposit_to == books.refs[SP]
    # The redemption is not new money: it spends the liability the card's sale created.
    assert books.balances(SP, GC_LIABILITY, GC_CLEAR, SALES) == {
        SP: D("100.00"),
        GC_LIABILITY: D("0.00"),
        GC_CLEAR: D("0.00"),
        SALES: D("140.00") - D("40.00"),
    }
    assert books.balanced()


def test_two_gateways_each_clear_their_own_share():
    books = Books()
    node = order_node(
        lines=[("SKU-1", 2, "50.00", "0")],
        transactions=[txn("paypal", "30.00"), txn("shopify_payments", "70.00")],
        order_id=next(_ids),
    )
    book(books, node)
    assert books.balances(SP, PAYPAL) == {SP: D("70.00"), PAYPAL: D("30.00")}
    assert books.balanced()


def test_an_order_paid_wholly_by_gift_card_leaves_its_clearing_account_at_zero():
    books = Books()
    gift_card_sold(books, "25.00")
    node = order_node(lines=[("SKU-1", 1, "25.00", "0")], transactions=[txn("gift_card", "25.00")], order_id=next(_ids))
    documents = book(books, node)
    assert documents[0].deposit_to == books.refs[GC_CLEAR]
    assert books.balances(GC_CLEAR, GC_LIABILITY) == {GC_CLEAR: D("0.00"), GC_LIABILITY: D("0.00")}


def test_store_credit_spent_reduces_its_liability_and_a_refund_to_it_credits_it_again():
    books = Books()
    node = order_node(
        lines=[("SKU-1", 1, "30.00", "0"), ("SKU-2", 1, "20.00", "0")],
        transactions=[txn("shopify_payments", "50.00")],
        order_id=next(_ids),
    )
    # Returned and paid back as store credit: the merchant now owes 20.00 of credit.
    refund(node, [("shopify_store_credit", "20.00")], line=1, when="2026-03-04T10:00:00Z")
    book(books, node)
    assert books.balances(SP, SC_LIABILITY, SALES) == {SP: D("50.00"), SC_LIABILITY: D("20.00"), SALES: D("30.00")}

    spent = order_node(
        lines=[("SKU-3", 1, "35.00", "0")],
        transactions=[txn("shopify_store_credit", "20.00"), txn("shopify_payments", "15.00")],
        order_id=next(_ids),
    )
    book(books, spent)
    assert books.balances(SP, SC_LIABILITY, SALES) == {SP: D("65.00"), SC_LIABILITY: D("0.00"), SALES: D("65.00")}
    assert books.balanced()


def test_a_refund_split_over_card_and_gift_card_returns_each_share():
    books = Books()
    gift_card_sold(books, "40.00")
    node = order_node(
        lines=[("SKU-1", 1, "100.00", "0")],
        transactions=[txn("shopify_payments", "60.00"), txn("gift_card", "40.00")],
        order_id=next(_ids),
    )
    refund(node, [("shopify_payments", "60.00"), ("gift_card", "40.00")], when="2026-03-05T10:00:00Z")
    documents = book(books, node)

    entities = [(d.entity, d.source_type) for d in documents]
    assert entities == [
        ("SalesReceipt", "order"),
        ("JournalEntry", "order"),
        ("RefundReceipt", "refund"),
        ("JournalEntry", "refund"),
    ]
    # Everything went back where it came from: the card's money and the gift card's balance.
    assert books.balances(SP, GC_LIABILITY, GC_CLEAR, SALES) == {
        SP: D("40.00"),  # the gift card's sale, still to be paid out
        GC_LIABILITY: D("40.00"),
        GC_CLEAR: D("0.00"),
        SALES: D("0.00"),
    }
    assert books.balanced()


def test_an_invoice_paid_in_two_payments_books_each_on_its_day_and_gateway():
    books = Books()
    node = order_node(
        lines=[("SKU-1", 1, "90.00", "0")],
        status="PARTIALLY_PAID",
        transactions=[txn("paypal", "30.00", when="2026-03-02T15:00:00Z")],
        order_id=next(_ids),
    )
    first = book(books, node)
    assert [d.entity for d in first] == ["Invoice", "Payment"]
    assert books.balances(AR, PAYPAL) == {AR: D("60.00"), PAYPAL: D("30.00")}

    node["displayFinancialStatus"] = "PAID"
    node["transactions"].append(txn("shopify_payments", "60.00", when="2026-03-09T18:00:00Z"))
    second = book(books, node, booked=frozenset({"Invoice"}))
    payments = [d for d in second if d.entity == "Payment"]
    assert [(p.total, p.txn_date.isoformat(), p.deposit_to.name) for p in payments] == [
        (D("30.00"), "2026-03-02", PAYPAL),
        (D("60.00"), "2026-03-09", SP),
    ]
    assert payments[0].doc_number != payments[1].doc_number
    assert books.balances(AR, PAYPAL, SP, SALES) == {
        AR: D("0.00"),
        PAYPAL: D("30.00"),
        SP: D("60.00"),
        SALES: D("90.00"),
    }
    # Booking the same order again writes nothing new.
    assert books.post(ledger.order_documents(parse_order(node), books.mapping, frozenset({"Invoice"}))) == []


def test_a_gift_card_payment_on_an_invoice_reduces_the_liability():
    books = Books()
    gift_card_sold(books, "20.00")
    node = order_node(
        lines=[("SKU-1", 1, "50.00", "0")],
        status="PAID",
        transactions=[txn("gift_card", "20.00"), txn("shopify_payments", "30.00", when="2026-03-03T15:00:00Z")],
        order_id=next(_ids),
    )
    documents = book(books, node, booked=frozenset({"Invoice"}))
    assert [d.entity for d in documents] == ["Invoice", "Payment", "JournalEntry", "Payment"]
    assert books.balances(AR, GC_CLEAR, GC_LIABILITY, SP) == {
        AR: D("0.00"),
        GC_CLEAR: D("0.00"),
        GC_LIABILITY: D("0.00"),
        SP: D("50.00"),
    }


def test_an_invoice_booked_with_one_payment_before_keeps_it():
    """Invoices whose payment was booked as one Payment (before payments were per transaction) are
    never paid twice."""
    books = Books()
    node = order_node(
        lines=[("SKU-1", 1, "40.00", "0")],
        status="PAID",
        transactions=[txn("shopify_payments", "10.00"), txn("shopify_payments", "30.00")],
        order_id=next(_ids),
    )
    documents = ledger.order_documents(parse_order(node), books.mapping, frozenset({"Invoice", "Payment"}))
    assert [(d.entity, d.source_type, d.total) for d in documents] == [
        ("Invoice", "order", D("40.00")),
        ("Payment", "order", D("40.00")),
    ]


def test_a_cancelled_paid_order_keeps_its_sale_and_books_the_refund_on_its_own_day():
    books = Books()
    node = order_node(lines=[("SKU-1", 1, "80.00", "0")], order_id=next(_ids), processed_at="2026-03-30T15:00:00Z")
    node["cancelledAt"] = "2026-04-02T09:00:00Z"
    node["displayFinancialStatus"] = "REFUNDED"
    refund(node, [("shopify_payments", "80.00")], when="2026-04-02T09:00:00Z")
    documents = book(books, node)

    assert [(d.entity, d.txn_date.isoformat()) for d in documents] == [
        ("SalesReceipt", "2026-03-30"),
        ("RefundReceipt", "2026-04-02"),
    ]
    assert books.balances(SALES, SP) == {SALES: D("0.00"), SP: D("0.00")}


def test_a_cancelled_order_that_kept_the_money_stays_a_sale():
    books = Books()
    node = order_node(lines=[("SKU-1", 1, "80.00", "0")], order_id=next(_ids))
    node["cancelledAt"] = "2026-04-02T09:00:00Z"
    documents = book(books, node)
    assert [d.entity for d in documents] == ["SalesReceipt"]
    assert books.balance(SALES) == D("80.00")


def test_a_cancelled_unpaid_invoice_is_credited_on_the_day_it_was_cancelled():
    books = Books()
    node = order_node(
        lines=[("SKU-1", 1, "70.00", "0")],
        status="PENDING",
        transactions=[],
        order_id=next(_ids),
        processed_at="2026-03-28T15:00:00Z",
    )
    book(books, node)
    assert books.balance(AR) == D("70.00")

    node["cancelledAt"] = "2026-04-03T09:00:00Z"
    node["displayFinancialStatus"] = "VOIDED"
    documents = book(books, node, booked=frozenset({"Invoice"}))
    credit = documents[-1]
    assert (credit.entity, credit.txn_date.isoformat(), credit.total) == ("CreditMemo", "2026-04-03", D("70.00"))
    assert books.balances(AR, SALES) == {AR: D("0.00"), SALES: D("0.00")}


def test_a_cancelled_part_paid_invoice_is_refused_for_the_merchant():
    books = Books()
    node = order_node(
        lines=[("SKU-1", 1, "70.00", "0")], status="PARTIALLY_PAID", transactions=[txn("paypal", "20.00")], order_id=1
    )
    node["cancelledAt"] = "2026-04-03T09:00:00Z"
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.order_documents(parse_order(node), books.mapping, frozenset({"Invoice"}))
    assert refused.value.code == "cancelled_partly_paid"


def test_a_tender_without_its_liability_mapped_is_refused_not_parked():
    books = Books()
    unmapped = dict(books.mapping.accounts)
    del unmapped["store_credit_liability"]
    m = ledger.Mapping(**{**books.mapping.__dict__, "accounts": unmapped})
    node = order_node(
        lines=[("SKU-1", 1, "10.00", "0")],
        transactions=[txn("shopify_payments", "5.00"), txn("shopify_store_credit", "5.00")],
        order_id=next(_ids),
    )
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.order_documents(parse_order(node), m)
    assert refused.value.code == "money_account_unmapped" and "store credit" in str(refused.value)
