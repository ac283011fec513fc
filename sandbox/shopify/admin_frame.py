"""The admin page that embeds the app, and the App Bridge stand-in the app loads inside it.

Shopify's admin shows an embedded app in an iframe and draws the app's title bar,
navigation menu, toasts, loading bar and modals around it, from what App Bridge in the
frame reports (https://shopify.dev/docs/api/app-bridge-library). The sandbox does the same:
``frame/app-bridge.js`` stands in for the CDN script inside the frame, ``frame/admin.js``
is the admin's side; they talk by postMessage.
"""

from __future__ import annotations

import hashlib
import html
import json
import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from sandbox.shopify.oauth import host_param, query_hmac, session_token
from sandbox.shopify.store import ShopData

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

FRAME_FILES = Path(__file__).with_name("frame")


@cache
def _asset(name: str) -> str:
    return (FRAME_FILES / name).read_text()


def app_name(toml_path: Path | None) -> str:
    """The app's name as the admin shows it: ``name`` in shopify.app.toml."""
    if toml_path is None or not toml_path.exists():
        return "App"
    return str(tomllib.loads(toml_path.read_text()).get("name") or "App")


def frame_src(emulator: ShopifyEmulator, shop: ShopData, path: str, query: str = "") -> str:
    """The iframe's address for an app path: the app URL with Shopify's signed launch parameters."""
    params = {
        "embedded": "1",
        "host": host_param(emulator, shop),
        "id_token": session_token(emulator, shop),
        "locale": "en",
        "session": hashlib.sha256(f"session:{shop.domain}".encode()).hexdigest(),
        "shop": shop.domain,
        "timestamp": str(int(emulator.store.epoch())),
    }
    params["hmac"] = query_hmac(emulator.api_secret, params)
    return f"{emulator.app_url}/{path.lstrip('/')}" + "?" + urlencode(params) + (f"&{query}" if query else "")


def admin_frame(emulator: ShopifyEmulator, request: Request, shop: ShopData, path: str) -> Response:
    """``/{shop}/admin/apps/{api_key}/{path}``: the admin page with the app in an iframe."""
    if not emulator.app_url:
        doc = "<!doctype html><html lang='en'><title>App</title><p>The sandbox was started without an app URL (--app-url).</p>"
        return Response(doc, status=404, mimetype="text/html")
    src = frame_src(emulator, shop, path, request.query_string.decode())
    name = emulator.app_name
    control = f"{emulator.base_url}/_sandbox"
    config = {
        "appName": name,
        "shopName": shop.config.name,
        "appUrl": emulator.app_url,
        "adminAppBase": f"/{shop.domain}/admin/apps/{emulator.api_key}",
        "sessionTokenUrl": f"{control}/session-token?shop={shop.domain}",
        "frameSrcUrl": f"{control}/admin/frame-src?shop={shop.domain}",
    }
    e = html.escape
    config_json = json.dumps(config).replace("</", "<\\/")
    script = _asset("admin.js")
    home = f"/{shop.domain}/admin/apps/{emulator.api_key}/"
    body = f"""<div class='admin-loading' id='admin-loading' role='progressbar' aria-label='Loading' hidden><div></div></div>
<div class='admin'>
<nav class='sidebar' id='admin-nav' aria-label='{e(name)}'>
<p class='store'><strong>{e(shop.config.name)}</strong><span>Shopify admin (sandbox)</span></p>
<p class='apps-label'>Apps</p>
<ul><li><a href='{e(home)}' id='app-home' data-path='/'>{e(name)}</a><ul id='app-nav-items'></ul></li></ul>
</nav>
<main class='main'>
<header class='title-bar'>
<button type='button' class='admin-button nav-toggle' id='nav-toggle' aria-controls='admin-nav' aria-expanded='false'>Menu</button>
<nav class='breadcrumbs' id='title-bar-breadcrumb' aria-label='Breadcrumb' hidden></nav>
<h1 id='title-bar-title'>{e(name)}</h1>
<div class='title-bar-actions' id='title-bar-actions' hidden></div>
</header>
<iframe id='app-iframe' title='{e(name)}' name='app-iframe' src='{e(src)}'></iframe>
</main>
</div>
<div class='admin-toasts'><div id='admin-toasts' role='status' aria-live='polite'></div><div id='admin-error-toasts' role='alert' aria-live='assertive'></div></div>
<dialog class='admin-modal' id='app-modal' aria-labelledby='app-modal-title' aria-describedby='app-modal-body'>
<header><h2 id='app-modal-title'></h2><button type='button' class='admin-modal-close' id='app-modal-close' aria-label='Close'>&times;</button></header>
<div class='admin-modal-body' id='app-modal-body'></div>
<footer id='app-modal-actions'></footer>
</dialog>
<script type='application/json' id='admin-config'>{config_json}</script>
<script>{script}</script>"""
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(name)} · {e(shop.config.name)}</title><style>{_asset('admin.css')}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Response(doc, mimetype="text/html")


def frame_src_response(emulator: ShopifyEmulator, shop: ShopData | None, path: str) -> Response:
    """``/_sandbox/admin/frame-src?shop=&path=``: where the admin points its frame for a nav click."""
    if shop is None or not emulator.app_url:
        return Response(json.dumps({"error": "unknown shop or no app URL"}), status=404, mimetype="application/json")
    path, _, query = (path or "/").partition("?")
    return Response(json.dumps({"src": frame_src(emulator, shop, path, query)}), mimetype="application/json")


def app_bridge_shim() -> Response:
    return Response(
        _asset("app-bridge.js"), mimetype="application/javascript", headers={"Access-Control-Allow-Origin": "*"}
    )
