"""Pages a person opens in a browser: the sandbox's index at ``/`` and an order's page at
``/{shop}/admin/orders/{id}`` (where the app's Orders page links, as it links to Shopify's admin)."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from sandbox.shopify import views
from sandbox.shopify.store import ShopData

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#303030}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;"
    "border-bottom:1px solid #e3e3e3}td.num,th.num{text-align:right}code{background:#f1f1f1;padding:0 .2rem}"
)

# The controls worth clicking or copying from a browser; the full list is in README.md.
_CONTROLS = [
    ("GET", "/_sandbox/describe", "the app credentials and shops with their tokens"),
    ("GET", "/_sandbox/state", "record counts per shop, the emulator clock, webhooks pending"),
    ("GET", "/_sandbox/webhooks/attempts", "every webhook delivery attempt (?shop=&topic=)"),
    ("POST", "/_sandbox/clock", '{"advance_seconds": 3600} moves the clock'),
    ("POST", "/_sandbox/orders/edit", "edits an order (add, remove, set quantities)"),
    ("POST", "/_sandbox/payouts/run", "pays out the Shopify Payments balance up to a day"),
    ("POST", "/_sandbox/payouts/adjustment", "adds an adjustment (a chargeback fee, say)"),
    ("POST", "/_sandbox/shops/uninstall", "revokes the app's tokens and sends app/uninstalled"),
    ("POST", "/_sandbox/webhooks/trigger", "sends a compliance webhook"),
    ("POST", "/_sandbox/webhooks/faults", "duplicates, shuffles, drops or delays webhooks"),
    ("POST", "/_sandbox/throttle", "empties a shop's API cost bucket"),
]


def _page(title: str, body: str, status: int = 200) -> Response:
    doc = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Response(doc, status=status, mimetype="text/html")


def index_page(emulator: ShopifyEmulator) -> Response:
    """``GET /``: what this is and where to go from here."""
    base = emulator.base_url
    shops = []
    with emulator.store.lock:
        for domain, shop in emulator.store.shops.items():
            admin = f"{base}/{domain}/admin/apps/{emulator.api_key}/"
            frame = f"<a href='{escape(admin)}'>the app in the admin frame</a>" if emulator.app_url else "no app URL"
            shops.append(
                f"<tr><td>{escape(shop.config.name)}</td><td><code>{escape(domain)}</code></td>"
                f"<td class='num'>{len(shop.orders)}</td><td>{frame}</td></tr>"
            )
    controls = "".join(
        f"<tr><td>{method}</td><td><code>{escape(path)}</code></td><td>{escape(what)}</td></tr>"
        if method == "POST"
        else f"<tr><td>{method}</td><td><a href='{escape(base + path)}'><code>{escape(path)}</code></a></td>"
        f"<td>{escape(what)}</td></tr>"
        for method, path, what in _CONTROLS
    )
    app = f"<a href='{escape(emulator.app_url)}'>{escape(emulator.app_url)}</a>" if emulator.app_url else "none"
    body = (
        "<h1>Shopify store sandbox</h1>"
        "<p>An emulator of Shopify's Admin GraphQL API, OAuth, webhooks and admin frame, for the demo "
        "and the tests; it is not Shopify. The sandbox's README.md documents every path.</p>"
        f"<p>App URL: {app}</p>"
        "<h2>Shops</h2><table><thead><tr><th>Name</th><th>Domain</th><th class='num'>Orders</th>"
        f"<th>Open</th></tr></thead><tbody>{''.join(shops)}</tbody></table>"
        "<p>An order's page: <code>/{shop}/admin/orders/{id}</code>.</p>"
        "<h2>Controls</h2><table><thead><tr><th>Method</th><th>Path</th><th>What</th></tr></thead>"
        f"<tbody>{controls}</tbody></table>"
    )
    return _page("Shopify store sandbox", body)


def _amount(money_bag: dict[str, Any] | None) -> str:
    if not money_bag:
        return ""
    money = money_bag["shopMoney"]
    return f"{Decimal(money['amount']):,.2f} {escape(money['currencyCode'])}"


def order_page(emulator: ShopifyEmulator, shop: ShopData, order_id: str) -> Response:
    """``GET /{shop}/admin/orders/{id}``: the order as the merchant sees it in Shopify's admin."""
    if not order_id.isdigit():
        raise NotFound()
    with emulator.store.lock:
        order = shop.orders.get(int(order_id))
        if order is None:
            raise NotFound()
        view = views.order_view(order)
        lines = "".join(
            f"<tr><td>{escape(li['name'])}</td><td>{escape(li['sku'] or '')}</td>"
            f"<td class='num'>{li['currentQuantity']}</td><td class='num'>{_amount(li['originalUnitPriceSet'])}</td>"
            f"<td class='num'>{_amount(li['_discountedTotalWithCodesSet'])}</td></tr>"
            for li in view["_lineItems"]
        )
        totals = [
            ("Subtotal", view["currentSubtotalPriceSet"]),
            ("Discounts", view["currentTotalDiscountsSet"]),
            ("Shipping", view["currentShippingPriceSet"]),
            ("Taxes", view["currentTotalTaxSet"]),
            ("Total", view["currentTotalPriceSet"]),
            ("Refunded", view["totalRefundedSet"]),
            ("Paid", view["totalReceivedSet"]),
            ("Balance", view["totalOutstandingSet"]),
        ]
        name, processed = view["name"], view["processedAt"]
        status = view["displayFinancialStatus"].replace("_", " ").capitalize()
        flags = " (test order)" if view["test"] else ""
        if view["cancelledAt"]:
            flags += f" · cancelled {escape(view['cancelledAt'])}"
    rows = "".join(f"<tr><th>{label}</th><td class='num'>{_amount(value)}</td></tr>" for label, value in totals)
    body = (
        f"<p><a href='{escape(emulator.base_url)}/'>Shopify store sandbox</a> · {escape(shop.config.name)}</p>"
        f"<h1>Order {escape(name)}</h1>"
        f"<p>Processed <time datetime='{escape(processed)}'>{escape(processed)}</time>{flags}</p>"
        f"<p>Payment status: <strong>{escape(status)}</strong></p>"
        "<table><thead><tr><th>Item</th><th>SKU</th><th class='num'>Quantity</th><th class='num'>Price</th>"
        f"<th class='num'>Total</th></tr></thead><tbody>{lines}</tbody></table>"
        f"<h2>Totals</h2><table><tbody>{rows}</tbody></table>"
    )
    return _page(f"Order {name} · {shop.config.name}", body)


def favicon() -> Response:
    """No icon: 204 keeps browsers from logging a 404 on every page."""
    return Response(status=204)
