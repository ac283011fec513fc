"""The store's catalog and people: customers, locations, products, variants, inventory levels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sandbox.shopify.model.base import Record


@dataclass(eq=False)
class Customer(Record):
    shop: str
    id: int
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    tax_exempt: bool = False


@dataclass(eq=False)
class Location(Record):
    shop: str
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    address1: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    active: bool = True
    fulfills_online_orders: bool = True


@dataclass(eq=False)
class Product(Record):
    shop: str
    id: int
    title: str
    handle: str
    created_at: datetime
    updated_at: datetime
    vendor: str = ""
    product_type: str = ""
    status: str = "ACTIVE"
    tags: list[str] = field(default_factory=list)
    gift_card: bool = False
    description_html: str = ""
    variant_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Variant(Record):
    """A product variant together with its inventory item (one-to-one in Shopify)."""

    shop: str
    id: int
    product_id: int
    inventory_item_id: int
    title: str
    price: Decimal
    created_at: datetime
    updated_at: datetime
    position: int = 1
    sku: str | None = None
    barcode: str | None = None
    compare_at_price: Decimal | None = None
    taxable: bool = True
    tax_code: str | None = None
    inventory_policy: str = "DENY"
    tracked: bool = True
    requires_shipping: bool = True
    cost: Decimal | None = None


@dataclass(eq=False)
class InventoryLevel(Record):
    shop: str
    id: int  # Shopify's level ids are opaque; we use inventory_item_id * 1_000_000 + location index
    inventory_item_id: int
    location_id: int
    created_at: datetime
    updated_at: datetime
    available: int = 0
    committed: int = 0
    incoming: int = 0
    reserved: int = 0

    @property
    def on_hand(self) -> int:
        return self.available + self.committed + self.reserved
