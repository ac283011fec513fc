"""A refund books back what the sale booked, the way the sale booked it: a returned product at its
original unit price on its item, the discount those units had on the discount item, shipping
likewise. Proved on the documents and on the QuickBooks sandbox's general ledger: after a sale and
its full refund, sales, discounts and the tax owed are all back at zero."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.qbo.books import Company
from sandbox.qbo.presets import PRESETS
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from tests.syncing.factories import bag, mapping, order_node
from tests.syncing.test_ledger_vat import vat_node
from tests.syncing.test_tax_books import as_json, charged, company, company_mapping, liability

D = Decimal


def add_refund(
    node: dict[str, Any],
    lines: list[tuple[int, int, str, str]],
    paid_back: str,
    *,
    shipping: tuple[str, str] = ("0", "0"),
    duties: str = "0",
    created_at: str = "2026-03-03T12:00:00Z",
) -> dict[str, Any]:
    """Add a refund to ``node`` as Shopify reports it: per refunded line (line index, quantity,
    subtotal after discounts, tax), the refunded shipping (subtotal, tax) and duties."""
    currency = node["currencyCode"]
    items = node["lineItems"]["nodes"]
    number = len(node["refunds"]) + 1
    node["refunds"].append(
        {
            "id": f"gid://shopify/Refund/{number}",
            "createdAt": created_at,
            "totalRefundedSet": bag(paid_back, currency),
            "duties": [{"amountSet": bag(duties, currency)}] if D(duties) else [],
            "refundLineItems": {
                "nodes": [
                    {
                        "quantity": qty,
                        "restockType": "RETURN",
                        "lineItem": {"id": items[index]["id"], "sku": items[index]["sku"]},
                        "subtotalSet": bag(subtotal, currency),
                        "totalTaxSet": bag(tax, currency),
                    }
                    for index, qty, subtotal, tax in lines
                ]
            },
            "refundShippingLines": {
                "nodes": [{"subtotalAmountSet": bag(shipping[0], currency), "taxAmountSet": bag(shipping[1], currency)}]
                if D(shipping[0])
                else []
            },
            "transactions": {
                "nodes": [
                    {
                        "id": f"gid://shopify/OrderTransaction/9{number}",
                        "kind": "REFUND",
                        "gateway": "shopify_payments",
                        "status": "SUCCESS",
                        "amountSet": bag(paid_back, currency),
                    }
                ]
            },
        }
    )
    return node


def with_line_tax(node: dict[str, Any], taxes: list[str], rate: str = "0.08") -> dict[str, Any]:
    """US line-level sales tax: the tax Shopify charged on each line (none where "0")."""
    for item, amount in zip(node["lineItems"]["nodes"], taxes, strict=True):
        item["taxLines"] = [{"title": "CA State Tax", "rate": D(rate), "priceSet": bag(amount)}] if D(amount) else []
    return node


class Books:
    """A QuickBooks sandbox company with the items ShopQB maps, each on its own account, so that
    sales, discounts, shipping and duties each show in their own balance."""

    def __init__(self, key: str = "US") -> None:
        if key == "US":
            self.company = Company(realm_id="9US", preset=PRESETS["US"], now=lambda: datetime(2026, 3, 10, tzinfo=UTC))
            customer = self.company.create("Customer", {"DisplayName": "Shopify customer"})
            clearing = self.company.account_by_name("Undeposited Funds")
            base = mapping(
                customer=ledger.Ref(customer["Id"], customer["DisplayName"]),
                clearing_accounts={},
                default_clearing=ledger.Ref(clearing["Id"], clearing["Name"]),
            )
        else:
            self.company = company(key)
            base = company_mapping(self.company, key)
        self.key = key
        self.stored: list[dict[str, Any]] = []  # what QuickBooks keeps of each document posted
        duties = self.company.create(
            "Account",
            {
                "Name": "Duties Payable",
                "AccountType": "Other Current Liability",
                "AccountSubType": "OtherCurrentLiabilities",
            },
        )
        self.mapping = dataclasses.replace(
            base,
            sales_item=self.item("Shopify Sale", "Sales of Product Income"),
            shipping_item=self.item("Shopify Shipping", "Shipping Income"),
            discount_item=self.item("Shopify Discount", "Discounts given"),
            tip_item=self.item("Shopify Tip", "Uncategorized Income"),
            rounding_item=self.item("Shopify Rounding", "Uncategorized Income"),
            duties_item=self.item("Shopify Duties", duties["Name"]),
        )

    def item(self, name: str, account: str) -> ledger.Ref:
        income = self.company.account_by_name(account)
        item = self.company.create(
            "Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}}
        )
        return ledger.Ref(item["Id"], item["Name"])

    def post(self, doc: ledger.Document) -> dict[str, Any]:
        """The document as QuickBooks stores it; it must total what Shopify says."""
        stored = self.company.create(doc.entity, as_json(doc.as_qbo(self.mapping)))
        assert stored["TotalAmt"] == doc.total
        self.stored.append(stored)
        return stored

    def book(self, node: dict[str, Any]) -> tuple[ledger.Document, list[ledger.Document]]:
        """The order's sale and refunds, posted."""
        order = parse_order(node)
        sale = ledger.sales_receipt(order, self.mapping)
        refunds = ledger.refund_receipts(order, self.mapping)
        for doc in (sale, *refunds):
            self.post(doc)
        return sale, refunds

    def balance(self, account: str) -> Decimal:
        """An account's balance as QuickBooks states it (income credits and liabilities positive)."""
        [found] = self.company.with_balances([self.company.account_by_name(account)])
        return D(str(found["CurrentBalance"]))

    def tax_owed(self) -> Decimal:
        if self.key == "US":
            return self.balance("Sales Tax Payable")
        return liability(self.company, self.key)

    def clearing(self) -> Decimal:
        return self.balance(self.company.get("Account", self.mapping.default_clearing.value)["Name"])


