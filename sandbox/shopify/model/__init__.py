"""The emulated store's records.

Records are dataclasses with Decimal money (shop currency and presentment
currency side by side). Each record renders a GraphQL-shaped dict once per
change (``views.py``), which the executor walks; ``Store.put`` drops that cache
and marks the record for persistence. Import records from here: the modules
below are how they are filed, not part of their name.
"""

from sandbox.shopify.model.app import BulkOperation, WebhookSubscription
from sandbox.shopify.model.base import (
    Pair,
    Record,
    bag,
    cursor,
    decode_cursor,
    gid,
    iso,
    memoized,
    money,
    parse_gid,
    psum,
)
from sandbox.shopify.model.catalog import Customer, InventoryLevel, Location, Product, Variant
from sandbox.shopify.model.orders import (
    DiscountAllocation,
    DiscountApplication,
    Duty,
    Fee,
    LineItem,
    Order,
    Refund,
    RefundDuty,
    RefundLineItem,
    RefundShippingLine,
    ShippingLine,
    TaxLine,
    Transaction,
)
from sandbox.shopify.model.payouts import BalanceTransaction, Payout

__all__ = [
    "BalanceTransaction",
    "BulkOperation",
    "Customer",
    "DiscountAllocation",
    "DiscountApplication",
    "Duty",
    "Fee",
    "InventoryLevel",
    "LineItem",
    "Location",
    "Order",
    "Pair",
    "Payout",
    "Product",
    "Record",
    "Refund",
    "RefundDuty",
    "RefundLineItem",
    "RefundShippingLine",
    "ShippingLine",
    "TaxLine",
    "Transaction",
    "Variant",
    "WebhookSubscription",
    "bag",
    "cursor",
    "decode_cursor",
    "gid",
    "iso",
    "memoized",
    "money",
    "parse_gid",
    "psum",
]
