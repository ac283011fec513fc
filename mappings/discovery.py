"""What the shop's own orders say needs mapping: the payment gateways, tax lines, locations and
sales channels they use, and a representative order of each kind for the preview. Reads Shopify
only; writes rows the merchant then maps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Shop
from mappings import roles, taxes
from mappings.catalog import Catalog
from mappings.models import DimensionMapping, GatewayMapping, SyncSettings, TaxMapping, tax_key_digest
from shopqb_app.integrations.shopify import fetch
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.parse import Order, parse_order

# Enough orders to see every gateway and tax a shop uses in practice, few enough to stay quick.
SCAN_LIMIT = 2000
SCAN_DAYS_WITHOUT_START = 90


@dataclass
class ScanResult:
    orders: int = 0
    gateways: Counter[str] = field(default_factory=Counter)
    # Orders per combination of Shopify tax lines on one line (a key, as the ledger makes it:
    # ("GST", "0.05"), ("PST", "0.07")); the empty key counts orders with a line taxed nothing.
    tax_keys: Counter[taxes.TaxKey] = field(default_factory=Counter)
    locations: dict[str, str] = field(default_factory=dict)
    channels: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)


SAMPLE_KINDS = {
    "tax_inclusive": "Prices include tax",
    "refunded": "Refunded",
    "discounted": "Discounted",
    "split_payment": "Paid two ways",
    "foreign_currency": "Paid in another currency",
    "unpaid": "Not paid yet",
    "plain": "A plain paid order",
}


def sample_kinds(order: Order) -> list[str]:
    kinds = []
    if order.taxes_included and order.total_tax.shop.amount:
        kinds.append("tax_inclusive")
    if order.refunds:
        kinds.append("refunded")
    if order.total_discounts.shop.amount:
        kinds.append("discounted")
    if len(set(order.gateways)) > 1:
        kinds.append("split_payment")
    if order.presentment_currency and order.presentment_currency != order.currency:
        kinds.append("foreign_currency")
    if order.financial_status in ("PENDING", "AUTHORIZED", "PARTIALLY_PAID"):
        kinds.append("unpaid")
    return kinds or ["plain"]


def orders_scan(*, shopify: ShopifyClient, since: date, limit: int = SCAN_LIMIT) -> ScanResult:
    result = ScanResult()
    # Reference: https://shopify.dev/docs/api/usage/search-syntax (processed_at range)
    for raw in fetch.all_orders(shopify, search=f"processed_at:>={since.isoformat()}"):
        order = parse_order(raw)
        result.orders += 1
        for gateway in set(order.gateways):
            result.gateways[gateway] += 1
        for key in taxes.order_tax_keys(order):
            result.tax_keys[key] += 1
        if order.location_id:
            result.locations[order.location_id] = order.location_name or order.location_id
        result.channels[order.source_name or "web"] += 1
        for kind in sample_kinds(order):
            result.samples.setdefault(kind, order.id)
        if result.orders >= limit:
            break
    return result


def setup_scan(*, shop: Shop, shopify: ShopifyClient, catalog: Catalog | None = None) -> ScanResult:
    """Scan the shop's orders since the start date (or the last 90 days) and record what to map."""
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    since = rules.start_date or (timezone.localdate() - timedelta(days=SCAN_DAYS_WITHOUT_START))
    result = orders_scan(shopify=shopify, since=since)
    with transaction.atomic():
        # Counts describe this scan: what it did not see (before the start date, say) counts 0.
        GatewayMapping.objects.filter(shop=shop).exclude(gateway__in=result.gateways).update(orders_seen=0)
        _tax_keys_record(shop, result.tax_keys)
        for gateway, seen in result.gateways.items():
            row = GatewayMapping.objects.filter(shop=shop, gateway=gateway).first()
            if row is None:
                spec = roles.gateway_default(gateway)
                found = catalog.account_named(spec.name, roles.GATEWAY_ACCOUNT_TYPES) if catalog else None
                GatewayMapping.objects.create(
                    shop=shop,
                    gateway=gateway,
                    confirmed=False,
                    qbo_id=found.id if found else "",
                    qbo_name=found.name if found else "",
                    create_spec={} if found else spec.as_create(),
                    orders_seen=seen,
                )
            else:
                GatewayMapping.objects.filter(pk=row.pk).update(orders_seen=seen)
        for location_id, name in result.locations.items():
            DimensionMapping.objects.update_or_create(
                shop=shop, kind=DimensionMapping.Kind.LOCATION, shopify_id=location_id, defaults={"name": name}
            )
        for channel in result.channels:
            DimensionMapping.objects.get_or_create(
                shop=shop,
                kind=DimensionMapping.Kind.CHANNEL,
                shopify_id=channel,
                defaults={"name": channel.replace("_", " ").capitalize()},
            )
        SyncSettings.objects.filter(pk=rules.pk).update(sample_orders=result.samples, scanned_at=timezone.now())
    if catalog is not None:
        taxes.propose_tax_codes(shop=shop, catalog=catalog)
    return result


def _tax_keys_record(shop: Shop, seen: Counter[taxes.TaxKey]) -> None:
    """One row per key, with this scan's order count. A key no longer seen keeps its row if the
    merchant chose its code (the history stays readable), else it goes: nothing needs a code."""
    digests = {tax_key_digest(key): key for key in seen}
    TaxMapping.objects.filter(shop=shop).exclude(key_digest__in=digests).update(orders_seen=0)
    TaxMapping.objects.filter(shop=shop, orders_seen=0, confirmed=False).exclude(
        key_digest__in=[*digests, tax_key_digest(())]
    ).delete()
    for digest, key in digests.items():
        row, created = TaxMapping.objects.get_or_create(
            shop=shop,
            key_digest=digest,
            defaults={
                "pairs": [list(pair) for pair in key],
                "title": " + ".join(title for title, _ in key)[:255],
                "rate": sum((Decimal(rate) for _, rate in key), Decimal(0)),
                "orders_seen": seen[key],
            },
        )
        if not created and row.orders_seen != seen[key]:
            TaxMapping.objects.filter(pk=row.pk).update(orders_seen=seen[key])
