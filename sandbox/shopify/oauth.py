"""OAuth like Shopify's: authorization-code install with a consent page, token exchange for
session (id) tokens, expiring offline tokens with rotating refresh tokens, revocation on
uninstall. The admin frame that embeds the app and hands it session tokens: admin_frame.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlparse

import jwt
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox.shopify.store import ShopData

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator

CODE_TTL = 600
ACCESS_TTL = 3600
REFRESH_TTL = 90 * 24 * 3600
ONLINE_TTL = 86399
SESSION_TOKEN_TTL = 60
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
STAFF_USER = {
    "id": 902541635,
    "first_name": "Sandy",
    "last_name": "Box",
    "email": "staff@example.com",
    "account_owner": True,
    "locale": "en",
    "collaborator": False,
    "email_verified": True,
}


def query_hmac(secret: str, params: dict[str, str]) -> str:
    """Hex HMAC-SHA256 over the sorted ``k=v`` pairs joined by ``&``, without ``hmac``."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def host_param(emulator: ShopifyEmulator, shop: ShopData) -> str:
    """Like Shopify's base64 ``admin.shopify.com/store/{name}``, pointing at the sandbox admin."""
    admin = f"{urlparse(emulator.base_url).netloc}/{shop.domain}/admin"
    return base64.b64encode(admin.encode()).decode().rstrip("=")


def session_token(emulator: ShopifyEmulator, shop: ShopData, *, lifetime: int = SESSION_TOKEN_TTL) -> str:
    now = int(emulator.store.epoch())
    claims = {
        "iss": f"https://{shop.domain}/admin",
        "dest": f"https://{shop.domain}",
        "aud": emulator.api_key,
        "sub": str(STAFF_USER["id"]),
        "exp": now + lifetime,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": hashlib.sha256(f"{shop.domain}:{emulator.seed}".encode()).hexdigest()[:32],
    }
    return jwt.encode(claims, emulator.api_secret, algorithm="HS256")


def _error(message: str, status: int = 400, error: str = "invalid_request") -> Response:
    return Response(
        json.dumps({"error": error, "error_description": message}), status=status, mimetype="application/json"
    )


def _page(title: str, body: str, status: int = 200) -> Response:
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        + html.escape(title)
        + "</title><style>body{font-family:system-ui,sans-serif;margin:0;background:#f1f1f1}"
        "header{background:#1a1a1a;color:#fff;padding:10px 16px;font-size:14px}"
        "main{max-width:560px;margin:40px auto;background:#fff;border-radius:12px;padding:24px}"
        "button{background:#1a1a1a;color:#fff;border:0;border-radius:8px;padding:10px 16px}</style></head><body>"
        "<header>Shopify admin (ShopQB sandbox)</header>" + body + "</body></html>"
    )
    return Response(doc, status=status, mimetype="text/html")


def authorize(emulator: ShopifyEmulator, request: Request, shop: ShopData) -> Response:
    args = request.values
    client_id = args.get("client_id", "")
    redirect_uri = args.get("redirect_uri", "")
    if client_id != emulator.api_key:
        return _page(
            "Oauth error", "<main><h1>Oauth error invalid_request</h1><p>The app couldn't be found.</p></main>", 400
        )
    if not redirect_uri.startswith(("http://", "https://")) or not emulator.redirect_allowed(redirect_uri):
        return _page(
            "Oauth error",
            "<main><h1>Oauth error invalid_request</h1><p>The redirect_uri is not whitelisted.</p></main>",
            400,
        )
    scope = args.get("scope", "")
    state = args.get("state", "")
    per_user = "per-user" in args.getlist("grant_options[]")
    if request.method == "POST" and args.get("decision") == "install":
        code = secrets.token_hex(16)
        emulator.store.meta.setdefault("codes", {})[code] = {
            "shop": shop.domain,
            "scopes": scope,
            "expires_at": emulator.store.epoch() + CODE_TTL,
            "per_user": per_user,
        }
        emulator.store.touch_meta()
        params = {
            "code": code,
            "host": host_param(emulator, shop),
            "shop": shop.domain,
            "state": state,
            "timestamp": str(int(emulator.store.epoch())),
        }
        params["hmac"] = query_hmac(emulator.api_secret, params)
        sep = "&" if "?" in redirect_uri else "?"
        return redirect(redirect_uri + sep + urlencode(params), 302)
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in (("client_id", client_id), ("redirect_uri", redirect_uri), ("scope", scope), ("state", state))
    )
    if per_user:
        hidden += "<input type='hidden' name='grant_options[]' value='per-user'>"
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in scope.split(",") if s)
    body = (
        f"<main><h1>Install app</h1><p>{html.escape(shop.config.name)} ({html.escape(shop.domain)}) is about to "
        f"install an app that will be able to:</p><ul>{scopes}</ul>"
        f"<form method='post'>{hidden}<button name='decision' value='install' type='submit'>Install app</button></form>"
        "</main>"
    )
    return _page("Install app", body)