def roles(doc: ledger.Document) -> list[tuple[str, Decimal]]:
    return [(line.role, line.amount) for line in doc.lines]


def us_order() -> dict[str, Any]:
    """2 mugs at 10.00 with 2.00 off and a tee at 5.00, 8% sales tax on each line."""
    node = order_node(lines=[("MUG", 2, "10.00", "2.00"), ("TEE", 1, "5.00", "0.00")], tax="1.84")
    return with_line_tax(node, ["1.44", "0.40"])


def test_a_full_refund_books_the_original_price_and_gives_the_discount_back():
    node = add_refund(us_order(), [(0, 2, "18.00", "1.44"), (1, 1, "5.00", "0.40")], "24.84")
    books = Books()
    sale, [refund] = books.book(node)
    assert roles(sale) == [("product", D("20.00")), ("product", D("5.00")), ("discount", D("-2.00"))]
    assert roles(refund) == roles(sale)
    assert refund.total == D("24.84") and refund.total_tax == D("1.84") and not refund.flagged
    for account in ("Sales of Product Income", "Discounts given", "Sales Tax Payable"):
        assert books.balance(account) == 0, account
    assert books.clearing() == 0


def test_a_partial_refund_reverses_exactly_its_units_share():
    node = add_refund(us_order(), [(0, 1, "9.00", "0.72")], "9.72")
    books = Books()
    _sale, [refund] = books.book(node)
    assert roles(refund) == [("product", D("10.00")), ("discount", D("-1.00"))]
    assert books.balance("Sales of Product Income") == D("15.00")
    assert books.balance("Discounts given") == D("-1.00")  # one mug's discount still given
    assert books.balance("Sales Tax Payable") == D("1.12")
    assert books.clearing() == D("15.12")


