"""The Shopify store emulator: a WSGI app serving the Admin GraphQL API, OAuth and webhooks.

Paths (see README.md in this package):
  POST {base}/{shop}/admin/api/{version}/graphql.json   Admin GraphQL API
  GET  {base}/{shop}/admin/oauth/authorize              install consent page
  POST {base}/{shop}/admin/oauth/access_token           code / token exchange / refresh
  GET  {base}/{shop}/admin/apps/{api_key}               admin frame embedding the app
  GET  {base}/{shop}/admin/orders/{id}                  the order's page in the admin
  GET  {base}/                                          an index of the shops and controls
  ...  {base}/_sandbox/...                              emulator-only controls
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import re
import uuid
from pathlib import Path
from typing import Any

from graphql import build_schema
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Request as WRequest
from werkzeug.wrappers import Response

from sandbox.shopify import admin_frame, api, cost, countries, index, model, oauth, webhooks
from sandbox.shopify.controls import control
from sandbox.shopify.controls import json_response as _json
from sandbox.shopify.encoding import encode
from sandbox.shopify.executor import Executor, Request
from sandbox.shopify.installs import ALL_SCOPES, Installs
from sandbox.shopify.store import ShopConfig, ShopData, Store

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
REPO_TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"
API_VERSIONS = ("2024-10", "2025-01", "2025-04", "2025-07", "2025-10", "2026-01")
DEFAULT_VERSION = "2025-04"
DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")

DEFAULT_SHOP = countries.shop_spec("US")

# Each shop starts with two locations in its own country (sandbox/shopify/countries.py).
DEFAULT_LOCATIONS = countries.locations_for("US")

_SCHEMA = None


def load_schema() -> Any:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = build_schema(SCHEMA_PATH.read_text())
    return _SCHEMA


def _derive(seed: int, label: str, length: int = 32) -> str:
    return hmac.new(f"shopqb-sandbox-{seed}".encode(), label.encode(), hashlib.sha256).hexdigest()[:length]


class ShopifyEmulator(Installs):
    """The WSGI app: routes each path to OAuth, the Admin GraphQL API or the ``/_sandbox`` controls."""

    def __init__(
        self,
        state_dir: Path | None = None,
        app_url: str | None = None,
        seed: int = 0,
        *,
        shops: list[dict[str, Any] | str] | None = None,
        throttle: bool = True,
        max_query_cost: int | None = 1000,
        restore_rate: float | None = None,
        bucket_size: float | None = None,
        webhook_schedule: list[float] | None = None,
        webhook_timeout: float = 5.0,
        toml_path: Path | str | None = None,
        deliver_webhooks: bool = True,
        bulk_delay: float = 0.2,
        tune_gc: bool = True,
    ) -> None:
        if tune_gc:
            # Thousands of orders are millions of small dicts: with Python's default thresholds a
            # full collection pauses a request for hundreds of milliseconds.
            gc.set_threshold(max(gc.get_threshold()[0], 100_000), 50, 100)
        self.seed = seed
        self.app_url = app_url.rstrip("/") if app_url else None
        self.base_url = ""
        configs = [self._shop_config(s) for s in (shops or [DEFAULT_SHOP])]
        meta = {
            "app": {"api_key": _derive(seed, "api-key"), "api_secret": "shpss_" + _derive(seed, "api-secret")},
            "tokens": {},
        }
        self.store = Store(Path(state_dir) / "shopify" if state_dir else None, configs, meta)
        self.throttle_enabled = throttle
        self.max_query_cost = max_query_cost
        self.restore_rate = restore_rate
        self.bucket_size = bucket_size
        self.throttle = cost.Throttle()
        resolvers = api.scoped_resolvers()
        schema = load_schema()
        api.register_connection_edges(schema, resolvers)
        self.executor = Executor(schema, resolvers, lambda v: v["__typename"])
        self.events: list[dict[str, Any]] = []
        self.bulk_delay = bulk_delay
        self.bulk_files: dict[str, bytes] = {}
        with self.store.lock:
            for shop in self.store.shops.values():
                self._bootstrap_shop(shop)
            self.store.flush()
        if tune_gc:
            gc.freeze()  # what was loaded from the state directory is never collected anyway
        self._extra_init(
            webhook_schedule=webhook_schedule,
            webhook_timeout=webhook_timeout,
            toml_path=toml_path,
            deliver_webhooks=deliver_webhooks,
        )

    def _extra_init(
        self, *, webhook_schedule: list[float] | None, webhook_timeout: float, toml_path: Any, deliver_webhooks: bool
    ) -> None:
        self.dispatcher = webhooks.Dispatcher(
            self.api_secret,
            schedule=webhook_schedule,
            timeout=webhook_timeout,
            seed=self.seed,
            enabled=deliver_webhooks,
            on_final_failure=self._delivery_failed,
        )
        self.store.on_level_changed = lambda shop, level: self.emit(shop, "inventory_levels/update", level)  # type: ignore[attr-defined]
        path = Path(toml_path) if toml_path else REPO_TOML
        self.hub = webhooks.WebhookHub(self, self.dispatcher, webhooks.read_toml(path, self.app_url))
        self.app_name = admin_frame.app_name(path)

    def _delivery_failed(self, delivery: webhooks.Delivery) -> None:
        """After the last failed try Shopify deletes an Admin-API subscription (TOML ones stay)."""
        if delivery.subscription_id is None:
            return
        with self.store.lock:
            shop = self.store.shops.get(delivery.shop)
            sub = shop.tables["WebhookSubscription"].get(delivery.subscription_id) if shop else None
            if sub is not None:
                self.store.delete(sub)
                self.store.flush()

    @staticmethod
    def _shop_config(spec: dict[str, Any] | str) -> ShopConfig:
        if isinstance(spec, str):
            spec = {"domain": spec}
        data = {**spec}
        domain = data["domain"]
        if not DOMAIN_RE.match(domain):
            raise ValueError(f"shop domains must be *.myshopify.com names, got {domain!r}")
        data.setdefault("name", domain.split(".")[0].replace("-", " ").title())
        return ShopConfig(**data)

    def _bootstrap_shop(self, shop: ShopData) -> None:
        """Locations and the default offline token, created once (persisted with the state)."""
        if not shop.tables["Location"]:
            now = self.store.now()
            for loc in countries.locations_for(shop.config.country):
                self.store.put(
                    model.Location(
                        shop=shop.domain, id=self.store.next_id("Location"), created_at=now, updated_at=now, **loc
                    )
                )
        tokens = self.store.meta["tokens"]
        token = "shpat_" + _derive(self.seed, f"offline-token:{shop.domain}")
        if not any(t.get("shop") == shop.domain and t.get("default") for t in tokens.values()):
            tokens[token] = {"shop": shop.domain, "scopes": ALL_SCOPES, "expires_at": None, "default": True}
            self.store.touch_meta()

    # -- contract ------------------------------------------------------------
    def set_base_url(self, url: str) -> None:
        self.base_url = url.rstrip("/")

    def describe(self) -> dict[str, Any]:
        tokens = self.store.meta["tokens"]
        shops = []
        for domain in self.store.shops:
            token = next((k for k, v in tokens.items() if v.get("shop") == domain and v.get("default")), None)
            shops.append({"domain": domain, "access_token": token})
        app = self.store.meta["app"]
        return {"app": {"api_key": app["api_key"], "api_secret": app["api_secret"]}, "shops": shops}

    def save_bulk_file(self, name: str, data: bytes) -> None:
        if self.store.state_dir is None:
            self.bulk_files[name] = data
            return
        folder = self.store.state_dir / "bulk"
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)

    def load_bulk_file(self, name: str) -> bytes | None:
        if not re.fullmatch(r"\d+\.jsonl", name):
            return None
        if self.store.state_dir is None:
            return self.bulk_files.get(name)
        path = self.store.state_dir / "bulk" / name
        return path.read_bytes() if path.exists() else None

    def close(self) -> None:
        self.dispatcher.close()
        self.store.close()

    @property
    def api_secret(self) -> str:
        return str(self.store.meta["app"]["api_secret"])

    @property
    def api_key(self) -> str:
        return str(self.store.meta["app"]["api_key"])

    def emit(self, shop: ShopData, topic: str, record: Any) -> None:
        """An event happened: deliver it to the shop's subscriptions."""
        deliveries = self.hub.emit(shop, topic, record)
        self.events.append({"shop": shop.domain, "topic": topic, "deliveries": len(deliveries)})
        del self.events[:-1000]

    # -- WSGI ----------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = WRequest(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def dispatch(self, request: WRequest) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if not parts:
            return index.index_page(self)
        if parts == ["favicon.ico"]:
            return index.favicon()
        if parts[0] == "_sandbox":
            return control(self, request, parts[1:])
        if len(parts) >= 2 and parts[1] == "admin":
            shop = self.store.shops.get(parts[0])
            if shop is None:
                return _json({"errors": "Not Found"}, 404)
            rest = parts[2:]
            if len(rest) == 3 and rest[0] == "api" and rest[2] == "graphql.json":
                return self.graphql(request, shop, rest[1])
            return self.admin(request, shop, rest)
        raise NotFound()

    def admin(self, request: WRequest, shop: ShopData, rest: list[str]) -> Response:
        if rest == ["oauth", "authorize"]:
            return oauth.authorize(self, request, shop)
        if rest == ["oauth", "access_token"]:
            with self.store.lock:
                response = oauth.access_token(self, request, shop)
                self.store.flush()
                return response
        if len(rest) >= 2 and rest[0] == "apps" and rest[1] in (self.api_key, "shopqb"):
            return admin_frame.admin_frame(self, request, shop, "/".join(rest[2:]))
        if len(rest) == 2 and rest[0] == "orders" and request.method == "GET":
            return index.order_page(self, shop, rest[1])
        raise NotFound()

    # -- GraphQL ---------------------------------------------------------------
    def graphql(self, request: WRequest, shop: ShopData, version: str) -> Response:
        if not re.fullmatch(r"\d{4}-\d{2}|unstable", version):
            return _json({"errors": "Not Found"}, 404)
        served = version if version in API_VERSIONS else DEFAULT_VERSION
        headers = {"X-Shopify-API-Version": served, "X-Request-Id": str(uuid.uuid4())}
        if request.method != "POST":
            return _json({"errors": "Method Not Allowed"}, 405, headers)
        entry = self.authenticate(request, shop)
        if entry is None:
            return _json(
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, 401, headers
            )
        if request.mimetype == "application/graphql":
            body = {"query": request.get_data(as_text=True)}
        else:
            try:
                body = json.loads(request.get_data(as_text=True) or "null")
            except ValueError:
                return _json({"errors": "Invalid JSON in request body"}, 400, headers)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _json({"errors": {"query": "Required parameter missing or invalid"}}, 400, headers)
        result = self.execute(
            shop, body["query"], body.get("variables"), body.get("operationName"), entry, version=served, raw=True
        )
        return Response(encode(result), status=200, mimetype="application/json", headers=headers)

    def execute(
        self,
        shop: ShopData,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        token: dict[str, Any] | None = None,
        *,
        version: str = DEFAULT_VERSION,
        bulk: bool = False,
        raw: bool = False,
    ) -> dict[str, Any]:
        """Run one GraphQL request for ``shop`` (also used by bulk operations, unmetered)."""
        req, errors = self.executor.prepare(query, variables if isinstance(variables, dict) else None, operation_name)
        if req is None:
            return {"errors": errors}
        scopes = frozenset(s.strip() for s in (token or {}).get("scopes", ALL_SCOPES).split(","))
        with self.store.lock:
            req.context = api.Context(self, self.store, shop, scopes, version)  # type: ignore[attr-defined]
            if raw:  # rendered subtrees may come back as RawJSON: only for responses encoded with encode()
                req.cache_salt = shop.deps_version
                req.cost_of = cost.selection_actual
            if bulk:
                api.BULK.active = True
                try:
                    return self.executor.run(req, {})
                finally:
                    api.BULK.active = False
            mutation = req.operation.operation.value == "mutation"
            if self.executor.is_introspection(req):
                return self.executor.run(req, {})
            return self._metered(req, shop, mutation)

    def _metered(self, req: Request, shop: ShopData, mutation: bool) -> dict[str, Any]:
        """Run a request against the shop's bucket: refused over the cost limit or when empty."""
        root_plans = req.plan(self.executor.root_type(req), [req.operation.selection_set])
        requested = cost.requested_cost(req, root_plans, mutation)
        maximum, restore = self.limits(shop)
        key = f"{self.api_key}:{shop.domain}"
        if self.max_query_cost is not None and requested > self.max_query_cost:
            return cost.max_cost_exceeded(requested, self.max_query_cost)
        if self.throttle_enabled:
            ok, bucket = self.throttle.take(key, maximum, restore, requested)
            if not ok:
                return cost.throttled(requested, bucket)
        try:
            result = self.executor.run(req, {})
        finally:
            self.store.flush()
        actual = cost.actual_cost(req, root_plans, result.get("data"), mutation)
        bucket = None
        if self.throttle_enabled:
            self.throttle.give_back(key, requested - actual)
            bucket = self.throttle.status(key)
        result["extensions"] = {"cost": cost.extension(requested, actual, bucket, maximum, restore)}
        return result

    def limits(self, shop: ShopData) -> tuple[float, float]:
        """(bucket size, restore rate): the plan's unless the emulator was told otherwise."""
        restore, maximum = cost.plan_limits(shop)
        return (self.bucket_size or maximum, self.restore_rate or restore)
