"""Resolvers of the emulated Admin GraphQL API, one module per resource, combined here.

Each module exports ``RESOLVERS`` ((type, field) -> resolver) and ``SCOPES`` (root
field -> the access scope it needs); this is the one place that joins them into
the table the executor runs (as moto joins a service's per-resource backends),
with ``NESTED_SCOPES``: the fields below the root that need a scope of their own.
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

__all__ = [
    "BULK",
    "NESTED_SCOPES",
    "REQUIRED_SCOPES",
    "RESOLVERS",
    "Context",
    "register_connection_edges",
    "scoped_resolvers",
]

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

# Fields below the root that need a scope of their own, however the query reached their parent;
# any one of the listed scopes grants the field. A Customer needs read_customers, so an order's
# customer is denied to a token that only reads orders; since January 2025 an InventoryItem is
# readable with read_inventory or read_products, so a variant reached from an order's line item
# needs one of them for its inventory item.
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/Customer
# Reference: https://shopify.dev/changelog/inventoryitem-queryable-and-updatable-with-products-scopes
# Reference: https://github.com/airbytehq/airbyte/pull/45633 (variants' inventory items denied without the scope)
NESTED_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Order", "customer"): ("read_customers",),
    ("ProductVariant", "inventoryItem"): ("read_inventory", "read_products"),
    # The root field too (it overrides REQUIRED_SCOPES' single scope for it).
    ("QueryRoot", "inventoryItem"): ("read_inventory", "read_products"),
}


def has_scope(scopes: frozenset[str], needed: str) -> bool:
    if needed in scopes:
        return True
    if needed.startswith("read_") and "write_" + needed[5:] in scopes:
        return True
    return needed == "read_shopify_payments_payouts" and "read_shopify_payments_accounts" in scopes


class ScopeCheck:
    """A resolver that runs only for a token holding one of ``needed``; any other gets Shopify's
    ACCESS_DENIED error for the field (null there, at the field's path, root or nested alike).

    ``allows`` is what the executor keys its render cache on, so a subtree rendered for a token
    that may see a field is never served to one that may not.
    """

    # Shopify names every scope that would do: "Required access: `a` access scope or `b` access scope."
    # Reference: https://community.shopify.com/t/access-denied-for-customercreate-required-access-write-customers-access-scope-admin-graphql-api/134306
    # Reference: https://github.com/Shopify/subscriptions-reference-app/issues/13 (a nested field denied, path ["customer", ...])
    def __init__(self, field: str, needed: tuple[str, ...], resolve: Callable[..., Any]) -> None:
        self.field = field
        self.needed = needed
        self.resolve = resolve
        self.required = " or ".join(f"`{scope}` access scope" for scope in needed) + "."

    def allows(self, req: Request) -> bool:
        scopes = ctx(req).scopes
        return any(has_scope(scopes, scope) for scope in self.needed)

    def __call__(self, obj: Any, args: dict[str, Any], req: Request) -> Any:
        if not self.allows(req):
            raise FieldFailure(
                f"Access denied for {self.field} field. Required access: {self.required}",
                {
                    "code": "ACCESS_DENIED",
                    "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": self.required,
                },
            )
        return self.resolve(obj, args, req)


def scoped_resolvers() -> dict[tuple[str, str], Callable[..., Any]]:
    resolvers = dict(RESOLVERS)
    needs = {key: (needed,) for key, needed in REQUIRED_SCOPES.items()} | NESTED_SCOPES
    for key, needed in needs.items():
        resolvers[key] = ScopeCheck(key[1], needed, resolvers[key])
    return resolvers


def register_connection_edges(schema: Any, resolvers: dict[tuple[str, str], Callable[..., Any]]) -> None:
    for name, type_ in schema.type_map.items():
        if name.endswith("Connection") and hasattr(type_, "fields") and "edges" in type_.fields:
            resolvers[(name, "edges")] = edges
