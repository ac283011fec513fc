"""Someone holds a validly signed body: only the body is signed, so everything else is suspect.

Replays under another shop's name or another topic, stale or absurd timestamps,
over-long shop domains, digits that are not ASCII, and destructive topics that
only Shopify itself can confirm.
"""

import json
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from accounts import uninstall
from accounts.models import ComplianceRequest, OAuthState, PauseCode, Shop
from shopqb_app.integrations.shopify import oauth as shopify_auth
from syncing.models import PendingSync, SyncedRecord, WebhookDelivery
from syncing.webhooks import numeric_id
from tests.factories import session_token, webhook_headers
from tests.sandboxes import connect_shop, use_sandboxes
from tests.worker import run_queued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

ORDER = {"id": 450789469, "admin_graphql_api_id": "gid://shopify/Order/450789469", "name": "#1001"}
LONG_SHOP = "x" * 300 + ".myshopify.com"  # longer than every domain column (255)


def shop_body(shop):
    return {"id": 548380009, "name": shop.name, "domain": "shop.example.com", "myshopify_domain": shop.domain}


def redact_body(shop):
    return {"shop_id": 548380009, "shop_domain": shop.domain}


def post(client, topic, shop_header, payload, **header_overrides):
    body = json.dumps(payload).encode()
    signed = webhook_headers(body, topic, shop_header, secret=settings.SHOPIFY_API_SECRET)  # a real signature
    headers = {**signed, **header_overrides}
    return client.post("/webhooks", data=body, content_type="application/json", **headers)


def nothing_recorded():
    return WebhookDelivery.objects.count() == 0 and OrmQ.objects.count() == 0 and ComplianceRequest.objects.count() == 0


# --- Replays: the headers must agree with the signed body -------------------------------


@pytest.mark.parametrize(
    ("topic", "body_of"),
    [
        ("shop/redact", redact_body),  # shop A's redaction under shop B's name
        ("app/uninstalled", shop_body),  # shop A's uninstall under shop B's name
        (
            "customers/redact",
            lambda s: {**redact_body(s), "customer": {"id": 207119551}, "orders_to_redact": [450789469]},
        ),
    ],
)
def test_a_body_of_shop_a_under_shop_bs_header_is_refused(client, shop_a, shop_b, topic, body_of):
    response = post(client, topic, shop_b.domain, body_of(shop_a))
    assert response.status_code == 401
    assert nothing_recorded()
    shop_b.refresh_from_db()
    assert shop_b.is_installed and shop_b.access_token and not shop_b.sync_paused


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("app/uninstalled", ORDER),  # an order body replayed as an uninstall
        ("shop/redact", ORDER),
        ("app/uninstalled", {"id": 1}),  # a shop body must name the shop
        ("shop/redact", {"shop_domain": "alpha-goods.myshopify.com"}),  # no shop_id
        # A customers/redact body of the same shop is not a shop/redact body.
        ("shop/redact", {"shop_id": 1, "shop_domain": "alpha-goods.myshopify.com", "customer": {"id": 1}}),
        ("customers/redact", ORDER),
        ("customers/data_request", {"shop_id": 1, "shop_domain": "alpha-goods.myshopify.com"}),  # no customer
        ("orders/create", {"id": 509562969, "order_id": 450789469, "admin_graphql_api_id": "gid://shopify/Refund/1"}),
        ("orders/paid", {"id": 450789469}),  # no admin_graphql_api_id: not an order resource
        ("orders/updated", {"id": 632910392, "admin_graphql_api_id": "gid://shopify/Product/632910392"}),
        ("refunds/create", ORDER),
        ("orders/edited", ORDER),  # orders/edited carries {"order_edit": ...}, not the order
    ],
)
def test_a_body_of_another_topic_is_refused(client, shop_a, topic, payload):
    assert post(client, topic, shop_a.domain, payload).status_code == 401
    assert nothing_recorded()
    shop_a.refresh_from_db()
    assert shop_a.is_installed and shop_a.access_token


