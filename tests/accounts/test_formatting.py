"""Money on the merchant's pages: the shop's currency, thousands separated, exact to the cent."""

from decimal import Decimal

from accounts.templatetags.formatting import money


def test_money_is_written_with_separators_and_the_currency():
    assert money(Decimal("1234567.5"), "USD") == "1,234,567.50 USD"
    assert money(Decimal("-0.005"), "GBP") == "-0.01 GBP"  # half away from zero, as booked
    assert money("12", "") == "12.00"
    assert money(None, "USD") == ""
