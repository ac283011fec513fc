"""The emulated store's records and their GraphQL views.

Records are dataclasses with Decimal money (shop currency and presentment
currency side by side). Each record renders a GraphQL-shaped dict once per
change (``view()``), which the executor walks; ``touch()`` drops that cache and
marks the record for persistence.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
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


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    price: Pair
    channel_liable: bool = False


@dataclass
class DiscountApplication:
    index: int
    code: str | None
    title: str | None
    value_type: str  # "percentage" | "fixed_amount"
    value: Decimal
    target_type: str  # LINE_ITEM | SHIPPING_LINE
    allocation_method: str  # ACROSS | EACH
    target_selection: str = "ALL"


@dataclass
class DiscountAllocation:
    application_index: int
    amount: Pair


@dataclass
class LineItem:
    id: int
    title: str
    quantity: int
    unit_price: Pair
    sku: str | None = None
    variant_title: str | None = None
    vendor: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    taxable: bool = True
    requires_shipping: bool = True
    gift_card: bool = False
    tip: bool = False
    tax_lines: list[TaxLine] = field(default_factory=list)
    discounts: list[DiscountAllocation] = field(default_factory=list)
    refunded_quantity: int = 0
    removed_quantity: int = 0  # by order edits
    restocked_quantity: int = 0
    fulfilled_quantity: int = 0

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity - self.removed_quantity

    @property
    def edited_quantity(self) -> int:
        """Quantity after order edits, before refunds."""
        return self.quantity - self.removed_quantity

    @property
    def discount_total(self) -> Pair:
        return psum(d.amount for d in self.discounts)

    @property
    def tax_total(self) -> Pair:
        return psum(t.price for t in self.tax_lines)


@dataclass
class ShippingLine:
    id: int
    title: str
    price: Pair
    code: str | None = None
    source: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)
    discounts: list[DiscountAllocation] = field(default_factory=list)
    refunded: Pair = field(default_factory=Pair)
    refunded_tax: Pair = field(default_factory=Pair)

    @property
    def discount_total(self) -> Pair:
        return psum(d.amount for d in self.discounts)

    @property
    def discounted_price(self) -> Pair:
        return self.price - self.discount_total


@dataclass
class Fee:
    id: int
    amount: Decimal
    flat_fee: Decimal
    rate: Decimal
    rate_name: str
    tax_amount: Decimal = ZERO
    type: str = "payment_fee"


@dataclass
class Transaction:
    id: int
    kind: str  # SALE CAPTURE AUTHORIZATION REFUND VOID CHANGE
    status: str  # SUCCESS PENDING FAILURE ERROR
    gateway: str
    amount: Pair
    created_at: datetime
    processed_at: datetime
    test: bool = False
    parent_id: int | None = None
    location_id: int | None = None
    gift_card_id: str | None = None
    authorization_code: str | None = None
    refund_id: int | None = None
    fees: list[Fee] = field(default_factory=list)

    @property
    def fee_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), ZERO)


@dataclass
class RefundLineItem:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str
    location_id: int | None
    price: Pair  # unit price after discounts
    subtotal: Pair
    tax: Pair


@dataclass
class RefundShippingLine:
    id: int
    shipping_line_id: int
    subtotal: Pair
    tax: Pair


@dataclass
class Refund:
    id: int
    created_at: datetime
    note: str | None = None
    line_items: list[RefundLineItem] = field(default_factory=list)
    shipping: list[RefundShippingLine] = field(default_factory=list)
    transaction_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Order(Record):
    shop: str
    id: int
    number: int
    name: str
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    currency: str
    presentment_currency: str
    taxes_included: bool = False
    test: bool = False
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    po_number: str | None = None
    source_name: str | None = "web"
    source_identifier: str | None = None
    tags: list[str] = field(default_factory=list)
    customer_id: int | None = None
    location_id: int | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    edited: bool = False
    financial_status_input: str | None = None
    original_total: Pair | None = None  # total when placed (originalTotalPriceSet)
    discount_applications: list[DiscountApplication] = field(default_factory=list)
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    order_tax_lines: list[TaxLine] = field(default_factory=list)  # tax given only at order level
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    # -- computed money ---------------------------------------------------
    def cur(self) -> tuple[str, str]:
        return self.currency, self.presentment_currency

    def line(self, line_id: int) -> LineItem | None:
        for li in self.line_items:
            if li.id == line_id:
                return li
        return None

    @memoized
    def tax_lines(self) -> list[TaxLine]:
        """Order tax lines (after edits, before refunds): line and shipping tax lines merged by (title, rate)."""
        sc, pc = self.cur()
        merged: dict[tuple[str, Decimal], TaxLine] = {}
        for li in self.line_items:
            for t in li.tax_lines:
                self._merge(
                    merged, t, t.price.scale(li.edited_quantity, li.quantity, sc, pc) if li.quantity else Pair()
                )
        for s in self.shipping_lines:
            for t in s.tax_lines:
                self._merge(merged, t, t.price)
        for t in self.order_tax_lines:
            self._merge(merged, t, t.price)
        return list(merged.values())

    @memoized
    def current_tax_lines(self) -> list[TaxLine]:
        sc, pc = self.cur()
        merged: dict[tuple[str, Decimal], TaxLine] = {}
        for li in self.line_items:
            for t in li.tax_lines:
                self._merge(
                    merged, t, t.price.scale(li.current_quantity, li.quantity, sc, pc) if li.quantity else Pair()
                )
        for s in self.shipping_lines:
            total = (s.tax_lines and psum(t.price for t in s.tax_lines)) or Pair()
            for t in s.tax_lines:
                share = t.price
                if s.refunded_tax.shop and total.shop:
                    share = t.price - Pair(
                        rnd(s.refunded_tax.shop * t.price.shop / total.shop, sc),
                        rnd(s.refunded_tax.pres * t.price.pres / total.pres, pc) if total.pres else ZERO,
                    )
                self._merge(merged, t, share)
        for t in self.order_tax_lines:
            self._merge(merged, t, t.price if self.current_subtotal().shop or not self.line_items else Pair())
        return list(merged.values())

    @staticmethod
    def _merge(merged: dict, t: TaxLine, price: Pair) -> None:
        key = (t.title, t.rate)
        if key in merged:
            merged[key].price = merged[key].price + price
        else:
            merged[key] = TaxLine(t.title, t.rate, price, t.channel_liable)

    @memoized
    def line_subtotal(self) -> Pair:
        return psum(
            Pair(li.unit_price.shop * li.edited_quantity, li.unit_price.pres * li.edited_quantity)
            for li in self.line_items
        )

    @memoized
    def line_discounts(self) -> Pair:
        sc, pc = self.cur()
        return psum(li.discount_total.scale(li.edited_quantity, li.quantity, sc, pc) for li in self.line_items)

    @memoized
    def shipping_discounts(self) -> Pair:
        return psum(s.discount_total for s in self.shipping_lines)

    @memoized
    def subtotal(self) -> Pair:
        return self.line_subtotal() - self.line_discounts()

    @memoized
    def shipping(self) -> Pair:
        return psum(s.price for s in self.shipping_lines)

    @memoized
    def total_tax(self) -> Pair:
        return psum(t.price for t in self.tax_lines())

    @memoized
    def total_price(self) -> Pair:
        total = self.subtotal() + self.shipping() - self.shipping_discounts()
        return total if self.taxes_included else total + self.total_tax()

    @memoized
    def current_subtotal(self) -> Pair:
        sc, pc = self.cur()
        total = Pair()
        for li in self.line_items:
            q = li.current_quantity
            gross = Pair(li.unit_price.shop * q, li.unit_price.pres * q)
            total = total + gross - li.discount_total.scale(q, li.quantity, sc, pc)
        return total

    @memoized
    def current_line_discounts(self) -> Pair:
        sc, pc = self.cur()
        return psum(li.discount_total.scale(li.current_quantity, li.quantity, sc, pc) for li in self.line_items)

    @memoized
    def current_shipping(self) -> Pair:
        return psum(s.discounted_price - s.refunded for s in self.shipping_lines)

    @memoized
    def current_tax(self) -> Pair:
        return psum(t.price for t in self.current_tax_lines())

    @memoized
    def current_total(self) -> Pair:
        total = self.current_subtotal() + self.current_shipping()
        return total if self.taxes_included else total + self.current_tax()

    def _tx_sum(self, kinds: tuple[str, ...]) -> Pair:
        return psum(t.amount for t in self.transactions if t.kind in kinds and t.status == "SUCCESS")

    @memoized
    def received(self) -> Pair:
        return self._tx_sum(("SALE", "CAPTURE"))

    @memoized
    def refunded(self) -> Pair:
        return self._tx_sum(("REFUND",))

    @memoized
    def net_payment(self) -> Pair:
        return self.received() - self.refunded()

    @memoized
    def capturable(self) -> Pair:
        auths = [t for t in self.transactions if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"]
        total = Pair()
        for a in auths:
            captured = psum(
                t.amount
                for t in self.transactions
                if t.parent_id == a.id and t.kind in ("CAPTURE", "VOID") and t.status == "SUCCESS"
            )
            voided = any(t.parent_id == a.id and t.kind == "VOID" and t.status == "SUCCESS" for t in self.transactions)
            if not voided:
                total = total + a.amount - captured
        return total

    @memoized
    def outstanding(self) -> Pair:
        due = self.current_total() - self.net_payment()
        return due if due.shop > 0 else Pair()

    @memoized
    def tips(self) -> Pair:
        return psum(
            Pair(li.unit_price.shop * li.current_quantity, li.unit_price.pres * li.current_quantity)
            for li in self.line_items
            if li.tip
        )

    @memoized
    def financial_status(self) -> str:
        received = self.received().shop
        refunded = self.refunded().shop
        if not self.transactions and self.financial_status_input:
            return self.financial_status_input
        if refunded > 0:
            return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"
        if received > 0:
            return "PAID" if self.outstanding().shop <= 0 else "PARTIALLY_PAID"
        if self.capturable().shop > 0:
            return "AUTHORIZED"
        if any(t.kind == "VOID" and t.status == "SUCCESS" for t in self.transactions):
            return "VOIDED"
        return self.financial_status_input or "PENDING"

    @memoized
    def gateway_names(self) -> list[str]:
        names: list[str] = []
        for t in self.transactions:
            if t.kind in ("SALE", "AUTHORIZATION", "CAPTURE") and t.gateway not in names:
                names.append(t.gateway)
        return names


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


@dataclass(eq=False)
class Payout(Record):
    shop: str
    id: int
    issued_at: datetime
    status: str
    currency: str
    net: Decimal
    summary: dict[str, tuple[Decimal, Decimal]]  # category -> (gross, fee)
    transaction_type: str = "DEPOSIT"


@dataclass(eq=False)
class BalanceTransaction(Record):
    shop: str
    id: int
    type: str  # CHARGE REFUND ADJUSTMENT PAYOUT...
    amount: Decimal
    fee: Decimal
    currency: str
    transaction_date: datetime
    source_type: str | None = None
    source_id: int | None = None
    source_order_transaction_id: int | None = None
    order_id: int | None = None
    order_name: str | None = None
    payout_id: int | None = None
    payout_status: str = "PENDING"
    test: bool = False
    adjustment_reason: str | None = None

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee


@dataclass(eq=False)
class WebhookSubscription(Record):
    shop: str
    id: int
    topic: str  # GraphQL enum, e.g. ORDERS_CREATE
    callback_url: str
    created_at: datetime
    updated_at: datetime
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    api_version: str = "2025-04"
    consecutive_failures: int = 0
    source: str = "api"  # "api" or "toml"


@dataclass(eq=False)
class BulkOperation(Record):
    shop: str
    id: int
    query: str
    status: str
    created_at: datetime
    completed_at: datetime | None = None
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    file_name: str | None = None
    type: str = "QUERY"
