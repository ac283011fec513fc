"""GraphQL-shaped views of records, built once per change and walked by the executor.

Keys are the schema's field names. Fields that take arguments or point at other
records are resolved in ``api/``; their raw material sits under ``_``-prefixed
keys here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.shopify import model
from sandbox.shopify.model import Pair, bag, gid, iso, money
from sandbox.shopify.money import ZERO


def _tax_line(t: model.TaxLine, sc: str, pc: str) -> dict[str, Any]:
    rate = float(t.rate)
    return {
        "title": t.title,
        "rate": rate,
        "ratePercentage": round(rate * 100, 4),
        "priceSet": bag(t.price.shop, t.price.pres, sc, pc),
        "channelLiable": t.channel_liable,
        "source": "Shopify",
    }


def _discount_application(d: model.DiscountApplication, sc: str) -> dict[str, Any]:
    if d.value_type == "percentage":
        value: dict[str, Any] = {"__typename": "PricingPercentageValue", "percentage": float(d.value)}
    else:
        value = {"__typename": "MoneyV2", **money(d.value, sc)}
    view = {
        "__typename": "DiscountCodeApplication" if d.code else "ManualDiscountApplication",
        "index": d.index,
        "allocationMethod": d.allocation_method,
        "targetSelection": d.target_selection,
        "targetType": d.target_type,
        "value": value,
    }
    if d.code:
        view["code"] = d.code
    else:
        view["title"] = d.title or "Discount"
        view["description"] = d.title
    return view


def order_view(o: model.Order) -> dict[str, Any]:
    if o._view is not None:
        return o._view
    o.__dict__["_memo"] = {}
    try:
        return _order_view(o)
    finally:
        o.__dict__.pop("_memo", None)


def _order_view(o: model.Order) -> dict[str, Any]:
    sc, pc = o.currency, o.presentment_currency
    apps = {d.index: _discount_application(d, sc) for d in o.discount_applications}
    lines = [_line_item_view(li, sc, pc, apps) for li in o.line_items]
    shipping = [_shipping_line_view(s, sc, pc, apps) for s in o.shipping_lines]
    txs = [transaction_view(o, t) for t in o.transactions]
    tx_views = {t.id: view for t, view in zip(o.transactions, txs, strict=True)}
    for view in txs:
        parent = view.pop("_parentId", None)
        view["parentTransaction"] = tx_views.get(parent) if parent else None
    line_views = {li.id: view for li, view in zip(o.line_items, lines, strict=True)}
    shipping_views = {s.id: view for s, view in zip(o.shipping_lines, shipping, strict=True)}
    duty_views = {
        duty.id: view
        for li, lv in zip(o.line_items, lines, strict=True)
        for duty, view in zip(li.duties, lv["duties"], strict=True)
    }
    refunds = [_refund_view(o, r, line_views, shipping_views, tx_views, duty_views) for r in o.refunds]
    view = {
        **_order_fields(o),
        **_order_totals(o, sc, pc),
        "_lineItems": lines,
        "_shippingLines": shipping,
        "_transactions": txs,
        "_refunds": refunds,
        "shippingAddress": _address(o),
        "billingAddress": _address(o, billing=True),
        "_customerId": o.customer_id,
        "_locationId": o.location_id,
        "_cache": {},
    }
    for r in refunds:
        r["order"] = view
    for t in txs:
        t["order"] = view
    o._view = view
    return view


def _address(o: model.Order, *, billing: bool = False) -> dict[str, Any] | None:
    a = o.billing_address if billing else o.shipping_address
    if a is None:
        return None
    fields = ("address1", "address2", "city", "company", "firstName", "lastName", "phone", "provinceCode", "zip")
    return {
        "__typename": "MailingAddress",
        "id": gid("MailingAddress", o.id) + ("?model_name=BillingAddress" if billing else ""),
        **{k: a.get(k) for k in fields},
        "countryCodeV2": a.get("countryCode"),
    }


def _bag(p: Pair, sc: str, pc: str) -> dict[str, Any]:
    return bag(p.shop, p.pres, sc, pc)


def _allocations(
    items: list[model.DiscountAllocation], sc: str, pc: str, apps: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {"allocatedAmountSet": _bag(a.amount, sc, pc), "discountApplication": apps.get(a.application_index)}
        for a in items
    ]


def _line_item_view(li: model.LineItem, sc: str, pc: str, apps: dict[int, dict[str, Any]]) -> dict[str, Any]:
    q = li.quantity
    cq = li.current_quantity
    unit = li.unit_price
    original_total = Pair(unit.shop * q, unit.pres * q)
    disc = li.discount_total
    after = original_total - disc
    per_unit_after = Pair(after.shop / q, after.pres / q) if q else Pair()
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", li.id),
        "name": f"{li.title} - {li.variant_title}" if li.variant_title else li.title,
        "title": li.title,
        "variantTitle": li.variant_title,
        "vendor": li.vendor,
        "sku": li.sku,
        "quantity": q,
        "currentQuantity": cq,
        "refundableQuantity": cq,
        "unfulfilledQuantity": max(cq - li.fulfilled_quantity, 0),
        "nonFulfillableQuantity": li.refunded_quantity + li.removed_quantity,
        "isGiftCard": li.gift_card,
        "requiresShipping": li.requires_shipping,
        "taxable": li.taxable,
        "restockable": li.variant_id is not None and cq > 0,
        "originalUnitPriceSet": _bag(unit, sc, pc),
        "originalTotalSet": _bag(original_total, sc, pc),
        "discountedUnitPriceSet": _bag(unit, sc, pc),
        "_discountedTotalSet": _bag(original_total, sc, pc),
        "_discountedTotalWithCodesSet": _bag(after, sc, pc),
        "discountedUnitPriceAfterAllDiscountsSet": _bag(
            Pair(per_unit_after.shop.quantize(ZERO.scaleb(-2)), per_unit_after.pres.quantize(ZERO.scaleb(-2))), sc, pc
        ),
        "totalDiscountSet": _bag(disc, sc, pc),
        "discountAllocations": _allocations(li.discounts, sc, pc, apps),
        "_taxLines": [_tax_line(t, sc, pc) for t in li.tax_lines],
        "duties": [_duty_view(duty, sc, pc) for duty in li.duties],
        "_variantId": li.variant_id,
        "_productId": li.product_id,
    }


def _duty_view(duty: model.Duty, sc: str, pc: str) -> dict[str, Any]:
    """A line's duty; its ``taxLines`` stay empty (taxes charged on duties are not emulated)."""
    return {
        "__typename": "Duty",
        "id": gid("Duty", duty.id),
        "price": _bag(duty.price, sc, pc),
        "harmonizedSystemCode": duty.harmonized_system_code,
        "countryCodeOfOrigin": duty.country_code_of_origin,
        "taxLines": [],
    }


