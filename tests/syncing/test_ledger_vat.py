"""Books outside the US (VAT, GST/HST/PST/QST): every line under the code of its Shopify tax lines,
the tax per rate exactly as Shopify charged it, tax-inclusive lines with their gross; and amounts
in a foreign currency never booked as home-currency amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.factories import bag, mapping, order_node

D = Decimal
CENT = D("0.01")

# Codes as the sandbox's presets name them: (code id, name, [(rate id, percent)]).
UK_CODES = {
    (("GB VAT", "0.2"),): ledger.TaxCode(ledger.Ref("2", "20.0% S"), (("1", D("20")),)),
    (("GB VAT", "0.05"),): ledger.TaxCode(ledger.Ref("3", "5.0% R"), (("2", D("5")),)),
    (("GB VAT", "0"),): ledger.TaxCode(ledger.Ref("4", "0.0% Z"), (("3", D("0")),)),
}
CA_CODES = {
    (("GST", "0.05"),): ledger.TaxCode(ledger.Ref("11", "GST"), (("21", D("5")),)),
    (("HST", "0.13"),): ledger.TaxCode(ledger.Ref("12", "HST ON"), (("22", D("13")),)),
    (("GST", "0.05"), ("QST", "0.09975")): ledger.TaxCode(
        ledger.Ref("14", "GST/QST QC"), (("21", D("5")), ("24", D("9.975")))
    ),
    (("GST", "0.05"), ("PST", "0.07")): ledger.TaxCode(
        ledger.Ref("15", "GST/PST BC"), (("21", D("5")), ("25", D("7")))
    ),
}
NO_VAT = ledger.TaxCode(ledger.Ref("9", "No VAT"))


def uk(**overrides: Any) -> ledger.Mapping:
    values = {"country": "GB", "tax_codes": UK_CODES, "untaxed_code": NO_VAT, "home_currency": "GBP"}
    return mapping(**{**values, **overrides})


def ca(**overrides: Any) -> ledger.Mapping:
    values = {"country": "CA", "tax_codes": CA_CODES, "untaxed_code": NO_VAT, "home_currency": "CAD"}
    return mapping(**{**values, **overrides})


def tax_lines(taxes: list[tuple[str, str, str]], currency: str) -> list[dict[str, Any]]:
    return [{"title": t, "rate": D(r), "priceSet": bag(a, currency)} for t, r, a in taxes]


def vat_order(*args: Any, **kwargs: Any):
    return parse_order(vat_node(*args, **kwargs))


def vat_node(
    lines: list[tuple[str, int, str, str, list[tuple[str, str, str]]]],
    *,
    shipping: tuple[str, list[tuple[str, str, str]]] | None = None,
    taxes_included: bool,
    currency: str = "GBP",
    total: str | None = None,
    **kwargs: Any,
):
    """lines: (sku, quantity, unit price, discount, [(tax title, rate, amount)]); totals as Shopify
    computes them (tax on top unless the prices include it)."""
    node = order_node(
        lines=[(sku, qty, price, discount) for sku, qty, price, discount, _ in lines],
        shipping=shipping[0] if shipping else "0.00",
        taxes_included=taxes_included,
        **kwargs,
    )
    tax = sum((D(a) for *_, taxes in lines for _, _, a in taxes), D(0))
    for item, (*_, taxes) in zip(node["lineItems"]["nodes"], lines, strict=True):
        item["taxLines"] = tax_lines(taxes, currency)
    if shipping:
        node["shippingLines"]["nodes"][0]["taxLines"] = tax_lines(shipping[1], currency)
        tax += sum((D(a) for _, _, a in shipping[1]), D(0))
    goods = sum((D(p) * q - D(d) for _, q, p, d, _ in lines), D(0)) + (D(shipping[0]) if shipping else 0)
    goods += D(kwargs.get("tip", "0"))
    amount = D(total) if total else goods + (0 if taxes_included else tax)
    node["totalTaxSet"] = bag(tax, currency)
    node["totalPriceSet"] = node["currentTotalPriceSet"] = bag(amount, currency)
    node["transactions"][0]["amountSet"] = bag(amount, currency)
    node["currencyCode"] = node["presentmentCurrencyCode"] = currency
    for item in node["lineItems"]["nodes"]:
        for key in ("originalUnitPriceSet", "discountedTotalSet"):
            item[key] = bag(item[key]["shopMoney"]["amount"], currency)
    return node


def vat(gross: str, rate: str) -> str:
    """The VAT inside a tax-inclusive price, as Shopify rounds it."""
    g, r = D(gross), D(rate)
    return str((g - g / (1 + r)).quantize(CENT, rounding=ROUND_HALF_UP))


def tax_by_rate(body: dict[str, Any]) -> dict[str, Decimal]:
    return {t["TaxLineDetail"]["TaxRateRef"]["value"]: t["Amount"] for t in body["TxnTaxDetail"]["TaxLine"]}


def test_a_tax_inclusive_uk_sale_books_shopifys_vat_not_a_recomputed_one():
    # 100.95 at 20% inclusive: the VAT inside is 16.825, which Shopify rounds to 16.83.
    order = vat_order([("MUG", 1, "100.95", "0", [("GB VAT", "0.2", "16.83")])], taxes_included=True)
    doc = ledger.sales_receipt(order, uk())
    body = doc.as_qbo(uk())
    assert body["GlobalTaxCalculation"] == "TaxInclusive"
    (line,) = body["Line"]
    assert line["Amount"] == D("84.12")
    assert line["SalesItemLineDetail"]["TaxInclusiveAmt"] == D("100.95")
    assert line["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "2"}
    assert tax_by_rate(body) == {"1": D("16.83")}
    assert body["TxnTaxDetail"]["TotalTax"] == D("16.83")
    assert body["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == D("84.12")
    assert doc.total == D("100.95") and doc.lines_total + doc.total_tax == doc.total
    assert "CurrencyRef" not in body  # the shop's currency is the company's


def test_standard_reduced_and_zero_rated_lines_each_carry_their_own_code():
    order = vat_order(
        [
            ("MUG", 2, "12.00", "0", [("GB VAT", "0.2", "4.00")]),
            ("SEAT", 1, "105.00", "0", [("GB VAT", "0.05", "5.00")]),
            ("BOOK", 1, "9.99", "0", [("GB VAT", "0", "0.00")]),
        ],
        shipping=("4.80", [("GB VAT", "0.2", "0.80")]),
        taxes_included=True,
    )
    body = ledger.sales_receipt(order, uk()).as_qbo(uk())
    codes = [(line["Description"], line["SalesItemLineDetail"]["TaxCodeRef"]["value"]) for line in body["Line"]]
    assert codes == [
        ("Product MUG (SKU MUG)", "2"),
        ("Product SEAT (SKU SEAT)", "3"),
        ("Product BOOK (SKU BOOK)", "4"),
        ("Shipping: Standard", "2"),
    ]
    assert tax_by_rate(body) == {"1": D("4.80"), "2": D("5.00"), "3": D("0.00")}  # zero-rated sales are reported too
    assert sum(line["Amount"] for line in body["Line"]) + body["TxnTaxDetail"]["TotalTax"] == D("143.79")


def test_a_quebec_line_books_gst_and_qst_on_one_combined_code():
    order = vat_order(
        [("MUG", 1, "100.00", "0", [("GST", "0.05", "5.00"), ("QST", "0.09975", "9.98")])],
        shipping=("10.00", [("GST", "0.05", "0.50"), ("QST", "0.09975", "1.00")]),
        taxes_included=False,
        currency="CAD",
    )
    doc = ledger.sales_receipt(order, ca())
    body = doc.as_qbo(ca())
    assert body["GlobalTaxCalculation"] == "TaxExcluded"
    assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in body["Line"]} == {"14"}
    assert "TaxInclusiveAmt" not in body["Line"][0]["SalesItemLineDetail"]
    assert tax_by_rate(body) == {"21": D("5.50"), "24": D("10.98")}
    assert doc.total == D("126.48") and doc.lines_total + doc.total_tax == doc.total


def test_exclusive_discounts_are_a_line_per_code_so_net_sales_per_rate_are_right():
    order = vat_order(
        [
            ("A", 1, "50.00", "5.00", [("HST", "0.13", "5.85")]),
            ("B", 1, "20.00", "2.00", [("HST", "0.13", "2.34")]),
            ("C", 1, "10.00", "1.00", [("GST", "0.05", "0.45")]),
        ],
        taxes_included=False,
        currency="CAD",
    )
    doc = ledger.sales_receipt(order, ca())
    discounts = [
        (line.description, line.amount, line.tax_code.ref.value) for line in doc.lines if line.role == "discount"
    ]
    assert discounts == [("Discounts (HST ON)", D("-7.00"), "12"), ("Discounts (GST)", D("-1.00"), "11")]
    body = doc.as_qbo(ca())
    nets = {
        t["TaxLineDetail"]["TaxRateRef"]["value"]: t["TaxLineDetail"]["NetAmountTaxable"]
        for t in body["TxnTaxDetail"]["TaxLine"]
    }
    assert nets == {"21": D("9.00"), "22": D("63.00")}
    assert doc.lines_total + doc.total_tax == doc.total == D("80.64")


def test_an_inclusive_discount_keeps_every_lines_gross_net_and_tax_consistent():
    # 3 x 19.99 = 59.97 with 10% off (6.00): Shopify's VAT is on the 53.97 paid.
    order = vat_order([("TEE", 3, "19.99", "6.00", [("GB VAT", "0.2", vat("53.97", "0.2"))])], taxes_included=True)
    doc = ledger.sales_receipt(order, uk())
    product, discount = doc.lines
    assert product.gross == D("59.97") and discount.gross == D("-6.00")
    for line in doc.lines:
        held = sum(amount for _, amount in line.taxes)
        assert line.gross - line.amount == held
        # QuickBooks' own reading of a tax-inclusive gross at 20%, to within a cent.
        assert abs(held - (line.gross * 20 / 120).quantize(CENT, rounding=ROUND_HALF_UP)) <= CENT
    assert sum(amount for line in doc.lines for _, amount in line.taxes) == D(vat("53.97", "0.2"))
    assert doc.lines_total + doc.total_tax == doc.total == D("53.97")
    assert not doc.flagged


def test_tips_gift_cards_and_untaxed_lines_take_the_code_for_untaxed_lines():
    order = vat_order(
        [("MUG", 1, "10.00", "0", [("GB VAT", "0.2", "1.67")]), ("NOTAX", 1, "5.00", "0", [])],
        taxes_included=True,
        tip="2.00",
    )
    doc = ledger.sales_receipt(order, uk())
    assert [(line.role, line.tax_code.ref.value) for line in doc.lines] == [
        ("product", "2"),
        ("product", "9"),
        ("tip", "9"),
    ]


def test_an_unmapped_combination_is_refused_naming_the_rates():
    order = vat_order(
        [("MUG", 1, "100.00", "0", [("GST", "0.05", "5.00"), ("PST", "0.07", "7.00")])],
        taxes_included=False,
        currency="CAD",
    )
    codes = {k: v for k, v in CA_CODES.items() if k != (("GST", "0.05"), ("PST", "0.07"))}
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(order, ca(tax_codes=codes))
    assert exc.value.code == "tax_codes_unmapped"
    assert "GST 5% + PST 7%" in str(exc.value)


def test_a_code_whose_rates_differ_from_shopifys_is_refused():
    order = vat_order(
        [("MUG", 1, "100.00", "0", [("GST", "0.05", "5.00"), ("PST", "0.07", "7.00")])],
        taxes_included=False,
        currency="CAD",
    )
    wrong = dict(CA_CODES)
    wrong[(("GST", "0.05"), ("PST", "0.07"))] = CA_CODES[(("HST", "0.13"),)]
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(order, ca(tax_codes=wrong))
    assert exc.value.code == "tax_code_mismatch"
    assert "HST ON" in str(exc.value) and "13%" in str(exc.value)


def test_no_code_for_untaxed_lines_is_refused():
    order = vat_order([("NOTAX", 1, "5.00", "0", [])], taxes_included=True)
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(order, uk(untaxed_code=None))
    assert exc.value.code == "tax_codes_unmapped"


def test_channel_liable_tax_is_refused_until_the_merchant_chose_where_it_books():
    node = vat_node([("MUG", 1, "12.00", "0", [("GB VAT", "0.2", "2.00")])], taxes_included=True)
    node["lineItems"]["nodes"][0]["taxLines"][0]["channelLiable"] = True
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(parse_order(node), uk())
    assert exc.value.code == "channel_liable_tax"


def with_refund(node: dict[str, Any], lines: list[tuple[int, str, str]], paid_back: str, shipping=("0", "0")):
    """One refund of (line index, quantity... ) as Shopify reports it: subtotal and tax per line."""
    currency = node["currencyCode"]
    items = node["lineItems"]["nodes"]
    node["refunds"] = [
        {
            "id": "gid://shopify/Refund/1",
            "createdAt": "2026-03-03T12:00:00Z",
            "totalRefundedSet": bag(paid_back, currency),
            "refundLineItems": {
                "nodes": [
                    {
                        "quantity": 1,
                        "restockType": "NO_RESTOCK",
                        "lineItem": {"id": items[index]["id"], "sku": items[index]["sku"]},
                        "subtotalSet": bag(subtotal, currency),
                        "totalTaxSet": bag(tax, currency),
                    }
                    for index, subtotal, tax in lines
                ]
            },
            "refundShippingLines": {
                "nodes": [{"subtotalAmountSet": bag(shipping[0], currency), "taxAmountSet": bag(shipping[1], currency)}]
            }
            if D(shipping[0])
            else {"nodes": []},
            "transactions": {
                "nodes": [
                    {
                        "id": "gid://shopify/OrderTransaction/77",
                        "kind": "REFUND",
                        "gateway": "shopify_payments",
                        "status": "SUCCESS",
                        "amountSet": bag(paid_back, currency),
                    }
                ]
            },
        }
    ]
    return parse_order(node)


def test_a_refund_books_its_tax_back_on_the_sales_codes_and_rates():
    node = vat_node(
        [("MUG", 2, "100.00", "0", [("GST", "0.05", "10.00"), ("QST", "0.09975", "19.95")])],
        shipping=("10.00", [("GST", "0.05", "0.50"), ("QST", "0.09975", "1.00")]),
        taxes_included=False,
        currency="CAD",
    )
    # One mug back, and the shipping: Shopify gives each refunded line's tax as one amount.
    order = with_refund(node, [(0, "100.00", "14.98")], "126.48", shipping=("10.00", "1.50"))
    (doc,) = ledger.refund_receipts(order, ca())
    body = doc.as_qbo(ca())
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in body["Line"]] == ["14", "14"]
    # 14.98 divided as the sale's 10.00 : 19.95, and 1.50 as 0.50 : 1.00.
    assert tax_by_rate(body) == {"21": D("5.50"), "24": D("10.98")}
    assert doc.total == D("126.48") and doc.lines_total + doc.total_tax == doc.total


def test_a_tax_inclusive_refund_states_its_gross():
    node = vat_node([("MUG", 1, "100.95", "0", [("GB VAT", "0.2", "16.83")])], taxes_included=True)
    (doc,) = ledger.refund_receipts(with_refund(node, [(0, "100.95", "16.83")], "100.95"), uk())
    body = doc.as_qbo(uk())
    assert body["GlobalTaxCalculation"] == "TaxInclusive"
    line = body["Line"][0]
    assert (line["Amount"], line["SalesItemLineDetail"]["TaxInclusiveAmt"]) == (D("84.12"), D("100.95"))
    assert tax_by_rate(body) == {"1": D("16.83")}


def test_foreign_currency_is_refused_without_multicurrency_and_booked_with_currency_ref_with_it():
    order = vat_order([("MUG", 1, "100.95", "0", [("GB VAT", "0.2", "16.83")])], taxes_included=True, currency="EUR")
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.sales_receipt(order, uk())
    assert exc.value.code == "multicurrency_off" and "EUR" in str(exc.value) and "GBP" in str(exc.value)
    on = uk(multicurrency=True)
    doc = ledger.sales_receipt(order, on)
    body = doc.as_qbo(on)
    assert body["CurrencyRef"] == {"value": "EUR"} and "ExchangeRate" not in body
    from dataclasses import replace

    body = replace(doc, exchange_rate=D("0.85")).as_qbo(on)
    assert body["ExchangeRate"] == D("0.85")
    assert body["Line"][0]["SalesItemLineDetail"]["TaxInclusiveAmt"] == D("100.95")  # amounts stay in EUR


RATES = [("GB VAT", "0.2", D("20")), ("GB VAT", "0.05", D("5")), ("GB VAT", "0", D("0"))]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.decimals(D("0.01"), D("500"), places=2),
            st.integers(0, 60),
            st.sampled_from(RATES),
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.one_of(st.none(), st.decimals(D("0.01"), D("30"), places=2)),
)
def test_any_uk_order_books_shopifys_vat_per_rate_and_its_total_exactly(lines, inclusive, shipping):
    spec = []
    per_rate: dict[str, Decimal] = {}
    for n, (qty, price, pct_off, (title, rate, percent)) in enumerate(lines):
        gross = price * qty
        discount = (gross * pct_off / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        base = gross - discount
        r = D(rate)
        amount = vat(str(base), rate) if inclusive else str((base * r).quantize(CENT, rounding=ROUND_HALF_UP))
        spec.append((f"S{n}", qty, str(price), str(discount), [(title, rate, amount)]))
        per_rate[str(percent)] = per_rate.get(str(percent), D(0)) + D(amount)
    ship = None
    if shipping is not None:
        amount = vat(str(shipping), "0.2") if inclusive else str((shipping * D("0.2")).quantize(CENT))
        ship = (str(shipping), [("GB VAT", "0.2", amount)])
        per_rate["20"] = per_rate.get("20", D(0)) + D(amount)
    order = vat_order(spec, shipping=ship, taxes_included=inclusive)
    doc = ledger.sales_receipt(order, uk())
    body = doc.as_qbo(uk())
    assert doc.total == order.total_price.shop.amount
    assert doc.lines_total + doc.total_tax == doc.total
    assert not doc.flagged
    percents = {t["TaxLineDetail"]["TaxPercent"]: t["Amount"] for t in body["TxnTaxDetail"]["TaxLine"]}
    assert {f"{p.normalize():f}": a for p, a in percents.items()} == per_rate
    for line in doc.lines:
        assert ledger.cents(line.qty * line.unit_price) == line.amount
        if inclusive:
            held = sum((a for _, a in line.taxes), D(0))
            assert line.gross - line.amount == held
            # QuickBooks reads the tax inside a gross itself: every line within a cent of it.
            percent = sum((p for _, p in line.tax_code.rates), D(0))
            computed = (line.gross * percent / (100 + percent)).quantize(CENT, rounding=ROUND_HALF_UP)
            assert abs(held - computed) <= CENT


CHANNEL_ITEM = ledger.Ref("40", "Tax collected by sales channels")


def test_tax_a_channel_remits_is_its_own_line_never_the_merchants_vat():
    node = vat_node(
        [("MUG", 1, "12.00", "0", [("GB VAT", "0.2", "2.00")]), ("TEE", 1, "24.00", "0", [("GB VAT", "0.2", "4.00")])],
        taxes_included=True,
    )
    node["lineItems"]["nodes"][1]["taxLines"][0]["channelLiable"] = True
    on = uk(channel_tax_item=CHANNEL_ITEM)
    doc = ledger.sales_receipt(parse_order(node), on)
    body = doc.as_qbo(on)
    assert tax_by_rate(body) == {"1": D("2.00")}  # only the merchant's VAT
    by_role = {line.role: line for line in doc.lines}
    assert (by_role["channel_tax"].item, by_role["channel_tax"].amount) == (CHANNEL_ITEM, D("4.00"))
    assert by_role["channel_tax"].tax_code == NO_VAT
    tee = doc.lines[1]
    assert (tee.gross, tee.amount, tee.tax_code) == (D("20.00"), D("20.00"), NO_VAT)
    assert doc.total == D("36.00") and doc.lines_total + doc.total_tax == doc.total


def test_us_marketplace_facilitator_tax_stays_out_of_the_sales_tax():
    node = order_node(lines=[("A", 1, "100.00", "0.00")], line_tax=["8.00"], tax="8.00")
    node["lineItems"]["nodes"][0]["taxLines"][0]["channelLiable"] = True
    m = mapping(channel_tax_item=CHANNEL_ITEM)
    doc = ledger.sales_receipt(parse_order(node), m)
    assert doc.total_tax == D("0.00")
    assert [(line.role, line.amount, line.taxable) for line in doc.lines] == [
        ("product", D("100.00"), False),
        ("channel_tax", D("8.00"), False),
    ]
    assert doc.total == D("108.00")


def test_a_refund_gives_back_the_channels_part_on_its_own_line():
    node = vat_node(
        [("MUG", 2, "100.00", "0", [("GST", "0.05", "10.00"), ("QST", "0.09975", "19.95")])],
        taxes_included=False,
        currency="CAD",
    )
    node["lineItems"]["nodes"][0]["taxLines"][1]["channelLiable"] = True
    on = ca(channel_tax_item=CHANNEL_ITEM)
    (doc,) = ledger.refund_receipts(with_refund(node, [(0, "100.00", "14.98")], "114.98"), on)
    assert {line.role: line.amount for line in doc.lines} == {"product": D("100.00"), "channel_tax": D("9.98")}
    body = doc.as_qbo(on)
    assert body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "11"}  # GST alone
    assert tax_by_rate(body) == {"21": D("5.00")}
    assert doc.total == D("114.98") and doc.lines_total + doc.total_tax == doc.total
