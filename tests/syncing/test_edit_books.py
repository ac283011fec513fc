"""Order edits after the sale was booked: the sale stays, the change is its own document on the day
it was seen, proven by the balances QuickBooks ends with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.books import Books
from tests.syncing.factories import order_node
from tests.syncing.test_tender_books import SALES, SP, txn

D = Decimal
AR = "Accounts Receivable (A/R)"
EDIT_DAY = date(2026, 4, 6)


def sale(books: Books, node) -> tuple[ledger.Document, dict]:
    (receipt,) = ledger.order_documents(parse_order(node), books.mapping)
    (stored,) = books.post([receipt])
    return receipt, stored


def test_items_removed_are_a_credit_memo_on_the_day_and_the_sale_keeps_its_month():
    books = Books()
    node = order_node(lines=[("A", 2, "10.00", "0"), ("B", 1, "5.00", "0")], order_id=7001)
    _receipt, stored = sale(books, node)

    node["lineItems"]["nodes"][0]["currentQuantity"] = 1  # one A removed
    node["totalPriceSet"]["shopMoney"]["amount"] = "15.00"
    planned = ledger.sales_receipt(parse_order(node), books.mapping)
    edit = ledger.edit_document(planned, [("SalesReceipt", stored)], books.mapping, number=1, day=EDIT_DAY)

    assert edit is not None
    assert (edit.entity, edit.total, edit.txn_date, edit.source_type) == ("CreditMemo", D("10.00"), EDIT_DAY, "edit")
    assert [(line.description, line.qty, line.amount) for line in edit.lines] == [("Product A (SKU A)", 1, D("10.00"))]
    books.post([edit])
    assert books.balance(SALES) == D("15.00")
    assert books.company.objects["SalesReceipt"][stored["Id"]]["TotalAmt"] == D("25.00")


def test_items_added_are_an_invoice_paid_by_the_money_taken_after_it():
    books = Books()
    node = order_node(lines=[("A", 1, "10.00", "0")], order_id=7002)
    _receipt, stored = sale(books, node)

    added = dict(node["lineItems"]["nodes"][0], id="gid://shopify/LineItem/70029", sku="C", name="Product C")
    added["originalUnitPriceSet"] = {
        "shopMoney": {"amount": "7.00", "currencyCode": "USD"},
        "presentmentMoney": {"amount": "7.00", "currencyCode": "USD"},
    }
    added["discountedTotalSet"] = added["originalUnitPriceSet"]
    node["lineItems"]["nodes"].append(added)
    node["totalPriceSet"]["shopMoney"]["amount"] = "17.00"
    order = parse_order(node)
    planned = ledger.sales_receipt(order, books.mapping)
    edit = ledger.edit_document(planned, [("SalesReceipt", stored)], books.mapping, number=1, day=EDIT_DAY)
    assert edit is not None and (edit.entity, edit.total) == ("Invoice", D("7.00"))
    books.post([edit])
    books.written[("order", order.id, "Invoice")] = books.written[("edit", edit.source_id, "Invoice")]
    assert books.balances(SALES, AR) == {SALES: D("17.00"), AR: D("7.00")}

    # The customer pays the difference: a Payment on the edit's invoice, into its gateway's clearing.
    node["transactions"].append(txn("paypal", "7.00", when="2026-04-07T10:00:00Z"))
    payments = ledger.invoice_payments(
        parse_order(node), books.mapping, [(edit.source_id, D("7.00"))], prepaid=D("10.00")
    )
    assert [(p.entity, p.total, p.links_to_source) for p in payments] == [
        ("Payment", D("7.00"), ("edit", edit.source_id))
    ]
    books.post(payments)
    assert books.balances(AR, SP, "PayPal Clearing") == {AR: D("0.00"), SP: D("10.00"), "PayPal Clearing": D("7.00")}


def test_a_second_edit_counts_the_first():
    books = Books()
    node = order_node(lines=[("A", 3, "10.00", "0")], order_id=7003)
    _receipt, stored = sale(books, node)
    node["lineItems"]["nodes"][0]["currentQuantity"] = 2
    node["totalPriceSet"]["shopMoney"]["amount"] = "20.00"
    first = ledger.edit_document(
        ledger.sales_receipt(parse_order(node), books.mapping),
        [("SalesReceipt", stored)],
        books.mapping,
        number=1,
        day=EDIT_DAY,
    )
    (first_stored,) = books.post([first])
    node["lineItems"]["nodes"][0]["currentQuantity"] = 1
    node["totalPriceSet"]["shopMoney"]["amount"] = "10.00"
    second = ledger.edit_document(
        ledger.sales_receipt(parse_order(node), books.mapping),
        [("SalesReceipt", stored), ("CreditMemo", first_stored)],
        books.mapping,
        number=2,
        day=EDIT_DAY,
    )
    assert second is not None and (second.entity, second.total, second.doc_number) == (
        "CreditMemo",
        D("10.00"),
        "S7003-E2",
    )
    books.post([second])
    assert books.balance(SALES) == D("10.00")


def test_a_new_mapping_or_form_is_not_an_edit():
    books = Books()
    node = order_node(lines=[("A", 1, "10.00", "0")], order_id=7004)
    _receipt, stored = sale(books, node)
    other_item = ledger.Ref("999", "Another item")
    remapped = ledger.Mapping(**{**books.mapping.__dict__, "sales_item": other_item})
    planned = ledger.sales_receipt(parse_order(node), remapped)
    assert ledger.edit_document(planned, [("SalesReceipt", stored)], remapped, number=1, day=EDIT_DAY) is None


def test_tax_changes_with_the_edit():
    books = Books()
    node = order_node(lines=[("A", 2, "10.00", "0")], tax="1.60", order_id=7005)
    _receipt, stored = sale(books, node)
    node["lineItems"]["nodes"][0]["currentQuantity"] = 1
    node["totalTaxSet"]["shopMoney"]["amount"] = "0.80"
    node["totalPriceSet"]["shopMoney"]["amount"] = "10.80"
    edit = ledger.edit_document(
        ledger.sales_receipt(parse_order(node), books.mapping),
        [("SalesReceipt", stored)],
        books.mapping,
        number=1,
        day=EDIT_DAY,
    )
    assert edit is not None and (edit.total, edit.total_tax) == (D("10.80"), D("0.80"))
    (credit,) = books.post([edit])
    assert credit["TotalAmt"] == D("10.80")
