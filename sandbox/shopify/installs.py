"""Installs and access tokens of the Shopify emulator: who may call the Admin API, and uninstalls.

A mixin of ``ShopifyEmulator`` (as moto builds a backend from per-resource
mixins): tokens live in the store's meta, persisted with everything else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

from sandbox.shopify import oauth
from sandbox.shopify.store import ShopData, Store

ALL_SCOPES = (
    "read_orders,write_orders,read_all_orders,read_order_edits,write_order_edits,read_products,write_products,read_inventory,write_inventory,"
    "read_locations,read_customers,read_shopify_payments_payouts,read_shopify_payments_accounts,read_gift_cards"
)


class Installs:
    store: Store
    app_url: str | None
    emit: Callable[[ShopData, str, Any], None]

    def installed(self, shop: ShopData) -> bool:
        return shop.domain not in self.store.meta.get("uninstalled", [])

    def granted_scopes(self, shop: ShopData) -> str:
        return str(self.store.meta.get("grants", {}).get(shop.domain, ALL_SCOPES))

    def redirect_allowed(self, uri: str) -> bool:
        if not self.app_url:
            return True
        allowed = urlsplit(self.app_url)
        given = urlsplit(uri)
        return (given.scheme, given.netloc) == (allowed.scheme, allowed.netloc)

    def _install(self, shop: ShopData, scopes: str) -> None:
        meta = self.store.meta
        meta.setdefault("grants", {})[shop.domain] = scopes
        meta["uninstalled"] = [d for d in meta.get("uninstalled", []) if d != shop.domain]
        self.store.touch_meta()

    def issue_offline(self, shop: ShopData, scopes: str, *, expiring: bool) -> dict[str, Any]:
        self._install(shop, scopes)
        token = "shpat_" + secrets.token_hex(16)
        now = self.store.epoch()
        entry: dict[str, Any] = {"shop": shop.domain, "scopes": scopes, "expires_at": None}
        result: dict[str, Any] = {"access_token": token, "scope": scopes}
        if expiring:
            refresh = "shprt_" + secrets.token_hex(16)
            entry["expires_at"] = now + oauth.ACCESS_TTL
            self.store.meta.setdefault("refresh_tokens", {})[refresh] = {
                "shop": shop.domain,
                "scopes": scopes,
                "expires_at": now + oauth.REFRESH_TTL,
            }
            result.update(
                expires_in=oauth.ACCESS_TTL, refresh_token=refresh, refresh_token_expires_in=oauth.REFRESH_TTL
            )
        self.store.meta["tokens"][token] = entry
        self.store.touch_meta()
        return result

    def issue_online(self, shop: ShopData, scopes: str) -> dict[str, Any]:
        self._install(shop, scopes)
        token = "shpua_" + secrets.token_hex(16)
        self.store.meta["tokens"][token] = {
            "shop": shop.domain,
            "scopes": scopes,
            "expires_at": self.store.epoch() + oauth.ONLINE_TTL,
            "online": True,
        }
        self.store.touch_meta()
        return {
            "access_token": token,
            "scope": scopes,
            "expires_in": oauth.ONLINE_TTL,
            "associated_user_scope": scopes,
            "session": secrets.token_hex(16),
            "account_number": 0,
            "associated_user": oauth.STAFF_USER,
        }

    def uninstall(self, shop: ShopData) -> None:
        """The merchant removes the app: every token is revoked, then app/uninstalled is sent."""
        meta = self.store.meta
        for entry in meta["tokens"].values():
            if entry.get("shop") == shop.domain:
                entry["revoked"] = True
        for entry in meta.get("refresh_tokens", {}).values():
            if entry.get("shop") == shop.domain:
                entry["used"] = True
        for sub in list(shop.tables["WebhookSubscription"].values()):
            if sub.topic != "APP_UNINSTALLED":
                self.store.delete(sub)
        self.emit(shop, "app/uninstalled", None)
        for sub in list(shop.tables["WebhookSubscription"].values()):
            self.store.delete(sub)
        meta.setdefault("uninstalled", []).append(shop.domain)
        self.store.touch_meta()

    def authenticate(self, request: Request, shop: ShopData) -> dict[str, Any] | None:
        token = request.headers.get("X-Shopify-Access-Token", "")
        entry = self.store.meta["tokens"].get(token)
        if not entry or entry.get("shop") != shop.domain or entry.get("revoked"):
            return None
        expires = entry.get("expires_at")
        if expires is not None and self.store.epoch() >= expires:
            return None
        return entry
