"""Raw GraphQL order nodes (the OrderFields shape) for tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncing import ledger


def bag(amount: Decimal | str, currency: str = "USD") -> dict[str, Any]:
    value = str(Decimal(amount).quantize(Decimal("0.01")))
    return {
        "shopMoney": {"amount": value, "currencyCode": currency},
        "presentmentMoney": {"amount": value, "currencyCode": currency},
    }


def order_node(
    *,
    lines: list[tuple] = (("SKU-1", 2, "10.00", "0.00"),),
    line_tax: list[str] | None = None,
    tip_as_line: bool = False,
    transactions: list[dict[str, Any]] | None = None,
    shipping: str = "0.00",
    shipping_discount: str = "0.00",
    tax: str = "0.00",
    tip: str = "0.00",
    total: str | None = None,
    status: str = "PAID",
    gateway: str = "shopify_payments",
    taxes_included: bool = False,
    test: bool = False,
    cancelled_at: str | None = None,
    processed_at: str = "2026-03-02T15:00:00Z",
    updated_at: str = "2026-03-02T15:00:00Z",
    order_id: int = 1001,
    name: str | None = None,
) -> dict[str, Any]:
    """lines: (sku, quantity, unit price, discount allocated to the line);
    line_tax: the tax Shopify charged on each line (line-level tax lines);
    tax: the order's total tax. Without ``line_tax`` it is split across the lines as Shopify
    splits tax given on an order (``split_tax``): a real order never carries tax no line carries.
    """
    if line_tax is None and Decimal(tax):
        line_tax = split_tax(Decimal(tax), [Decimal(p) * q - Decimal(d) for _s, q, p, d in lines])
    items = []
    subtotal = Decimal(0)
    discounts = Decimal(0)
    for n, (sku, qty, price, discount) in enumerate(lines):
        gross = Decimal(price) * qty
        subtotal += gross - Decimal(discount)
        discounts += Decimal(discount)
        items.append(
            {
                "id": f"gid://shopify/LineItem/{order_id}{n}",
                "name": f"Product {sku}",
                "sku": sku,
                "quantity": qty,
                "currentQuantity": qty,
                "taxable": True,
                "isGiftCard": False,
                "variant": {"id": f"gid://shopify/ProductVariant/{n}"},
                "originalUnitPriceSet": bag(price),
                "discountedTotalSet": bag(gross - Decimal(discount)),
                "discountAllocations": [{"allocatedAmountSet": bag(discount)}] if Decimal(discount) else [],
                "taxLines": [{"title": "Tax", "rate": Decimal("0.2"), "priceSet": bag(line_tax[n])}]
                if line_tax
                else [],
            }
        )
    if tip_as_line and Decimal(tip):
        items.append(
            {
                "id": f"gid://shopify/LineItem/{order_id}99",
                "name": "Tip",
                "sku": None,
                "quantity": 1,
                "currentQuantity": 1,
                "taxable": False,
                "isGiftCard": False,
                "variant": None,
                "originalUnitPriceSet": bag(tip),
                "discountedTotalSet": bag(tip),
                "discountAllocations": [],
                "taxLines": [],
            }
        )
    ship = Decimal(shipping) - Decimal(shipping_discount)
    computed = subtotal + ship + Decimal(tip) + (Decimal(0) if taxes_included else Decimal(tax))
    amount = Decimal(total) if total is not None else computed
    return {
        "id": f"gid://shopify/Order/{order_id}",
        "name": name or f"#{order_id}",
        "createdAt": processed_at,
        "processedAt": processed_at,
        "updatedAt": updated_at,
        "cancelledAt": cancelled_at,
        "test": test,
        "email": "buyer@example.com",
        "taxesIncluded": taxes_included,
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        "displayFinancialStatus": status,
        "sourceName": "web",
        "tags": [],
        "paymentGatewayNames": [gateway],
        "customer": {
            "id": "gid://shopify/Customer/1",
            "displayName": "Buyer",
            "defaultEmailAddress": {"emailAddress": "buyer@example.com"},
        },
        "retailLocation": None,
        "totalPriceSet": bag(amount),
        "currentTotalPriceSet": bag(amount),
        "subtotalPriceSet": bag(subtotal),
        "totalTaxSet": bag(tax),
        "totalShippingPriceSet": bag(ship),
        "totalDiscountsSet": bag(discounts + Decimal(shipping_discount)),
        "totalRefundedSet": bag("0"),
        "totalTipReceivedSet": bag(tip),
        "taxLines": [{"title": "Tax", "rate": Decimal("0.2"), "priceSet": bag(sum(map(Decimal, line_tax), Decimal(0)))}]
        if line_tax
        else [],
        "lineItems": {"nodes": items},
        "shippingLines": {
            "nodes": [
                {
                    "title": "Standard",
                    "originalPriceSet": bag(shipping),
                    "discountedPriceSet": bag(ship),
                    "discountAllocations": [{"allocatedAmountSet": bag(shipping_discount)}]
                    if Decimal(shipping_discount)
                    else [],
                    "taxLines": [],
                }
            ]
            if Decimal(shipping)
            else []
        },
        "transactions": transactions
        if transactions is not None
        else [
            {
                "id": f"gid://shopify/OrderTransaction/{order_id}",
                "kind": "SALE",
                "gateway": gateway,
                "status": "SUCCESS",
                "test": test,
                "processedAt": processed_at,
                "amountSet": bag(amount),
                "fees": [],
            }
        ],
        "refunds": [],
    }


def split_tax(tax: Decimal, bases: list[Decimal]) -> list[str]:
    """``tax`` split across lines in proportion to their discounted totals, to the cent (largest
    remainder, ties to the earlier line), as the Shopify sandbox splits an order's tax lines."""
    weights = bases if any(bases) else [Decimal(1)] * len(bases)
    cents = int(tax * 100)
    raw = [cents * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: cents - sum(parts)]:
        parts[i] += 1
    return [str(Decimal(p) / 100) for p in parts]


def mapping(**overrides: Any) -> ledger.Mapping:
    ref = ledger.Ref
    values: dict[str, Any] = {
        "sales_item": ref("1", "Shopify Sale"),
        "shipping_item": ref("2", "Shopify Shipping"),
        "discount_item": ref("3", "Shopify Discount"),
        "tip_item": ref("4", "Shopify Tip"),
        "gift_card_item": ref("5", "Shopify Gift Card"),
        "rounding_item": ref("6", "Shopify Rounding"),
        "customer": ref("10", "Shopify Customer"),
        "clearing_accounts": {
            "shopify_payments": ref("20", "Shopify Payments Clearing"),
            "paypal": ref("21", "PayPal Clearing"),
            "gift_card": ref("22", "Gift Card Clearing"),
            "other": ref("23", "Other Payments Clearing"),
        },
        "default_clearing": ref("23", "Other Payments Clearing"),
        "timezone": "America/New_York",
    }
    values.update(overrides)
    return ledger.Mapping(**values)
