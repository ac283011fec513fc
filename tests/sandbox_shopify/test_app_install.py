"""The app's install, refresh, uninstall and compliance webhooks over real HTTP against the Shopify emulator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from accounts import tokens
from accounts.models import ComplianceRequest, PauseCode, Shop
from tests.worker import run_queued

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-store.myshopify.com"

pytestmark = pytest.mark.usefixtures("app_settings")


@pytest.fixture
def shopify(live_server, settings, tmp_path):
    try:
        from sandbox.shopify.emulator import ShopifyEmulator
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"Shopify emulator not available: {exc}")
    from sandbox.runner import serve_in_thread

    emulator = ShopifyEmulator(
        state_dir=tmp_path, app_url=live_server.url, seed=11, toml_path=ROOT / "shopify.app.toml"
    )
    running = serve_in_thread(emulator)
    emulator.set_base_url(running.base_url)
    app = emulator.describe()["app"]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    settings.APP_URL = live_server.url
    settings.SHOPIFY_API_KEY = app["api_key"]
    settings.SHOPIFY_API_SECRET = app["api_secret"]
    settings.SHOPIFY_ADMIN_BASE = running.base_url + "/{shop}"
    settings.SHOPIFY_ADMIN_APP_URL = running.base_url + "/{shop}/admin/apps/{api_key}"
    yield emulator, running.base_url
    emulator.dispatcher.wait_idle(timeout=10)
    running.stop()
    emulator.close()


def install_by_code(client, base):
    to_shopify = client.get("/auth/install", {"shop": SHOP})
    authorize = to_shopify["Location"]
    assert authorize.startswith(f"{base}/{SHOP}/admin/oauth/authorize?")
    form = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    consent = requests.post(
        authorize.split("?")[0], data={**form, "decision": "install"}, allow_redirects=False, timeout=10
    )
    callback = urlsplit(consent.headers["Location"])
    return client.get(callback.path + "?" + callback.query)


@pytest.mark.django_db(transaction=True)
def test_code_grant_install_refresh_rotation_and_revocation(client, shopify):
    emulator, base = shopify
    response = install_by_code(client, base)
    assert response.status_code == 302 and response["Location"] == f"{base}/{SHOP}/admin/apps/{emulator.api_key}"
    shop = Shop.objects.get(domain=SHOP)
    assert shop.is_installed and shop.name == "Demo Store" and shop.currency == "USD"
    assert shop.refresh_token and shop.access_token_expires_at > timezone.now() + timedelta(minutes=50)

    first_refresh = shop.refresh_token
    Shop.objects.filter(pk=shop.pk).update(access_token_expires_at=timezone.now())
    shop = Shop.objects.get(pk=shop.pk)
    token = tokens.shopify_access_token(shop)
    stored = Shop.objects.get(pk=shop.pk)
    assert stored.access_token == token and stored.refresh_token not in ("", first_refresh)
    graphql = requests.post(
        f"{base}/{SHOP}/admin/api/2025-04/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token},
        timeout=10,
    )
    assert graphql.json()["data"]["shop"]["name"] == "Demo Store"

    # A refresh token is good once: replaying the old one is refused and pauses the shop.
    Shop.objects.filter(pk=shop.pk).update(refresh_token=first_refresh, access_token_expires_at=timezone.now())
    with pytest.raises(tokens.TokenRevoked):
        tokens.shopify_access_token(Shop.objects.get(pk=shop.pk))
    assert Shop.objects.get(pk=shop.pk).paused_code == PauseCode.SHOPIFY_REVOKED


@pytest.mark.django_db(transaction=True)
def test_uninstall_and_compliance_webhooks_from_the_emulator(client, shopify):
    emulator, base = shopify
    install_by_code(client, base)
    shop = Shop.objects.get(domain=SHOP)

    requests.post(
        f"{base}/_sandbox/webhooks/trigger", json={"shop": SHOP, "topic": "customers/data_request"}, timeout=10
    )
    assert emulator.dispatcher.wait_idle(timeout=20)
    assert ComplianceRequest.objects.filter(shop_domain=SHOP, topic="customers/data_request").exists()

    requests.post(f"{base}/_sandbox/shops/uninstall", json={"shop": SHOP}, timeout=10)
    assert emulator.dispatcher.wait_idle(timeout=20)
    assert run_queued("syncing.tasks.app_uninstalled") == ["uninstalled"]  # Shopify refuses the token now
    shop.refresh_from_db()
    assert not shop.is_installed and shop.access_token == "" and shop.paused_code == PauseCode.UNINSTALLED

    requests.post(f"{base}/_sandbox/webhooks/trigger", json={"shop": SHOP, "topic": "shop/redact"}, timeout=10)
    assert emulator.dispatcher.wait_idle(timeout=20)
    run_queued("syncing.tasks.shop_redact")
    assert not Shop.objects.filter(domain=SHOP).exists()
    assert ComplianceRequest.objects.get(shop_domain=SHOP).topic == "shop/redact"
