"""Query cost and the per-shop leaky bucket, after Shopify's GraphQL rate limits.

Cost rules (Shopify's published calculation, simplified where it does not say):
scalars and enums 0; each object 1; a connection 2 plus ``first``/``last`` times
the cost of one node; each mutation field 10. The actual cost counts the nodes
the top-level connections really returned.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from graphql import is_abstract_type

from sandbox.shopify.encoding import RawJSON
from sandbox.shopify.executor import OBJECT, FieldPlan, Request
from sandbox.shopify.store import PLANS, ShopData

MUTATION_COST = 10


def _node_plans(req: Request, p: FieldPlan) -> list[FieldPlan]:
    named = p.named_type
    if is_abstract_type(named):
        types = req.executor.schema.get_possible_types(named)
        best: list[FieldPlan] = []
        best_cost = -1
        for t in types:
            plans = req.plan(t, [n.selection_set for n in p.nodes if n.selection_set])
            c = selection_cost(req, plans)
            if c > best_cost:
                best, best_cost = plans, c
        return best
    plans = p.subplans.get(named.name)
    if plans is None:
        plans = req.plan(named, [n.selection_set for n in p.nodes if n.selection_set])
        p.subplans[named.name] = plans
    return plans


def _connection_node_cost(req: Request, conn_plans: list[FieldPlan]) -> int:
    node_cost = 0
    for cp in conn_plans:
        if cp.name == "nodes":
            node_cost = max(node_cost, 1 + selection_cost(req, _node_plans(req, cp)))
        elif cp.name == "edges":
            for ep in _node_plans(req, cp):
                if ep.name == "node":
                    node_cost = max(node_cost, 1 + selection_cost(req, _node_plans(req, ep)))
    return node_cost


def field_cost(req: Request, p: FieldPlan, count: int | None = None) -> int:
    if p.kind != OBJECT:
        return 0
    sub = _node_plans(req, p)
    if p.named_type.name.endswith("Connection"):
        n = count if count is not None else (p.args.get("first") or p.args.get("last") or 0)
        return 2 + n * _connection_node_cost(req, sub)
    return 1 + selection_cost(req, sub)


def selection_cost(req: Request, plans: list[FieldPlan]) -> int:
    return sum(field_cost(req, p) for p in plans if p.kind == OBJECT)


def requested_cost(req: Request, root_plans: list[FieldPlan], mutation: bool) -> int:
    if mutation:
        return MUTATION_COST * len(root_plans)
    return selection_cost(req, root_plans)


def actual_cost(req: Request, root_plans: list[FieldPlan], data: dict[str, Any] | None, mutation: bool) -> int:
    """What the query really cost: like the requested cost, but every connection, at
    every depth, counts the nodes it returned instead of its ``first``."""
    if mutation:
        return MUTATION_COST * len(root_plans)
    if not data:
        return 0
    return sum(_actual(req, p, data.get(p.key)) for p in root_plans)


def _actual(req: Request, p: FieldPlan, value: Any) -> int:
    if p.kind != OBJECT or value is None:
        return 0
    if value.__class__ is RawJSON:
        return 1 + value.cost  # type: ignore[no-any-return]
    sub = _node_plans(req, p)
    if p.named_type.name.endswith("Connection") and isinstance(value, dict):
        total = 2
        for cp in sub:
            if cp.name == "nodes":
                node_plans = _node_plans(req, cp)
                total += sum(1 + _selection_actual(req, node_plans, node) for node in value.get("nodes") or [])
            elif cp.name == "edges":
                for ep in _node_plans(req, cp):
                    if ep.name == "node":
                        node_plans = _node_plans(req, ep)
                        total += sum(
                            1 + _selection_actual(req, node_plans, edge.get(ep.key) or {})
                            for edge in value.get("edges") or []
                        )
        return total
    if isinstance(value, list):
        # A plain list is charged once, like the requested cost does.
        return 1 + max(
            (_selection_actual(req, sub, item) for item in value if isinstance(item, dict | RawJSON)), default=0
        )
    return 1 + _selection_actual(req, sub, value if isinstance(value, dict) else {})


def _selection_actual(req: Request, plans: list[FieldPlan], value: dict[str, Any]) -> int:
    if value.__class__ is RawJSON:
        return value.cost  # type: ignore[attr-defined,no-any-return]
    static, dynamic = _split(req, plans)
    return static + sum(_actual(req, p, value.get(p.key)) for p in dynamic)


def _split(req: Request, plans: list[FieldPlan]) -> tuple[int, list[FieldPlan]]:
    """Object fields without a connection below them cost the same for every value (counted as
    present); only the others are walked. Memoized per request and selection."""
    memo: dict[int, tuple[int, list[FieldPlan]]] = req.__dict__.setdefault("_cost_split", {})
    hit = memo.get(id(plans))
    if hit is None:
        static, dynamic = 0, []
        for p in plans:
            if p.kind != OBJECT:
                continue
            if _has_connection(req, p):
                dynamic.append(p)
            else:
                static += field_cost(req, p)
        hit = memo[id(plans)] = (static, dynamic)
    return hit


def _has_connection(req: Request, p: FieldPlan) -> bool:
    if p.kind != OBJECT:
        return False
    if p.named_type.name.endswith("Connection"):
        return True
    return any(_has_connection(req, c) for c in _node_plans(req, p))


@dataclass
class Bucket:
    maximum: float
    restore_rate: float
    available: float
    stamp: float

    def refill(self, now: float) -> None:
        self.available = min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now


class Throttle:
    """Leaky buckets per (app, shop)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.Lock()

    def bucket(self, key: str, maximum: float, restore_rate: float) -> Bucket:
        b = self.buckets.get(key)
        now = self.clock()
        if b is None or b.maximum != maximum or b.restore_rate != restore_rate:
            b = Bucket(maximum, restore_rate, maximum, now)
            self.buckets[key] = b
        b.refill(now)
        return b

    def take(self, key: str, maximum: float, restore_rate: float, cost: int) -> tuple[bool, Bucket]:
        with self.lock:
            b = self.bucket(key, maximum, restore_rate)
            if cost > b.available:
                return False, b
            b.available -= cost
            return True, b

    def give_back(self, key: str, amount: int) -> None:
        with self.lock:
            b = self.buckets.get(key)
            if b is not None and amount > 0:
                b.available = min(b.maximum, b.available + amount)

    def status(self, key: str) -> Bucket | None:
        with self.lock:
            b = self.buckets.get(key)
            if b is not None:
                b.refill(self.clock())
            return b


