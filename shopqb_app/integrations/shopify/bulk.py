"""Bulk operations: every order of a shop without the per-query cost limit.

Reference: https://shopify.dev/docs/api/usage/bulk-operations/queries
One query per shop may run at a time; the result is a JSONL file in which the
nodes of nested connections follow their parent on lines of their own, carrying
``__parentId``. We put them back together into the OrderFields shape.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from shopqb_app.integrations.http import TransientHTTPError, request_with_retries
from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyQueryError, ShopifyUnavailable

RUN = """
mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""
CURRENT = """
query CurrentBulk {
  currentBulkOperation { id status errorCode objectCount url }
}
"""
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/currentBulkOperation
# rootObjectCount counts the orders a listing found (not their lines); completedAt is when it ended.
LISTED = """
query OrdersListed {
  currentBulkOperation { status query rootObjectCount completedAt }
}
"""
FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
CHILD_CONNECTIONS = {"LineItem": "lineItems", "ShippingLine": "shippingLines"}


class BulkOperationFailed(ShopifyUnavailable):
    pass


@dataclass(frozen=True)
class OrdersListed:
    """The app's newest bulk operation, when it is a finished listing of orders."""

    orders: int
    completed_at: datetime


def orders_listed(client: ShopifyClient) -> OrdersListed | None:
    """How many orders the app's newest bulk listing found and when it finished; None while it
    runs, when it failed, or when the newest operation is not a listing of orders."""
    operation = client.execute(LISTED).get("currentBulkOperation") or {}
    finished = operation.get("completedAt")
    if operation.get("status") != "COMPLETED" or not finished or "orders" not in str(operation.get("query")):
        return None
    completed_at = datetime.fromisoformat(str(finished).replace("Z", "+00:00"))
    return OrdersListed(orders=int(operation.get("rootObjectCount") or 0), completed_at=completed_at)


def orders_query(search: str | None) -> str:
    text = load_query("bulk_orders")
    if search is None:
        return text.replace('query: "$search", ', "")
    return text.replace("$search", search.replace("\\", "\\\\").replace('"', '\\"'))


def bulk_orders(
    client: ShopifyClient,
    *,
    search: str | None,
    poll_every: float = 1.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Every order matching ``search`` as an OrderFields-shaped dict (refunds by id only)."""
    url = run_bulk_query(client, orders_query(search), poll_every=poll_every, timeout=timeout, sleep=sleep)
    if url:
        yield from assemble_orders(_jsonl(client, url))


def run_bulk_query(
    client: ShopifyClient, query: str, *, poll_every: float, timeout: float, sleep: Callable[[float], None]
) -> str:
    """Start the operation (waiting for another one of ours to finish first), return its result URL."""
    deadline = time.monotonic() + timeout
    while True:
        started = client.execute(RUN, {"query": query})["bulkOperationRunQuery"]
        errors = started.get("userErrors") or []
        if not errors:
            break
        if any(e.get("code") == "OPERATION_IN_PROGRESS" for e in errors):
            _wait(client, deadline, poll_every, sleep)
            continue
        raise ShopifyQueryError("bulk query refused: " + "; ".join(str(e.get("message")) for e in errors))
    operation = _wait(client, deadline, poll_every, sleep)
    if operation["status"] != "COMPLETED":
        raise BulkOperationFailed(f"bulk operation {operation['status']}: {operation.get('errorCode')}")
    return str(operation.get("url") or "")  # no url: nothing matched


def _wait(client: ShopifyClient, deadline: float, poll_every: float, sleep: Callable[[float], None]) -> dict[str, Any]:
    while True:
        operation = client.execute(CURRENT)["currentBulkOperation"]
        if operation is None or operation["status"] in FINISHED:
            return dict(operation or {"status": "COMPLETED", "url": None})
        if time.monotonic() > deadline:
            raise BulkOperationFailed("bulk operation did not finish in time")
        sleep(poll_every)


def _jsonl(client: ShopifyClient, url: str) -> Iterator[dict[str, Any]]:
    try:
        response = request_with_retries(client.session, "GET", url, timeout=client.timeout, stream=True)
        with response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line:
                    yield json.loads(line, parse_float=Decimal)
    except (requests.RequestException, TransientHTTPError) as exc:
        raise ShopifyUnavailable(f"bulk result download failed: {exc}") from exc


def assemble_orders(lines: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Orders with their line items and shipping lines, in file order.

    Children always follow their parent, so an order is complete when the next
    order (or the end of the file) arrives.
    """
    current: dict[str, Any] | None = None
    for row in lines:
        parent = row.pop("__parentId", None)
        if parent is None:
            if current is not None:
                yield current
            current = {**row, "lineItems": {"nodes": []}, "shippingLines": {"nodes": []}}
            continue
        if current is None or current["id"] != parent:
            raise ShopifyQueryError(f"bulk result out of order: child of {parent} outside its order")
        connection = CHILD_CONNECTIONS.get(str(row.pop("__typename", "")))
        if connection is None:
            raise ShopifyQueryError("bulk result has a child line of an unknown type")
        current[connection]["nodes"].append(row)
    if current is not None:
        yield current
