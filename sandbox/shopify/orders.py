"""Order semantics: orderCreate, refundCreate, orderCancel and order edits, like Shopify.

Inputs are the coerced GraphQL input objects (dicts with camelCase keys). Money
is Decimal; presentment amounts come from the input or from the fixed rates in
``money.py``. Every function returns user errors as ``[{"field", "message",
"code"}]`` instead of raising, the way Shopify's mutations do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify import model
from sandbox.shopify.model import Pair, parse_gid
from sandbox.shopify.money import ZERO, allocate, convert, dec, rnd
from sandbox.shopify.store import ShopData, Store, parse_time

UserErrors = list[dict[str, Any]]


def _err(field: list[str], message: str, code: str | None = "INVALID") -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


class Builder:
    """Turns MoneyBagInputs into Pairs for one order's currencies."""

    def __init__(self, shop_currency: str, pres_currency: str) -> None:
        self.sc = shop_currency
        self.pc = pres_currency
        self.errors: UserErrors = []

    def pair(self, bag: dict[str, Any] | None, path: list[str]) -> Pair:
        if not bag:
            return Pair()
        shop = bag.get("shopMoney") or {}
        amount = rnd(dec(shop.get("amount")), self.sc)
        if shop.get("currencyCode") and shop["currencyCode"] != self.sc:
            self.errors.append(_err([*path, "shopMoney", "currencyCode"], f"Currency must be {self.sc}."))
        pres = bag.get("presentmentMoney")
        if pres:
            if pres.get("currencyCode") and pres["currencyCode"] != self.pc:
                self.errors.append(_err([*path, "presentmentMoney", "currencyCode"], f"Currency must be {self.pc}."))
            pres_amount = rnd(dec(pres.get("amount")), self.pc)
        else:
            pres_amount = convert(amount, self.sc, self.pc)
        return Pair(amount, pres_amount)

    def convert(self, shop_amount: Decimal) -> Pair:
        return Pair(shop_amount, convert(shop_amount, self.sc, self.pc))


def _tax_lines(b: Builder, items: list[dict[str, Any]] | None, base: Pair, inclusive: bool, path: list[str]):
    out = []
    for i, t in enumerate(items or []):
        rate = dec(t.get("rate"))
        if t.get("priceSet"):
            price = b.pair(t["priceSet"], [*path, str(i), "priceSet"])
        else:
            # Shopify computes the amount from the rate when none is given.
            if inclusive:
                shop = rnd(base.shop - base.shop / (1 + rate), b.sc)
                pres = rnd(base.pres - base.pres / (1 + rate), b.pc)
            else:
                shop, pres = rnd(base.shop * rate, b.sc), rnd(base.pres * rate, b.pc)
            price = Pair(shop, pres)
        out.append(model.TaxLine(t.get("title") or "Tax", rate, price, bool(t.get("channelLiable"))))
    return out


def _customer(store: Store, shop: ShopData, data: dict[str, Any] | None, email: str | None) -> int | None:
    if data:
        assoc = data.get("toAssociate") or {}
        upsert = data.get("toUpsert") or {}
        cid = parse_gid(assoc.get("id") or upsert.get("id"), "Customer")
        if cid and cid in shop.tables["Customer"]:
            return cid
        email = assoc.get("email") or upsert.get("email") or email
    else:
        upsert = {}
    if not email:
        return None
    existing = shop.customers_by_email.get(email.lower())
    now = store.now()
    if existing:
        c = shop.tables["Customer"][existing]
        if upsert:
            c.first_name = upsert.get("firstName") or c.first_name
            c.last_name = upsert.get("lastName") or c.last_name
            c.updated_at = now
            store.put(c)
        return existing
    c = model.Customer(
        shop=shop.domain,
        id=store.next_id("Customer"),
        created_at=now,
        updated_at=now,
        email=email,
        first_name=upsert.get("firstName"),
        last_name=upsert.get("lastName"),
        phone=upsert.get("phone"),
        note=upsert.get("note"),
        tags=list(upsert.get("tags") or []),
        tax_exempt=bool(upsert.get("taxExempt")),
    )
    store.put(c)
    shop.customers_by_email[email.lower()] = c.id
    return c.id


