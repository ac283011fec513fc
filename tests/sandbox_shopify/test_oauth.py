"""Install (authorization code), token exchange, expiring tokens with rotating refresh, uninstall,
and the admin frame with session tokens."""

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
import shopify
import shopify.session_token

from .conftest import shop_of


@pytest.fixture
def sandbox(make_emulator, receiver):
    emu, base_url = make_emulator(throttle=False, app_url=receiver.url)
    app = emu.describe()["app"]
    return emu, base_url, app, shop_of((emu, base_url))


def _install(base_url, app, shop, redirect, scope="read_orders,read_products", **extra):
    params = {"client_id": app["api_key"], "scope": scope, "redirect_uri": redirect, "state": "nonce-1", **extra}
    page = requests.get(f"{base_url}/{shop.domain}/admin/oauth/authorize", params=params, timeout=5)
    assert page.status_code == 200 and "Install app" in page.text
    approved = requests.post(
        f"{base_url}/{shop.domain}/admin/oauth/authorize",
        data={**params, "decision": "install"},
        allow_redirects=False,
        timeout=5,
    )
    assert approved.status_code == 302
    location = approved.headers["Location"]
    assert location.startswith(redirect)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def _token(base_url, app, shop, **data):
    return requests.post(
        f"{base_url}/{shop.domain}/admin/oauth/access_token",
        data={"client_id": app["api_key"], "client_secret": app["api_secret"], **data},
        timeout=5,
    )


