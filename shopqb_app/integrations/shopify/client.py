"""Shopify Admin GraphQL transport: timeouts, cost-based throttling, typed errors.

Our own thin client (ShopifyAPI's GraphQL helper has no timeout, no throttle
handling and global session state). Pinned to settings.SHOPIFY_API_VERSION.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import requests

from shopqb_app.integrations import budget
from shopqb_app.integrations.http import TransientHTTPError, request_with_retries
from shopqb_app.integrations.shopify.errors import ShopifyAuthError, ShopifyQueryError, ShopifyUnavailable

QUERY_DIR = Path(__file__).parent / "queries"
FRAGMENT_FILES = {
    "MoneyBagFields": "money_fields.graphql",
    "TaxLineFields": "money_fields.graphql",
    "LineItemFields": "line_item_fields.graphql",
    "OrderFields": "order_fields.graphql",
}


@cache
def load_query(name: str) -> str:
    """A query file from queries/, with every fragment it spreads (transitively) appended."""
    source = (QUERY_DIR / f"{name}.graphql").read_text()
    included: set[str] = set()
    while True:
        missing = sorted(
            {FRAGMENT_FILES[f] for f in FRAGMENT_FILES if f"...{f}" in source} - included - {f"{name}.graphql"}
        )
        if not missing:
            return source
        for filename in missing:
            source += "\n" + (QUERY_DIR / filename).read_text()
            included.add(filename)


@dataclass
class ShopifyClient:
    """One shop's Admin API. ``admin_base`` is ``https://{shop}`` in production."""

    shop_domain: str
    access_token: str
    admin_base: str
    api_version: str
    timeout: float = 30.0
    # Other workers may share the shop's bucket: keep waiting while this is not exceeded.
    max_throttle_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)
    # Last seen throttle state, to wait before a request instead of after a refusal.
    available: float | None = None
    restore_rate: float | None = None
    maximum_available: float | None = None
    # Requested cost of each query text as Shopify computed it: we wait for that much
    # budget before sending the query again instead of being refused.
    known_costs: dict[str, float] = field(default_factory=dict)
    # Given the access token Shopify answered 401 to, returns a usable one (or raises a
    # ShopifyError). Without it a 401 is final.
    on_unauthorized: Callable[[str], str] | None = None

    @property
    def endpoint(self) -> str:
        base = self.admin_base.format(shop=self.shop_domain).rstrip("/")
        return f"{base}/admin/api/{self.api_version}/graphql.json"

    def execute(self, query: str, variables: dict[str, Any] | None = None, *, expected_cost: int = 0) -> dict[str, Any]:
        # Reference: https://shopify.dev/docs/api/usage/rate-limits#graphql-admin-api-rate-limits
        waited = 0.0
        while waited <= self.max_throttle_wait:
            cost = max(expected_cost, self.known_costs.get(query, 0))
            taken = self._take_budget(cost)
            body = self._post({"query": query, "variables": variables or {}})
            self._remember_cost(body, query)
            self._settle_budget(body, taken)
            errors = body.get("errors") or []
            if any(_is_throttled(error) for error in errors):
                waited += self._wait_after_throttle(body, expected_cost)
                continue
            if errors:
                messages = "; ".join(str(e.get("message", e)) for e in errors)
                raise ShopifyQueryError(f"GraphQL errors from {self.shop_domain}: {messages}")
            data = body.get("data")
            if not isinstance(data, dict):
                raise ShopifyQueryError(f"GraphQL answer from {self.shop_domain} has no data")
            return data
        raise ShopifyUnavailable(f"{self.shop_domain} kept throttling for {waited:.0f} s")

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self._send(payload)
        if response.status_code == 401 and self.on_unauthorized is not None:
            # An expiring offline token may be refused before the expiry we stored: renew
            # it once (refreshing "before or after the access token expires") and send the
            # same request again; a second 401 is final.
            # Reference: https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
            self.access_token = self.on_unauthorized(self.access_token)
            response = self._send(payload)
        if response.status_code in (401, 403):
            raise ShopifyAuthError(f"{self.shop_domain} refused the access token (HTTP {response.status_code})")
        if response.status_code >= 500 or response.status_code == 429:
            raise ShopifyUnavailable(f"{self.shop_domain} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise ShopifyQueryError(f"{self.shop_domain} answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            parsed = json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise ShopifyUnavailable(f"{self.shop_domain} answered with invalid JSON") from exc
        if not isinstance(parsed, dict):
            raise ShopifyQueryError(f"{self.shop_domain} answered with a non-object")
        return parsed

    def _send(self, payload: dict[str, Any]) -> requests.Response:
        headers = {"X-Shopify-Access-Token": self.access_token, "Content-Type": "application/json"}
        try:
            return request_with_retries(
                self.session, "POST", self.endpoint, timeout=self.timeout, json=payload, headers=headers
            )
        except TransientHTTPError as exc:
            raise ShopifyUnavailable(str(exc)) from exc

    def _remember_cost(self, body: dict[str, Any], query: str) -> None:
        cost = (body.get("extensions") or {}).get("cost", {})
        if cost.get("requestedQueryCost") is not None:
            self.known_costs[query] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus")
        if status:
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"]) or None
            self.maximum_available = float(status.get("maximumAvailable") or 0) or None

    def _take_budget(self, cost: float) -> float | None:
        """Wait for ``cost`` points of the shop's bucket shared by every worker (shopqb_app/
        integrations/budget.py) and take them; without a shared budget, wait on what this client
        last saw. Returns the points taken from the shared bucket."""
        shared = budget.current()
        if shared is None:
            self._wait_for_budget(cost)
            return None
        try:
            return shared.shopify_take(self.shop_domain, cost, capacity=self.maximum_available, rate=self.restore_rate)
        except budget.BudgetExhausted as exc:
            raise ShopifyUnavailable(str(exc)) from exc

    def _settle_budget(self, body: dict[str, Any], taken: float | None) -> None:
        """Keep the shared bucket honest with Shopify's answer: give back what the query did not
        cost, and never count more points than its throttleStatus says are left."""
        shared = budget.current()
        if shared is None or taken is None:
            return
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        actual = cost.get("actualQueryCost")
        shared.shopify_settle(
            self.shop_domain,
            taken=taken,
            actual=None if actual is None else float(actual),
            available=None if status.get("currentlyAvailable") is None else float(status["currentlyAvailable"]),
            capacity=self.maximum_available,
            rate=self.restore_rate,
        )

    def _wait_for_budget(self, expected_cost: float) -> None:
        if self.available is None or self.restore_rate is None or expected_cost <= self.available:
            return
        self._sleep_for((expected_cost - self.available) / self.restore_rate)

    def _wait_after_throttle(self, body: dict[str, Any], expected_cost: float) -> float:
        cost = (body.get("extensions") or {}).get("cost", {})
        requested = float(cost.get("requestedQueryCost") or expected_cost or 50)
        available = self.available or 0.0
        rate = self.restore_rate or 50.0
        wait = max(0.1, (requested - available) / rate)
        self._sleep_for(wait)
        return wait

    def _sleep_for(self, seconds: float) -> None:
        """Sleep, and credit the bucket with what it restored meanwhile."""
        self.sleep(seconds)
        if self.available is not None and self.restore_rate:
            self.available += seconds * self.restore_rate

    def paginate(
        self, query: str, connection: str, variables: dict[str, Any], *, expected_cost: int = 0
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``nodes`` from a top-level connection, following endCursor."""
        after: str | None = None
        while True:
            data = self.execute(query, {**variables, "after": after}, expected_cost=expected_cost)
            page = data[connection]
            yield list(page["nodes"])
            info = page["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]


def _is_throttled(error: dict[str, Any]) -> bool:
    return bool((error.get("extensions") or {}).get("code") == "THROTTLED")
