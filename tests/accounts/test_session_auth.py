"""Every embedded request proves its shop with a Shopify session token."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import install, uninstall
from accounts.models import PauseCode, Shop
from tests.accounts.factories import make_connection
from tests.factories import API_SECRET, session_token

pytestmark = pytest.mark.django_db


def test_home_shows_the_tokens_shop_and_its_company_only(client, shop_a, shop_b):
    make_connection(shop_a, company_name="Alpha Books Ltd")
    make_connection(shop_b, company_name="Bravo Books Inc")
    response = client.get("/", {"id_token": session_token(shop_a.domain), "shop": shop_b.domain})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alpha Books Ltd" in body and shop_a.domain in body
    assert "Bravo Books Inc" not in body and shop_b.domain not in body


def test_embedded_page_headers(client, shop_a):
    response = client.get("/", {"id_token": session_token(shop_a.domain)})
    assert response["Content-Security-Policy"] == (
        f"frame-ancestors https://{shop_a.domain} https://admin.shopify.com;"
    )
    assert "no-store" in response["Cache-Control"]
    assert "X-Frame-Options" not in response
    assert '<meta name="shopify-api-key" content="test-api-key">' in response.content.decode()
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in response.content.decode()


def test_sandbox_admin_origin_may_frame_the_app(client, shop_a, settings):
    settings.SHOPIFY_ADMIN_BASE = "http://127.0.0.1:8001/{shop}"
    response = client.get("/", {"id_token": session_token(shop_a.domain)})
    assert response["Content-Security-Policy"] == (
        f"frame-ancestors https://{shop_a.domain} https://admin.shopify.com http://127.0.0.1:8001;"
    )


def test_fetch_with_a_bad_token_gets_401_and_the_retry_header(client, shop_a):
    response = client.get("/api/status", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain, lifetime=-60))
    assert response.status_code == 401
    assert response["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_fetch_with_a_good_token(client, shop_a):
    response = client.get("/api/status", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain))
    assert response.status_code == 200
    assert response.json()["shop"]["domain"] == shop_a.domain
    assert "no-store" in response["Cache-Control"]


def test_post_needs_the_bearer_header_not_the_query(client, shop_a):
    response = client.post(f"/qbo/disconnect?id_token={session_token(shop_a.domain)}")
    assert response.status_code == 401


def test_document_without_token_inside_admin_bounces_for_a_token(client, shop_a):
    response = client.get("/", {"shop": shop_a.domain, "embedded": "1", "host": "YWRtaW4"})
    assert response.status_code == 200
    assert b'data-action="bounce"' in response.content
    # The bounce page holds nothing, but must render inside that shop's admin.
    assert response["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop_a.domain} ")


def test_bounce_does_not_loop(client, shop_a):
    stale = session_token(shop_a.domain, lifetime=-60)
    response = client.get(
        "/",
        {"shop": shop_a.domain, "embedded": "1", "id_token": stale, "shopqb_bounce": str(int(time.time() * 1000))},
    )
    assert response.status_code == 401
    assert b'data-action="bounce"' not in response.content
    assert response["Content-Security-Policy"].startswith(f"frame-ancestors https://{shop_a.domain} ")


def test_document_without_any_context_is_refused(client):
    response = client.get("/")
    assert response.status_code == 401
    assert response["Content-Security-Policy"] == "frame-ancestors 'none';"
    assert b"Open ShopQB from your Shopify admin" in response.content


def test_first_load_of_a_new_shop_installs_by_token_exchange(client, monkeypatch):
    calls = []

    def exchange(*, shop, session_token):
        calls.append((shop, session_token))
        from shopqb_app.integrations.shopify.oauth import ShopifyGrant

        return ShopifyGrant(
            access_token="shpat_new", scopes=frozenset({"read_orders", "read_products"}), expires_at=None
        )

    monkeypatch.setattr("shopqb_app.integrations.shopify.oauth.exchange_session_token", exchange)
    monkeypatch.setattr(install, "shop_details_refresh", lambda shop: None)
    token = session_token("charlie-co.myshopify.com")
    response = client.get("/", {"id_token": token})
    assert response.status_code == 200
    shop = Shop.objects.get(domain="charlie-co.myshopify.com")
    assert shop.is_installed and shop.access_token == "shpat_new"
    assert calls == [("charlie-co.myshopify.com", token)]
    # Installed now: the next load does not exchange again.
    client.get("/", {"id_token": session_token("charlie-co.myshopify.com")})
    assert len(calls) == 1


def test_token_exchange_failure_shows_a_problem_and_installs_nothing(client, monkeypatch):
    from shopqb_app.integrations.shopify.errors import ShopifyGrantRevoked

    def exchange(*, shop, session_token):
        raise ShopifyGrantRevoked("invalid_subject_token")

    monkeypatch.setattr("shopqb_app.integrations.shopify.oauth.exchange_session_token", exchange)
    response = client.get("/", {"id_token": session_token("charlie-co.myshopify.com")})
    assert response.status_code == 403
    assert not Shop.objects.filter(domain="charlie-co.myshopify.com", installed_at__isnull=False).exists()
    # The explanation renders inside that shop's admin, not a blocked frame.
    assert response["Content-Security-Policy"].startswith("frame-ancestors https://charlie-co.myshopify.com ")


def uninstalled_seconds_ago(shop, seconds):
    uninstall.shop_uninstalled(shop=shop)
    Shop.objects.filter(pk=shop.pk).update(uninstalled_at=timezone.now() - timedelta(seconds=seconds))
    shop.refresh_from_db()
    return shop.uninstalled_at


@pytest.fixture
def exchanges(monkeypatch):
    """Shopify's token exchange, granting every token it is given."""
    from shopqb_app.integrations.shopify.oauth import ShopifyGrant

    calls = []

    def exchange(*, shop, session_token):
        calls.append(session_token)
        return ShopifyGrant("shpat_again", frozenset({"read_orders", "read_products"}), None)

    monkeypatch.setattr("shopqb_app.integrations.shopify.oauth.exchange_session_token", exchange)
    monkeypatch.setattr(install, "shop_details_refresh", lambda shop: None)
    return calls


