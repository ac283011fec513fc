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
from mappings import roles
from mappings.catalog import Catalog
from mappings.models import DimensionMapping, GatewayMapping, SyncSettings, TaxMapping
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
    taxes: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
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
        for tax in {(t.title, t.rate) for li in order.line_items for t in li.tax_lines} | {
            (t.title, t.rate) for t in order.tax_lines
        }:
            if tax[1] is not None:
                result.taxes[(tax[0], tax[1])] += 1
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
        TaxMapping.objects.filter(shop=shop).update(orders_seen=0)
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
        for (title, rate), seen in result.taxes.items():
            TaxMapping.objects.update_or_create(shop=shop, title=title, rate=rate, defaults={"orders_seen": seen})
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
    return result