def test_refunds_of_a_line_add_up_to_its_sale_whatever_cent_shopify_put_on_each_unit():
    # 1.00 off three mugs: Shopify allocates 0.33, 0.33 and 0.34; two refunds take them all back.
    node = order_node(lines=[("MUG", 3, "10.00", "1.00")])
    add_refund(node, [(0, 1, "9.67", "0")], "9.67")
    add_refund(node, [(0, 2, "19.33", "0")], "19.33", created_at="2026-03-04T12:00:00Z")
    books = Books()
    _sale, refunds = books.book(node)
    assert [roles(doc) for doc in refunds] == [
        [("product", D("10.00")), ("discount", D("-0.33"))],
        [("product", D("20.00")), ("discount", D("-0.67"))],
    ]
    assert books.balance("Sales of Product Income") == 0 and books.balance("Discounts given") == 0


def test_tax_inclusive_us_refunds_mirror_the_sale():
    node = order_node(lines=[("MUG", 2, "12.00", "2.40")], taxes_included=True, tax="1.60")
    with_line_tax(node, ["1.60"])
    add_refund(node, [(0, 2, "21.60", "1.60")], "21.60")
    books = Books()
    sale, [refund] = books.book(node)
    assert roles(sale) == [("product", D("22.40")), ("discount", D("-2.40"))]
    assert roles(refund) == roles(sale)
    for account in ("Sales of Product Income", "Discounts given", "Sales Tax Payable"):
        assert books.balance(account) == 0, account


def test_discounted_shipping_comes_back_at_its_price_with_its_discount():
    node = order_node(lines=[("A", 1, "30.00", "0.00")], shipping="8.00", shipping_discount="2.00")
    add_refund(node, [(0, 1, "30.00", "0")], "36.00", shipping=("6.00", "0"))
    books = Books()
    _sale, [refund] = books.book(node)
    assert roles(refund) == [("product", D("30.00")), ("shipping", D("8.00")), ("discount", D("-2.00"))]
    for account in ("Sales of Product Income", "Shipping Income", "Discounts given"):
        assert books.balance(account) == 0, account


def test_a_cancelled_orders_refund_is_booked_like_any_other():
    node = add_refund(us_order(), [(0, 2, "18.00", "1.44"), (1, 1, "5.00", "0.40")], "24.84")
    node["cancelledAt"] = "2026-03-03T11:00:00Z"
    [refund] = ledger.refund_receipts(parse_order(node), mapping())
    assert refund.total == D("24.84") and refund.txn_date.isoformat() == "2026-03-03"


def uk_order(inclusive: bool) -> dict[str, Any]:
    """Two mugs at 12.00 with 2.40 off at 20% VAT, and a book at 9.99 zero-rated."""
    mug_tax = "3.60" if inclusive else "4.32"
    return vat_node(
        [
            ("MUG", 2, "12.00", "2.40", [("GB VAT", "0.2", mug_tax)]),
            ("BOOK", 1, "9.99", "0", [("GB VAT", "0", "0.00")]),
        ],
        taxes_included=inclusive,
    )


def test_uk_full_refunds_bring_sales_discounts_and_vat_back_to_zero():
    for inclusive in (True, False):
        node = uk_order(inclusive)
        mug_tax = node["lineItems"]["nodes"][0]["taxLines"][0]["priceSet"]["shopMoney"]["amount"]
        add_refund(
            node, [(0, 2, "21.60", mug_tax), (1, 1, "9.99", "0.00")], node["totalPriceSet"]["shopMoney"]["amount"]
        )
        books = Books("UK")
        owed_before = books.tax_owed()
        sale, [refund] = books.book(node)
        assert refund.total == sale.total and refund.total_tax == sale.total_tax == D(mug_tax)
        assert not refund.flagged and {line.role for line in refund.lines} == {"product", "discount"}
        for account in ("Sales of Product Income", "Discounts given"):
            assert books.balance(account) == 0, (inclusive, account)
        assert books.tax_owed() == owed_before, inclusive
        assert books.clearing() == 0


