"""Property tests: generated orders of every kind a VAT/GST company sees, booked by the ledger into
the QuickBooks sandbox's preset companies (UK, CA, AU). Whatever the rates, discounts, shipping,
inclusive or exclusive prices and refunds, QuickBooks ends with Shopify's total, Shopify's tax per
rate, and the tax liability account moved by exactly that tax."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.qbo.books import Company
from sandbox.qbo.presets import PRESETS
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.factories import mapping
from tests.syncing.test_ledger_vat import vat_node, with_refund

D = Decimal
CENT = D("0.01")

# Per preset: the Shopify tax lines its shops see, one combination per line, and the preset's code
# for each (by name); plus the code for untaxed lines and the account the tax lands in.
COUNTRIES: dict[str, dict[str, Any]] = {
    "UK": {
        "currency": "GBP",
        "combos": {
            (("GB VAT", "0.2"),): "20.0% S",
            (("GB VAT", "0.05"),): "5.0% R",
            (("GB VAT", "0"),): "0.0% Z",
        },
        "untaxed": "No VAT",
        "liability": ["VAT Control"],
    },
    "CA": {
        "currency": "CAD",
        "combos": {
            (("HST", "0.13"),): "HST ON",
            (("GST", "0.05"),): "GST",
            (("GST", "0.05"), ("QST", "0.09975")): "GST/QST QC",
        },
        "untaxed": "Out of Scope",
        "liability": ["GST/HST Payable", "QST Payable"],
    },
    "AU": {
        "currency": "AUD",
        "combos": {(("GST", "0.1"),): "GST"},
        "untaxed": "FRE",
        "liability": ["GST Liabilities Payable"],
    },
}


def company(key: str) -> Company:
    return Company(realm_id=f"9{key}", preset=PRESETS[key], now=lambda: datetime(2026, 3, 10, tzinfo=UTC))


def tax_code(books: Company, name: str) -> ledger.TaxCode:
    code = next(c for c in books.live("TaxCode") if c["Name"] == name)
    rates = tuple(
        (d["TaxRateRef"]["value"], D(str(books.objects["TaxRate"][d["TaxRateRef"]["value"]]["RateValue"])))
        for d in code.get("SalesTaxRateList", {}).get("TaxRateDetail", [])
    )
    return ledger.TaxCode(ledger.Ref(code["Id"], code["Name"]), rates)


def company_mapping(books: Company, key: str) -> ledger.Mapping:
    country = COUNTRIES[key]
    item = next(i for i in books.live("Item") if i["Name"] == "Sales")
    sales = ledger.Ref(item["Id"], item["Name"])
    customer = books.create("Customer", {"DisplayName": "Shopify customer"})
    clearing = books.account_by_name("Undeposited Funds")
    return mapping(
        sales_item=sales,
        shipping_item=sales,
        discount_item=sales,
        tip_item=sales,
        gift_card_item=sales,
        rounding_item=sales,
        customer=ledger.Ref(customer["Id"], customer["DisplayName"]),
        clearing_accounts={},
        default_clearing=ledger.Ref(clearing["Id"], clearing["Name"]),
        country=PRESETS[key].country,
        home_currency=country["currency"],
        tax_codes={combo: tax_code(books, name) for combo, name in country["combos"].items()},
        untaxed_code=tax_code(books, country["untaxed"]),
    )


def liability(books: Company, key: str) -> Decimal:
    """What the company owes in tax: the balance of its tax liability accounts."""
    accounts = books.with_balances([books.account_by_name(name) for name in COUNTRIES[key]["liability"]])
    return sum((D(str(account["CurrentBalance"])) for account in accounts), D(0))


def as_json(body: dict[str, Any]) -> dict[str, Any]:
    """The body as it travels: JSON with exact decimal numbers."""
    return json.loads(json.dumps(body, default=str), parse_float=D)


def charged(base: Decimal, combo: tuple[tuple[str, str], ...], inclusive: bool) -> list[tuple[str, str, str]]:
    """Shopify's tax lines on a line of ``base``: each rate on the net (inside the price when
    prices include tax, the net being what is left without every rate)."""
    net = base / (1 + sum((D(rate) for _, rate in combo), D(0))) if inclusive else base
    return [(title, rate, str((net * D(rate)).quantize(CENT, rounding=ROUND_HALF_UP))) for title, rate in combo]


line_strategy = st.tuples(
    st.integers(1, 4),  # quantity
    st.decimals(D("0.05"), D("400"), places=2),  # unit price
    st.integers(0, 50),  # discount, percent of the line
    st.integers(0, 10),  # which combination (modulo how many the country has)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(sorted(COUNTRIES)),
    lines=st.lists(line_strategy, min_size=1, max_size=5),
    inclusive=st.booleans(),
    shipping=st.one_of(st.none(), st.decimals(D("0.50"), D("25"), places=2)),
    untaxed_line=st.booleans(),
    refund_first=st.booleans(),
)
def test_quickbooks_books_shopifys_total_and_tax_per_rate(key, lines, inclusive, shipping, untaxed_line, refund_first):
    country = COUNTRIES[key]
    combos = list(country["combos"])
    currency = country["currency"]
    spec = []
    shopify_tax: dict[Decimal, Decimal] = {}  # percent -> tax
    for n, (qty, price, pct_off, which) in enumerate(lines):
        combo = combos[which % len(combos)]
        gross = price * qty
        discount = (gross * pct_off / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        taxes = charged(gross - discount, combo, inclusive)
        for _, rate, amount in taxes:
            shopify_tax[D(rate) * 100] = shopify_tax.get(D(rate) * 100, D(0)) + D(amount)
        spec.append((f"S{n}", qty, str(price), str(discount), taxes))
    if untaxed_line:
        spec.append(("FOOD", 1, "3.50", "0", []))
    ship = None
    if shipping is not None:
        combo = combos[0]
        taxes = charged(shipping, combo, inclusive)
        for _, rate, amount in taxes:
            shopify_tax[D(rate) * 100] = shopify_tax.get(D(rate) * 100, D(0)) + D(amount)
        ship = (str(shipping), taxes)
    node = vat_node(spec, shipping=ship, taxes_included=inclusive, currency=currency)
    order = parse_order(node)

    books = company(key)
    m = company_mapping(books, key)
    owed_before = liability(books, key)
    doc = ledger.sales_receipt(order, m)
    stored = books.create("SalesReceipt", as_json(doc.as_qbo(m)))

    assert stored["TotalAmt"] == order.total_price.shop.amount
    booked = {}
    for tax in stored["TxnTaxDetail"]["TaxLine"]:
        percent = D(str(tax["TaxLineDetail"]["TaxPercent"]))
        booked[percent] = booked.get(percent, D(0)) + D(str(tax["Amount"]))
    assert {p.normalize(): a for p, a in booked.items() if a or p} == {
        p.normalize(): a for p, a in shopify_tax.items() if a or p
    }
    total_tax = sum(shopify_tax.values(), D(0))
    assert D(str(stored["TxnTaxDetail"]["TotalTax"])) == total_tax
    assert liability(books, key) - owed_before == total_tax

    # Refund the first line in full: QuickBooks gives back exactly the tax Shopify refunds.
    if refund_first:
        qty, price, _pct, _which = lines[0]
        item = spec[0]
        line_tax = sum((D(a) for *_, a in item[4]), D(0))
        subtotal = price * qty - D(item[3])
        paid_back = subtotal + (0 if inclusive else line_tax)
        refund = ledger.refund_receipts(with_refund(node, [(0, str(subtotal), str(line_tax))], str(paid_back)), m)
        (receipt,) = refund
        stored_refund = books.create("RefundReceipt", as_json(receipt.as_qbo(m)))
        assert stored_refund["TotalAmt"] == paid_back
        assert D(str(stored_refund["TxnTaxDetail"]["TotalTax"])) == line_tax
        assert liability(books, key) - owed_before == total_tax - line_tax