def fee_for(shop: ShopData, gateway: str, kind: str, amount: Decimal, pos: bool, next_id: Any) -> list[model.Fee]:
    """Shopify Payments processing fee on a charge: rate x amount + fixed fee (configurable per shop)."""
    if gateway != "shopify_payments" or kind not in ("SALE", "CAPTURE") or amount <= 0:
        return []
    cfg = shop.config
    rate = dec(cfg.pos_fee_rate if pos else cfg.fee_rate)
    flat = dec(cfg.pos_fee_fixed if pos else cfg.fee_fixed)
    total = rnd(amount * rate + flat, cfg.currency)
    name = "in_person" if pos else "online"
    return [model.Fee(id=next_id("Fee"), amount=total, flat_fee=flat, rate=rate, rate_name=name)]


def create_order(
    store: Store, shop: ShopData, data: dict[str, Any], options: dict[str, Any] | None
) -> tuple[model.Order | None, UserErrors]:
    cfg = shop.config
    sc = data.get("currency") or cfg.currency
    if sc != cfg.currency:
        return None, [_err(["order", "currency"], f"Currency must be the shop currency {cfg.currency}.")]
    pc = data.get("presentmentCurrency") or sc
    b = Builder(sc, pc)
    errors: UserErrors = []
    now = store.now()
    processed_at = now
    if data.get("processedAt") is not None:
        processed_at = parse_time(data["processedAt"], ZoneInfo(cfg.timezone))
        if processed_at is None or processed_at > now:
            return None, [_err(["order", "processedAt"], "Processed at is invalid.", "PROCESSED_AT_INVALID")]
    inclusive = bool(data.get("taxesIncluded", False))
    line_inputs = data.get("lineItems") or []
    if not line_inputs:
        errors.append(_err(["order", "lineItems"], "Line items must have at least one line item."))
    lines: list[model.LineItem] = []
    for i, li in enumerate(line_inputs):
        path = ["order", "lineItems", str(i)]
        qty = li.get("quantity") or 0
        if qty <= 0:
            errors.append(_err([*path, "quantity"], "Quantity must be greater than 0."))
            continue
        variant = None
        vid = parse_gid(li.get("variantId"), "ProductVariant")
        if li.get("variantId"):
            variant = shop.tables["Variant"].get(vid)
            if variant is None:
                errors.append(_err([*path, "variantId"], "Variant does not exist."))
                continue
        product = shop.tables["Product"].get(variant.product_id) if variant else None
        if li.get("priceSet"):
            unit = b.pair(li["priceSet"], [*path, "priceSet"])
        elif variant is not None:
            unit = b.convert(variant.price)
        else:
            errors.append(_err([*path, "priceSet"], "Price must be given for a custom line item."))
            continue
        title = li.get("title") or (product.title if product else None)
        if not title:
            errors.append(_err([*path, "title"], "Title can't be blank."))
            continue
        gift_card = bool(li.get("giftCard", product.gift_card if product else False))
        line = model.LineItem(
            id=store.next_id("LineItem"),
            title=title,
            quantity=qty,
            unit_price=unit,
            sku=li.get("sku") or (variant.sku if variant else None),
            variant_title=li.get("variantTitle")
            or (variant.title if variant and variant.title != "Default Title" else None),
            vendor=li.get("vendor") or (product.vendor if product else None),
            variant_id=variant.id if variant else None,
            product_id=variant.product_id if variant else parse_gid(li.get("productId"), "Product"),
            taxable=bool(li.get("taxable", variant.taxable if variant else not gift_card)) and not gift_card,
            requires_shipping=bool(li.get("requiresShipping", not gift_card)),
            gift_card=gift_card,
        )
        line.tip = variant is None and title.strip().lower() == "tip" and not line.requires_shipping
        line._tax_input = li.get("taxLines")  # type: ignore[attr-defined]
        lines.append(line)
    shipping: list[model.ShippingLine] = []
    for i, s in enumerate(data.get("shippingLines") or []):
        path = ["order", "shippingLines", str(i)]
        shipping.append(
            model.ShippingLine(
                id=store.next_id("ShippingLine"),
                title=s.get("title") or "Shipping",
                price=b.pair(s.get("priceSet"), [*path, "priceSet"]),
                code=s.get("code"),
                source=s.get("source"),
            )
        )
        shipping[-1]._tax_input = s.get("taxLines")  # type: ignore[attr-defined]

    # Discount codes: allocated to lines (or shipping) before taxes are computed.
    apps: list[model.DiscountApplication] = []
    code = data.get("discountCode") or {}
    eligible = [li for li in lines if not li.gift_card and not li.tip]
    if code.get("itemPercentageDiscountCode"):
        d = code["itemPercentageDiscountCode"]
        pct = dec(d.get("percentage"))
        apps.append(model.DiscountApplication(0, d["code"], None, "percentage", pct, "LINE_ITEM", "ACROSS"))
        for li in eligible:
            amount = Pair(
                rnd(li.unit_price.shop * li.quantity * pct / 100, sc),
                rnd(li.unit_price.pres * li.quantity * pct / 100, pc),
            )
            li.discounts.append(model.DiscountAllocation(0, amount))
    elif code.get("itemFixedDiscountCode"):
        d = code["itemFixedDiscountCode"]
        total = b.pair(d.get("amountSet"), ["order", "discountCode", "itemFixedDiscountCode", "amountSet"])
        apps.append(model.DiscountApplication(0, d["code"], None, "fixed_amount", total.shop, "LINE_ITEM", "ACROSS"))
        weights = [li.unit_price.shop * li.quantity for li in eligible]
        gross = sum(weights, ZERO)
        if total.shop > gross:
            errors.append(_err(["order", "discountCode"], "Discount is greater than the order subtotal."))
        shop_parts = allocate(min(total.shop, gross), weights, sc)
        pres_parts = allocate(total.pres, [li.unit_price.pres * li.quantity for li in eligible], pc)
        for li, s_amt, p_amt in zip(eligible, shop_parts, pres_parts, strict=True):
            li.discounts.append(model.DiscountAllocation(0, Pair(s_amt, p_amt)))
    elif code.get("freeShippingDiscountCode"):
        d = code["freeShippingDiscountCode"]
        apps.append(model.DiscountApplication(0, d["code"], None, "percentage", Decimal(100), "SHIPPING_LINE", "EACH"))
        for s in shipping:
            s.discounts.append(model.DiscountAllocation(0, Pair(s.price.shop, s.price.pres)))

    for i, li in enumerate(lines):
        base = Pair(li.unit_price.shop * li.quantity, li.unit_price.pres * li.quantity) - li.discount_total
        li.tax_lines = _tax_lines(
            b, li.__dict__.pop("_tax_input", None), base, inclusive, ["order", "lineItems", str(i), "taxLines"]
        )
    for i, s in enumerate(shipping):
        s.tax_lines = _tax_lines(
            b,
            s.__dict__.pop("_tax_input", None),
            s.discounted_price,
            inclusive,
            ["order", "shippingLines", str(i), "taxLines"],
        )
    order_taxes: list[model.TaxLine] = []
    if data.get("taxLines"):
        if any(li.tax_lines for li in lines) or any(s.tax_lines for s in shipping):
            errors.append(_err(["order", "taxLines"], "Tax lines can be given on the order or on its lines, not both."))
        base = psum_lines(lines) + model.psum(s.discounted_price for s in shipping)
        order_taxes = _tax_lines(b, data["taxLines"], base, inclusive, ["order", "taxLines"])
    errors.extend(b.errors)
    if errors:
        return None, errors

    customer_id = _customer(store, shop, data.get("customer"), data.get("email"))
    number = shop.next_order_number
    shop.next_order_number += 1
    order = model.Order(
        shop=shop.domain,
        id=store.next_id("Order"),
        number=number,
        name=data.get("name") or f"#{number}",
        created_at=now,
        updated_at=now,
        processed_at=processed_at,
        currency=sc,
        presentment_currency=pc,
        taxes_included=inclusive,
        test=bool(data.get("test")),
        email=data.get("email") or (shop.tables["Customer"][customer_id].email if customer_id else None),
        phone=data.get("phone"),
        note=data.get("note"),
        po_number=data.get("poNumber"),
        source_name=data.get("sourceName") or "api",
        source_identifier=data.get("sourceIdentifier"),
        tags=sorted({t.strip() for t in data.get("tags") or [] if t.strip()}),
        customer_id=customer_id,
        financial_status_input=data.get("financialStatus"),
        discount_applications=apps,
        line_items=lines,
        shipping_lines=shipping,
        order_tax_lines=order_taxes,
    )
    tx_inputs = list(data.get("transactions") or [])
    if not tx_inputs and data.get("financialStatus") == "PAID":
        # Shopify records a manual sale for the total when an order is created as paid.
        total = order.total_price()
        tx_inputs = [{"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "_pair": total}]
    pos = (order.source_name or "").lower() == "pos"
    for i, t in enumerate(tx_inputs):
        amount = t.get("_pair") or b.pair(t.get("amountSet"), ["order", "transactions", str(i), "amountSet"])
        kind = t.get("kind") or "SALE"
        gateway = t.get("gateway") or "manual"
        location_id = parse_gid(t.get("locationId"), "Location")
        if t.get("locationId") and location_id not in shop.tables["Location"]:
            return None, [_err(["order", "transactions", str(i), "locationId"], "Location does not exist.")]
        tx = model.Transaction(
            id=store.next_id("Transaction"),
            kind=kind,
            status=t.get("status") or "SUCCESS",
            gateway=gateway,
            amount=amount,
            created_at=now,
            processed_at=parse_time(t.get("processedAt")) or processed_at,
            test=bool(t.get("test", order.test)),
            location_id=location_id,
            gift_card_id=t.get("giftCardId"),
            authorization_code=t.get("authorizationCode"),
        )
        if tx.status == "SUCCESS":
            tx.fees = fee_for(shop, gateway, kind, amount.shop, pos, store.next_id)
        order.transactions.append(tx)
        if location_id and order.location_id is None and pos:
            order.location_id = location_id
    if b.errors:
        return None, b.errors
    order.original_total = order.total_price()
    store.put(order)
    _decrement_inventory(store, shop, order, (options or {}).get("inventoryBehaviour") or "BYPASS")
    return order, []


def psum_lines(lines: list[model.LineItem]) -> Pair:
    return model.psum(
        Pair(li.unit_price.shop * li.quantity, li.unit_price.pres * li.quantity) - li.discount_total for li in lines
    )


def _decrement_inventory(store: Store, shop: ShopData, order: model.Order, behaviour: str) -> None:
    if behaviour == "BYPASS":
        return
    for li in order.line_items:
        variant = shop.tables["Variant"].get(li.variant_id) if li.variant_id else None
        if variant is None or not variant.tracked:
            continue
        location_id = order.location_id or _default_location(shop)
        level_id = shop.levels_by_key.get((variant.inventory_item_id, location_id))
        if level_id is None:
            continue
        level = shop.tables["InventoryLevel"][level_id]
        level.available -= li.quantity
        level.updated_at = store.now()
        store.put(level)
        store.level_changed(shop, level)


def _default_location(shop: ShopData) -> int | None:
    locations = sorted(shop.tables["Location"].values(), key=lambda loc: loc.id)
    return locations[0].id if locations else None


def _restock(store: Store, shop: ShopData, line: model.LineItem, quantity: int, location_id: int | None) -> None:
    variant = shop.tables["Variant"].get(line.variant_id) if line.variant_id else None
    if variant is None or not variant.tracked:
        return
    location_id = location_id or _default_location(shop)
    level_id = shop.levels_by_key.get((variant.inventory_item_id, location_id))
    if level_id is None:
        return
    level = shop.tables["InventoryLevel"][level_id]
    level.available += quantity
    level.updated_at = store.now()
    store.put(level)
    store.level_changed(shop, level)


def _refundable(order: model.Order) -> dict[int, Pair]:
    """Net amount still refundable per parent sale/capture transaction."""
    out: dict[int, Pair] = {}
    for t in order.transactions:
        if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS":
            out[t.id] = Pair(t.amount.shop, t.amount.pres)
    for t in order.transactions:
        if t.kind == "REFUND" and t.status == "SUCCESS" and t.parent_id in out:
            out[t.parent_id] = out[t.parent_id] - t.amount
    return out


def create_refund(
    store: Store, shop: ShopData, data: dict[str, Any], *, restock_default: str = "NO_RESTOCK"
) -> tuple[model.Refund | None, model.Order | None, UserErrors]:
    order = shop.orders.get(parse_gid(data.get("orderId"), "Order"))
    if order is None:
        return None, None, [_err(["orderId"], "Order does not exist", None)]
    sc, pc = order.cur()
    now = store.now()
    currency = data.get("currency") or sc
    if currency not in (sc, pc):
        return None, order, [_err(["currency"], f"Currency must be {sc} or {pc}", None)]
    errors: UserErrors = []
    refund = model.Refund(id=store.next_id("Refund"), created_at=now, note=data.get("note"))
    pending: list[tuple[model.LineItem, int, str, int | None]] = []
    for i, item in enumerate(data.get("refundLineItems") or []):
        line = order.line(parse_gid(item.get("lineItemId"), "LineItem") or -1)
        qty = item.get("quantity") or 0
        if line is None:
            errors.append(_err(["refundLineItems", str(i), "lineItemId"], "Line item does not exist", None))
            continue
        if qty <= 0 or qty > line.current_quantity:
            errors.append(
                _err(
                    ["refundLineItems", str(i), "quantity"],
                    "Quantity cannot refund more items than were purchased",
                    None,
                )
            )
            continue
        restock = item.get("restockType") or restock_default
        location_id = parse_gid(item.get("locationId"), "Location")
        if (
            restock in ("RETURN", "CANCEL", "LEGACY_RESTOCK")
            and item.get("locationId")
            and location_id not in shop.tables["Location"]
        ):
            errors.append(_err(["refundLineItems", str(i), "locationId"], "Location does not exist", None))
            continue
        pending.append((line, qty, restock, location_id))
    shipping_refund: tuple[model.ShippingLine, Pair, Pair] | None = None
    ship = data.get("shipping") or {}
    if ship and order.shipping_lines:
        s = order.shipping_lines[0]
        remaining = s.discounted_price - s.refunded
        tax_total = model.psum(t.price for t in s.tax_lines)
        tax_remaining = tax_total - s.refunded_tax
        if ship.get("fullRefund"):
            amount, tax = remaining, tax_remaining
        else:
            value = dec(ship.get("amount"))
            amount = Pair(value, convert(value, sc, pc)) if currency == sc else Pair(convert(value, pc, sc), value)
            if amount.shop > remaining.shop:
                errors.append(
                    _err(["shipping", "amount"], "Shipping refund amount is greater than the refundable shipping", None)
                )
            share = amount.shop / remaining.shop if remaining.shop else Decimal(0)
            tax = Pair(rnd(tax_remaining.shop * share, sc), rnd(tax_remaining.pres * share, pc))
        if order.taxes_included:
            amount = amount - tax  # shipping subtotal excludes the tax it contained
        shipping_refund = (s, amount, tax)
    refundable = _refundable(order)
    tx_inputs = data.get("transactions") or []
    new_txs: list[model.Transaction] = []
    for i, t in enumerate(tx_inputs):
        value = dec(t.get("amount"))
        amount = Pair(value, convert(value, sc, pc)) if currency == sc else Pair(convert(value, pc, sc), value)
        parent_id = parse_gid(t.get("parentId"), "OrderTransaction")
        if parent_id is None:
            candidates = [p for p in order.transactions if p.id in refundable and p.gateway == t.get("gateway")]
            parent_id = candidates[0].id if candidates else None
        if parent_id not in refundable:
            errors.append(
                _err(["transactions", str(i), "parentId"], "Parent transaction not found or not refundable", None)
            )
            continue
        if amount.shop > refundable[parent_id].shop:
            errors.append(
                _err(
                    ["transactions", str(i), "amount"],
                    f"Refund amount exceeds the refundable amount of {refundable[parent_id].shop}",
                    None,
                )
            )
            continue
        refundable[parent_id] = refundable[parent_id] - amount
        new_txs.append(
            model.Transaction(
                id=store.next_id("Transaction"),
                kind="REFUND",
                status="SUCCESS",
                gateway=t.get("gateway") or "manual",
                amount=amount,
                created_at=now,
                processed_at=now,
                test=order.test,
                parent_id=parent_id,
                refund_id=refund.id,
            )
        )
    if errors:
        return None, order, errors
    for line, qty, restock, location_id in pending:
        disc = line.discount_total.scale(qty, line.quantity, sc, pc)
        gross = Pair(line.unit_price.shop * qty, line.unit_price.pres * qty)
        tax = line.tax_total.scale(qty, line.quantity, sc, pc)
        subtotal = gross - disc
        unit = Pair(rnd(subtotal.shop / qty, sc), rnd(subtotal.pres / qty, pc))
        refund.line_items.append(
            model.RefundLineItem(
                id=store.next_id("RefundLineItem"),
                line_item_id=line.id,
                quantity=qty,
                restock_type=restock,
                location_id=location_id,
                price=unit,
                subtotal=subtotal,
                tax=tax,
            )
        )
        line.refunded_quantity += qty
        if restock in ("RETURN", "CANCEL", "LEGACY_RESTOCK"):
            line.restocked_quantity += qty
            _restock(store, shop, line, qty, location_id)
    if shipping_refund:
        s, amount, tax = shipping_refund
        s.refunded = s.refunded + amount + (tax if order.taxes_included else Pair())
        s.refunded_tax = s.refunded_tax + tax
        refund.shipping.append(
            model.RefundShippingLine(
                id=store.next_id("RefundShippingLine"), shipping_line_id=s.id, subtotal=amount, tax=tax
            )
        )
    refund.transaction_ids = [t.id for t in new_txs]
    order.transactions.extend(new_txs)
    order.refunds.append(refund)
    order.updated_at = now
    store.put(order)
    return refund, order, []


def cancel_order(
    store: Store, shop: ShopData, order_id: str, reason: str, refund: bool, restock: bool
) -> tuple[model.Order | None, model.Refund | None, UserErrors]:
    order = shop.orders.get(parse_gid(order_id, "Order"))
    if order is None:
        return None, None, [_err(["orderId"], "Order does not exist", "NOT_FOUND")]
    if order.cancelled_at is not None:
        return order, None, [_err(["orderId"], "Cannot cancel an order that has already been cancelled", "INVALID")]
    created = None
    now = store.now()
    if refund:
        refundable = _refundable(order)
        items = [
            {
                "lineItemId": model.gid("LineItem", li.id),
                "quantity": li.current_quantity,
                "restockType": "CANCEL" if restock else "NO_RESTOCK",
            }
            for li in order.line_items
            if li.current_quantity > 0
        ]
        txs = [
            {
                "amount": str(amount.shop),
                "gateway": t.gateway,
                "kind": "REFUND",
                "orderId": model.gid("Order", order.id),
                "parentId": model.gid("OrderTransaction", t.id),
            }
            for t in order.transactions
            if (amount := refundable.get(t.id)) is not None and amount.shop > 0
        ]
        payload = {"orderId": model.gid("Order", order.id), "refundLineItems": items, "transactions": txs}
        if any((s.discounted_price - s.refunded).shop > 0 for s in order.shipping_lines):
            payload["shipping"] = {"fullRefund": True}
        if items or txs:
            created, _order, errors = create_refund(store, shop, payload)
            if errors:
                return order, None, errors
        for auth in [t for t in order.transactions if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"]:
            order.transactions.append(
                model.Transaction(
                    id=store.next_id("Transaction"),
                    kind="VOID",
                    status="SUCCESS",
                    gateway=auth.gateway,
                    amount=Pair(),
                    created_at=now,
                    processed_at=now,
                    test=order.test,
                    parent_id=auth.id,
                )
            )
    elif restock:
        for li in order.line_items:
            if li.current_quantity > 0:
                _restock(store, shop, li, li.current_quantity, order.location_id)
    order.cancelled_at = now
    order.cancel_reason = reason
    order.closed_at = now
    order.updated_at = now
    store.put(order)
    return order, created, []


def edit_order(store: Store, shop: ShopData, order: model.Order, data: dict[str, Any]) -> UserErrors:
    """Emulator control: add lines, remove quantities or set a line's quantity (Shopify's order editing)."""
    sc, pc = order.cur()
    b = Builder(sc, pc)
    errors: UserErrors = []
    if order.cancelled_at is not None:
        return [_err(["orderId"], "A cancelled order cannot be edited")]
    changes: list[tuple[model.LineItem, int]] = []
    for i, item in enumerate(data.get("set_quantity") or []):
        line = order.line(parse_gid(item.get("lineItemId"), "LineItem") or -1)
        if line is None:
            errors.append(_err(["set_quantity", str(i), "lineItemId"], "Line item does not exist"))
            continue
        want = int(item.get("quantity", 0))
        if want < 0:
            errors.append(_err(["set_quantity", str(i), "quantity"], "Quantity must be >= 0"))
        elif want < line.current_quantity:
            changes.append((line, line.current_quantity - want))
        elif want > line.current_quantity:
            data.setdefault("add", []).append(
                {"variantId": model.gid("ProductVariant", line.variant_id) if line.variant_id else None, "title": line.title,
                 "sku": line.sku, "quantity": want - line.current_quantity,
                 "price": str(line.unit_price.shop),
                 "taxLines": [{"title": t.title, "rate": str(t.rate)} for t in line.tax_lines]}
            )  # fmt: skip
    for i, item in enumerate(data.get("remove") or []):
        line = order.line(parse_gid(item.get("lineItemId"), "LineItem") or -1)
        qty = int(item.get("quantity") or (line.current_quantity if line else 0))
        if line is None or qty <= 0 or qty > line.current_quantity:
            errors.append(_err(["remove", str(i)], "Line item does not exist or quantity is invalid"))
            continue
        changes.append((line, qty))
    added: list[model.LineItem] = []
    for i, item in enumerate(data.get("add") or []):
        variant = shop.tables["Variant"].get(parse_gid(item.get("variantId"), "ProductVariant") or -1)
        if item.get("price") is not None:
            unit = b.convert(dec(item["price"]))
        elif variant is not None:
            unit = b.convert(variant.price)
        else:
            errors.append(_err(["add", str(i), "price"], "Price or an existing variant is required"))
            continue
        product = shop.tables["Product"].get(variant.product_id) if variant else None
        qty = int(item.get("quantity") or 1)
        line = model.LineItem(
            id=store.next_id("LineItem"),
            title=item.get("title") or (product.title if product else "Custom item"),
            quantity=qty,
            unit_price=unit,
            sku=item.get("sku") or (variant.sku if variant else None),
            variant_id=variant.id if variant else None,
            product_id=variant.product_id if variant else None,
        )
        base = Pair(unit.shop * qty, unit.pres * qty)
        line.tax_lines = _tax_lines(b, item.get("taxLines"), base, order.taxes_included, ["add", str(i), "taxLines"])
        added.append(line)
    errors.extend(b.errors)
    if errors:
        return errors
    for line, qty in changes:
        line.removed_quantity += qty
    order.line_items.extend(added)
    order.edited = True
    order.updated_at = store.now()
    store.put(order)
    return []
