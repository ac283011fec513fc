"""Ids, times, money shapes and cursors every record and view uses; the base of persisted records."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.shopify.money import ZERO, gql_amount, rnd


def gid(kind: str, id_: int) -> str:
    return f"gid://shopify/{kind}/{id_}"


def parse_gid(value: str | None, kind: str | None = None) -> int | None:
    if not value or not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    parts = value[len("gid://shopify/") :].split("/")
    if len(parts) != 2 or (kind and parts[0] != kind):
        return None
    try:
        return int(parts[1].split("?")[0])
    except ValueError:
        return None


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": gql_amount(amount), "currencyCode": currency}


def bag(shop: Decimal, pres: Decimal, shop_currency: str, pres_currency: str) -> dict[str, Any]:
    return {"shopMoney": money(shop, shop_currency), "presentmentMoney": money(pres, pres_currency)}


def cursor(value: Any, id_: int) -> str:
    return base64.b64encode(json.dumps({"last_id": id_, "last_value": value}).encode()).decode()


def decode_cursor(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(text.encode()))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) and "last_id" in data else None


def memoized(fn: Any) -> Any:
    """Cache a computed total while ``Order.memo`` is active (a view is being built)."""
    name = fn.__name__

    def wrapper(self: Any) -> Any:
        memo = self.__dict__.get("_memo")
        if memo is None:
            return fn(self)
        if name not in memo:
            memo[name] = fn(self)
        return memo[name]

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Record:
    """Base for persisted records: ``shop`` + ``id``, a cached view not pickled."""

    _view: dict[str, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_view", None)
        state.pop("_memo", None)
        return state

    def invalidate(self) -> None:
        self._view = None


@dataclass
class Pair:
    """An amount in shop and presentment currency."""

    shop: Decimal = ZERO
    pres: Decimal = ZERO

    def __add__(self, other: Pair) -> Pair:
        return Pair(self.shop + other.shop, self.pres + other.pres)

    def __sub__(self, other: Pair) -> Pair:
        return Pair(self.shop - other.shop, self.pres - other.pres)

    def scale(self, num: int, den: int, shop_cur: str, pres_cur: str) -> Pair:
        if den == 0 or num == den:
            return Pair(self.shop, self.pres) if num == den else Pair()
        return Pair(rnd(self.shop * num / den, shop_cur), rnd(self.pres * num / den, pres_cur))

    def neg(self) -> Pair:
        return Pair(-self.shop, -self.pres)


def psum(pairs: Any) -> Pair:
    total = Pair()
    for p in pairs:
        total = total + p
    return total
