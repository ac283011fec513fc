"""Shopify orders parsed at the boundary into typed, Decimal-only values.

The input is the ``OrderFields`` fragment (queries/order_fields.graphql) as JSON
decoded with ``parse_float=Decimal``. Nothing here touches the network or the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class MoneyBag:
    shop: Money
    presentment: Money

    @classmethod
    def zero(cls, shop_currency: str, presentment_currency: str) -> MoneyBag:
        return cls(Money(ZERO, shop_currency), Money(ZERO, presentment_currency))


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal | None
    price: MoneyBag
    # The sales channel (a marketplace) owes this tax, not the merchant (Shopify's channelLiable).
    channel_liable: bool = False


@dataclass(frozen=True)
class Duty:
    """An import duty Shopify charged on a line item (cross-border orders)."""

    id: str
    price: MoneyBag
    tax_lines: tuple[TaxLine, ...] = ()


@dataclass(frozen=True)
class Address:
    """Where an order ships to: the parts a sales tax jurisdiction is found from (QuickBooks'
    ShipAddr), and no name, phone or company: the books do not need them."""

    address1: str
    address2: str
    city: str
    province_code: str
    zip: str
    country_code: str


@dataclass(frozen=True)
class LineItem:
    id: str
    name: str
    sku: str
    quantity: int
    current_quantity: int
    taxable: bool
    is_gift_card: bool
    variant_id: str
    unit_price: MoneyBag
    discounted_total: MoneyBag
    discount: Decimal  # shop money, sum of discount allocations
    tax_lines: tuple[TaxLine, ...]
    duties: tuple[Duty, ...] = ()


@dataclass(frozen=True)
class ShippingLine:
    title: str
    original_price: MoneyBag
    discounted_price: MoneyBag
    discount: Decimal
    tax_lines: tuple[TaxLine, ...]


@dataclass(frozen=True)
class Transaction:
    id: str
    kind: str
    gateway: str
    status: str
    test: bool
    amount: MoneyBag
    fee: Decimal
    processed_at: datetime | None = None


@dataclass(frozen=True)
class RefundLineItem:
    line_item_id: str
    sku: str
    quantity: int
    restock_type: str
    subtotal: MoneyBag
    total_tax: MoneyBag


@dataclass(frozen=True)
class Refund:
    id: str
    created_at: datetime | None
    total_refunded: MoneyBag
    line_items: tuple[RefundLineItem, ...]
    shipping_subtotal: Decimal
    shipping_tax: Decimal
    transactions: tuple[Transaction, ...]
    duties: Decimal = ZERO  # shop money: the duties this refund gave back


@dataclass(frozen=True)
class Order:
    id: str
    name: str
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    test: bool
    email: str
    taxes_included: bool
    currency: str
    presentment_currency: str
    financial_status: str
    source_name: str
    tags: tuple[str, ...]
    gateways: tuple[str, ...]
    customer_id: str
    customer_email: str
    customer_name: str
    location_id: str
    location_name: str
    total_price: MoneyBag
    current_total_price: MoneyBag
    subtotal_price: MoneyBag
    total_tax: MoneyBag
    total_shipping: MoneyBag
    total_discounts: MoneyBag
    total_refunded: MoneyBag
    total_tip: MoneyBag
    tax_lines: tuple[TaxLine, ...]
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...]
    transactions: tuple[Transaction, ...]
    refunds: tuple[Refund, ...]
    original_duties: MoneyBag | None = None  # Shopify's originalTotalDutiesSet: null when no duties apply
    shipping_address: Address | None = None
    # Who bought, for a QuickBooks customer of their own (mappings.SyncSettings.customer_mode):
    # the order's billing address and the customer's own name parts and phone.
    billing_address: Address | None = None
    customer_first_name: str = ""
    customer_last_name: str = ""
    customer_phone: str = ""

    @property
    def legacy_id(self) -> str:
        return self.id.rsplit("/", 1)[-1]


def parse_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"money must be a string or Decimal, got {type(value).__name__}")


def parse_money(raw: dict[str, Any] | None, currency: str = "") -> Money:
    if not raw:
        return Money(ZERO, currency)
    return Money(_decimal(raw.get("amount")), str(raw.get("currencyCode") or currency))


def parse_bag(raw: dict[str, Any] | None, shop_currency: str = "", presentment_currency: str = "") -> MoneyBag:
    raw = raw or {}
    shop = parse_money(raw.get("shopMoney"), shop_currency)
    presentment = parse_money(raw.get("presentmentMoney"), presentment_currency or shop.currency)
    return MoneyBag(shop, presentment)


def _nodes(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        return list(raw.get("nodes") or [])
    return list(raw)


def _tax_lines(raw: Any) -> tuple[TaxLine, ...]:
    return tuple(
        TaxLine(
            title=str(t.get("title") or ""),
            rate=None if t.get("rate") is None else _decimal(t["rate"]),
            price=parse_bag(t.get("priceSet")),
            channel_liable=bool(t.get("channelLiable")),
        )
        for t in raw or []
    )


def _allocated(raw: Any) -> Decimal:
    return sum((parse_bag(a.get("allocatedAmountSet")).shop.amount for a in raw or []), ZERO)


def _duties(raw: Any, shop_currency: str, presentment_currency: str) -> tuple[Duty, ...]:
    return tuple(
        Duty(
            id=str(d.get("id") or ""),
            price=parse_bag(d.get("price"), shop_currency, presentment_currency),
            tax_lines=_tax_lines(d.get("taxLines")),
        )
        for d in raw or []
    )


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    return Address(
        address1=str(raw.get("address1") or ""),
        address2=str(raw.get("address2") or ""),
        city=str(raw.get("city") or ""),
        province_code=str(raw.get("provinceCode") or ""),
        zip=str(raw.get("zip") or ""),
        country_code=str(raw.get("countryCodeV2") or ""),
    )


def _transaction(raw: dict[str, Any]) -> Transaction:
    fees = raw.get("fees") or []
    return Transaction(
        id=str(raw.get("id") or ""),
        kind=str(raw.get("kind") or ""),
        gateway=str(raw.get("gateway") or ""),
        status=str(raw.get("status") or ""),
        test=bool(raw.get("test")),
        amount=parse_bag(raw.get("amountSet")),
        fee=sum((parse_money(f.get("amount")).amount for f in fees), ZERO),
        processed_at=parse_datetime(raw["processedAt"]) if raw.get("processedAt") else None,
    )


def parse_order(raw: dict[str, Any]) -> Order:
    """One ``OrderFields`` node -> Order."""
    shop_currency = str(raw["currencyCode"])
    presentment_currency = str(raw.get("presentmentCurrencyCode") or shop_currency)

    def bag(key: str) -> MoneyBag:
        return parse_bag(raw.get(key), shop_currency, presentment_currency)

    customer = raw.get("customer") or {}
    location = raw.get("retailLocation") or {}
    line_items = tuple(
        LineItem(
            id=str(li["id"]),
            name=str(li.get("name") or ""),
            sku=str(li.get("sku") or ""),
            quantity=int(li["quantity"]),
            current_quantity=int(li.get("currentQuantity", li["quantity"])),
            taxable=bool(li.get("taxable", True)),
            is_gift_card=bool(li.get("isGiftCard")),
            variant_id=str((li.get("variant") or {}).get("id") or ""),
            unit_price=parse_bag(li.get("originalUnitPriceSet"), shop_currency, presentment_currency),
            discounted_total=parse_bag(li.get("discountedTotalSet"), shop_currency, presentment_currency),
            discount=_allocated(li.get("discountAllocations")),
            tax_lines=_tax_lines(li.get("taxLines")),
            duties=_duties(li.get("duties"), shop_currency, presentment_currency),
        )
        for li in _nodes(raw.get("lineItems"))
    )
    shipping_lines = tuple(
        ShippingLine(
            title=str(sl.get("title") or "Shipping"),
            original_price=parse_bag(sl.get("originalPriceSet"), shop_currency, presentment_currency),
            discounted_price=parse_bag(sl.get("discountedPriceSet"), shop_currency, presentment_currency),
            discount=_allocated(sl.get("discountAllocations")),
            tax_lines=_tax_lines(sl.get("taxLines")),
        )
        for sl in _nodes(raw.get("shippingLines"))
    )
    refunds = tuple(
        Refund(
            id=str(r["id"]),
            created_at=parse_datetime(r["createdAt"]) if r.get("createdAt") else None,
            total_refunded=parse_bag(r.get("totalRefundedSet"), shop_currency, presentment_currency),
            line_items=tuple(
                RefundLineItem(
                    line_item_id=str((rli.get("lineItem") or {}).get("id") or ""),
                    sku=str((rli.get("lineItem") or {}).get("sku") or ""),
                    quantity=int(rli.get("quantity") or 0),
                    restock_type=str(rli.get("restockType") or ""),
                    subtotal=parse_bag(rli.get("subtotalSet"), shop_currency, presentment_currency),
                    total_tax=parse_bag(rli.get("totalTaxSet"), shop_currency, presentment_currency),
                )
                for rli in _nodes(r.get("refundLineItems"))
            ),
            shipping_subtotal=sum(
                (parse_bag(s.get("subtotalAmountSet")).shop.amount for s in _nodes(r.get("refundShippingLines"))),
                ZERO,
            ),
            shipping_tax=sum(
                (parse_bag(s.get("taxAmountSet")).shop.amount for s in _nodes(r.get("refundShippingLines"))), ZERO
            ),
            transactions=tuple(_transaction(t) for t in _nodes(r.get("transactions"))),
            duties=sum((parse_bag(d.get("amountSet")).shop.amount for d in r.get("duties") or []), ZERO),
        )
        for r in raw.get("refunds") or []
    )
    return Order(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        created_at=parse_datetime(raw["createdAt"]),
        processed_at=parse_datetime(raw.get("processedAt") or raw["createdAt"]),
        updated_at=parse_datetime(raw["updatedAt"]),
        cancelled_at=parse_datetime(raw["cancelledAt"]) if raw.get("cancelledAt") else None,
        test=bool(raw.get("test")),
        email=str(raw.get("email") or ""),
        taxes_included=bool(raw.get("taxesIncluded")),
        currency=shop_currency,
        presentment_currency=presentment_currency,
        financial_status=str(raw.get("displayFinancialStatus") or ""),
        source_name=str(raw.get("sourceName") or ""),
        tags=tuple(str(t) for t in raw.get("tags") or []),
        gateways=tuple(str(g) for g in raw.get("paymentGatewayNames") or []),
        customer_id=str(customer.get("id") or ""),
        customer_email=str((customer.get("defaultEmailAddress") or {}).get("emailAddress") or ""),
        customer_name=str(customer.get("displayName") or ""),
        location_id=str(location.get("id") or ""),
        location_name=str(location.get("name") or ""),
        total_price=bag("totalPriceSet"),
        current_total_price=bag("currentTotalPriceSet"),
        subtotal_price=bag("subtotalPriceSet"),
        total_tax=bag("totalTaxSet"),
        total_shipping=bag("totalShippingPriceSet"),
        total_discounts=bag("totalDiscountsSet"),
        total_refunded=bag("totalRefundedSet"),
        total_tip=bag("totalTipReceivedSet"),
        tax_lines=_tax_lines(raw.get("taxLines")),
        line_items=line_items,
        shipping_lines=shipping_lines,
        transactions=tuple(_transaction(t) for t in raw.get("transactions") or []),
        refunds=refunds,
        original_duties=bag("originalTotalDutiesSet") if raw.get("originalTotalDutiesSet") else None,
        shipping_address=_address(raw.get("shippingAddress")),
        billing_address=_address(raw.get("billingAddress")),
        customer_first_name=str(customer.get("firstName") or ""),
        customer_last_name=str(customer.get("lastName") or ""),
        customer_phone=str((customer.get("defaultPhoneNumber") or {}).get("phoneNumber") or ""),
    )