def selection_actual(req: Request, plans: list[FieldPlan], value: dict[str, Any]) -> int:
    return _selection_actual(req, plans, value)


def plan_limits(shop: ShopData) -> tuple[int, int]:
    """(restore rate, bucket size) of the shop's plan."""
    return PLANS.get(shop.config.plan, PLANS["Shopify"])


def extension(
    requested: int, actual: int | None, bucket: Bucket | None, maximum: float = 2000, restore: float = 100
) -> dict[str, Any]:
    """``extensions.cost`` of a response: the costs and the bucket as it is after the request."""
    if bucket is not None:
        maximum, available, restore = bucket.maximum, bucket.available, bucket.restore_rate
    else:
        available = maximum
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": float(maximum),
            "currentlyAvailable": int(available),
            "restoreRate": float(restore),
        },
    }


def max_cost_exceeded(requested: int, max_cost: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": (
                    f"Query cost is {requested}, which exceeds the single query max cost limit "
                    f"({max_cost}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits "
                    "for more information on how the\ncost of a query is calculated.\n\nTo query larger "
                    "amounts of data with fewer limits, bulk operations should be used instead.\nSee "
                    "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
                ),
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": max_cost},
            }
        ]
    }


def throttled(requested: int, bucket: Bucket) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ],
        "extensions": {"cost": extension(requested, None, bucket)},
    }
