"""Order semantics: orderCreate and order edits, like Shopify (refunds and cancellations: ``refunds.py``).

Inputs are the coerced GraphQL input objects (dicts with camelCase keys). Money
is Decimal; presentment amounts come from the input or from the fixed rates in
``money.py``. Every function returns user errors as ``[{"field", "message",
"code"}]`` instead of raising, the way Shopify's mutations do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sandbox.shopify import model
from sandbox.shopify.model import Pair, parse_gid
from sandbox.shopify.money import ZERO, allocate, convert, dec, rnd
from sandbox.shopify.store import ShopData, Store, parse_time

UserErrors = list[dict[str, Any]]


def user_error(field: list[str], message: str, code: str | None = "INVALID") -> dict[str, Any]:
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
            self.errors.append(user_error([*path, "shopMoney", "currencyCode"], f"Currency must be {self.sc}."))
        pres = bag.get("presentmentMoney")
        if pres:
            if pres.get("currencyCode") and pres["currencyCode"] != self.pc:
                self.errors.append(
                    user_error([*path, "presentmentMoney", "currencyCode"], f"Currency must be {self.pc}.")
                )
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
    store: Store,
    shop: ShopData,
    data: dict[str, Any],
    options: dict[str, Any] | None,
    duties: list[dict[str, Any]] | None = None,
) -> tuple[model.Order | None, UserErrors]:
    """orderCreate; ``duties`` (sandbox only: orderCreate cannot set them) are import duties per line.

    Each duty is ``{"line": index, "amount": shop money, "harmonizedSystemCode", "countryCodeOfOrigin"}``.
    """
    cfg = shop.config
    sc = data.get("currency") or cfg.currency
    if sc != cfg.currency:
        return None, [user_error(["order", "currency"], f"Currency must be the shop currency {cfg.currency}.")]
    pc = data.get("presentmentCurrency") or sc
    b = Builder(sc, pc)
    errors: UserErrors = []
    now = store.now()
    processed_at = _processed_at(data.get("processedAt"), ZoneInfo(cfg.timezone), now)
    if processed_at is None:
        return None, [user_error(["order", "processedAt"], "Processed at is invalid.", "PROCESSED_AT_INVALID")]
    inclusive = bool(data.get("taxesIncluded", False))
    parts = _order_parts(b, store, shop, data, inclusive, errors)
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
        shipping_address=dict(data["shippingAddress"]) if data.get("shippingAddress") else None,
        billing_address=dict(data["billingAddress"]) if data.get("billingAddress") else None,
        financial_status_input=data.get("financialStatus"),
        discount_applications=parts.discounts,
        line_items=parts.lines,
        shipping_lines=parts.shipping,
    )
    errors = _duties(b, store, order, duties or [])
    errors = errors or _transactions(b, store, shop, order, data, processed_at)
    if errors or b.errors:
        return None, errors or b.errors
    order.original_total = order.total_price()
    store.put(order)
    if ((options or {}).get("inventoryBehaviour") or "BYPASS") != "BYPASS":
        for li in order.line_items:
            move_stock(store, shop, li, -li.quantity, order.location_id)
    return order, []


class OrderParts(NamedTuple):
    lines: list[model.LineItem]
    shipping: list[model.ShippingLine]
    discounts: list[model.DiscountApplication]


def _order_parts(
    b: Builder, store: Store, shop: ShopData, data: dict[str, Any], inclusive: bool, errors: UserErrors
) -> OrderParts:
    line_inputs = data.get("lineItems") or []
    if not line_inputs:
        errors.append(user_error(["order", "lineItems"], "Line items must have at least one line item."))
    lines = _line_items(b, store, shop, line_inputs, errors)
    shipping = _shipping_lines(b, store, data.get("shippingLines") or [])
    # Discount codes: allocated to lines (or shipping) before taxes are computed.
    discounts = _discount_code(b, data.get("discountCode") or {}, lines, shipping, errors)
    _taxes(b, data.get("taxLines"), lines, shipping, inclusive, errors)
    return OrderParts(lines, shipping, discounts)


def _processed_at(value: Any, tz: ZoneInfo, now: datetime) -> datetime | None:
    """When the order was processed: now unless given; None if the given time is invalid or in the future."""
    if value is None:
        return now
    when = parse_time(value, tz)
    return None if when is None or when > now else when


def _line_items(
    b: Builder, store: Store, shop: ShopData, inputs: list[dict[str, Any]], errors: UserErrors
) -> list[model.LineItem]:
    lines: list[model.LineItem] = []
    for i, li in enumerate(inputs):
        path = ["order", "lineItems", str(i)]
        qty = li.get("quantity") or 0
        if qty <= 0:
            errors.append(user_error([*path, "quantity"], "Quantity must be greater than 0."))
            continue
        variant = None
        vid = parse_gid(li.get("variantId"), "ProductVariant")
        if li.get("variantId"):
            variant = shop.tables["Variant"].get(vid)
            if variant is None:
                errors.append(user_error([*path, "variantId"], "Variant does not exist."))
                continue
        product = shop.tables["Product"].get(variant.product_id) if variant else None
        if li.get("priceSet"):
            unit = b.pair(li["priceSet"], [*path, "priceSet"])
        elif variant is not None:
            unit = b.convert(variant.price)
        else:
            errors.append(user_error([*path, "priceSet"], "Price must be given for a custom line item."))
            continue
        title = li.get("title") or (product.title if product else None)
        if not title:
            errors.append(user_error([*path, "title"], "Title can't be blank."))
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
    return lines


def _shipping_lines(b: Builder, store: Store, inputs: list[dict[str, Any]]) -> list[model.ShippingLine]:
    shipping: list[model.ShippingLine] = []
    for i, s in enumerate(inputs):
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
    return shipping


def _discount_code(
    b: Builder,
    code: dict[str, Any],
    lines: list[model.LineItem],
    shipping: list[model.ShippingLine],
    errors: UserErrors,
) -> list[model.DiscountApplication]:
    sc, pc = b.sc, b.pc
    apps: list[model.DiscountApplication] = []
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
            errors.append(user_error(["order", "discountCode"], "Discount is greater than the order subtotal."))
        shop_parts = allocate(min(total.shop, gross), weights, sc)
        pres_parts = allocate(total.pres, [li.unit_price.pres * li.quantity for li in eligible], pc)
        for li, s_amt, p_amt in zip(eligible, shop_parts, pres_parts, strict=True):
            li.discounts.append(model.DiscountAllocation(0, Pair(s_amt, p_amt)))
    elif code.get("freeShippingDiscountCode"):
        d = code["freeShippingDiscountCode"]
        apps.append(model.DiscountApplication(0, d["code"], None, "percentage", Decimal(100), "SHIPPING_LINE", "EACH"))
        for s in shipping:
            s.discounts.append(model.DiscountAllocation(0, Pair(s.price.shop, s.price.pres)))
    return apps


def _taxes(
    b: Builder,
    order_tax_input: list[dict[str, Any]] | None,
    lines: list[model.LineItem],
    shipping: list[model.ShippingLine],
    inclusive: bool,
    errors: UserErrors,
) -> None:
    """Sets the tax lines of the lines and of shipping; tax lines given on the order go to the lines.

    The order keeps no tax of its own: its ``taxLines`` and ``totalTaxSet`` are the sums over its
    lines and shipping, as on Shopify.
    """
    for i, li in enumerate(lines):
        li.tax_lines = _tax_lines(
            b, li.__dict__.pop("_tax_input", None), line_base(li), inclusive, ["order", "lineItems", str(i), "taxLines"]
        )
    for i, s in enumerate(shipping):
        s.tax_lines = _tax_lines(
            b,
            s.__dict__.pop("_tax_input", None),
            s.discounted_price,
            inclusive,
            ["order", "shippingLines", str(i), "taxLines"],
        )
    if not order_tax_input:
        return
    if any(li.tax_lines for li in lines) or any(s.tax_lines for s in shipping):
        # Reference: OrderCreateOrderInput.taxLines ("tax lines can be specified on the order or the
        # line items but not both"); the wording is Shopify's REST refusal (Shopify/shopify-api-ruby#770).
        # Shipping tax lines beside order ones are refused too (undocumented either way).
        errors.append(
            user_error(
                ["order", "taxLines"], "Tax lines must be associated with either order or line item but not both"
            )
        )
        return
    _split_order_taxes(b, order_tax_input, lines, inclusive, errors)


def line_base(li: model.LineItem) -> Pair:
    """What a line's taxes are charged on: its price times quantity, less its discounts."""
    return Pair(li.unit_price.shop * li.quantity, li.unit_price.pres * li.quantity) - li.discount_total


