"""Emulator-only controls under ``/_sandbox`` (documented in README.md): one handler per path.

Real Shopify has none of these paths. Handlers take the emulator, the shop named
by ``shop`` (or None), the query and body arguments merged, and the body alone.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Request, Response

from sandbox.shopify import admin_frame, model, oauth, orders, payouts, views, webhooks
from sandbox.shopify.money import dec
from sandbox.shopify.store import ShopData, parse_time, shop_id

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

Handler = Callable[["ShopifyEmulator", Any, dict[str, Any], dict[str, Any]], Response]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json", headers=headers)


def control(emulator: ShopifyEmulator, request: Request, parts: list[str]) -> Response:
    if parts == ["app-bridge.js"]:
        return admin_frame.app_bridge_shim()
    if len(parts) == 2 and parts[0] == "bulk":
        data = emulator.load_bulk_file(parts[1])
        if data is None:
            raise NotFound()
        return Response(data, mimetype="application/jsonl")
    body = request.get_json(silent=True) if request.method == "POST" else None
    body = body if isinstance(body, dict) else {}
    args = {**request.args.to_dict(), **body}
    shop = emulator.store.shops.get(args.get("shop") or "") if args.get("shop") else None
    key = "/".join(parts)
    method, handler = EMULATOR_CONTROLS.get(key, (None, None))
    if handler is not None and method in (None, request.method):
        return handler(emulator, shop, args, body)
    if shop is None:
        if parts and parts[0] in ("webhooks", "orders", "payouts", "shops", "throttle"):
            return json_response({"error": "pass an existing shop"}, 404)
        raise NotFound()
    if request.method != "POST":
        return json_response({"error": "POST required"}, 405)
    with emulator.store.lock:
        try:
            shop_handler = SHOP_CONTROLS.get(key)
            if shop_handler is None:
                raise NotFound()
            return shop_handler(emulator, shop, args, body)
        finally:
            emulator.store.flush()


# -- the emulator as a whole ------------------------------------------------------------------


def _describe(emulator: ShopifyEmulator, _shop: Any, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    # The contract line again, for scripts that did not see it (e.g. `sandbox seed`).
    return json_response(emulator.describe())


def _state(emulator: ShopifyEmulator, _shop: Any, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    store = emulator.store
    with store.lock:
        return json_response(
            {
                "shops": {d: {k: len(v) for k, v in s.tables.items()} for d, s in store.shops.items()},
                "now": model.iso(store.now()),
                "webhooks_pending": emulator.dispatcher.pending(),
            }
        )


def _session_token(emulator: ShopifyEmulator, shop: Any, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    if shop is None:
        return json_response({"error": "unknown shop"}, 404)
    return json_response({"id_token": oauth.session_token(emulator, shop)})


def _frame_src(emulator: ShopifyEmulator, shop: Any, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    return admin_frame.frame_src_response(emulator, shop, str(args.get("path") or "/"))


def _clock(emulator: ShopifyEmulator, _shop: Any, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    store = emulator.store
    with store.lock:
        if "advance_seconds" in args:
            store.advance_clock(float(args["advance_seconds"]))
        if "set" in args:
            when = parse_time(args["set"])
            if when is None:
                raise BadRequest("set must be an ISO 8601 time")
            store.set_clock(when)
        store.flush()
        return json_response({"now": model.iso(store.now())})


def _webhook_attempts(emulator: ShopifyEmulator, _shop: Any, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    attempts = [
        a
        for a in list(emulator.dispatcher.attempts)
        if (not args.get("shop") or a["shop"] == args["shop"])
        and (not args.get("topic") or a["topic"] == args["topic"])
    ]
    return json_response({"attempts": attempts})


def _webhook_faults(emulator: ShopifyEmulator, _shop: Any, _args: dict[str, Any], body: dict[str, Any]) -> Response:
    faults = emulator.dispatcher.faults
    for name in ("duplicate", "shuffle", "drop_percent", "delay"):
        if name in body:
            setattr(faults, name, type(getattr(faults, name))(body[name]))
    return json_response({"faults": faults.as_dict()})


def _webhook_release(emulator: ShopifyEmulator, _shop: Any, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    return json_response({"released": emulator.dispatcher.release()})


def _webhook_flush(emulator: ShopifyEmulator, _shop: Any, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    idle = emulator.dispatcher.wait_idle(float(args.get("timeout", 10)))
    return json_response({"idle": idle, "pending": emulator.dispatcher.pending()})


# path -> (the method it needs, or None for any; handler)
EMULATOR_CONTROLS: dict[str, tuple[str | None, Handler]] = {
    "describe": (None, _describe),
    "state": (None, _state),
    "session-token": (None, _session_token),
    "admin/frame-src": (None, _frame_src),
    "clock": ("POST", _clock),
    "webhooks/attempts": (None, _webhook_attempts),
    "webhooks/faults": ("POST", _webhook_faults),
    "webhooks/release": ("POST", _webhook_release),
    "webhooks/flush": ("POST", _webhook_flush),
}


# -- one shop (POST, with the store locked) -------------------------------------------------------


def _trigger_webhook(
    emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]
) -> Response:
    topic = args.get("topic", "")
    if topic not in webhooks.COMPLIANCE:
        return json_response({"error": f"only {', '.join(webhooks.COMPLIANCE)} can be triggered"}, 400)
    emulator.emit(shop, topic, args.get("payload") or compliance_body(shop, topic, args))
    return json_response({"ok": True})


def _uninstall(emulator: ShopifyEmulator, shop: ShopData, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    emulator.uninstall(shop)
    return json_response({"ok": True})


def _edit_order(emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    order = shop.orders.get(model.parse_gid(args.get("order_id"), "Order") or -1)
    if order is None:
        return json_response({"error": "order not found"}, 404)
    errors = orders.edit_order(emulator.store, shop, order, args)
    if errors:
        return json_response({"userErrors": errors}, 422)
    emulator.emit(shop, "orders/edited", order)
    emulator.emit(shop, "orders/updated", order)
    return json_response({"order": views.order_view(order)["id"], "updatedAt": model.iso(order.updated_at)})


def _create_order(emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    """orderCreate plus what orderCreate cannot set: import duties per line (``duties``)."""
    order, errors = orders.create_order(
        emulator.store, shop, args.get("order") or {}, args.get("options"), duties=args.get("duties") or []
    )
    if order is None:
        return json_response({"userErrors": errors}, 422)
    emulator.emit(shop, "orders/create", order)
    if order.financial_status() == "PAID":
        emulator.emit(shop, "orders/paid", order)
    return json_response({"order": views.order_view(order)["id"], "name": order.name})


def _run_payouts(emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    through = date.fromisoformat(args["through"]) if args.get("through") else None
    made = payouts.run_payouts(emulator.store, shop, through, args.get("status", "PAID"))
    return json_response({"payouts": [views.payout_view(p) for p in made]})


def _payout_cases(emulator: ShopifyEmulator, shop: ShopData, _args: dict[str, Any], _body: dict[str, Any]) -> Response:
    """The demo's payouts beyond sales: disputes lost and won, a reserve, a Shopify Capital advance
    and repayments, duties, an adjustment and a withdrawal (payouts.seed_payout_cases)."""
    made = payouts.seed_payout_cases(emulator.store, shop)
    return json_response({"payouts": [views.payout_view(p) for p in made]})


def _adjustment(emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    adj = payouts.add_adjustment(emulator.store, shop, dec(args["amount"]), args.get("reason", "adjustment"))
    return json_response({"balanceTransaction": views.balance_view(adj)})


def _throttle(emulator: ShopifyEmulator, shop: ShopData, args: dict[str, Any], _body: dict[str, Any]) -> Response:
    if "available" in args:
        maximum, restore = emulator.limits(shop)
        bucket = emulator.throttle.bucket(f"{emulator.api_key}:{shop.domain}", maximum, restore)
        bucket.available = float(args["available"])
    return json_response({"ok": True})


SHOP_CONTROLS: dict[str, Handler] = {
    "webhooks/trigger": _trigger_webhook,
    "shops/uninstall": _uninstall,
    "orders/create": _create_order,
    "orders/edit": _edit_order,
    "payouts/run": _run_payouts,
    "payouts/adjustment": _adjustment,
    "payouts/cases": _payout_cases,
    "throttle": _throttle,
}


def compliance_body(shop: ShopData, topic: str, args: dict[str, Any]) -> dict[str, Any]:
    """What Shopify sends for a compliance topic: the shop, and for customer topics a customer and orders."""
    numeric_id = shop_id(shop.domain)
    if topic == "shop/redact":
        return {"shop_id": numeric_id, "shop_domain": shop.domain}
    customer = shop.tables["Customer"].get(model.parse_gid(args.get("customer_id"), "Customer") or -1)
    customer = customer or next(iter(shop.tables["Customer"].values()), None)
    order_ids = [o.id for o in shop.orders.values() if customer and o.customer_id == customer.id]
    body: dict[str, Any] = {
        "shop_id": numeric_id,
        "shop_domain": shop.domain,
        "customer": {
            "id": customer.id if customer else 0,
            "email": customer.email if customer else None,
            "phone": customer.phone if customer else None,
        },
        "orders_requested" if topic == "customers/data_request" else "orders_to_redact": order_ids,
    }
    if topic == "customers/data_request":
        body["data_request"] = {"id": secrets.randbelow(10**9)}
    return body
