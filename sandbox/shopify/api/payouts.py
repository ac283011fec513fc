"""Shopify Payments: the account's balance, payouts and balance transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import views
from sandbox.shopify.api.common import ctx, paginate
from sandbox.shopify.executor import Request
from sandbox.shopify.model import gid, money
from sandbox.shopify.payouts import sync_balance_transactions
from sandbox.shopify.search import Fields, compile_query


def q_payments_account(_root: Any, _args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    cfg = c.shop.config
    pending = sum(
        (b.net for b in c.shop.tables["BalanceTransaction"].values() if b.payout_id is None and not b.test),
        Decimal(0),
    )
    return {
        "__typename": "ShopifyPaymentsAccount",
        "id": gid("ShopifyPaymentsAccount", 1000 + len(cfg.domain)),
        "activated": True,
        "country": cfg.country,
        "defaultCurrency": cfg.currency,
        "balance": [money(pending, cfg.currency)],
    }


PAYOUT_FIELDS: Fields = {
    "issued_at": (lambda p: p.issued_at, "time"),
    "status": (lambda p: p.status.lower(), "text"),
    "id": (lambda p: float(p.id), "number"),
}


# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsAccount#field-balancetransactions
# (``payments_transfer_id`` is the payout's legacy id: the transactions one payout paid out)
BALANCE_FIELDS: Fields = {
    "payments_transfer_id": (lambda b: float(b.payout_id or 0), "number"),
    "payout_id": (lambda b: float(b.payout_id or 0), "number"),
    "transaction_type": (lambda b: b.type.lower(), "text"),
    "payout_status": (lambda b: b.payout_status.lower(), "text"),
    "processed_at": (lambda b: b.transaction_date, "time"),
    "type": (lambda b: b.type.lower(), "text"),
    "test": (lambda b: b.test, "bool"),
    "id": (lambda b: float(b.id), "number"),
}


def r_payouts(_account: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    items = list(c.shop.tables["Payout"].values())
    if args.get("transactionType"):
        items = [p for p in items if p.transaction_type == args["transactionType"]]
    pred = compile_query(
        args.get("query"), PAYOUT_FIELDS, ZoneInfo(c.shop.config.timezone), c.store.now(), lambda _p: ""
    )
    entries = sorted(((p.issued_at.timestamp(), p.id, p) for p in items if pred(p)), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, views.payout_view)


def r_balance_transactions(_account: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sync_balance_transactions(c.store, c.shop)
    items = [
        b
        for b in c.shop.tables["BalanceTransaction"].values()
        if not (args.get("hideTransfers") and b.type == "TRANSFER")
    ]
    pred = compile_query(
        args.get("query"), BALANCE_FIELDS, ZoneInfo(c.shop.config.timezone), c.store.now(), lambda _b: ""
    )
    entries = sorted(((b.transaction_date.timestamp(), b.id, b) for b in items if pred(b)), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, views.balance_view)


RESOLVERS = {
    ("QueryRoot", "shopifyPaymentsAccount"): q_payments_account,
    ("ShopifyPaymentsAccount", "payouts"): r_payouts,
    ("ShopifyPaymentsAccount", "balanceTransactions"): r_balance_transactions,
}
SCOPES = {("QueryRoot", "shopifyPaymentsAccount"): "read_shopify_payments_payouts"}
