"""What Shopify says is still owed or waiting, for the balance-sheet accounts ShopQB books to: the
Shopify Payments money no paid-out payout holds yet, and what is left on the shop's gift cards.

Reconciliation sets these against the balances QuickBooks keeps (syncing/reconcile.py). Money is
Decimal, signs as Shopify gives them (a balance transaction's amount is what it added to the
Shopify Payments balance: a refund is negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.parse import parse_money
from shopqb_app.integrations.shopify.payouts import BalanceTransaction, parse_balance_transaction

PAGE = 100


@dataclass(frozen=True)
class GiftCard:
    """A gift card and what is left on it; ``order_id`` is the order that sold it ('' if issued by hand)."""

    id: str
    balance: Decimal
    initial_value: Decimal
    currency: str
    enabled: bool
    order_id: str
    order_name: str

    @property
    def spent(self) -> Decimal:
        return self.initial_value - self.balance


def unpaid_balance_transactions(client: ShopifyClient) -> list[BalanceTransaction]:
    """Every Shopify Payments balance transaction not in a paid-out payout yet (payouts themselves
    left out): what the bank has not received. Test transactions are kept; callers leave them out."""
    return _balance_transactions(client, "-payout_status:paid")


def all_balance_transactions(client: ShopifyClient) -> list[BalanceTransaction]:
    """Every Shopify Payments balance transaction, paid out or not (payouts themselves left out)."""
    return _balance_transactions(client, None)


def _balance_transactions(client: ShopifyClient, search: str | None) -> list[BalanceTransaction]:
    return [parse_balance_transaction(node) for node in balance_transaction_nodes(client, search, PAGE)]


def balance_transaction_nodes(client: ShopifyClient, search: str | None, page_size: int) -> list[dict[str, Any]]:
    """The balance transactions matching ``search`` (payouts themselves left out), oldest first,
    as Shopify answers them, read page by page; none without a Shopify Payments account."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsAccount#field-balancetransactions
    query = load_query("balance_transactions")
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = client.execute(query, {"first": page_size, "after": after, "query": search})
        page = (data.get("shopifyPaymentsAccount") or {}).get("balanceTransactions")
        if page is None:
            return found
        found.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def gift_cards(client: ShopifyClient) -> list[GiftCard]:
    """Every gift card of the shop, with its balance and the order that sold it."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/giftCards
    cards: list[GiftCard] = []
    for page in client.paginate(load_query("gift_cards"), "giftCards", {"first": PAGE}):
        cards.extend(parse_gift_card(node) for node in page)
    return cards


def parse_gift_card(raw: dict[str, Any]) -> GiftCard:
    balance = parse_money(raw.get("balance"))
    order = raw.get("order") or {}
    return GiftCard(
        id=str(raw["id"]),
        balance=balance.amount,
        initial_value=parse_money(raw.get("initialValue"), balance.currency).amount,
        currency=balance.currency,
        enabled=bool(raw.get("enabled", True)),
        order_id=str(order.get("id") or ""),
        order_name=str(order.get("name") or ""),
    )
