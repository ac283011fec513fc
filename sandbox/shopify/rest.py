"""REST-shaped (snake_case) renderings of records: the bodies of webhooks.

Shapes follow Shopify's REST Admin resources (the samples ./bin/fetch-reference gets): ids as
integers plus ``admin_graphql_api_id``, amounts as strings with minor units
("12.30"), ``*_set`` money bags, timestamps in the shop's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import model
from sandbox.shopify.model import Pair, gid
from sandbox.shopify.money import rest_amount
from sandbox.shopify.store import ShopData, shop_id


def _ts(dt: datetime | None, tz: ZoneInfo) -> str | None:
    return dt.astimezone(tz).isoformat(timespec="seconds") if dt else None


class Renderer:
    def __init__(self, shop: ShopData) -> None:
        self.shop = shop
        self.tz = ZoneInfo(shop.config.timezone)

    def amount(self, value: Any, currency: str) -> str:
        return rest_amount(value, currency)

    def money_set(self, p: Pair, sc: str, pc: str) -> dict[str, Any]:
        return {
            "shop_money": {"amount": rest_amount(p.shop, sc), "currency_code": sc},
            "presentment_money": {"amount": rest_amount(p.pres, pc), "currency_code": pc},
        }

    def tax_line(self, t: model.TaxLine, sc: str, pc: str) -> dict[str, Any]:
        return {
            "title": t.title,
            "price": rest_amount(t.price.shop, sc),
            "rate": float(t.rate),
            "channel_liable": t.channel_liable,
            "price_set": self.money_set(t.price, sc, pc),
        }

    def line_item(self, o: model.Order, li: model.LineItem) -> dict[str, Any]:
        sc, pc = o.cur()
        return {
            "id": li.id,
            "admin_graphql_api_id": gid("LineItem", li.id),
            "title": li.title,
            "name": f"{li.title} - {li.variant_title}" if li.variant_title else li.title,
            "variant_title": li.variant_title,
            "vendor": li.vendor,
            "sku": li.sku,
            "quantity": li.quantity,
            "current_quantity": li.current_quantity,
            "fulfillable_quantity": max(li.current_quantity - li.fulfilled_quantity, 0),
            "price": rest_amount(li.unit_price.shop, sc),
            "price_set": self.money_set(li.unit_price, sc, pc),
            "total_discount": rest_amount(li.discount_total.shop, sc),
            "total_discount_set": self.money_set(li.discount_total, sc, pc),
            "discount_allocations": [
                {
                    "amount": rest_amount(d.amount.shop, sc),
                    "amount_set": self.money_set(d.amount, sc, pc),
                    "discount_application_index": d.application_index,
                }
                for d in li.discounts
            ],
            "tax_lines": [self.tax_line(t, sc, pc) for t in li.tax_lines],
            "taxable": li.taxable,
            "gift_card": li.gift_card,
            "requires_shipping": li.requires_shipping,
            "product_id": li.product_id,
            "variant_id": li.variant_id,
            "product_exists": li.product_id is not None,
            "fulfillment_status": None,
            "fulfillment_service": "manual",
            "properties": [],
            # not modelled: weights, and the variant's inventory tracker
            "grams": 0,
            "variant_inventory_management": "shopify" if li.variant_id is not None else None,
        }

    def transaction(self, o: model.Order, t: model.Transaction) -> dict[str, Any]:
        sc, _pc = o.cur()
        return {
            "id": t.id,
            "admin_graphql_api_id": gid("OrderTransaction", t.id),
            "order_id": o.id,
            "kind": t.kind.lower(),
            "gateway": t.gateway,
            "status": t.status.lower(),
            "amount": rest_amount(t.amount.shop, sc),
            "currency": sc,
            "created_at": _ts(t.created_at, self.tz),
            "processed_at": _ts(t.processed_at, self.tz),
            "test": t.test,
            "parent_id": t.parent_id,
            "location_id": t.location_id,
            "authorization": t.authorization_code,
            "source_name": o.source_name,
        }

    def refund(self, o: model.Order, r: model.Refund) -> dict[str, Any]:
        sc, pc = o.cur()
        lines = {li.id: li for li in o.line_items}
        return {
            "id": r.id,
            "admin_graphql_api_id": gid("Refund", r.id),
            "order_id": o.id,
            "created_at": _ts(r.created_at, self.tz),
            "processed_at": _ts(r.created_at, self.tz),
            "note": r.note,
            "restock": any(rl.restock_type != "NO_RESTOCK" for rl in r.line_items),
            "user_id": None,
            "refund_line_items": [
                {
                    "id": rl.id,
                    "line_item_id": rl.line_item_id,
                    "quantity": rl.quantity,
                    "restock_type": rl.restock_type.lower(),
                    "location_id": rl.location_id,
                    "subtotal": float(rl.subtotal.shop),
                    "subtotal_set": self.money_set(rl.subtotal, sc, pc),
                    "total_tax": float(rl.tax.shop),
                    "total_tax_set": self.money_set(rl.tax, sc, pc),
                    "line_item": self.line_item(o, lines[rl.line_item_id]) if rl.line_item_id in lines else None,
                }
                for rl in r.line_items
            ],
            "refund_shipping_lines": [
                {
                    "id": rs.id,
                    "shipping_line_id": rs.shipping_line_id,
                    "subtotal_amount_set": self.money_set(rs.subtotal, sc, pc),
                }
                for rs in r.shipping
            ],
            "transactions": [self.transaction(o, t) for t in o.transactions if t.refund_id == r.id],
            "order_adjustments": [],
        }

    def order(self, o: model.Order) -> dict[str, Any]:
        sc, pc = o.cur()
        discount_total = o.line_discounts() + o.shipping_discounts()
        return {
            **self._order_fields(o),
            **self._order_totals(o, discount_total),
            "tax_lines": [self.tax_line(t, sc, pc) for t in o.tax_lines()],
            **self._order_discounts(o, discount_total),
            "customer": self._order_customer(o),
            "line_items": [self.line_item(o, li) for li in o.line_items],
            "shipping_lines": [self.shipping_line(o, s) for s in o.shipping_lines],
            "refunds": [self.refund(o, r) for r in o.refunds],
            **_unmodelled(o),
        }

    def _order_fields(self, o: model.Order) -> dict[str, Any]:
        return {
            "id": o.id,
            "admin_graphql_api_id": gid("Order", o.id),
            "name": o.name,
            "number": o.number - 1000,
            "order_number": o.number,
            "email": o.email,
            "phone": o.phone,
            "note": o.note,
            "po_number": o.po_number,
            "created_at": _ts(o.created_at, self.tz),
            "updated_at": _ts(o.updated_at, self.tz),
            "processed_at": _ts(o.processed_at, self.tz),
            "cancelled_at": _ts(o.cancelled_at, self.tz),
            "cancel_reason": o.cancel_reason.lower() if o.cancel_reason else None,
            "closed_at": _ts(o.closed_at, self.tz),
            "confirmed": True,
            "test": o.test,
            "currency": o.currency,
            "presentment_currency": o.presentment_currency,
            "taxes_included": o.taxes_included,
            "financial_status": o.financial_status().lower(),
            "fulfillment_status": None,
            "source_name": o.source_name,
            "source_identifier": o.source_identifier,
            "location_id": o.location_id,
            "tags": ", ".join(o.tags),
            "gateway": (o.gateway_names() or [None])[0],
            "payment_gateway_names": o.gateway_names(),
        }

    def _order_totals(self, o: model.Order, discount_total: Pair) -> dict[str, Any]:
        sc, pc = o.cur()
        return {
            "total_price": rest_amount(o.total_price().shop, sc),
            "total_price_set": self.money_set(o.total_price(), sc, pc),
            "subtotal_price": rest_amount(o.subtotal().shop, sc),
            "subtotal_price_set": self.money_set(o.subtotal(), sc, pc),
            "total_line_items_price": rest_amount(o.line_subtotal().shop, sc),
            "total_line_items_price_set": self.money_set(o.line_subtotal(), sc, pc),
            "total_tax": rest_amount(o.total_tax().shop, sc),
            "total_tax_set": self.money_set(o.total_tax(), sc, pc),
            "total_discounts": rest_amount(discount_total.shop, sc),
            "total_discounts_set": self.money_set(discount_total, sc, pc),
            "total_shipping_price_set": self.money_set(o.shipping(), sc, pc),
            "total_tip_received": rest_amount(o.tips().shop, sc),
            "total_outstanding": rest_amount(o.outstanding().shop, sc),
            "current_total_price": rest_amount(o.current_total().shop, sc),
            "current_total_price_set": self.money_set(o.current_total(), sc, pc),
            "current_subtotal_price": rest_amount(o.current_subtotal().shop, sc),
            "current_subtotal_price_set": self.money_set(o.current_subtotal(), sc, pc),
            "current_total_tax": rest_amount(o.current_tax().shop, sc),
            "current_total_tax_set": self.money_set(o.current_tax(), sc, pc),
            "original_total_duties_set": self.money_set(o.total_duties(), sc, pc) if o.duties() else None,
            "current_total_duties_set": self.money_set(o.current_duties(), sc, pc) if o.duties() else None,
        }

    def _order_discounts(self, o: model.Order, discount_total: Pair) -> dict[str, Any]:
        return {
            "discount_codes": [
                {
                    "code": d.code,
                    "amount": rest_amount(discount_total.shop, o.currency),
                    "type": d.value_type if d.target_type == "LINE_ITEM" else "shipping",
                }
                for d in o.discount_applications
                if d.code
            ],
            "discount_applications": [
                {
                    "type": "discount_code" if d.code else "manual",
                    "code": d.code,
                    "value": str(d.value),
                    "value_type": d.value_type,
                    "allocation_method": d.allocation_method.lower(),
                    "target_selection": d.target_selection.lower(),
                    "target_type": d.target_type.lower(),
                }
                for d in o.discount_applications
            ],
        }

    def _order_customer(self, o: model.Order) -> dict[str, Any] | None:
        customer = self.shop.tables["Customer"].get(o.customer_id) if o.customer_id else None
        if customer is None:
            return None
        return {
            "id": customer.id,
            "admin_graphql_api_id": gid("Customer", customer.id),
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
        }

    def shipping_line(self, o: model.Order, s: model.ShippingLine) -> dict[str, Any]:
        sc, pc = o.cur()
        return {
            "id": s.id,
            "title": s.title,
            "code": s.code,
            "source": s.source,
            "price": rest_amount(s.price.shop, sc),
            "price_set": self.money_set(s.price, sc, pc),
            "discounted_price": rest_amount(s.discounted_price.shop, sc),
            "discounted_price_set": self.money_set(s.discounted_price, sc, pc),
            "tax_lines": [self.tax_line(t, sc, pc) for t in s.tax_lines],
        }

    def product(self, p: model.Product) -> dict[str, Any]:
        variants = [self.shop.tables["Variant"][v] for v in p.variant_ids if v in self.shop.tables["Variant"]]
        return {
            "id": p.id,
            "admin_graphql_api_id": gid("Product", p.id),
            "title": p.title,
            "handle": p.handle,
            "vendor": p.vendor,
            "product_type": p.product_type,
            "status": p.status.lower(),
            "tags": ", ".join(p.tags),
            "created_at": _ts(p.created_at, self.tz),
            "updated_at": _ts(p.updated_at, self.tz),
            "variants": [
                {
                    "id": v.id,
                    "admin_graphql_api_id": gid("ProductVariant", v.id),
                    "product_id": p.id,
                    "title": v.title,
                    "sku": v.sku,
                    "price": str(v.price),
                    "position": v.position,
                    "inventory_item_id": v.inventory_item_id,
                    "taxable": v.taxable,
                    "created_at": _ts(v.created_at, self.tz),
                    "updated_at": _ts(v.updated_at, self.tz),
                }
                for v in variants
            ],
        }

    def inventory_level(self, lv: model.InventoryLevel) -> dict[str, Any]:
        return {
            "inventory_item_id": lv.inventory_item_id,
            "location_id": lv.location_id,
            "available": lv.available,
            "updated_at": _ts(lv.updated_at, self.tz),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{lv.id}?inventory_item_id={lv.inventory_item_id}",
        }

    def shop_body(self) -> dict[str, Any]:
        cfg = self.shop.config
        return {
            "id": shop_id(cfg.domain),
            "name": cfg.name,
            "email": cfg.email or f"owner@{cfg.domain}",
            "domain": cfg.domain,
            "myshopify_domain": cfg.domain,
            "currency": cfg.currency,
            "iana_timezone": cfg.timezone,
            "plan_display_name": cfg.plan,
            "country_code": cfg.country,
        }

    def bulk_operation(self, b: model.BulkOperation) -> dict[str, Any]:
        return {
            "admin_graphql_api_id": gid("BulkOperation", b.id),
            "completed_at": _ts(b.completed_at, self.tz),
            "created_at": _ts(b.created_at, self.tz),
            "error_code": b.error_code.lower() if b.error_code else None,
            "status": b.status.lower(),
            "type": b.type.lower(),
        }

    def order_edit(self, o: model.Order) -> dict[str, Any]:
        """orders/edited carries the edit, not the order (Shopify's webhook reference; since
        2024-07 with ``committed_at``). The edit control records no per-line delta: the
        additions and removals lists stay empty, like other unmodelled keys."""
        # Reference: https://shopify.dev/changelog/new-committed_at-timestamp-added-to-orders-edited-webhook-payload
        edited = _ts(o.updated_at, self.tz)
        empty = {"additions": [], "removals": []}
        return {
            "order_edit": {
                "id": o.id * 1000 + int(o.updated_at.timestamp()) % 1000,
                "app_id": None,
                "created_at": edited,
                "committed_at": edited,
                "notify_customer": False,
                "order_id": o.id,
                "staff_note": "",
                "user_id": None,
                "line_items": dict(empty),
                "discounts": {"line_item": dict(empty)},
                "shipping_lines": dict(empty),
            }
        }

    def body(self, topic: str, record: Any) -> dict[str, Any]:
        if topic == "orders/edited":
            return self.order_edit(record)
        if topic.startswith("orders/"):
            return self.order(record)
        if topic == "refunds/create":
            order, refund = record
            return self.refund(order, refund)
        if topic.startswith("products/"):
            return self.product(record)
        if topic == "inventory_levels/update":
            return self.inventory_level(record)
        if topic == "bulk_operations/finish":
            return self.bulk_operation(record)
        if topic == "app/uninstalled":
            return self.shop_body()
        if isinstance(record, dict):
            return record
        raise ValueError(f"no REST body for {topic}")


def _unmodelled(o: model.Order) -> dict[str, Any]:
    """Fields of Shopify's order resource the emulator does not model: present with the
    values Shopify sends when there is nothing to say, so a receiver parsing real bodies
    meets the same keys here."""
    return {
        "billing_address": None,
        "shipping_address": None,
        "client_details": None,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cart_token": None,
        "checkout_id": None,
        "checkout_token": None,
        "landing_site": None,
        "landing_site_ref": None,
        "referring_site": None,
        "reference": None,
        "token": model.gid("Order", o.id).encode().hex()[-32:],
        "user_id": None,
        "fulfillments": [],
        "note_attributes": [],
        "total_weight": 0,
    }