def test_authorization_code_install(sandbox, receiver):
    _emu, base_url, app, shop = sandbox
    query = _install(base_url, app, shop, f"{receiver.url}/auth/callback")
    assert query["state"] == "nonce-1" and query["shop"] == shop.domain
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k != "hmac")
    assert hmac.compare_digest(
        hmac.new(app["api_secret"].encode(), message.encode(), hashlib.sha256).hexdigest(), query["hmac"]
    )
    assert base64.b64decode(query["host"] + "==").decode().endswith(f"/{shop.domain}/admin")
    response = _token(base_url, app, shop, code=query["code"])
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "read_orders,read_products" and "expires_in" not in body
    assert shop.post("{ shop { name } }", token=body["access_token"]).status_code == 200
    reused = _token(base_url, app, shop, code=query["code"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_shopify_api_library_validates_the_callback_hmac(sandbox, receiver):
    _emu, base_url, app, shop = sandbox
    query = _install(base_url, app, shop, f"{receiver.url}/auth/callback")
    shopify.Session.setup(api_key=app["api_key"], secret=app["api_secret"])
    assert shopify.Session.validate_hmac(query)
    assert not shopify.Session.validate_hmac({**query, "shop": "evil.myshopify.com"})


def test_authorize_rejects_unknown_client_and_foreign_redirect(sandbox):
    _emu, base_url, app, shop = sandbox
    url = f"{base_url}/{shop.domain}/admin/oauth/authorize"
    assert requests.get(url, params={"client_id": "nope", "redirect_uri": "http://x/cb"}, timeout=5).status_code == 400
    foreign = {"client_id": app["api_key"], "redirect_uri": "https://evil.example.com/cb", "scope": "read_orders"}
    assert requests.get(url, params=foreign, timeout=5).status_code == 400
    bad_secret = requests.post(
        f"{base_url}/{shop.domain}/admin/oauth/access_token",
        data={"client_id": app["api_key"], "client_secret": "wrong", "code": "x"},
        timeout=5,
    )
    assert bad_secret.status_code == 401


def test_token_exchange_with_a_session_token_and_expiring_tokens_with_rotating_refresh(sandbox):
    emu, base_url, app, shop = sandbox
    id_token = requests.get(f"{base_url}/_sandbox/session-token", params={"shop": shop.domain}, timeout=5).json()[
        "id_token"
    ]
    claims = jwt.decode(id_token, app["api_secret"], algorithms=["HS256"], audience=app["api_key"])
    assert claims["iss"] == f"https://{shop.domain}/admin" and claims["dest"] == f"https://{shop.domain}"
    assert claims["exp"] - claims["iat"] == 60 and {"sub", "nbf", "jti", "sid"} <= set(claims)
    # ShopifyAPI's own decoder accepts it (it requires a *.myshopify.com issuer)
    decoded = shopify.session_token.decode_from_header(f"Bearer {id_token}", app["api_key"], app["api_secret"])
    assert decoded["dest"] == f"https://{shop.domain}"

    exchange = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": id_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1",
    }
    first = _token(base_url, app, shop, **exchange).json()
    assert first["expires_in"] == 3600 and first["refresh_token"] and first["refresh_token_expires_in"] > 0
    assert shop.post("{ shop { name } }", token=first["access_token"]).status_code == 200

    second = _token(base_url, app, shop, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    reused = _token(base_url, app, shop, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    emu.store.advance_clock(3601)
    assert shop.post("{ shop { name } }", token=second["access_token"]).status_code == 401
    third = _token(base_url, app, shop, grant_type="refresh_token", refresh_token=second["refresh_token"]).json()
    assert shop.post("{ shop { name } }", token=third["access_token"]).status_code == 200

    forged = jwt.encode(
        {**claims, "exp": claims["exp"] + 3600}, "not-the-app-secret-but-just-as-long!!", algorithm="HS256"
    )
    bad = _token(base_url, app, shop, **{**exchange, "subject_token": forged})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_subject_token"


def test_uninstall_revokes_tokens_and_sends_app_uninstalled(make_emulator, receiver, tmp_path):
    toml = tmp_path / "shopify.app.toml"
    toml.write_text(
        '[webhooks]\napi_version = "2025-04"\n[[webhooks.subscriptions]]\ntopics = ["app/uninstalled"]\nuri = "/webhooks"\n'
    )
    emu, base_url = make_emulator(throttle=False, app_url=receiver.url, toml_path=toml)
    shop = shop_of((emu, base_url))
    assert (
        requests.post(f"{base_url}/_sandbox/shops/uninstall", json={"shop": shop.domain}, timeout=5).status_code == 200
    )
    assert shop.post("{ shop { name } }").status_code == 401
    assert receiver.wait_for(1)
    assert receiver.topics() == ["app/uninstalled"]


def test_admin_frame_embeds_the_app_with_launch_parameters(sandbox, receiver):
    _emu, base_url, app, shop = sandbox
    page = requests.get(f"{base_url}/{shop.domain}/admin/apps/{app['api_key']}/dashboard", timeout=5)
    assert page.status_code == 200
    src = page.text.split("src='", 1)[1].split("'", 1)[0].replace("&amp;", "&")
    assert src.startswith(f"{receiver.url}/dashboard?")
    params = {k: v[0] for k, v in parse_qs(urlparse(src).query).items()}
    assert params["embedded"] == "1" and params["shop"] == shop.domain
    shopify.Session.setup(api_key=app["api_key"], secret=app["api_secret"])
    assert shopify.Session.validate_hmac(params)
    assert jwt.decode(params["id_token"], app["api_secret"], algorithms=["HS256"], audience=app["api_key"])
    shim = requests.get(f"{base_url}/_sandbox/app-bridge.js", timeout=5)
    assert shim.status_code == 200 and "idToken" in shim.text


def test_tokens_only_reach_what_their_scopes_allow(sandbox, receiver):
    _emu, base_url, app, shop = sandbox
    query = _install(base_url, app, shop, f"{receiver.url}/auth/callback", scope="read_orders")
    token = _token(base_url, app, shop, code=query["code"]).json()["access_token"]
    assert shop.post("{ orders(first: 1) { nodes { id } } }", token=token).json()["data"]["orders"] == {"nodes": []}
    denied = shop.post("{ products(first: 1) { nodes { id } } }", token=token).json()
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert (
        denied["errors"][0]["message"]
        == "Access denied for products field. Required access: `read_products` access scope."
    )
    create = shop.post('mutation { productCreate(product: {title: "X"}) { product { id } } }', token=token).json()
    assert create["errors"][0]["extensions"]["requiredAccess"] == "`write_products` access scope."