def test_a_uk_partial_refund_books_exactly_shopifys_refunded_vat():
    node = uk_order(inclusive=True)
    add_refund(node, [(0, 1, "10.80", "1.80")], "10.80")
    books = Books("UK")
    owed_before = books.tax_owed()
    _sale, [refund] = books.book(node)
    stored = books.stored[-1]
    assert D(str(stored["TxnTaxDetail"]["TotalTax"])) == D("1.80")
    assert books.tax_owed() - owed_before == D("1.80")  # 3.60 charged, 1.80 given back
    assert books.balance("Sales of Product Income") == D("10.00") + D("9.99")  # one mug net, the book
    assert books.balance("Discounts given") == D("-1.00")  # the other mug's discount, net of VAT
    assert refund.lines_total + refund.total_tax == refund.total


refund_line = st.tuples(
    st.integers(1, 4),  # quantity
    st.decimals(D("0.05"), D("400"), places=2),  # unit price
    st.integers(0, 50),  # discount, percent of the line
    st.booleans(),  # taxed
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(["US", "UK", "CA"]),
    lines=st.lists(refund_line, min_size=1, max_size=4),
    inclusive=st.booleans(),
    in_two=st.booleans(),
)
def test_any_order_fully_refunded_leaves_sales_discounts_and_tax_at_zero(key, lines, inclusive, in_two):
    combo = {"US": (("State", "0.0725"),), "UK": (("GB VAT", "0.2"),), "CA": (("GST", "0.05"), ("QST", "0.09975"))}[key]
    spec = []
    for n, (qty, price, pct_off, taxed) in enumerate(lines):
        discount = (price * qty * pct_off / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        taxes = charged(price * qty - discount, combo, inclusive) if taxed else []
        spec.append((f"S{n}", qty, str(price), str(discount), taxes))
    currency = {"US": "USD", "UK": "GBP", "CA": "CAD"}[key]
    node = vat_node(spec, taxes_included=inclusive, currency=currency)
    if key == "US":
        for item, (*_, taxes) in zip(node["lineItems"]["nodes"], spec, strict=True):
            item["taxable"] = bool(taxes)
    # Shopify's refunds: each line's subtotal after its discount and its tax; in two refunds, the
    # first takes one unit of the first line (its cents as Shopify would split them).
    refunded = []
    for index, (_sku, qty, price, discount, taxes) in enumerate(spec):
        subtotal = D(price) * qty - D(discount)
        tax = sum((D(a) for *_, a in taxes), D(0))
        if in_two and index == 0 and qty > 1:
            part = (subtotal / qty).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            part_tax = (tax / qty).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            add_refund(node, [(0, 1, str(part), str(part_tax))], str(part + (0 if inclusive else part_tax)))
            refunded.append((0, qty - 1, str(subtotal - part), str(tax - part_tax)))
        else:
            refunded.append((index, qty, str(subtotal), str(tax)))
    rest = sum((D(s) + (0 if inclusive else D(t)) for _, _, s, t in refunded), D(0))
    add_refund(node, refunded, str(rest), created_at="2026-03-05T12:00:00Z")

    books = Books(key)
    owed_before = books.tax_owed()
    sale, refunds = books.book(node)
    assert sum((doc.total for doc in refunds), D(0)) == sale.total
    assert sum((doc.total_tax for doc in refunds), D(0)) == sale.total_tax
    assert not any(doc.flagged for doc in refunds)
    sales, discounts = books.balance("Sales of Product Income"), books.balance("Discounts given")
    assert sales + discounts == 0  # the revenue is always given back exactly
    if key != "US" and inclusive and len(refunds) > 1:
        # Tax-inclusive VAT: each refunded line holds the VAT QuickBooks finds in its own gross, so
        # the units of one line refunded apart can split a cent differently between the product
        # and its discount than the sale did.
        assert abs(sales) <= D("0.01") * len(spec[0][4])
    else:
        assert sales == 0 and discounts == 0
    assert books.tax_owed() == owed_before
    assert books.clearing() == 0
