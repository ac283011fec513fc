"""US automated sales tax: QuickBooks' taxable sales must be what Shopify taxed, after discount. The
discounts of lines Shopify taxed are booked taxable, the others not; the order's ship-to address
is parsed for the document's ShipAddr (the jurisdiction), and nothing else of the customer."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Address, parse_order
from syncing import ledger
from tests.syncing.factories import mapping, order_node
from tests.syncing.test_ledger_refund_classes import Books, add_refund, with_line_tax

D = Decimal


def mixed_order() -> dict:
    """A taxed tee at 40.00 with 4.00 off (8% on 36.00) and untaxed food at 20.00 with 2.00 off."""
    node = order_node(lines=[("TEE", 1, "40.00", "4.00"), ("FOOD", 1, "20.00", "2.00")], tax="2.88")
    with_line_tax(node, ["2.88", "0"])
    node["lineItems"]["nodes"][1]["taxable"] = False
    return node


def discounts(doc: ledger.Document) -> list[tuple[Decimal, str]]:
    body = doc.as_qbo(mapping())
    return [
        (line["Amount"], line["SalesItemLineDetail"]["TaxCodeRef"]["value"])
        for line, docline in zip(body["Line"], doc.lines, strict=True)
        if docline.role == "discount"
    ]


def test_the_discount_of_taxed_lines_is_booked_taxable_and_the_rest_untaxed():
    doc = ledger.sales_receipt(parse_order(mixed_order()), mapping())
    assert discounts(doc) == [(D("-4.00"), "TAX"), (D("-2.00"), "NON")]
    assert doc.total == D("56.88") and doc.lines_total + doc.total_tax == doc.total


def test_quickbooks_taxable_sales_are_shopifys_taxed_amount_after_discount():
    books = Books()
    sale, _ = books.book(mixed_order())
    [stored] = books.stored
    [tax_line] = stored["TxnTaxDetail"]["TaxLine"][:1]
    assert D(str(tax_line["TaxLineDetail"]["NetAmountTaxable"])) == D("36.00")  # 40.00 - 4.00, not 40.00
    assert D(str(stored["TxnTaxDetail"]["TotalTax"])) == D("2.88") == sale.total_tax
    assert books.balance("Sales Tax Payable") == D("2.88")


def test_a_refund_gives_the_taxable_discount_back_as_taxable():
    node = add_refund(mixed_order(), [(0, 1, "36.00", "2.88"), (1, 1, "18.00", "0")], "56.88")
    books = Books()
    _sale, [refund] = books.book(node)
    assert discounts(refund) == [(D("-4.00"), "TAX"), (D("-2.00"), "NON")]
    refund_tax = books.stored[-1]["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]
    assert D(str(refund_tax["NetAmountTaxable"])) == D("36.00")
    for account in ("Sales of Product Income", "Discounts given", "Sales Tax Payable"):
        assert books.balance(account) == 0, account


def test_an_order_without_tax_keeps_one_untaxed_discount_line():
    doc = ledger.sales_receipt(parse_order(order_node(lines=[("A", 2, "10.00", "3.00")])), mapping())
    assert discounts(doc) == [(D("-3.00"), "NON")]


def test_the_ship_to_address_is_parsed_without_the_customers_name_or_phone():
    node = order_node()
    node["shippingAddress"] = {
        "address1": "1 Main St",
        "address2": "Unit 4",
        "city": "Oakland",
        "provinceCode": "CA",
        "zip": "94612",
        "countryCodeV2": "US",
    }
    order = parse_order(node)
    assert order.shipping_address == Address("1 Main St", "Unit 4", "Oakland", "CA", "94612", "US")
    assert {f.name for f in dataclasses.fields(Address)} == {
        "address1",
        "address2",
        "city",
        "province_code",
        "zip",
        "country_code",
    }
    assert parse_order(order_node()).shipping_address is None
    # A refund gives the tax back in the jurisdiction the sale charged it in.
    add_refund(node, [(0, 2, "20.00", "0")], "20.00")
    [refund] = ledger.refund_receipts(parse_order(node), mapping())
    assert refund.ship_to == order.shipping_address
