"""Import duties Shopify collects on cross-border orders are owed to customs, not sales: booked on
their own line to the item for duties (a liability), untaxed, and given back on the same item
when a refund returns them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.factories import bag, mapping, order_node
from tests.syncing.test_ledger_refund_classes import Books, add_refund, roles
from tests.syncing.test_ledger_vat import vat_node

D = Decimal


def with_duties(node: dict[str, Any], per_line: list[str], tax: str = "0") -> dict[str, Any]:
    """Duties on each line as Shopify reports them (LineItem.duties, Order.originalTotalDutiesSet),
    added to what the order totals."""
    currency = node["currencyCode"]
    for n, (item, amount) in enumerate(zip(node["lineItems"]["nodes"], per_line, strict=True)):
        tax_lines = [{"title": "Duty VAT", "rate": D("0.2"), "priceSet": bag(tax, currency)}] if D(tax) else []
        item["duties"] = [{"id": f"gid://shopify/Duty/{n}", "price": bag(amount, currency), "taxLines": tax_lines}]
    duties = sum((D(a) for a in per_line), D(0))
    node["originalTotalDutiesSet"] = bag(duties, currency)
    total = D(node["totalPriceSet"]["shopMoney"]["amount"]) + duties
    node["totalPriceSet"] = node["currentTotalPriceSet"] = bag(total, currency)
    node["transactions"][0]["amountSet"] = bag(total, currency)
    return node


def test_duties_are_parsed_from_the_order_its_lines_and_its_refunds():
    node = with_duties(order_node(lines=[("A", 1, "50.00", "0.00")]), ["7.50"])
    add_refund(node, [(0, 1, "50.00", "0")], "57.50", duties="7.50")
    order = parse_order(node)
    assert order.original_duties is not None and order.original_duties.shop.amount == D("7.50")
    assert [d.price.shop.amount for d in order.line_items[0].duties] == [D("7.50")]
    assert order.refunds[0].duties == D("7.50")
    assert parse_order(order_node()).original_duties is None


def test_a_us_sale_books_its_duties_untaxed_on_the_duties_item_and_a_refund_gives_them_back():
    node = with_duties(order_node(lines=[("A", 1, "50.00", "0.00")], tax="4.00"), ["7.50"])
    node["lineItems"]["nodes"][0]["taxLines"] = [{"title": "State", "rate": D("0.08"), "priceSet": bag("4.00")}]
    add_refund(node, [(0, 1, "50.00", "4.00")], "61.50", duties="7.50")
    books = Books()
    sale, [refund] = books.book(node)
    assert sale.total == D("61.50") and roles(sale) == [("product", D("50.00")), ("duties", D("7.50"))]
    [duties] = [line for line in sale.as_qbo(books.mapping)["Line"] if line["Amount"] == D("7.50")]
    assert duties["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert duties["SalesItemLineDetail"]["ItemRef"]["value"] == books.mapping.duties_item.value
    assert roles(refund) == [("product", D("50.00")), ("duties", D("7.50"))]
    for account in ("Duties Payable", "Sales of Product Income", "Sales Tax Payable"):
        assert books.balance(account) == 0, account


def test_the_duties_stay_owed_until_a_refund_returns_them():
    node = with_duties(order_node(lines=[("A", 2, "25.00", "0.00")]), ["6.00"])
    add_refund(node, [(0, 1, "25.00", "0")], "25.00")
    books = Books()
    books.book(node)
    assert books.balance("Duties Payable") == D("6.00")
    assert books.balance("Sales of Product Income") == D("25.00")


def test_a_uk_sale_books_duties_under_the_code_for_untaxed_lines_and_keeps_the_vat_exact():
    node = vat_node([("MUG", 1, "24.00", "0", [("GB VAT", "0.2", "4.00")])], taxes_included=True)
    with_duties(node, ["3.10"])
    add_refund(node, [(0, 1, "24.00", "4.00")], "27.10", duties="3.10")
    books = Books("UK")
    owed_before = books.tax_owed()
    order = parse_order(node)
    sale = ledger.sales_receipt(order, books.mapping)
    [duties] = [line for line in sale.lines if line.role == "duties"]
    assert duties.amount == D("3.10") and duties.tax_code == books.mapping.untaxed_code and not duties.taxes
    books.post(sale)
    assert books.tax_owed() - owed_before == D("4.00")
    assert books.balance("Duties Payable") == D("3.10")
    [refund] = ledger.refund_receipts(order, books.mapping)
    books.post(refund)
    assert books.tax_owed() == owed_before and books.balance("Duties Payable") == 0
    assert books.balance("Sales of Product Income") == 0


def test_duties_without_an_item_mapped_refuse_the_order_saying_where_to_map_it():
    node = with_duties(order_node(lines=[("A", 1, "50.00", "0.00")]), ["7.50"])
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(parse_order(node), mapping())
    assert exc.value.code == "money_account_unmapped"
    assert "#1001" in str(exc.value) and "item for duties" in str(exc.value) and "Accounts" in str(exc.value)
    # An order without duties does not need the item.
    assert ledger.sales_receipt(parse_order(order_node()), mapping()).total == D("20.00")


def test_a_refund_returning_duties_needs_the_item_too():
    node = with_duties(order_node(lines=[("A", 1, "50.00", "0.00")]), ["7.50"])
    add_refund(node, [], "7.50", duties="7.50")
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.refund_receipts(parse_order(node), mapping())
    assert exc.value.code == "money_account_unmapped" and "refund 1" in str(exc.value)


def test_tax_charged_on_duties_is_refused_rather_than_booked_wrong():
    node = with_duties(order_node(lines=[("A", 1, "50.00", "0.00")]), ["7.50"], tax="1.50")
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(parse_order(node), mapping(duties_item=ledger.Ref("30", "Shopify Duties")))
    assert exc.value.code == "duty_tax"
