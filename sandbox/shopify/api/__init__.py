"""Resolvers of the emulated Admin GraphQL API, one module per resource, combined here.

Each module exports ``RESOLVERS`` ((type, field) -> resolver) and ``SCOPES`` (root
field -> the access scope it needs); this is the one place that joins them into
the table the executor runs (as moto joins a service's per-resource backends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sandbox.shopify.api import (
    bulk_operations,
    common,
    gift_cards,
    inventory,
    order_edits,
    orders,
    payouts,
    products,
    refunds,
    shop,
    webhook_subscriptions,
)
from sandbox.shopify.api.common import BULK, Context, ctx, edges
from sandbox.shopify.executor import FieldFailure, Request

__all__ = ["BULK", "REQUIRED_SCOPES", "RESOLVERS", "Context", "register_connection_edges", "scoped_resolvers"]

MODULES = (
    common,
    shop,
    orders,
    order_edits,
    refunds,
    products,
    inventory,
    payouts,
    gift_cards,
    bulk_operations,
    webhook_subscriptions,
)


def combine(tables: Iterable[dict[tuple[str, str], Any]]) -> dict[tuple[str, str], Any]:
    """One table from the modules' tables; a field claimed twice is a mistake, not an override."""
    out: dict[tuple[str, str], Any] = {}
    for table in tables:
        for key, value in table.items():
            if key in out:
                raise ValueError(f"{key[0]}.{key[1]} is resolved by two modules")
            out[key] = value
    return out


RESOLVERS: dict[tuple[str, str], Callable[..., Any]] = combine(m.RESOLVERS for m in MODULES)
# Root fields and the scope each needs (a write_ scope grants the read_ one, as on Shopify).
REQUIRED_SCOPES: dict[tuple[str, str], str] = combine(m.SCOPES for m in MODULES)


def has_scope(scopes: frozenset[str], needed: str) -> bool:
    if needed in scopes:
        return True
    if needed.startswith("read_") and "write_" + needed[5:] in scopes:
        return True
    return needed == "read_shopify_payments_payouts" and "read_shopify_payments_accounts" in scopes


def with_scope(field: str, needed: str, resolve: Callable[..., Any]) -> Callable[..., Any]:
    def checked(obj: Any, args: dict[str, Any], req: Request) -> Any:
        if not has_scope(ctx(req).scopes, needed):
            required = f"`{needed}` access scope."
            raise FieldFailure(
                f"Access denied for {field} field. Required access: {required}",
                {
                    "code": "ACCESS_DENIED",
                    "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": required,
                },
            )
        return resolve(obj, args, req)

    return checked


def scoped_resolvers() -> dict[tuple[str, str], Callable[..., Any]]:
    resolvers = dict(RESOLVERS)
    for key, needed in REQUIRED_SCOPES.items():
        resolvers[key] = with_scope(key[1], needed, resolvers[key])
    return resolvers


def register_connection_edges(schema: Any, resolvers: dict[tuple[str, str], Callable[..., Any]]) -> None:
    for name, type_ in schema.type_map.items():
        if name.endswith("Connection") and hasattr(type_, "fields") and "edges" in type_.fields:
            resolvers[(name, "edges")] = edges
