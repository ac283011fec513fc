"""Tokens are encrypted at rest, rotate to a new key, and never show in the admin."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from accounts import crypto
from accounts.checks import embedded_app_settings
from accounts.models import ComplianceRequest, QuickBooksConnection, Shop
from tests.accounts.factories import make_connection

pytestmark = pytest.mark.django_db


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_tokens_are_ciphertext_in_the_database(shop_a):
    conn = make_connection(shop_a)
    for table, column, pk, plain in [
        ("accounts_shop", "access_token", shop_a.pk, shop_a.access_token),
        ("accounts_shop", "refresh_token", shop_a.pk, shop_a.refresh_token),
        ("accounts_quickbooksconnection", "access_token", conn.pk, conn.access_token),
        ("accounts_quickbooksconnection", "refresh_token", conn.pk, conn.refresh_token),
    ]:
        stored = raw(table, column, pk)
        assert plain not in stored and stored.startswith("gAAAA")
        assert crypto.decrypt(stored) == plain


def test_rotation_reencrypts_everything_with_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    crypto.reset_key_cache()
    shop = Shop.objects.create(domain="rota-shop.myshopify.com", access_token="shpat_rotate_me", refresh_token="r1")
    conn = make_connection(shop)
    request = ComplianceRequest.objects.create(
        topic="customers/data_request", shop_domain=shop.domain, webhook_id="w", export='{"a": 1}'
    )
    before = raw("accounts_shop", "access_token", shop.pk)

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto.reset_key_cache()
    call_command("rotate_encryption_keys", verbosity=0)

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    crypto.reset_key_cache()
    after = raw("accounts_shop", "access_token", shop.pk)
    assert after != before
    assert Shop.objects.get(pk=shop.pk).access_token == "shpat_rotate_me"
    assert QuickBooksConnection.objects.get(pk=conn.pk).refresh_token == conn.refresh_token
    assert ComplianceRequest.objects.get(pk=request.pk).export == '{"a": 1}'
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(before)


def test_rotation_names_a_row_no_key_can_read(settings, shop_a):
    from django.core.management.base import CommandError

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto.reset_key_cache()
    with pytest.raises(CommandError, match=f"Shop {shop_a.pk}"):
        call_command("rotate_encryption_keys", verbosity=0)


def test_admin_pages_never_render_tokens(client, shop_a):
    conn = make_connection(shop_a, status="reconnect_needed", status_reason="invalid_grant on refresh")
    shop_a.pause("QuickBooks refused our access", code="qbo_reconnect")
    admin = User.objects.create_superuser("support", "support@example.com", "pw-support-123")
    client.force_login(admin)
    pages = [
        client.get("/admin/accounts/shop/"),
        client.get(f"/admin/accounts/shop/{shop_a.pk}/change/"),
        client.get("/admin/accounts/shop/?qbo=reconnect_needed"),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        for secret in (shop_a.access_token, shop_a.refresh_token, conn.access_token, conn.refresh_token):
            assert secret not in body
            assert crypto.encrypt(secret)[:10] not in body
    listing = pages[0].content.decode()
    assert "reconnect needed" in listing and "QuickBooks refused our access" in listing


def test_admin_pause_and_resume_actions(client, shop_a, shop_b):
    admin = User.objects.create_superuser("support", "support@example.com", "pw-support-123")
    client.force_login(admin)
    client.post("/admin/accounts/shop/", {"action": "pause_sync", "_selected_action": [shop_a.pk]})
    shop_a.refresh_from_db()
    assert shop_a.sync_paused and shop_a.paused_code == "support" and "support" in shop_a.paused_reason
    assert not Shop.objects.get(pk=shop_b.pk).sync_paused
    client.post("/admin/accounts/shop/", {"action": "resume_sync", "_selected_action": [shop_a.pk]})
    assert not Shop.objects.get(pk=shop_a.pk).sync_paused


def test_admin_resume_cannot_undo_a_revoked_grant(client, shop_a):
    admin = User.objects.create_superuser("support", "support@example.com", "pw-support-123")
    client.force_login(admin)
    shop_a.pause("QuickBooks refused our access", code="qbo_reconnect")
    client.post("/admin/accounts/shop/", {"action": "resume_sync", "_selected_action": [shop_a.pk]})
    assert Shop.objects.get(pk=shop_a.pk).sync_paused


def test_deploy_checks(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.APP_URL = "http://shopqb.example.com"
    settings.SHOPIFY_API_SECRET = ""
    ids = {w.id for w in embedded_app_settings(None)}
    assert {"accounts.W001", "accounts.W002", "accounts.W003"} <= ids
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert "accounts.E001" in {w.id for w in embedded_app_settings(None)}
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.APP_URL = "https://shopqb.example.com"
    settings.QBO_REDIRECT_URI = "https://shopqb.example.com/qbo/callback"
    settings.SHOPIFY_API_SECRET = "s"
    assert embedded_app_settings(None) == []
