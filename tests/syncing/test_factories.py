"""The order nodes tests book are shaped as Shopify returns orders: tax on the lines."""

from decimal import Decimal

from tests.syncing.factories import order_node


def amount(bag: dict) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def test_an_orders_tax_is_carried_by_its_lines_in_proportion_and_to_the_cent():
    node = order_node(lines=[("A", 2, "10.00", "2.00"), ("B", 1, "9.00", "0.00"), ("C", 3, "1.00", "0.00")], tax="2.01")
    items = node["lineItems"]["nodes"]
    # discounted totals 18, 9 and 3: 1.206 + 0.603 + 0.201 -> 1.20 + 0.60 + 0.20, the cent left to A
    assert [[amount(t["priceSet"]) for t in li["taxLines"]] for li in items] == [
        [Decimal("1.21")],
        [Decimal("0.60")],
        [Decimal("0.20")],
    ]
    assert [amount(t["priceSet"]) for t in node["taxLines"]] == [Decimal("2.01")]
    assert amount(node["totalTaxSet"]) == Decimal("2.01")


def test_tax_given_per_line_is_kept_as_given_and_no_tax_means_no_tax_lines():
    node = order_node(
        lines=[("A", 1, "10.00", "0.00"), ("B", 1, "10.00", "0.00")], line_tax=["2.00", "0.00"], tax="2.00"
    )
    assert [amount(li["taxLines"][0]["priceSet"]) for li in node["lineItems"]["nodes"]] == [
        Decimal("2.00"),
        Decimal("0"),
    ]
    untaxed = order_node(lines=[("A", 1, "10.00", "0.00")])
    assert untaxed["taxLines"] == [] and untaxed["lineItems"]["nodes"][0]["taxLines"] == []