def _split_order_taxes(
    b: Builder, inputs: list[dict[str, Any]], lines: list[model.LineItem], inclusive: bool, errors: UserErrors
) -> None:
    """Splits each tax line given on the order across the taxable line items, as Shopify does.

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/input-objects/OrderCreateOrderInput
    ("Tax lines specified on the order are split across the _taxable_ line items in the created
    order"). Shopify does not publish how it weighs the parts; here each line's part of an amount
    is proportional to the line's discounted total (``TaxLine.priceSet`` is the tax "after
    discounts"), in shop and in presentment money, rounded by largest remainder (ties to the
    earlier line) so the parts add up to the given amount exactly, tax line by tax line. Shipping
    gets none: the input names line items, and shipping lines take their own ``taxLines``. A tax
    line given with a rate only is that rate on each taxable line. Taxable: the line's
    ``taxable`` (default true) and not a gift card ("not taxed", ``OrderCreateLineItemInput.giftCard``).
    """
    taxable = [li for li in lines if li.taxable and not li.gift_card]
    if not taxable:
        # Not documented; refused here rather than keeping tax no line carries.
        errors.append(user_error(["order", "taxLines"], "Tax lines on the order need at least one taxable line item."))
        return
    bases = [line_base(li) for li in taxable]
    for i, t in enumerate(inputs):
        path = ["order", "taxLines", str(i)]
        if t.get("priceSet"):
            given = b.pair(t["priceSet"], [*path, "priceSet"])
            shop_parts = split_amount(given.shop, [base.shop for base in bases], b.sc)
            pres_parts = split_amount(given.pres, [base.pres for base in bases], b.pc)
            rate = dec(t.get("rate"))
            parts = [
                model.TaxLine(t.get("title") or "Tax", rate, Pair(shop, pres), bool(t.get("channelLiable")))
                for shop, pres in zip(shop_parts, pres_parts, strict=True)
            ]
        else:
            parts = [_tax_lines(b, [t], base, inclusive, path)[0] for base in bases]
        for li, part in zip(taxable, parts, strict=True):
            li.tax_lines.append(part)


