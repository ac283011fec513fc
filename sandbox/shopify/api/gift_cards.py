"""Gift cards: the ``giftCards`` / ``giftCard`` queries, each card with what is left on it.

A card is issued for every unit of a gift card line an order sells (Shopify issues one card per
gift card sold, its initial value the price paid), and read from the orders on each request, so it
is never out of step with them: its balance is the initial value less what orders paid with it
(successful SALE and CAPTURE transactions naming the card in ``giftCardId``), plus what refunds
paid back to it. Cards issued by hand (``giftCardCreate``), expiry, deactivation and gift card
refunds are not emulated: every card is enabled and has an order.
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/giftCards
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/GiftCard
# Reference: https://help.shopify.com/en/manual/products/gift-card-products (one card per gift card sold)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import views
from sandbox.shopify.api.common import ctx, paginate
from sandbox.shopify.executor import Request
from sandbox.shopify.model import Order, gid, iso, money, parse_gid
from sandbox.shopify.search import Fields, compile_query

CARD_ID_UNITS = 1000  # a card's id: its line item's id x 1000 + the unit (1, 2...)


@dataclass(frozen=True)
class Card:
    id: int
    order: Order
    initial_value: Decimal
    balance: Decimal
    created_at: datetime


def shop_cards(orders: list[Order]) -> list[Card]:
    """Every gift card the orders sold, with its balance after what the orders paid with it."""
    used: dict[str, Decimal] = {}
    for order in orders:
        cards_of = {t.id: t.gift_card_id for t in order.transactions if t.gift_card_id}
        for t in order.transactions:
            # A refund names its card through the payment it pays back (its parent).
            card = t.gift_card_id or cards_of.get(t.parent_id or 0)
            if card and t.status == "SUCCESS" and t.kind in ("SALE", "CAPTURE", "REFUND"):
                sign = -1 if t.kind == "REFUND" else 1
                used[card] = used.get(card, Decimal(0)) + sign * t.amount.shop
    cards = []
    for order in orders:
        for li in order.line_items:
            if not li.gift_card:
                continue
            for unit in range(1, li.quantity + 1):
                card_id = li.id * CARD_ID_UNITS + unit
                value = li.unit_price.shop
                spent = used.get(gid("GiftCard", card_id), Decimal(0))
                cards.append(Card(card_id, order, value, value - spent, order.processed_at))
    return cards


def balance_status(card: Card) -> str:
    if card.balance == card.initial_value:
        return "full"
    return "empty" if card.balance <= 0 else "partial"


# The giftCards search filters the 2025-04 schema lists (balance_status, created_at, id,
# initial_value, source, status); ``source`` is always purchased and ``status`` enabled here.
CARD_FIELDS: Fields = {
    "balance_status": (balance_status, "text"),
    "created_at": (lambda c: c.created_at, "time"),
    "id": (lambda c: float(c.id), "number"),
    "initial_value": (lambda c: float(c.initial_value), "number"),
    "source": (lambda _c: "purchased", "text"),
    "status": (lambda _c: "enabled", "text"),
}


def card_view(card: Card, currency: str) -> dict[str, Any]:
    last = last4(card)
    return {
        "__typename": "GiftCard",
        "id": gid("GiftCard", card.id),
        "balance": money(card.balance, currency),
        "initialValue": money(card.initial_value, currency),
        "createdAt": iso(card.created_at),
        "updatedAt": iso(card.created_at),
        "enabled": True,
        "deactivatedAt": None,
        "lastCharacters": last,
        "maskedCode": f"•••• •••• •••• {last}",
        "note": None,
        "order": views.order_view(card.order),
    }


def q_gift_cards(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    cards = shop_cards(list(c.shop.tables["Order"].values()))
    pred = compile_query(args.get("query"), CARD_FIELDS, ZoneInfo(c.shop.config.timezone), c.store.now(), last4)
    sort = {
        "BALANCE": lambda card: card.balance,
        "CREATED_AT": lambda card: card.created_at.timestamp(),
        "INITIAL_VALUE": lambda card: card.initial_value,
    }.get(args.get("sortKey") or "ID", lambda card: card.id)
    entries = sorted(((sort(card), card.id, card) for card in cards if pred(card)), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, lambda card: card_view(card, c.shop.config.currency))


def q_gift_card(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any] | None:
    c = ctx(req)
    wanted = parse_gid(args["id"], "GiftCard")
    found = [card for card in shop_cards(list(c.shop.tables["Order"].values())) if card.id == wanted]
    return card_view(found[0], c.shop.config.currency) if found else None


def last4(card: Card) -> str:
    return f"{card.id:04d}"[-4:]


RESOLVERS = {("QueryRoot", "giftCards"): q_gift_cards, ("QueryRoot", "giftCard"): q_gift_card}
SCOPES = {("QueryRoot", "giftCards"): "read_gift_cards", ("QueryRoot", "giftCard"): "read_gift_cards"}