def test_a_redaction_replayed_for_another_shop_leaves_that_shops_data(client, shop_a, shop_b):
    SyncedRecord.objects.create(shop=shop_b, source_type="order", source_id="gid://shopify/Order/1", kind="X")
    uninstall.shop_uninstalled(shop=shop_b)  # even an uninstalled shop B keeps its data against a replay
    assert post(client, "shop/redact", shop_b.domain, redact_body(shop_a)).status_code == 401
    run_queued()
    assert Shop.objects.filter(pk=shop_b.pk).exists() and SyncedRecord.objects.filter(shop=shop_b).exists()


# --- X-Shopify-Triggered-At -----------------------------------------------------------------


@pytest.mark.parametrize(
    "triggered_at",
    [
        "9999-12-31T23:59:59Z",  # raised OverflowError (a 500) in the uninstall handler
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "1970-01-01T00:00:00Z",
        "not a date",
        "2024-02-30T00:00:00Z",
        "",
        "2" * 100,
    ],
)
@pytest.mark.parametrize("topic", ["app/uninstalled", "orders/create"])
def test_absurd_triggered_at_is_400_and_stores_nothing(client, shop_a, topic, triggered_at):
    payload = shop_body(shop_a) if topic == "app/uninstalled" else ORDER
    response = post(client, topic, shop_a.domain, payload, HTTP_X_SHOPIFY_TRIGGERED_AT=triggered_at)
    assert response.status_code == 400
    assert nothing_recorded()


def test_missing_triggered_at_is_400(client, shop_a):
    body = json.dumps(ORDER).encode()
    headers = webhook_headers(body, "orders/create", shop_a.domain)
    del headers["HTTP_X_SHOPIFY_TRIGGERED_AT"]
    assert client.post("/webhooks", data=body, content_type="application/json", **headers).status_code == 400
    assert nothing_recorded()


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (timedelta(hours=49), 400),  # older than the 48-hour window
        (timedelta(minutes=-10), 400),  # from the future
        (timedelta(hours=47), 200),  # a late retry: Shopify resends the original timestamp
        (timedelta(hours=4, minutes=5), 200),  # the last of Shopify's retries over 4 hours
        (timedelta(minutes=-1), 200),  # clocks differ by seconds
    ],
)
def test_triggered_at_window(client, shop_a, age, status):
    when = (timezone.now() - age).isoformat().replace("+00:00", "Z")
    assert post(client, "orders/create", shop_a.domain, ORDER, HTTP_X_SHOPIFY_TRIGGERED_AT=when).status_code == status
    assert WebhookDelivery.objects.count() == (1 if status == 200 else 0)


def test_the_window_is_a_setting(client, shop_a, settings):
    settings.SHOPIFY_WEBHOOK_MAX_AGE_SECONDS = 3600
    two_hours_ago = (timezone.now() - timedelta(hours=2)).isoformat()
    assert (
        post(client, "orders/create", shop_a.domain, ORDER, HTTP_X_SHOPIFY_TRIGGERED_AT=two_hours_ago).status_code
        == 400
    )


def test_shopifys_nanosecond_timestamps_are_understood(client, shop_a):
    when = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f") + "743Z"  # "…18:00:27.877041743Z"
    assert post(client, "orders/create", shop_a.domain, ORDER, HTTP_X_SHOPIFY_TRIGGERED_AT=when).status_code == 200


def test_an_absurd_event_time_reaching_the_uninstall_service_does_not_overflow(shop_a):
    Shop.objects.filter(pk=shop_a.pk).update(installed_at=timezone.now())
    assert uninstall.shop_uninstalled(shop=shop_a, triggered_at="9999-12-31T23:59:59Z") is True


# --- Destructive topics wait for Shopify's word ------------------------------------------


def test_an_uninstall_whose_token_still_works_deletes_nothing(client, shop_a, monkeypatch, caplog):
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: True)
    assert post(client, "app/uninstalled", shop_a.domain, shop_body(shop_a)).status_code == 200
    delivery = WebhookDelivery.objects.get(topic="app/uninstalled")
    with pytest.raises(uninstall.UninstallNotConfirmed):
        run_queued()
    shop_a.refresh_from_db()
    assert shop_a.is_installed and shop_a.access_token and shop_a.refresh_token and not shop_a.sync_paused
    delivery.refresh_from_db()
    assert delivery.processed_at is None  # recorded, not acted on
    assert "still accepts its token" in caplog.text


