"""The accounting core, held to its invariants: exact totals, explicit rounding, no floats."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.factories import bag, mapping, order_node


def receipt(**kwargs):
    return ledger.sales_receipt(parse_order(order_node(**kwargs)), mapping())


def test_paid_order_becomes_a_sales_receipt_that_totals_what_shopify_says():
    doc = receipt(
        lines=[("MUG", 2, "12.50", "2.50"), ("TEE", 1, "20.00", "0.00")],
        shipping="5.00",
        tax="3.19",
    )
    assert doc.entity == "SalesReceipt"
    assert doc.total == Decimal("50.69")
    assert [(line.role, line.amount) for line in doc.lines] == [
        ("product", Decimal("25.00")),
        ("product", Decimal("20.00")),
        ("shipping", Decimal("5.00")),
        ("discount", Decimal("-2.50")),
    ]
    assert doc.lines_total + doc.total_tax == doc.total
    assert not doc.flagged
    body = doc.as_qbo(mapping())
    assert body["DepositToAccountRef"] == {"value": "20", "name": "Shopify Payments Clearing"}
    assert body["TxnTaxDetail"] == {"TotalTax": Decimal("3.19")}
    assert body["DocNumber"] == "S1001"
    for line in body["Line"]:
        detail = line["SalesItemLineDetail"]
        assert detail["Qty"] * detail["UnitPrice"] == line["Amount"]


def test_txn_date_is_the_processed_date_in_the_shops_time_zone():
    # 02:30 UTC on 1 March is still 28 February in New York.
    doc = receipt(processed_at="2026-03-01T02:30:00Z")
    assert doc.txn_date == date(2026, 2, 28)


def test_gateway_picks_the_clearing_account():
    assert receipt(gateway="paypal").deposit_to.value == "21"
    assert receipt(gateway="Cash on Delivery (COD)").deposit_to.value == "23"


def test_shipping_discounts_and_tips_are_their_own_lines():
    doc = receipt(lines=[("A", 1, "30.00", "0.00")], shipping="8.00", shipping_discount="8.00", tip="4.00")
    roles = {line.role: line.amount for line in doc.lines}
    assert roles == {
        "product": Decimal("30.00"),
        "shipping": Decimal("8.00"),
        "discount": Decimal("-8.00"),
        "tip": Decimal("4.00"),
    }
    assert doc.total == Decimal("34.00")


def test_a_cent_of_difference_becomes_a_flagged_rounding_line():
    doc = receipt(lines=[("A", 3, "3.33", "0.00")], total="10.00")
    assert doc.flagged
    assert doc.rounding == Decimal("0.01")
    assert doc.lines[-1].role == "rounding"
    assert doc.lines_total + doc.total_tax == doc.total


def test_a_large_difference_is_refused_not_absorbed():
    with pytest.raises(ledger.LedgerError) as exc:
        receipt(lines=[("A", 1, "10.00", "0.00")], total="12.00")
    assert exc.value.code == "total_mismatch"


def documents(booked=frozenset(), **kwargs):
    return ledger.order_documents(parse_order(order_node(**kwargs)), mapping(), booked)


def test_an_unpaid_order_is_an_invoice_and_its_payment_follows_when_money_comes_in():
    pending = documents(status="PENDING", transactions=[], lines=[("A", 2, "10.00", "0.00")], tax="1.60")
    assert [d.entity for d in pending] == ["Invoice"]
    assert pending[0].total == Decimal("21.60")
    assert "DepositToAccountRef" not in pending[0].as_qbo(mapping())

    capture = {
        "id": "gid://shopify/OrderTransaction/9",
        "kind": "CAPTURE",
        "gateway": "shopify_payments",
        "status": "SUCCESS",
        "test": False,
        "processedAt": "2026-03-05T18:00:00Z",
        "amountSet": bag("21.60"),
        "fees": [],
    }
    paid = documents(
        booked=frozenset({"Invoice"}),
        status="PAID",
        transactions=[capture],
        lines=[("A", 2, "10.00", "0.00")],
        tax="1.60",
    )
    assert [d.entity for d in paid] == ["Invoice", "Payment"]
    payment = paid[1]
    assert payment.total == Decimal("21.60")
    assert payment.txn_date == date(2026, 3, 5)
    body = payment.as_qbo(mapping(), linked_id="77")
    assert body["Line"] == [{"Amount": Decimal("21.60"), "LinkedTxn": [{"TxnId": "77", "TxnType": "Invoice"}]}]
    assert body["DepositToAccountRef"]["value"] == "20"


def test_an_order_paid_when_first_seen_stays_a_sales_receipt():
    assert [d.entity for d in documents(booked=frozenset({"SalesReceipt"}), status="PARTIALLY_REFUNDED")] == [
        "SalesReceipt"
    ]


def test_a_voided_authorization_books_nothing_and_unknown_statuses_are_refused():
    assert documents(status="VOIDED", transactions=[]) == []
    with pytest.raises(ledger.LedgerError) as exc:
        documents(status="SOMETHING_NEW")
    assert exc.value.code == "unsupported_financial_status"


def test_tax_inclusive_prices_are_booked_net_with_the_tax_on_top():
    # 3 x 14.25 VAT-inclusive, 7.13 of it VAT; 29.90 with 4.98 VAT.
    doc = receipt(
        lines=[("MUG", 3, "14.25", "0.00"), ("COFFEE", 1, "29.90", "0.00")],
        line_tax=["7.13", "4.98"],
        tax="12.11",
        taxes_included=True,
    )
    assert doc.total == Decimal("72.65")
    assert [line.amount for line in doc.lines] == [Decimal("35.62"), Decimal("24.92")]
    assert doc.total_tax == Decimal("12.11")
    assert doc.lines_total + doc.total_tax == doc.total
    mug = doc.lines[0]
    assert ledger.cents(mug.qty * mug.unit_price) == mug.amount
    assert all(line.taxable for line in doc.lines)


def test_tax_inclusive_without_line_tax_is_refused():
    # Shopify puts an order's tax on its lines (tax given on the order is split across them); an
    # order read without any is refused rather than having its net revenue guessed.
    node = order_node(lines=[("A", 1, "12.00", "0.00")], tax="2.00", taxes_included=True)
    for item in node["lineItems"]["nodes"]:
        item["taxLines"] = []
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(parse_order(node), mapping())
    assert exc.value.code == "tax_inclusive_without_line_tax"


def test_a_tip_booked_as_a_line_item_is_counted_once():
    doc = receipt(lines=[("A", 1, "42.00", "0.00")], tip="2.50", tip_as_line=True, tax="3.73")
    assert doc.total == Decimal("48.23")
    assert [(line.role, line.amount) for line in doc.lines] == [("product", Decimal("42.00")), ("tip", Decimal("2.50"))]


def test_doc_numbers_fit_qbo():
    assert ledger.doc_number("S", "#1001") == "S1001"
    assert len(ledger.doc_number("SHOPQB", "#" + "9" * 30)) == 21


def test_content_hash_changes_with_the_content_only():
    a = receipt(lines=[("A", 1, "10.00", "0.00")])
    b = receipt(lines=[("A", 1, "10.00", "0.00")])
    c = receipt(lines=[("A", 2, "10.00", "0.00")])
    assert a.content_hash(mapping()) == b.content_hash(mapping()) != c.content_hash(mapping())


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
line_strategy = st.tuples(st.sampled_from(["A", "B", "C", ""]), st.integers(1, 7), prices, st.integers(0, 100))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=8),
    shipping=st.decimals(min_value=0, max_value=50, places=2),
    tax=st.decimals(min_value=0, max_value=200, places=2),
    tip=st.decimals(min_value=0, max_value=20, places=2),
    nudge=st.sampled_from([Decimal("0.00"), Decimal("0.01"), Decimal("-0.01")]),
)
def test_every_receipt_totals_exactly_with_at_most_an_explicit_rounding_line(lines, shipping, tax, tip, nudge):
    shaped = []
    for sku, qty, price, pct in lines:
        discount = (price * qty * pct / 100).quantize(Decimal("0.01"))
        shaped.append((sku, qty, str(price), str(discount)))
    node = order_node(lines=shaped, shipping=str(shipping), tax=str(tax), tip=str(tip))
    total = Decimal(node["totalPriceSet"]["shopMoney"]["amount"]) + nudge
    node["totalPriceSet"] = {"shopMoney": {"amount": str(total), "currencyCode": "USD"}}
    doc = ledger.sales_receipt(parse_order(node), mapping())
    assert doc.total == total
    assert doc.lines_total + doc.total_tax == total
    assert doc.rounding == nudge
    for line in doc.lines:
        assert isinstance(line.amount, Decimal)
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        assert ledger.cents(line.qty * line.unit_price) == line.amount


def test_a_company_outside_the_us_is_refused_until_its_tax_codes_are_mapped():
    node = order_node(lines=[("A", 1, "10.00", "0.00")], line_tax=["2.00"], tax="2.00")
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.order_documents(parse_order(node), mapping(country="GB"))
    assert exc.value.code == "tax_codes_unmapped" and "Tax 20%" in str(exc.value)


def refunded_order(
    *, refund_lines, shipping="0.00", shipping_tax="0.00", paid_back, cancelled=False, taxes_included=False
):
    node = order_node(
        lines=[("A", 2, "10.00", "0.00")], tax="1.60", cancelled_at="2026-03-04T10:00:00Z" if cancelled else None
    )
    node["taxesIncluded"] = taxes_included
    node["refunds"] = [
        {
            "id": "gid://shopify/Refund/1",
            "createdAt": "2026-03-03T12:00:00Z",
            "totalRefundedSet": bag(paid_back),
            "refundLineItems": {
                "nodes": [
                    {
                        "quantity": qty,
                        "restockType": "NO_RESTOCK",
                        "lineItem": {"id": "gid://shopify/LineItem/10010", "sku": "A"},
                        "subtotalSet": bag(subtotal),
                        "totalTaxSet": bag(tax),
                    }
                    for qty, subtotal, tax in refund_lines
                ]
            },
            "refundShippingLines": {"nodes": [{"subtotalAmountSet": bag(shipping), "taxAmountSet": bag(shipping_tax)}]}
            if Decimal(shipping)
            else {"nodes": []},
            "transactions": {
                "nodes": [
                    {
                        "id": "gid://shopify/OrderTransaction/77",
                        "kind": "REFUND",
                        "gateway": "paypal",
                        "status": "SUCCESS",
                        "amountSet": bag(paid_back),
                    }
                ]
            }
            if Decimal(paid_back)
            else {"nodes": []},
        }
    ]
    return parse_order(node)


def test_a_refund_is_a_refund_receipt_for_the_money_returned():
    [doc] = ledger.refund_receipts(refunded_order(refund_lines=[(1, "10.00", "0.80")], paid_back="10.80"), mapping())
    assert doc.entity == "RefundReceipt" and doc.source_type == "refund" and doc.doc_number == "R1001-1"
    assert doc.total == Decimal("10.80") and doc.total_tax == Decimal("0.80")
    assert [(line.role, line.qty, line.amount) for line in doc.lines] == [("product", 1, Decimal("10.00"))]
    assert doc.deposit_to.value == "21"  # paid back through PayPal: from PayPal's clearing account
    assert doc.txn_date == date(2026, 3, 3)
    assert doc.as_qbo(mapping())["DepositToAccountRef"]["value"] == "21"


def test_a_goodwill_refund_without_items_is_an_explicit_adjustment():
    [doc] = ledger.refund_receipts(refunded_order(refund_lines=[], paid_back="5.00"), mapping())
    assert [(line.role, line.amount) for line in doc.lines] == [("refund_adjustment", Decimal("5.00"))]
    assert doc.lines_total + doc.total_tax == doc.total


def test_a_restock_without_money_books_no_refund_and_a_cancelled_orders_refund_is_booked():
    assert (
        ledger.refund_receipts(refunded_order(refund_lines=[(1, "10.00", "0.80")], paid_back="0.00"), mapping()) == []
    )
    # A cancelled order keeps its sale: the money it returned is a refund on the refund's own day.
    cancelled = refunded_order(refund_lines=[(1, "10.00", "0.80")], paid_back="10.80", cancelled=True)
    [refund] = ledger.refund_receipts(cancelled, mapping())
    assert (refund.total, refund.txn_date.isoformat()) == (Decimal("10.80"), "2026-03-03")


def test_refunded_shipping_and_tax_inclusive_refunds_are_booked_net():
    # Shopify gives a refunded shipping line's subtotal without its tax (5.00 + 1.00 paid back).
    order = refunded_order(
        refund_lines=[(1, "12.00", "2.00")],
        shipping="5.00",
        shipping_tax="1.00",
        paid_back="18.00",
        taxes_included=True,
    )
    [doc] = ledger.refund_receipts(order, mapping())
    assert [(line.role, line.amount) for line in doc.lines] == [
        ("product", Decimal("10.00")),
        ("shipping", Decimal("5.00")),
    ]
    assert doc.total_tax == Decimal("3.00") and doc.total == Decimal("18.00")
