"""The emulator's data: shops, their records, credentials, ids and clock; persisted in SQLite.

With a state directory every changed record is written (pickled) to
``shopify.sqlite3`` at the end of the request that changed it, and everything is
loaded back on start, so a restarted sandbox keeps its orders and the
credentials the app stored. Without one, everything lives in memory (tests).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.shopify import model

KINDS = (
    "Order",
    "Customer",
    "Location",
    "Product",
    "Variant",
    "InventoryLevel",
    "Payout",
    "BalanceTransaction",
    "WebhookSubscription",
    "BulkOperation",
)

DEPENDENCIES = ("Customer", "Location", "Product", "Variant")

# Shopify plans: (displayName, restore rate points/s, bucket size).
PLANS = {
    "Basic": (100, 2000),
    "Shopify": (100, 2000),
    "Advanced": (200, 4000),
    "Shopify Plus": (1000, 20000),
    "Commerce Components": (2000, 40000),
    "Development": (100, 2000),
}

# Base of each kind's ids: unique across kinds, like Shopify's, and stable per run.
ID_BASE = {
    "Order": 5_100_000_000,
    "LineItem": 13_000_000_000,
    "ShippingLine": 4_300_000_000,
    "Transaction": 6_200_000_000,
    "Refund": 9_100_000_000,
    "RefundLineItem": 9_200_000_000,
    "RefundShippingLine": 9_300_000_000,
    "Fee": 9_400_000_000,
    "Customer": 7_000_000_000,
    "Location": 60_000_000,
    "Product": 8_000_000_000,
    "Variant": 44_000_000_000,
    "InventoryItem": 46_000_000_000,
    "InventoryLevel": 120_000_000_000,
    "Payout": 90_000_000,
    "BalanceTransaction": 700_000_000,
    "WebhookSubscription": 1_100_000_000,
    "BulkOperation": 3_000_000_000,
    "InventoryAdjustmentGroup": 30_000_000_000,
    "Job": 50_000_000_000,
}


@dataclass
class ShopConfig:
    domain: str
    name: str
    currency: str = "USD"
    timezone: str = "America/New_York"
    plan: str = "Shopify"
    country: str = "US"
    taxes_included: bool = False
    email: str = ""
    presentment_currencies: list[str] = field(default_factory=list)
    # Shopify Payments pricing: online and in person (POS) rate + fixed fee.
    fee_rate: str = "0.029"
    fee_fixed: str = "0.30"
    pos_fee_rate: str = "0.027"
    pos_fee_fixed: str = "0.00"
    created_at: str = "2024-01-01T00:00:00Z"


def shop_id(domain: str) -> int:
    """A shop's numeric id: stable across runs (Python's hash() is not)."""
    return 60_000_000 + int(hashlib.sha256(domain.encode()).hexdigest()[:8], 16) % 1_000_000


class ShopData:
    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.tables: dict[str, dict[int, Any]] = {k: {} for k in KINDS}
        self.version = 0
        # Bumped when a record other views point at (customer, location, product, variant) changes:
        # rendered order subtrees that embed them are keyed on it.
        self.deps_version = 0
        self.next_order_number = 1001
        self.customers_by_email: dict[str, int] = {}
        self.levels_by_key: dict[tuple[int, int], int] = {}
        self.variant_by_item: dict[int, int] = {}
        self.sort_cache: dict[Any, Any] = {}
        self.order_edits: dict[int, Any] = {}  # open orderEdit sessions (order_edits.EditSession), not persisted

    @property
    def domain(self) -> str:
        return self.config.domain

    @property
    def orders(self) -> dict[int, model.Order]:
        return self.tables["Order"]

    def reindex(self) -> None:
        self.customers_by_email = {c.email.lower(): c.id for c in self.tables["Customer"].values() if c.email}
        self.levels_by_key = {
            (lv.inventory_item_id, lv.location_id): lv.id for lv in self.tables["InventoryLevel"].values()
        }
        self.variant_by_item = {v.inventory_item_id: v.id for v in self.tables["Variant"].values()}
        numbers = [o.number for o in self.orders.values()]
        self.next_order_number = max(numbers, default=1000) + 1


class Store:
    def __init__(self, state_dir: Path | None, shops: list[ShopConfig], meta: dict[str, Any]) -> None:
        self.lock = threading.RLock()
        self.state_dir = state_dir
        self.shops: dict[str, ShopData] = {}
        self.meta = meta  # ids, clock offset, app credentials, tokens, grants: JSON-able
        self._dirty: dict[tuple[str, str, int], Any] = {}
        self._deleted: set[tuple[str, str, int]] = set()
        self._meta_dirty = True
        self._db: sqlite3.Connection | None = None
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(state_dir / "shopify.sqlite3", check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS records (kind TEXT, shop TEXT, id INTEGER, data BLOB,"
                " PRIMARY KEY (kind, shop, id))"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()
            if row:
                self.meta = json.loads(row[0])
        for cfg in shops:
            self.add_shop(cfg)
        for saved in self.meta.get("shops", []):
            if saved["domain"] not in self.shops:
                self.add_shop(ShopConfig(**saved))
        if self._db is not None:
            for kind, shop, _id, data in self._db.execute("SELECT kind, shop, id, data FROM records"):
                if shop in self.shops and kind in KINDS:
                    obj = pickle.loads(data)
                    self.shops[shop].tables[kind][obj.id] = obj
        for shop in self.shops.values():
            shop.reindex()

    def add_shop(self, cfg: ShopConfig) -> ShopData:
        shop = ShopData(cfg)
        self.shops[cfg.domain] = shop
        saved = [s for s in self.meta.setdefault("shops", []) if s["domain"] != cfg.domain]
        saved.append(dict(cfg.__dict__))
        self.meta["shops"] = saved
        self._meta_dirty = True
        return shop

    # -- ids and clock --------------------------------------------------------
    def next_id(self, kind: str) -> int:
        counters = self.meta.setdefault("ids", {})
        counters[kind] = counters.get(kind, 0) + 1
        self._meta_dirty = True
        return ID_BASE.get(kind, 1_000_000_000) + counters[kind]

    def now(self) -> datetime:
        offset = self.meta.get("clock_offset", 0.0)
        return datetime.fromtimestamp(int(time.time() + offset), tz=UTC)

    def advance_clock(self, seconds: float) -> None:
        self.meta["clock_offset"] = self.meta.get("clock_offset", 0.0) + seconds
        self._meta_dirty = True

    def set_clock(self, when: datetime) -> None:
        self.meta["clock_offset"] = when.timestamp() - time.time()
        self._meta_dirty = True

    def epoch(self) -> float:
        return time.time() + self.meta.get("clock_offset", 0.0)

    # -- records --------------------------------------------------------------
    def put(self, obj: Any) -> None:
        kind = type(obj).__name__
        obj.invalidate()
        shop = self.shops[obj.shop]
        if kind in DEPENDENCIES and obj.id in shop.tables[kind]:
            shop.deps_version += 1
        shop.tables[kind][obj.id] = obj
        shop.version += 1
        shop.sort_cache.clear()
        self._dirty[(kind, obj.shop, obj.id)] = obj

    def delete(self, obj: Any) -> None:
        kind = type(obj).__name__
        shop = self.shops[obj.shop]
        shop.tables[kind].pop(obj.id, None)
        shop.version += 1
        shop.sort_cache.clear()
        self._dirty.pop((kind, obj.shop, obj.id), None)
        self._deleted.add((kind, obj.shop, obj.id))

    def level_changed(self, shop: ShopData, level: Any) -> None:
        """Called when an order or refund moves stock; the emulator sends inventory_levels/update."""
        hook = getattr(self, "on_level_changed", None)
        if hook is not None:
            hook(shop, level)

    def touch_meta(self) -> None:
        self._meta_dirty = True

    def flush(self) -> None:
        """Write what changed since the last flush (call with the lock held)."""
        if self._db is None:
            self._dirty.clear()
            self._deleted.clear()
            return
        if not (self._dirty or self._deleted or self._meta_dirty):
            return
        rows = [(k, s, i, pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL)) for (k, s, i), o in self._dirty.items()]
        with self._db:
            if rows:
                self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)
            if self._deleted:
                self._db.executemany("DELETE FROM records WHERE kind = ? AND shop = ? AND id = ?", list(self._deleted))
            if self._meta_dirty:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('state', ?)", (json.dumps(self.meta, default=str),)
                )
        self._dirty.clear()
        self._deleted.clear()
        self._meta_dirty = False

    def close(self) -> None:
        with self.lock:
            self.flush()
            if self._db is not None:
                self._db.close()
                self._db = None


def parse_time(value: Any, tz: Any = UTC) -> datetime | None:
    """ISO 8601 with or without offset (naive values are in ``tz``), or a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    text = str(value).strip().strip("'\"")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)