def split_amount(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """``amount`` in parts proportional to ``weights`` that add up to it exactly (largest remainder).

    All weights zero (every taxable line fully discounted): equal parts.
    """
    if not any(weights):
        weights = [Decimal(1)] * len(weights)
    if amount < 0:
        return [-part for part in allocate(-amount, weights, currency)]
    return allocate(amount, weights, currency)


def _duties(b: Builder, store: Store, order: model.Order, inputs: list[dict[str, Any]]) -> UserErrors:
    """Import duties on the order's lines: part of the total, as Shopify counts them.

    Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/Duty
    """
    for i, item in enumerate(inputs):
        index = int(item.get("line", -1))
        amount = dec(item.get("amount"))
        if not 0 <= index < len(order.line_items) or amount <= 0:
            return [user_error(["duties", str(i)], "A duty needs an existing line index and a positive amount.")]
        line = order.line_items[index]
        duty = model.Duty(
            id=store.next_id("Duty"),
            price=b.convert(rnd(amount, b.sc)),
            harmonized_system_code=item.get("harmonizedSystemCode"),
            country_code_of_origin=item.get("countryCodeOfOrigin"),
        )
        line.duties = (*line.duties, duty)
    return []


def _transactions(
    b: Builder, store: Store, shop: ShopData, order: model.Order, data: dict[str, Any], processed_at: datetime
) -> UserErrors:
    """The order's payment transactions (with Shopify Payments fees); POS orders take their location."""
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
            return [user_error(["order", "transactions", str(i), "locationId"], "Location does not exist.")]
        tx = model.Transaction(
            id=store.next_id("Transaction"),
            kind=kind,
            status=t.get("status") or "SUCCESS",
            gateway=gateway,
            amount=amount,
            created_at=order.created_at,
            processed_at=parse_time(t.get("processedAt")) or processed_at,
            test=bool(t.get("test", order.test)),
            location_id=location_id,
            gift_card_id=t.get("giftCardId"),
            authorization_code=t.get("authorizationCode"),
            # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/mutations/orderCapture
            # ("Multi-capture is available only to stores on a Shopify Plus plan.")
            multi_capturable=kind == "AUTHORIZATION"
            and gateway == "shopify_payments"
            and shop.config.plan == "Shopify Plus",
        )
        if tx.status == "SUCCESS":
            tx.fees = fee_for(shop, gateway, kind, amount.shop, pos, store.next_id)
        order.transactions.append(tx)
        if location_id and order.location_id is None and pos:
            order.location_id = location_id
    return []


def move_stock(store: Store, shop: ShopData, line: model.LineItem, quantity: int, location_id: int | None) -> None:
    """Moves a tracked line's stock by ``quantity`` at ``location_id`` (default: the first location)."""
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


def _default_location(shop: ShopData) -> int | None:
    locations = sorted(shop.tables["Location"].values(), key=lambda loc: loc.id)
    return locations[0].id if locations else None


def edit_order(store: Store, shop: ShopData, order: model.Order, data: dict[str, Any]) -> UserErrors:
    """Add lines, remove quantities or set a line's quantity (Shopify's order editing), and save.

    Used by the ``/_sandbox/orders/edit`` control and by ``orderEditCommit``.
    """
    errors = apply_edit(shop, order, data, store.next_id)
    if errors:
        return errors
    order.updated_at = store.now()
    store.put(order)
    return []


def apply_edit(shop: ShopData, order: model.Order, data: dict[str, Any], next_id: Callable[[str], int]) -> UserErrors:
    """Applies an edit to ``order`` in memory (``order_edits`` previews it on a copy).

    Additions become new line items; removals lower a line's ``currentQuantity``.
    Reference: https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders
    """
    sc, pc = order.cur()
    b = Builder(sc, pc)
    errors: UserErrors = []
    if order.cancelled_at is not None:
        return [user_error(["orderId"], "A cancelled order cannot be edited")]
    changes = _edit_removals(order, data, errors)
    added = _edit_additions(b, next_id, shop, order, data.get("add") or [], errors)
    errors.extend(b.errors)
    if errors:
        return errors
    for line, qty in changes:
        line.removed_quantity += qty
    order.line_items.extend(added)
    order.edited = True
    return []


def _edit_removals(order: model.Order, data: dict[str, Any], errors: UserErrors) -> list[tuple[model.LineItem, int]]:
    """(line, quantity to remove) per edit; a quantity set higher becomes an added line in ``data["add"]``."""
    changes: list[tuple[model.LineItem, int]] = []
    for i, item in enumerate(data.get("set_quantity") or []):
        line = order.line(parse_gid(item.get("lineItemId"), "LineItem") or -1)
        if line is None:
            errors.append(user_error(["set_quantity", str(i), "lineItemId"], "Line item does not exist"))
            continue
        want = int(item.get("quantity", 0))
        if want < 0:
            errors.append(user_error(["set_quantity", str(i), "quantity"], "Quantity must be >= 0"))
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
            errors.append(user_error(["remove", str(i)], "Line item does not exist or quantity is invalid"))
            continue
        changes.append((line, qty))
    return changes


def _edit_additions(
    b: Builder,
    next_id: Callable[[str], int],
    shop: ShopData,
    order: model.Order,
    items: list[dict[str, Any]],
    errors: UserErrors,
) -> list[model.LineItem]:
    added: list[model.LineItem] = []
    for i, item in enumerate(items):
        variant = shop.tables["Variant"].get(parse_gid(item.get("variantId"), "ProductVariant") or -1)
        if item.get("price") is not None:
            unit = b.convert(dec(item["price"]))
        elif variant is not None:
            unit = b.convert(variant.price)
        else:
            errors.append(user_error(["add", str(i), "price"], "Price or an existing variant is required"))
            continue
        product = shop.tables["Product"].get(variant.product_id) if variant else None
        qty = int(item.get("quantity") or 1)
        line = model.LineItem(
            id=next_id("LineItem"),
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
    return added
