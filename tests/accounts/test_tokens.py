"""Token accessors: refresh before expiry, once, keep the newest refresh token, pause on revoke."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from accounts import tokens
from accounts.models import PauseCode, QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import oauth as quickbooks_auth
from shopqb_app.integrations.shopify import oauth as shopify_auth
from tests.accounts.factories import make_connection, make_shop


def expired(**kwargs):
    return {"access_token_expires_at": timezone.now() - timedelta(minutes=1), **kwargs}


class Refresher:
    """A provider that rotates the refresh token on every call (like Shopify and Intuit)."""

    def __init__(self, *, revoked=False, down=False, delay=0.0):
        self.calls = []
        self.revoked, self.down, self.delay = revoked, down, delay
        self.lock = threading.Lock()

    def next_grant(self, refresh_token):
        with self.lock:
            self.calls.append(refresh_token)
            n = len(self.calls)
        time.sleep(self.delay)
        return n

    def shopify(self, *, shop, refresh_token):
        if self.revoked:
            raise shopify_auth.ShopifyGrantRevoked("invalid_grant")
        if self.down:
            raise shopify_auth.ShopifyOAuthError("HTTP 503")
        n = self.next_grant(refresh_token)
        return shopify_auth.ShopifyGrant(
            access_token=f"shpat_{n}",
            scopes=frozenset(),
            expires_at=timezone.now() + timedelta(hours=1),
            refresh_token=f"shprt_{n}",
            refresh_token_expires_at=timezone.now() + timedelta(days=90),
        )

    def qbo(self, *, refresh_token):
        if self.revoked:
            raise quickbooks_auth.QBOGrantRevoked("invalid_grant")
        if self.down:
            raise quickbooks_auth.QBOOAuthError("HTTP 503")
        n = self.next_grant(refresh_token)
        return quickbooks_auth.QBOGrant(
            access_token=f"qbo_at_{n}",
            expires_at=timezone.now() + timedelta(hours=1),
            refresh_token=f"qbo_rt_{n}",
            refresh_token_expires_at=timezone.now() + timedelta(days=100),
        )


@pytest.fixture
def provider(monkeypatch):
    refresher = Refresher()
    monkeypatch.setattr(shopify_auth, "refresh", refresher.shopify)
    monkeypatch.setattr(quickbooks_auth, "refresh", refresher.qbo)
    return refresher


@pytest.mark.django_db
def test_fresh_shopify_token_is_returned_without_a_call(provider, shop_a):
    assert tokens.shopify_access_token(shop_a) == shop_a.access_token
    assert provider.calls == []


@pytest.mark.django_db
def test_non_expiring_shopify_token_is_returned_as_is(provider):
    shop = make_shop("legacy-shop.myshopify.com", access_token_expires_at=None, refresh_token="")
    assert tokens.shopify_access_token(shop) == shop.access_token
    assert provider.calls == []


@pytest.mark.django_db
def test_stale_shopify_token_is_refreshed_and_the_rotated_refresh_token_saved(provider, settings):
    settings.TOKEN_REFRESH_MARGIN_SECONDS = 300
    # Expires in 2 minutes: inside the margin, so refreshed ahead of time.
    shop = make_shop("golf-shop.myshopify.com", access_token_expires_at=timezone.now() + timedelta(minutes=2))
    assert tokens.shopify_access_token(shop) == "shpat_1"
    assert provider.calls == ["shprt_golf-shop.myshopify.com_refresh"]
    stored = Shop.objects.get(pk=shop.pk)
    assert (stored.access_token, stored.refresh_token) == ("shpat_1", "shprt_1")
    assert stored.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    # The caller's object is current too, and the next call needs no refresh.
    assert shop.refresh_token == "shprt_1"
    assert tokens.shopify_access_token(shop) == "shpat_1" and len(provider.calls) == 1


@pytest.mark.django_db
def test_a_caller_holding_a_stale_object_uses_the_token_another_worker_stored(provider):
    shop = make_shop("hotel-shop.myshopify.com", **expired())
    stale_copy = Shop.objects.get(pk=shop.pk)
    assert tokens.shopify_access_token(shop) == "shpat_1"
    assert tokens.shopify_access_token(stale_copy) == "shpat_1"
    assert len(provider.calls) == 1


@pytest.mark.django_db
def test_revoked_shopify_refresh_pauses_the_shop_with_a_reason(provider):
    provider.revoked = True
    shop = make_shop("india-shop.myshopify.com", **expired())
    with pytest.raises(tokens.TokenRevoked):
        tokens.shopify_access_token(shop)
    stored = Shop.objects.get(pk=shop.pk)
    assert stored.sync_paused and stored.paused_code == PauseCode.SHOPIFY_REVOKED
    assert "Shopify access was revoked" in stored.paused_reason
    assert stored.access_token == "" and stored.refresh_token == ""


@pytest.mark.django_db
def test_after_a_revoked_refresh_opening_the_app_reinstalls_and_resumes(provider, client, monkeypatch):
    from accounts import install
    from tests.factories import session_token

    provider.revoked = True
    shop = make_shop("india2-shop.myshopify.com", **expired())
    with pytest.raises(tokens.TokenRevoked):
        tokens.shopify_access_token(shop)
    monkeypatch.setattr(
        shopify_auth,
        "exchange_session_token",
        lambda *, shop, session_token: shopify_auth.ShopifyGrant(
            "shpat_exchanged", frozenset({"read_orders", "read_products"}), None
        ),
    )
    monkeypatch.setattr(install, "shop_details_refresh", lambda shop: None)
    assert client.get("/", {"id_token": session_token(shop.domain)}).status_code == 200
    stored = Shop.objects.get(pk=shop.pk)
    assert stored.access_token == "shpat_exchanged" and not stored.sync_paused


@pytest.mark.django_db
def test_qbo_connection_without_a_refresh_token_needs_reconnecting(provider, shop_a):
    conn = make_connection(shop_a, refresh_token="", **expired())
    with pytest.raises(tokens.TokenRevoked):
        tokens.qbo_access_token(conn)
    assert provider.calls == []
    assert QuickBooksConnection.objects.get(pk=conn.pk).status == "reconnect_needed"


@pytest.mark.django_db
def test_provider_down_changes_nothing(provider):
    provider.down = True
    shop = make_shop("juliet-shop.myshopify.com", **expired())
    with pytest.raises(tokens.TokenRefreshFailed):
        tokens.shopify_access_token(shop)
    stored = Shop.objects.get(pk=shop.pk)
    assert not stored.sync_paused and stored.refresh_token == "shprt_juliet-shop.myshopify.com_refresh"


@pytest.mark.django_db
def test_qbo_refresh_keeps_the_newest_refresh_token(provider, shop_a):
    conn = make_connection(shop_a, **expired())
    assert tokens.qbo_access_token(conn) == "qbo_at_1"
    stored = QuickBooksConnection.objects.get(pk=conn.pk)
    assert (stored.access_token, stored.refresh_token) == ("qbo_at_1", "qbo_rt_1")
    stored.access_token_expires_at = timezone.now()
    stored.save()
    assert tokens.qbo_access_token(stored) == "qbo_at_2"
    assert provider.calls == [f"qbo_refresh_{shop_a.domain}", "qbo_rt_1"]


@pytest.mark.django_db
def test_qbo_invalid_grant_marks_reconnect_needed_and_pauses(provider, client, shop_a):
    from tests.factories import session_token

    provider.revoked = True
    conn = make_connection(shop_a, **expired())
    with pytest.raises(tokens.TokenRevoked):
        tokens.qbo_access_token(conn)
    stored = QuickBooksConnection.objects.get(pk=conn.pk)
    assert stored.status == QuickBooksConnection.Status.RECONNECT_NEEDED
    assert stored.refresh_token == "" and "reconnect" in stored.status_reason.lower()
    shop = Shop.objects.get(pk=shop_a.pk)
    assert shop.sync_paused and shop.paused_code == PauseCode.QBO_RECONNECT
    # Later calls fail fast, without calling Intuit.
    with pytest.raises(tokens.TokenRevoked):
        tokens.qbo_access_token(stored)
    assert provider.calls == []
    # The merchant sees a banner.
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert 'data-testid="reconnect-banner"' in page and "Reconnect QuickBooks" in page


def _needs_row_locks():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL (the test SQLite database is in memory)")


def in_threads(work, n: int) -> list:
    """Run ``work`` in ``n`` threads at once (each with its own database connection);
    what each returned, or the exception it raised."""
    results = []

    def worker():
        try:
            results.append(work())
        except Exception as exc:
            results.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_call_the_provider_once(provider):
    """Two workers find the token stale at once: the row lock lets only one refresh."""
    _needs_row_locks()
    provider.delay = 0.3
    shop = make_shop("kilo-shop.myshopify.com", **expired())
    results = in_threads(lambda: tokens.shopify_access_token(Shop.objects.get(pk=shop.pk)), 4)
    assert results == ["shpat_1"] * 4
    assert len(provider.calls) == 1
    assert Shop.objects.get(pk=shop.pk).refresh_token == "shprt_1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_qbo_refreshes_call_intuit_once(provider):
    _needs_row_locks()
    provider.delay = 0.3
    conn = make_connection(make_shop("lima-shop.myshopify.com"), **expired())
    results = in_threads(
        lambda: tokens.qbo_access_token(QuickBooksConnection.objects.select_related("shop").get(pk=conn.pk)), 3
    )
    assert results == ["qbo_at_1"] * 3
    assert len(provider.calls) == 1


# --- a token refused (401) although its stored expiry says fresh -------------------------


@pytest.mark.django_db
def test_a_refused_qbo_token_is_replaced_although_its_expiry_says_fresh(provider, shop_a):
    conn = make_connection(shop_a)  # expires in an hour, by our clock
    refused = conn.access_token
    assert tokens.qbo_access_token(conn) == refused and provider.calls == []
    assert tokens.qbo_access_token(conn, refused=refused) == "qbo_at_1"
    stored = QuickBooksConnection.objects.get(pk=conn.pk)
    assert (stored.access_token, stored.refresh_token) == ("qbo_at_1", "qbo_rt_1")
    assert provider.calls == [f"qbo_refresh_{shop_a.domain}"]


@pytest.mark.django_db
def test_a_refused_token_another_worker_already_replaced_is_not_refreshed_again(provider, shop_a):
    conn = make_connection(shop_a)
    stale_copy = QuickBooksConnection.objects.select_related("shop").get(pk=conn.pk)
    refused = conn.access_token
    assert tokens.qbo_access_token(conn, refused=refused) == "qbo_at_1"
    # The other worker sent the same old token, got its 401 too, and finds the new one stored.
    assert tokens.qbo_access_token(stale_copy, refused=refused) == "qbo_at_1"
    assert len(provider.calls) == 1


@pytest.mark.django_db
def test_a_refused_qbo_token_whose_refresh_is_refused_marks_reconnect_needed(provider, shop_a):
    provider.revoked = True
    conn = make_connection(shop_a)
    with pytest.raises(tokens.TokenRevoked):
        tokens.qbo_access_token(conn, refused=conn.access_token)
    stored = QuickBooksConnection.objects.get(pk=conn.pk)
    assert stored.status == QuickBooksConnection.Status.RECONNECT_NEEDED
    assert Shop.objects.get(pk=shop_a.pk).paused_code == PauseCode.QBO_RECONNECT


@pytest.mark.django_db
def test_a_refused_shopify_token_is_replaced_although_its_expiry_says_fresh(provider):
    shop = make_shop("mike-shop.myshopify.com")
    assert tokens.shopify_access_token(shop, refused=shop.access_token) == "shpat_1"
    assert Shop.objects.get(pk=shop.pk).refresh_token == "shprt_1"
    assert provider.calls == ["shprt_mike-shop.myshopify.com_refresh"]


@pytest.mark.django_db
def test_a_refused_non_expiring_shopify_token_cannot_be_renewed(provider):
    shop = make_shop("november-shop.myshopify.com", access_token_expires_at=None, refresh_token="")
    with pytest.raises(tokens.TokenRevoked):
        tokens.shopify_access_token(shop, refused=shop.access_token)
    assert provider.calls == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_refused_the_same_token_refresh_it_once(provider):
    """Three workers get a 401 for the same token (stored expiry: fresh): one refresh."""
    _needs_row_locks()
    provider.delay = 0.3
    conn = make_connection(make_shop("oscar-shop.myshopify.com"))
    refused = conn.access_token
    start = threading.Barrier(3)

    def work():
        copy = QuickBooksConnection.objects.select_related("shop").get(pk=conn.pk)
        start.wait()
        return tokens.qbo_access_token(copy, refused=refused)

    results = in_threads(work, 3)
    assert results == ["qbo_at_1"] * 3
    assert len(provider.calls) == 1
    assert QuickBooksConnection.objects.get(pk=conn.pk).refresh_token == "qbo_rt_1"