def test_an_uninstall_shopify_cannot_confirm_now_deletes_nothing(client, shop_a, monkeypatch):
    from shopqb_app.integrations.shopify.errors import ShopifyUnavailable

    def unreachable(*, shop):
        raise ShopifyUnavailable("HTTP 503")

    monkeypatch.setattr(uninstall, "shop_access_works", unreachable)
    post(client, "app/uninstalled", shop_a.domain, shop_body(shop_a))
    with pytest.raises(ShopifyUnavailable):
        run_queued()
    assert Shop.objects.get(pk=shop_a.pk).is_installed


def test_the_request_itself_never_deletes(client, shop_a, monkeypatch):
    """Asking Shopify costs an HTTP call: the endpoint only records and enqueues."""
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: pytest.fail("asked Shopify in the request"))
    assert post(client, "app/uninstalled", shop_a.domain, shop_body(shop_a)).status_code == 200
    assert post(client, "shop/redact", shop_a.domain, redact_body(shop_a)).status_code == 200
    assert Shop.objects.get(pk=shop_a.pk).is_installed
    assert [q.task["func"] for q in OrmQ.objects.order_by("pk")] == [
        "syncing.tasks.app_uninstalled",
        "syncing.tasks.shop_redact",
    ]


@pytest.fixture
def sandbox_shop(settings, monkeypatch, transactional_db):
    from sandbox.runner import start_sandboxes

    running = start_sandboxes()
    use_sandboxes(settings, monkeypatch, running.info)
    shop = connect_shop(running.info)
    yield running, shop
    running.stop()


def test_uninstall_end_to_end_against_the_shopify_sandbox(client, sandbox_shop):
    """A replay while the app is installed changes nothing; the real uninstall (Shopify
    revokes the token first) goes through."""
    running, shop = sandbox_shop
    assert post(client, "app/uninstalled", shop.domain, shop_body(shop)).status_code == 200
    with pytest.raises(uninstall.UninstallNotConfirmed):
        run_queued()
    assert post(client, "shop/redact", shop.domain, redact_body(shop)).status_code == 200
    assert run_queued() == ["not deleted: ShopQB is installed on the store and Shopify accepts its access"]
    shop.refresh_from_db()
    assert shop.is_installed and shop.access_token and not shop.sync_paused

    response = requests.post(
        running.info["shopify"] + "/_sandbox/shops/uninstall", json={"shop": shop.domain}, timeout=10
    )
    assert response.status_code == 200
    assert post(client, "app/uninstalled", shop.domain, shop_body(shop)).status_code == 200
    assert run_queued() == ["uninstalled"]
    shop.refresh_from_db()
    assert not shop.is_installed and shop.access_token == "" and shop.paused_code == PauseCode.UNINSTALLED

    assert post(client, "shop/redact", shop.domain, redact_body(shop)).status_code == 200
    [summary] = run_queued("syncing.tasks.shop_redact")
    assert summary.startswith("deleted ") and not Shop.objects.filter(pk=shop.pk).exists()


def test_shop_redact_for_a_shop_installed_here_whose_token_shopify_refuses_deletes(client, shop_a, monkeypatch):
    """We missed the uninstall: Shopify's refusal is the proof, the data goes."""
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: False)
    post(client, "shop/redact", shop_a.domain, redact_body(shop_a))
    [summary] = run_queued("syncing.tasks.shop_redact")
    assert summary.startswith("deleted ") and not Shop.objects.filter(pk=shop_a.pk).exists()


class FakeShopify:
    """Shopify's side of a probe: which access token it accepts, and whether it renews the grant."""

    def __init__(self, monkeypatch, *, accepts: str, refresh_works: bool):
        from shopqb_app.integrations.shopify.client import ShopifyClient

        self.sent = []
        self.accepts = accepts
        monkeypatch.setattr(ShopifyClient, "_send", lambda client, payload: self.send(client, payload))
        monkeypatch.setattr(shopify_auth, "refresh", self.refresh if refresh_works else self.refuse)

    def send(self, client, payload):
        self.sent.append(client.access_token)
        response = requests.Response()
        response.status_code = 200 if client.access_token == self.accepts else 401
        response._content = json.dumps({"data": {"shop": {"name": "Alpha"}}}).encode()
        return response

    def refresh(self, *, shop, refresh_token):
        return shopify_auth.ShopifyGrant(access_token=self.accepts, scopes=frozenset(), expires_at=None)

    def refuse(self, *, shop, refresh_token):
        raise shopify_auth.ShopifyGrantRevoked("refresh token revoked")