def _body(request: Request) -> dict[str, Any]:
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    return dict(request.values.items())


def access_token(emulator: ShopifyEmulator, request: Request, shop: ShopData) -> Response:
    if request.method != "POST":
        return _error("POST required", 405)
    data = _body(request)
    if data.get("client_id") != emulator.api_key or data.get("client_secret") != emulator.api_secret:
        return _error("Client credentials are invalid", 401, "invalid_client")
    grant = data.get("grant_type") or ("authorization_code" if data.get("code") else "")
    meta = emulator.store.meta
    now = emulator.store.epoch()
    if grant == "authorization_code":
        entry = meta.setdefault("codes", {}).pop(data.get("code", ""), None)
        emulator.store.touch_meta()
        if not entry or entry["shop"] != shop.domain or entry["expires_at"] < now:
            return _error("The authorization code was not found or was already used", 400, "invalid_grant")
        if entry.get("per_user"):
            return _json(emulator.issue_online(shop, entry["scopes"]))
        return _json(emulator.issue_offline(shop, entry["scopes"], expiring=str(data.get("expiring")) == "1"))
    if grant == TOKEN_EXCHANGE:
        if data.get("subject_token_type") != ID_TOKEN_TYPE:
            return _error("subject_token_type must be an id token", 400)
        try:
            claims = jwt.decode(
                data.get("subject_token", ""),
                emulator.api_secret,
                algorithms=["HS256"],
                audience=emulator.api_key,
                leeway=10,
                options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
            )
        except jwt.PyJWTError as exc:
            return _error(f"Invalid subject token: {exc}", 400, "invalid_subject_token")
        if claims.get("dest") != f"https://{shop.domain}":
            return _error("The subject token is for another shop", 400, "invalid_subject_token")
        scopes = emulator.granted_scopes(shop)
        if data.get("requested_token_type") == ONLINE_TYPE:
            return _json(emulator.issue_online(shop, scopes))
        if data.get("requested_token_type", OFFLINE_TYPE) != OFFLINE_TYPE:
            return _error("requested_token_type is not supported", 400)
        return _json(emulator.issue_offline(shop, scopes, expiring=str(data.get("expiring")) == "1"))
    if grant == "refresh_token":
        refresh = meta.setdefault("refresh_tokens", {}).get(data.get("refresh_token", ""))
        if not refresh or refresh["shop"] != shop.domain or refresh.get("used") or refresh["expires_at"] < now:
            return _error("The refresh token is invalid, expired or already used", 400, "invalid_grant")
        refresh["used"] = True
        emulator.store.touch_meta()
        return _json(emulator.issue_offline(shop, refresh["scopes"], expiring=True))
    return _error(f"Unsupported grant_type {grant!r}", 400, "unsupported_grant_type")


def _json(data: dict[str, Any]) -> Response:
    return Response(json.dumps(data), mimetype="application/json")