def _shipping_line_view(s: model.ShippingLine, sc: str, pc: str, apps: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "__typename": "ShippingLine",
        "id": gid("ShippingLine", s.id),
        "title": s.title,
        "code": s.code,
        "source": s.source,
        "custom": s.source in (None, "shopify", "custom"),
        "isRemoved": False,
        "originalPriceSet": _bag(s.price, sc, pc),
        "discountedPriceSet": _bag(s.discounted_price, sc, pc),
        "currentDiscountedPriceSet": _bag(s.discounted_price - s.refunded, sc, pc),
        "discountAllocations": _allocations(s.discounts, sc, pc, apps),
        "taxLines": [_tax_line(t, sc, pc) for t in s.tax_lines],
    }


def _refund_view(
    o: model.Order,
    r: model.Refund,
    line_views: dict[int, dict[str, Any]],
    shipping_views: dict[int, dict[str, Any]],
    tx_views: dict[int, dict[str, Any]],
    duty_views: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    sc, pc = o.currency, o.presentment_currency
    rlis = [
        {
            "id": gid("RefundLineItem", rli.id),
            "lineItem": line_views.get(rli.line_item_id),
            "quantity": rli.quantity,
            "restockType": rli.restock_type,
            "restocked": rli.restock_type in ("RETURN", "CANCEL", "LEGACY_RESTOCK"),
            "priceSet": _bag(rli.price, sc, pc),
            "subtotalSet": _bag(rli.subtotal, sc, pc),
            "totalTaxSet": _bag(rli.tax, sc, pc),
            "_locationId": rli.location_id,
        }
        for rli in r.line_items
    ]
    rsls = [
        {
            "__typename": "RefundShippingLine",
            "id": gid("RefundShippingLine", rs.id),
            "shippingLine": shipping_views.get(rs.shipping_line_id),
            "subtotalAmountSet": _bag(rs.subtotal, sc, pc),
            "taxAmountSet": _bag(rs.tax, sc, pc),
        }
        for rs in r.shipping
    ]
    return {
        "__typename": "Refund",
        "id": gid("Refund", r.id),
        "legacyResourceId": str(r.id),
        "createdAt": iso(r.created_at),
        "updatedAt": iso(r.created_at),
        "note": r.note,
        "totalRefundedSet": _bag(psum_views(o, r), sc, pc),
        "duties": [
            {"amountSet": _bag(rd.amount, sc, pc), "originalDuty": duty_views.get(rd.duty_id)} for rd in r.duties
        ],
        "_refundLineItems": rlis,
        "_refundShippingLines": rsls,
        "_transactions": [tx_views[i] for i in r.transaction_ids if i in tx_views],
        "_orderId": o.id,
    }


def _order_fields(o: model.Order) -> dict[str, Any]:
    """The order's own fields (its money is in ``_order_totals``)."""
    return {
        "__typename": "Order",
        "id": gid("Order", o.id),
        "legacyResourceId": str(o.id),
        "name": o.name,
        "email": o.email,
        "phone": o.phone,
        "note": o.note,
        "poNumber": o.po_number,
        "createdAt": iso(o.created_at),
        "updatedAt": iso(o.updated_at),
        "processedAt": iso(o.processed_at),
        "cancelledAt": iso(o.cancelled_at),
        "cancelReason": o.cancel_reason,
        "closed": o.closed_at is not None,
        "closedAt": iso(o.closed_at),
        "confirmed": True,
        "test": o.test,
        "currencyCode": o.currency,
        "presentmentCurrencyCode": o.presentment_currency,
        "taxesIncluded": o.taxes_included,
        "taxExempt": False,
        "sourceName": o.source_name,
        "sourceIdentifier": o.source_identifier,
        "tags": list(o.tags),
        "discountCode": next((d.code for d in o.discount_applications if d.code), None),
        "discountCodes": [d.code for d in o.discount_applications if d.code],
        "paymentGatewayNames": o.gateway_names(),
        "displayFinancialStatus": o.financial_status(),
        "displayFulfillmentStatus": "FULFILLED"
        if o.line_items and all(li.fulfilled_quantity >= li.current_quantity for li in o.line_items)
        else "UNFULFILLED",
        "fullyPaid": o.outstanding().shop <= 0 and o.received().shop > 0,
        "unpaid": o.received().shop == 0,
        "edited": o.edited,
        "subtotalLineItemsQuantity": sum(li.quantity for li in o.line_items),
        "currentSubtotalLineItemsQuantity": sum(li.current_quantity for li in o.line_items),
    }


def _order_totals(o: model.Order, sc: str, pc: str) -> dict[str, Any]:
    def b(p: Pair) -> dict[str, Any]:
        return bag(p.shop, p.pres, sc, pc)

    return {
        "totalPriceSet": b(o.total_price()),
        "subtotalPriceSet": b(o.subtotal()),
        "totalTaxSet": b(o.total_tax()),
        "totalShippingPriceSet": b(o.shipping()),
        "totalDiscountsSet": b(o.line_discounts() + o.shipping_discounts()),
        "totalRefundedSet": b(o.refunded()),
        "totalRefundedShippingSet": b(psum_pairs(s.refunded for s in o.shipping_lines)),
        "totalReceivedSet": b(o.received()),
        "totalOutstandingSet": b(o.outstanding()),
        "totalTipReceivedSet": b(o.tips()),
        "netPaymentSet": b(o.net_payment()),
        "originalTotalPriceSet": b(o.original_total or o.total_price()),
        "totalCapturableSet": b(o.capturable()),
        "cartDiscountAmountSet": None,
        "currentTotalPriceSet": b(o.current_total()),
        "currentSubtotalPriceSet": b(o.current_subtotal()),
        "currentTotalTaxSet": b(o.current_tax()),
        "currentTotalDiscountsSet": b(o.current_line_discounts() + o.shipping_discounts()),
        "currentShippingPriceSet": b(o.current_shipping()),
        "currentCartDiscountAmountSet": b(Pair()),
        # Null when no duty applies, as on Shopify.
        "originalTotalDutiesSet": b(o.total_duties()) if o.duties() else None,
        "currentTotalDutiesSet": b(o.current_duties()) if o.duties() else None,
        "taxLines": [_tax_line(t, sc, pc) for t in o.tax_lines()],
        "currentTaxLines": [_tax_line(t, sc, pc) for t in o.current_tax_lines()],
    }


def psum_pairs(pairs: Any) -> Pair:
    return model.psum(pairs)


def psum_views(o: model.Order, r: model.Refund) -> Pair:
    return model.psum(t.amount for t in o.transactions if t.refund_id == r.id and t.status == "SUCCESS")


def transaction_view(o: model.Order, t: model.Transaction) -> dict[str, Any]:
    sc, pc = o.currency, o.presentment_currency
    return {
        "__typename": "OrderTransaction",
        "id": gid("OrderTransaction", t.id),
        "kind": t.kind,
        "gateway": t.gateway,
        "formattedGateway": t.gateway.replace("_", " ").title(),
        "status": t.status,
        "test": t.test,
        "amountSet": bag(t.amount.shop, t.amount.pres, sc, pc),
        "fees": [
            {
                "__typename": "TransactionFee",
                "id": gid("TransactionFee", f.id),
                "amount": money(f.amount, sc),
                "flatFee": money(f.flat_fee, sc),
                "flatFeeName": None,
                "rate": str(f.rate),
                "rateName": f.rate_name,
                "taxAmount": money(f.tax_amount, sc),
                "type": f.type,
            }
            for f in t.fees
        ],
        "createdAt": iso(t.created_at),
        "processedAt": iso(t.processed_at),
        "manualPaymentGateway": t.manual or t.gateway in ("manual", "Cash on Delivery (COD)", "Bank Deposit", "cash"),
        "authorizationCode": t.authorization_code,
        "paymentId": f"r{t.id}",
        "errorCode": None,
        "multiCapturable": t.kind == "AUTHORIZATION" and t.multi_capturable,
        "_parentId": t.parent_id,
        "_capturable": t.kind == "AUTHORIZATION" and o.capturable_on(t).shop > 0,
    }


def customer_view(c: model.Customer) -> dict[str, Any]:
    if c._view is None:
        name = " ".join(x for x in (c.first_name, c.last_name) if x) or (c.email or "")
        c._view = {
            "__typename": "Customer",
            "id": gid("Customer", c.id),
            "legacyResourceId": str(c.id),
            "firstName": c.first_name,
            "lastName": c.last_name,
            "displayName": name,
            "defaultEmailAddress": {"emailAddress": c.email} if c.email else None,
            "defaultPhoneNumber": {"phoneNumber": c.phone} if c.phone else None,
            "note": c.note,
            "tags": list(c.tags),
            "taxExempt": c.tax_exempt,
            "createdAt": iso(c.created_at),
            "updatedAt": iso(c.updated_at),
        }
    return c._view


def location_view(loc: model.Location) -> dict[str, Any]:
    if loc._view is None:
        parts = [loc.address1, loc.city, " ".join(x for x in (loc.province_code, loc.zip) if x), loc.country]
        loc._view = {
            "__typename": "Location",
            "id": gid("Location", loc.id),
            "legacyResourceId": str(loc.id),
            "name": loc.name,
            "isActive": loc.active,
            "fulfillsOnlineOrders": loc.fulfills_online_orders,
            "createdAt": iso(loc.created_at),
            "updatedAt": iso(loc.updated_at),
            "address": {
                "address1": loc.address1,
                "address2": None,
                "city": loc.city,
                "province": loc.province,
                "provinceCode": loc.province_code,
                "zip": loc.zip,
                "country": loc.country,
                "countryCode": loc.country_code,
                "formatted": [p for p in parts if p],
            },
            "_id": loc.id,
        }
    return loc._view


def product_view(p: model.Product, shop_currency: str) -> dict[str, Any]:
    if p._view is None:
        p._view = {
            "__typename": "Product",
            "id": gid("Product", p.id),
            "legacyResourceId": str(p.id),
            "title": p.title,
            "handle": p.handle,
            "vendor": p.vendor,
            "productType": p.product_type,
            "status": p.status,
            "tags": list(p.tags),
            "isGiftCard": p.gift_card,
            "descriptionHtml": p.description_html,
            "createdAt": iso(p.created_at),
            "updatedAt": iso(p.updated_at),
            "hasOnlyDefaultVariant": len(p.variant_ids) <= 1,
            "variantsCount": {"count": len(p.variant_ids), "precision": "EXACT"},
            "_id": p.id,
            "_currency": shop_currency,
        }
    return p._view


def variant_view(v: model.Variant, product_title: str) -> dict[str, Any]:
    if v._view is None:
        v._view = {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", v.id),
            "legacyResourceId": str(v.id),
            "title": v.title,
            "displayName": f"{product_title} - {v.title}",
            "sku": v.sku,
            "barcode": v.barcode,
            "price": str(v.price),
            "compareAtPrice": str(v.compare_at_price) if v.compare_at_price is not None else None,
            "taxable": v.taxable,
            "taxCode": v.tax_code,
            "position": v.position,
            "inventoryPolicy": v.inventory_policy,
            "createdAt": iso(v.created_at),
            "updatedAt": iso(v.updated_at),
            "_id": v.id,
            "_productId": v.product_id,
            "_itemId": v.inventory_item_id,
        }
    return v._view


def inventory_item_view(v: model.Variant, shop_currency: str) -> dict[str, Any]:
    return {
        "__typename": "InventoryItem",
        "id": gid("InventoryItem", v.inventory_item_id),
        "legacyResourceId": str(v.inventory_item_id),
        "sku": v.sku,
        "tracked": v.tracked,
        "requiresShipping": v.requires_shipping,
        "unitCost": money(v.cost, shop_currency) if v.cost is not None else None,
        "createdAt": iso(v.created_at),
        "updatedAt": iso(v.updated_at),
        "_variantId": v.id,
        "_itemId": v.inventory_item_id,
    }


def level_view(lv: model.InventoryLevel) -> dict[str, Any]:
    if lv._view is None:
        lv._view = {
            "__typename": "InventoryLevel",
            "id": f"gid://shopify/InventoryLevel/{lv.id}?inventory_item_id={lv.inventory_item_id}",
            "createdAt": iso(lv.created_at),
            "updatedAt": iso(lv.updated_at),
            "_level": lv,
        }
    return lv._view


def payout_view(p: model.Payout) -> dict[str, Any]:
    if p._view is None:
        cur = p.currency
        summary = {}
        names = {"charges": "charges", "refunds": "refunds", "adjustments": "adjustments", "reservedFunds": "reservedFunds",
                 "retriedPayouts": "retriedPayouts", "advance": "advance"}  # fmt: skip
        for key, prefix in names.items():
            gross, fee = p.summary.get(key, (Decimal(0), Decimal(0)))
            gross_name = "refundsFeeGross" if key == "refunds" else f"{prefix}Gross"
            summary[gross_name] = money(gross, cur)
            # Shopify's own spelling: every *Fee, but advanceFees
            summary["advanceFees" if key == "advance" else f"{prefix}Fee"] = money(fee, cur)
        p._view = {
            "__typename": "ShopifyPaymentsPayout",
            "id": gid("ShopifyPaymentsPayout", p.id),
            "legacyResourceId": str(p.id),
            "issuedAt": iso(p.issued_at),
            "net": money(p.net, cur),
            "status": p.status,
            "transactionType": p.transaction_type,
            "summary": summary,
        }
    return p._view


def balance_view(b: model.BalanceTransaction) -> dict[str, Any]:
    if b._view is None:
        b._view = {
            "__typename": "ShopifyPaymentsBalanceTransaction",
            "id": gid("ShopifyPaymentsBalanceTransaction", b.id),
            "amount": money(b.amount, b.currency),
            "fee": money(b.fee, b.currency),
            "net": money(b.net, b.currency),
            "transactionDate": iso(b.transaction_date),
            "type": b.type,
            "sourceType": b.source_type,
            "sourceId": str(b.source_id) if b.source_id is not None else None,
            "sourceOrderTransactionId": str(b.source_order_transaction_id)
            if b.source_order_transaction_id is not None
            else None,
            "associatedOrder": {"id": gid("Order", b.order_id), "name": b.order_name} if b.order_id else None,
            "associatedPayout": {
                "id": gid("ShopifyPaymentsPayout", b.payout_id) if b.payout_id else None,
                "status": b.payout_status,
            },
            "test": b.test,
            "adjustmentReason": b.adjustment_reason,
        }
    return b._view


def subscription_view(s: model.WebhookSubscription) -> dict[str, Any]:
    if s._view is None:
        s._view = {
            "__typename": "WebhookSubscription",
            "id": gid("WebhookSubscription", s.id),
            "legacyResourceId": str(s.id),
            "topic": s.topic,
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": s.callback_url},
            "format": s.format,
            "includeFields": list(s.include_fields),
            "filter": s.filter,
            "apiVersion": {"handle": s.api_version, "displayName": s.api_version, "supported": True},
            "createdAt": iso(s.created_at),
            "updatedAt": iso(s.updated_at),
        }
    return s._view