def test_a_token_refused_before_its_expiry_is_refreshed_before_it_is_judged(shop_a, monkeypatch):
    """Shopify may refuse an expiring token early: a 401 alone is no uninstall while the grant renews."""
    stored = shop_a.access_token
    shopify = FakeShopify(monkeypatch, accepts="shpat_renewed", refresh_works=True)
    assert uninstall.shop_access_works(shop=shop_a) is True
    assert shopify.sent == [stored, "shpat_renewed"]


def test_a_refused_token_whose_refresh_is_refused_is_an_uninstall(shop_a, monkeypatch):
    stored = shop_a.access_token
    shopify = FakeShopify(monkeypatch, accepts="shpat_renewed", refresh_works=False)
    assert uninstall.shop_access_works(shop=shop_a) is False
    assert shopify.sent == [stored]


def test_a_stale_token_is_refreshed_before_shopify_is_asked(shop_a, monkeypatch):
    Shop.objects.filter(pk=shop_a.pk).update(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    shopify = FakeShopify(monkeypatch, accepts="shpat_renewed", refresh_works=True)
    assert uninstall.shop_access_works(shop=Shop.objects.get(pk=shop_a.pk)) is True
    assert shopify.sent == ["shpat_renewed"]


# --- Over-long shop domains: 400, not a database error (PostgreSQL enforces varchar(255)) ---


def test_valid_shop_domain_length():
    assert shopify_auth.valid_shop_domain("a" * 63 + ".myshopify.com") == "a" * 63 + ".myshopify.com"
    assert shopify_auth.valid_shop_domain("a" * 64 + ".myshopify.com") is None
    assert shopify_auth.valid_shop_domain(LONG_SHOP) is None
    assert shopify_auth.valid_shop_domain("\u212aelvin.myshopify.com") is None  # Kelvin sign lowercases to "k"


def test_over_long_domain_at_install_is_400(client):
    response = client.get("/auth/install", {"shop": LONG_SHOP})
    assert response.status_code == 400
    assert not OAuthState.objects.exists()


def test_over_long_domain_in_a_webhook_header_is_400(client):
    assert post(client, "orders/create", LONG_SHOP, ORDER).status_code == 400
    assert nothing_recorded()


def test_over_long_domain_in_a_session_token_is_refused(client):
    token = session_token(LONG_SHOP)
    assert client.get("/api/status", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert client.get("/", {"id_token": token}).status_code in (400, 401)
    assert not Shop.objects.exists()


def test_the_database_really_limits_domains():
    """The tests above guard a real limit: on PostgreSQL the same domain is a database error."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce varchar lengths")
    from django.db import DataError, transaction

    with pytest.raises(DataError), transaction.atomic():
        Shop.objects.create(domain=LONG_SHOP)


# --- Ids are ASCII digits ------------------------------------------------------------------


def test_numeric_ids_are_ascii_digits_only():
    assert numeric_id(450789469) == numeric_id("450789469") == 450789469
    for bad in ("\u0661\u0662\u0663", "\uff11\uff12", "12\u00b3", "-1", "1e3", " 1", True, 0, "0", None, 1.5, 10**19):
        assert numeric_id(bad) is None, bad


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (
            "orders/create",
            {"id": "\u0661\u0662\u0663", "admin_graphql_api_id": "gid://shopify/Order/\u0661\u0662\u0663"},
        ),
        ("orders/edited", {"order_edit": {"id": 1, "order_id": "\u0661\u0662\u0663"}}),
        (
            "refunds/create",
            {"id": 5, "order_id": "\u0661\u0662\u0663", "admin_graphql_api_id": "gid://shopify/Refund/5"},
        ),
        (
            "customers/redact",
            {"shop_id": 1, "shop_domain": "alpha-goods.myshopify.com", "customer": {"id": "\u0661\u0662\u0663"}},
        ),
    ],
)
def test_unicode_digits_are_refused(client, shop_a, topic, payload):
    assert post(client, topic, shop_a.domain, payload).status_code == 401
    assert nothing_recorded() and not PendingSync.objects.exists()