def test_reopening_after_uninstall_reinstalls_and_lifts_the_uninstall_pause(client, shop_a, exchanges):
    uninstalled_seconds_ago(shop_a, 30)
    assert client.get("/", {"id_token": session_token(shop_a.domain)}).status_code == 200
    shop_a.refresh_from_db()
    assert shop_a.is_installed and not shop_a.sync_paused and shop_a.access_token == "shpat_again"
    # Installed again: later tokens work, and no second exchange happens.
    response = client.get("/api/status", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain))
    assert response.status_code == 200 and len(exchanges) == 1


@pytest.mark.parametrize("kind", ["document", "fetch"])
def test_a_token_issued_before_the_uninstall_does_not_reinstall(client, shop_a, exchanges, kind):
    """The webhook arrived; a token App Bridge minted a second earlier is still unexpired."""
    uninstalled_at = uninstalled_seconds_ago(shop_a, 30)
    stale = session_token(shop_a.domain, now=uninstalled_at.timestamp() - 1)
    if kind == "document":
        response = client.get("/", {"id_token": stale})
    else:
        response = client.get("/api/status", HTTP_AUTHORIZATION="Bearer " + stale)
    assert response.status_code == 401
    assert exchanges == []
    shop_a.refresh_from_db()
    assert not shop_a.is_installed and shop_a.access_token == "" and shop_a.paused_code == PauseCode.UNINSTALLED


def test_bearer_fetches_need_no_csrf_cookie(shop_a):
    """Embedded pages have no cookies to rely on: the session token is the proof."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/qbo/connect", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain))
    assert response.status_code == 200 and response.json()["url"]
    # Without the token the same request is refused by the session-token check.
    assert strict.post("/qbo/connect").status_code == 401


def test_a_signed_token_without_a_session_id_is_refused_not_a_server_error(client, shop_a):
    import jwt

    claims = jwt.decode(session_token(shop_a.domain), options={"verify_signature": False})
    del claims["sid"]
    token = jwt.encode(claims, API_SECRET, algorithm="HS256")
    response = client.get("/api/status", HTTP_AUTHORIZATION="Bearer " + token)
    assert response.status_code == 401
    assert response["X-Shopify-Retry-Invalid-Session-Request"] == "1"
