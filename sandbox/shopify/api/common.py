"""What every resolver module shares: the request context and Shopify's connection paging."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.shopify import views
from sandbox.shopify.executor import FieldFailure, Request
from sandbox.shopify.model import cursor, decode_cursor
from sandbox.shopify.search import Fields, compile_query
from sandbox.shopify.store import ShopData, Store

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

MAX_PAGE = 250


@dataclass
class Context:
    emulator: ShopifyEmulator
    store: Store
    shop: ShopData
    scopes: frozenset[str]
    version: str = "2025-04"

    def emit(self, topic: str, record: Any) -> None:
        self.emulator.emit(self.shop, topic, record)


def ctx(req: Request) -> Context:
    return req.context  # type: ignore[attr-defined,no-any-return]


# -- connections --------------------------------------------------------------


BULK = threading.local()  # set while a bulk operation runs: pagination arguments are ignored


def _page_size(args: dict[str, Any]) -> tuple[int, bool]:
    if getattr(BULK, "active", False):
        return 10**9, False
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise FieldFailure("you must provide one of first or last")
    if first is not None and last is not None:
        raise FieldFailure("providing both first and last is not supported")
    n = first if first is not None else last
    if n < 0:
        raise FieldFailure("first and last must be non-negative")
    if n > MAX_PAGE:
        raise FieldFailure(f"The {'first' if first is not None else 'last'} argument must be at most {MAX_PAGE}.")
    return n, last is not None


def paginate(entries: list[tuple[Any, int, Any]], args: dict[str, Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    """``entries`` are (sort value, id, record) in ascending order; Shopify cursor semantics."""
    n, from_end = _page_size(args)
    if args.get("reverse"):
        entries = entries[::-1]
    start, stop = 0, len(entries)
    if args.get("after"):
        start = _cursor_position(entries, args["after"]) + 1
    if args.get("before"):
        stop = _cursor_position(entries, args["before"])
    window = entries[start:stop] if stop > start else []
    page = window[-n:] if from_end and n else window[:n]
    if from_end and n == 0:
        page = []
    has_next = (start + len(page) < stop) if not from_end else stop < len(entries)
    has_prev = start > 0 if not from_end else (stop - len(page)) > start or start > 0
    nodes = [render(rec) for _v, _i, rec in page]
    return {
        "nodes": nodes,
        "_entries": page,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "_start": page[0] if page else None,  # cursors are encoded only when selected
            "_end": page[-1] if page else None,
        },
    }


def _cursor_position(entries: list[tuple[Any, int, Any]], text: str) -> int:
    data = decode_cursor(text)
    if data is None:
        raise FieldFailure("Invalid cursor for current pagination sort.")
    last_id = data["last_id"]
    for i, (_v, id_, _rec) in enumerate(entries):
        if id_ == last_id:
            return i
    # The record is gone: position by its sort value.
    value = data.get("last_value")
    for i, (v, id_, _rec) in enumerate(entries):
        if (v, id_) > (value, last_id):
            return i - 1
    return len(entries) - 1


def r_start_cursor(info: dict[str, Any], _args: dict[str, Any], _req: Request) -> str | None:
    entry = info["_start"]
    return cursor(entry[0], entry[1]) if entry else None


def r_end_cursor(info: dict[str, Any], _args: dict[str, Any], _req: Request) -> str | None:
    entry = info["_end"]
    return cursor(entry[0], entry[1]) if entry else None


def list_connection(views_: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    entries = [(i, i, v) for i, v in enumerate(views_)]
    return paginate(entries, args, lambda v: v)


def edges(conn: dict[str, Any], _args: dict[str, Any], _req: Request) -> list[dict[str, Any]]:
    return [
        {"cursor": cursor(v, i), "node": node}
        for (v, i, _rec), node in zip(conn["_entries"], conn["nodes"], strict=True)
    ]


def take_first(items: list[Any], args: dict[str, Any]) -> list[Any]:
    if getattr(BULK, "active", False):
        return items
    n = args.get("first")
    if n is not None and n > MAX_PAGE:
        raise FieldFailure(f"The first argument must be at most {MAX_PAGE}.")
    return items if n is None else items[:n]


def variant_view(shop: ShopData, vid: int | None) -> dict[str, Any] | None:
    v = shop.tables["Variant"].get(vid) if vid else None
    if v is None:
        return None
    p = shop.tables["Product"].get(v.product_id)
    return views.variant_view(v, p.title if p else "")


def record_entries(
    c: Context, kind: str, query: str | None, fields: Fields, sort: Callable[[Any], Any], text: Callable
) -> list:
    pred = compile_query(query, fields, ZoneInfo(c.shop.config.timezone), c.store.now(), text)
    entries = [(sort(r), r.id, r) for r in c.shop.tables[kind].values() if pred(r)]
    entries.sort(key=lambda e: (e[0], e[1]))
    return entries


RESOLVERS = {("PageInfo", "startCursor"): r_start_cursor, ("PageInfo", "endCursor"): r_end_cursor}
SCOPES: dict[tuple[str, str], str] = {}
