"""Non-managed installs: the authorization code grant, every check on the callback."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts import install
from accounts.models import OAuthState, Shop
from shopqb_app.integrations.shopify import oauth as shopify_auth
from tests.factories import API_SECRET

pytestmark = pytest.mark.django_db

SHOP = "echo-store.myshopify.com"


class FakeTokenEndpoint:
    """Stands in for POST https://{shop}/admin/oauth/access_token."""

    def __init__(self, status=200, body=None):
        self.status = status
        self.body = body or {
            "access_token": "shpat_from_code",
            "scope": "read_orders,write_products",
            "expires_in": 3600,
            "refresh_token": "shprt_from_code",
            "refresh_token_expires_in": 7776000,
        }
        self.calls = []

    def __call__(self, url, data=None, headers=None, timeout=None):
        self.calls.append({"url": url, "data": data, "timeout": timeout})
        endpoint = self

        class Response:
            status_code = endpoint.status

            def json(self):
                return endpoint.body

        return Response()


@pytest.fixture
def token_endpoint(monkeypatch):
    endpoint = FakeTokenEndpoint()
    # The token POST goes through the one HTTP wrapper: answer it there.
    monkeypatch.setattr(
        shopify_auth,
        "request_with_retries",
        lambda _session, method, url, *, timeout, attempts, data, headers: endpoint(
            url, data=data, headers=headers, timeout=timeout
        ),
    )
    monkeypatch.setattr(install, "shop_details_refresh", lambda shop: None)
    return endpoint


def signed(params):
    return {**params, "hmac": shopify_auth.query_signature(params, API_SECRET)}


def start_install(client):
    response = client.get("/auth/install", {"shop": SHOP})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return response, location, query


def test_install_redirects_to_the_shops_authorize_page_with_state(client):
    response, location, query = start_install(client)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"https://{SHOP}/admin/oauth/authorize"
    assert query["client_id"] == "test-api-key"
    assert query["scope"] == "read_orders,read_products"
    assert query["redirect_uri"] == "https://app.example.test/auth/callback"
    cookie = response.cookies["shopqb_shopify_state"]
    assert cookie.value == query["state"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert OAuthState.objects.filter(state=query["state"], shop_domain=SHOP).exists()


@pytest.mark.parametrize(
    "shop", ["", "evil.com", "shop.myshopify.com.evil.com", "-x.myshopify.com", "a_b.myshopify.com"]
)
def test_install_refuses_anything_but_a_shop_domain(client, shop):
    assert client.get("/auth/install", {"shop": shop}).status_code == 400
    assert OAuthState.objects.count() == 0


def callback_params(state, **over):
    params = {"code": "abc123", "shop": SHOP, "state": state, "timestamp": str(int(time.time())), "host": "YWRtaW4"}
    params.update(over)
    return signed(params)


def test_callback_installs_and_lands_in_the_admin(client, token_endpoint):
    _, _, query = start_install(client)
    response = client.get("/auth/callback", callback_params(query["state"]))
    assert response.status_code == 302
    assert response["Location"] == f"https://{SHOP}/admin/apps/test-api-key"
    shop = Shop.objects.get(domain=SHOP)
    assert shop.is_installed and shop.access_token == "shpat_from_code" and shop.refresh_token == "shprt_from_code"
    assert shop.access_token_expires_at is not None
    [call] = token_endpoint.calls
    assert call["url"] == f"https://{SHOP}/admin/oauth/access_token"
    assert call["data"]["code"] == "abc123" and call["data"]["expiring"] == "1" and call["timeout"]


def test_callback_replay_is_refused(client, token_endpoint):
    _, _, query = start_install(client)
    params = callback_params(query["state"])
    assert client.get("/auth/callback", params).status_code == 302
    assert client.get("/auth/callback", params).status_code == 400
    assert len(token_endpoint.calls) == 1


@pytest.mark.parametrize(
    "breaks",
    [
        lambda p: {**p, "hmac": "0" * 64},
        lambda p: {**p, "code": "other"},  # changed after signing
        lambda p: signed(
            {k: v for k, v in {**p, "timestamp": str(int(time.time()) - 2 * 86400)}.items() if k != "hmac"}
        ),
        lambda p: signed({k: v for k, v in {**p, "shop": "evil.example.com"}.items() if k != "hmac"}),
        lambda p: signed({k: v for k, v in {**p, "state": "forged"}.items() if k != "hmac"}),
        lambda p: signed({k: v for k, v in {**p, "shop": "other-shop.myshopify.com"}.items() if k != "hmac"}),
    ],
    ids=["bad-hmac", "tampered", "stale-timestamp", "bad-shop", "wrong-state", "state-of-another-shop"],
)
def test_callback_checks(client, token_endpoint, breaks):
    _, _, query = start_install(client)
    response = client.get("/auth/callback", breaks(callback_params(query["state"])))
    assert response.status_code == 400
    assert token_endpoint.calls == []
    assert not Shop.objects.filter(installed_at__isnull=False).exists()


def test_callback_without_the_state_cookie_is_refused(client, token_endpoint):
    _, _, query = start_install(client)
    client.cookies.clear()
    assert client.get("/auth/callback", callback_params(query["state"])).status_code == 400
    assert token_endpoint.calls == []


def test_callback_with_too_few_scopes_installs_nothing(client, token_endpoint):
    token_endpoint.body = {**token_endpoint.body, "scope": "read_products"}
    _, _, query = start_install(client)
    response = client.get("/auth/callback", callback_params(query["state"]))
    assert response.status_code == 403
    assert b"read_orders" in response.content
    assert not Shop.objects.filter(installed_at__isnull=False).exists()


def test_refused_code_shows_a_problem(client, token_endpoint):
    token_endpoint.status, token_endpoint.body = 400, {"error": "invalid_request"}
    _, _, query = start_install(client)
    assert client.get("/auth/callback", callback_params(query["state"])).status_code == 403


def test_launch_from_admin_without_install_starts_oauth_outside_the_frame(client):
    params = signed({"shop": SHOP, "timestamp": str(int(time.time())), "host": "YWRtaW4", "embedded": "1"})
    response = client.get("/", params)
    assert response.status_code == 200
    assert b'data-action="exit-iframe"' in response.content
    assert b"https://app.example.test/auth/install?shop=echo-store.myshopify.com" in response.content
    assert response["Content-Security-Policy"].startswith(f"frame-ancestors https://{SHOP} ")


def test_top_level_launch_without_install_redirects_to_oauth(client):
    params = signed({"shop": SHOP, "timestamp": str(int(time.time())), "host": "YWRtaW4"})
    response = client.get("/", params)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/auth/install?shop={SHOP}")
