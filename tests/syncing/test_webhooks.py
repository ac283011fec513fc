"""Webhooks: signed by Shopify or refused, recorded once, dispatched by topic."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.tasks import async_task

from accounts import uninstall
from accounts.models import ComplianceRequest, OAuthState, PauseCode, QuickBooksConnection, Shop
from mappings.models import SyncSettings
from syncing.models import PendingSync, SyncedRecord, SyncIssue, WebhookDelivery
from tests.accounts.factories import make_connection, make_shop
from tests.factories import webhook_headers
from tests.worker import run_queued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

ORDER = {
    "id": 450789469,
    "admin_graphql_api_id": "gid://shopify/Order/450789469",
    "name": "#1001",
    "email": "bob.norman@mail.example.com",
    "customer": {"id": 207119551},
}


def shop_body(shop):
    """app/uninstalled carries the shop (Shopify's REST shop resource)."""
    return {"id": 548380009, "name": shop.name, "domain": "shop.example.com", "myshopify_domain": shop.domain}


@pytest.fixture
def shopify_access(monkeypatch):
    """What Shopify answers when a task asks whether a shop's token still works."""
    answers = {}
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: answers[shop.domain])
    return answers


def queued_for(shop):
    return [q.task for q in OrmQ.objects.all() if q.task.get("group") == f"shop-{shop.pk}"]


def requested(shop):
    """Orders waiting for a sync (syncing.pending.enqueue_order_sync keeps one row per order)."""
    return list(PendingSync.objects.filter(shop=shop).values_list("order_gid", flat=True))


def test_order_webhook_is_recorded_and_enqueues_the_order_sync(post_webhook, shop_a):
    response = post_webhook("orders/create", shop_a.domain, ORDER, webhook_id="wh-1")
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get(webhook_id="wh-1")
    assert delivery.topic == "orders/create" and delivery.shop_domain == shop_a.domain
    assert delivery.processed_at is not None
    assert requested(shop_a) == ["gid://shopify/Order/450789469"] and len(queued_for(shop_a)) == 1


@pytest.mark.parametrize("topic", ["orders/updated", "orders/paid", "orders/cancelled"])
def test_every_order_topic_enqueues(post_webhook, shop_a, topic):
    assert post_webhook(topic, shop_a.domain, ORDER).status_code == 200
    assert requested(shop_a) == ["gid://shopify/Order/450789469"]


def test_order_edited_carries_the_edit_and_enqueues_its_order(post_webhook, shop_a):
    edit = {"order_edit": {"id": 78912328, "order_id": 450789469, "line_items": {"additions": [], "removals": []}}}
    assert post_webhook("orders/edited", shop_a.domain, edit).status_code == 200
    assert requested(shop_a) == ["gid://shopify/Order/450789469"]


def test_refund_webhook_enqueues_its_order(post_webhook, shop_a):
    refund = {"id": 509562969, "order_id": 450789469, "admin_graphql_api_id": "gid://shopify/Refund/509562969"}
    post_webhook("refunds/create", shop_a.domain, refund)
    assert requested(shop_a) == ["gid://shopify/Order/450789469"]


def test_duplicate_delivery_answers_200_and_does_nothing(post_webhook, shop_a):
    assert post_webhook("orders/create", shop_a.domain, ORDER, webhook_id="wh-dup").status_code == 200
    assert post_webhook("orders/create", shop_a.domain, ORDER, webhook_id="wh-dup").status_code == 200
    assert WebhookDelivery.objects.filter(webhook_id="wh-dup").count() == 1
    assert requested(shop_a) == ["gid://shopify/Order/450789469"] and len(queued_for(shop_a)) == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.pop("HTTP_X_SHOPIFY_HMAC_SHA256"),
        lambda h: h.update(HTTP_X_SHOPIFY_HMAC_SHA256="AAAA" + h["HTTP_X_SHOPIFY_HMAC_SHA256"][4:]),
        lambda h: h.update(HTTP_X_SHOPIFY_HMAC_SHA256=""),
    ],
    ids=["missing", "wrong", "empty"],
)
def test_bad_signature_is_401_and_stores_nothing(client, shop_a, mutate):
    body = json.dumps(ORDER).encode()
    headers = webhook_headers(body, "orders/create", shop_a.domain)
    mutate(headers)
    response = client.post("/webhooks", data=body, content_type="application/json", **headers)
    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0 and OrmQ.objects.count() == 0


def test_signature_with_another_secret_is_401(client, shop_a):
    body = json.dumps(ORDER).encode()
    headers = webhook_headers(body, "orders/create", shop_a.domain, secret="someone-elses-secret")
    assert client.post("/webhooks", data=body, content_type="application/json", **headers).status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_body_changed_after_signing_is_401(client, shop_a):
    body = json.dumps(ORDER).encode()
    headers = webhook_headers(body, "orders/create", shop_a.domain)
    tampered = body.replace(b"450789469", b"450789470")
    assert client.post("/webhooks", data=tampered, content_type="application/json", **headers).status_code == 401


def test_oversized_body_is_413_before_anything_else(client, shop_a, settings):
    settings.SHOPIFY_WEBHOOK_MAX_BYTES = 1000
    body = json.dumps({**ORDER, "note": "x" * 2000}).encode()
    headers = webhook_headers(body, "orders/create", shop_a.domain)
    assert client.post("/webhooks", data=body, content_type="application/json", **headers).status_code == 413
    assert WebhookDelivery.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get("/webhooks").status_code == 405


def test_orders_of_an_unknown_or_uninstalled_shop_enqueue_nothing(post_webhook, shop_a):
    post_webhook("orders/create", "nobody-here.myshopify.com", ORDER)
    uninstall.shop_uninstalled(shop=shop_a)
    post_webhook("orders/create", shop_a.domain, ORDER)
    assert OrmQ.objects.count() == 0
    assert WebhookDelivery.objects.count() == 2


def test_app_uninstalled_drops_tokens_pauses_and_stops_work(post_webhook, shop_a, shop_b, shopify_access):
    shopify_access[shop_a.domain] = False  # Shopify revoked the token before sending the webhook
    async_task("syncing.tasks.sync_order", shop_a.pk, "gid://shopify/Order/1", group=f"shop-{shop_a.pk}")
    async_task("syncing.tasks.sync_order", shop_b.pk, "gid://shopify/Order/2", group=f"shop-{shop_b.pk}")
    Schedule.objects.create(name=f"shop-{shop_a.pk}-sweep", func="syncing.tasks.sweep")
    Schedule.objects.create(name=f"shop-{shop_a.pk}0-sweep", func="syncing.tasks.sweep")  # another shop's id prefix

    for _ in range(2):  # may arrive more than once
        assert post_webhook("app/uninstalled", shop_a.domain, shop_body(shop_a)).status_code == 200
    assert run_queued() == ["uninstalled", "uninstalled"]
    assert WebhookDelivery.objects.filter(topic="app/uninstalled", processed_at__isnull=True).count() == 0

    shop_a.refresh_from_db()
    assert shop_a.uninstalled_at is not None and not shop_a.is_installed
    assert shop_a.access_token == "" and shop_a.refresh_token == "" and shop_a.access_token_expires_at is None
    assert shop_a.sync_paused and shop_a.paused_code == PauseCode.UNINSTALLED
    assert queued_for(shop_a) == [] and len(queued_for(shop_b)) == 1
    names = set(Schedule.objects.filter(name__startswith="shop-").values_list("name", flat=True))
    assert names == {f"shop-{shop_a.pk}0-sweep"}
    shop_b.refresh_from_db()
    assert shop_b.is_installed and shop_b.access_token


def test_late_app_uninstalled_after_a_reinstall_changes_nothing(client, shop_a, shopify_access):
    body = json.dumps(shop_body(shop_a)).encode()
    headers = webhook_headers(body, "app/uninstalled", shop_a.domain)
    headers["HTTP_X_SHOPIFY_TRIGGERED_AT"] = (shop_a.installed_at - timedelta(hours=2)).isoformat()
    assert client.post("/webhooks", data=body, content_type="application/json", **headers).status_code == 200
    assert run_queued() == ["nothing to do"]  # stale: Shopify is not even asked (no answer is set)
    shop_a.refresh_from_db()
    assert shop_a.is_installed and shop_a.access_token


def test_compliance_tasks_queued_under_their_old_names_still_run(post_webhook, shop_a, shopify_access):
    """A queue in production may still hold accounts.tasks.app_uninstalled and shop_redact,
    queued before these tasks moved to syncing/tasks.py."""
    shopify_access[shop_a.domain] = False
    post_webhook("app/uninstalled", shop_a.domain, shop_body(shop_a), webhook_id="old-1")
    post_webhook("shop/redact", shop_a.domain, {"shop_id": 1, "shop_domain": shop_a.domain}, webhook_id="old-2")
    OrmQ.objects.all().delete()  # queued as the previous release named them:
    async_task("accounts.tasks.app_uninstalled", "old-1")
    async_task("accounts.tasks.shop_redact", "old-2")
    uninstalled, redacted = run_queued("accounts.tasks.")
    assert uninstalled == "uninstalled" and redacted.startswith("deleted ")
    assert not Shop.objects.filter(pk=shop_a.pk).exists()
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()


def _customer_data(shop, order_id=450789469, customer_id=207119551):
    SyncedRecord.objects.create(
        shop=shop,
        source_type="order",
        source_id=f"gid://shopify/Order/{order_id}",
        source_name="#1001",
        kind="SalesReceipt",
        request_id=f"r-{shop.pk}-{order_id}",
        qbo_id="145",
        amount="59.00",
        currency="CAD",
    )
    SyncedRecord.objects.create(
        shop=shop,
        source_type="customer",
        source_id=f"gid://shopify/Customer/{customer_id}",
        kind="Customer",
        request_id=f"c-{shop.pk}-{customer_id}",
        qbo_id="58",
    )
    SyncIssue.objects.create(
        shop=shop,
        source_type="order",
        source_id=f"gid://shopify/Order/{order_id}",
        code="qbo_rejected",
        message="Customer bob.norman@mail.example.com has no billing address",
        detail={"email": "bob.norman@mail.example.com"},
    )


def test_customers_data_request_exports_what_we_hold_for_the_merchant(post_webhook, client, shop_a, shop_b):
    from tests.factories import session_token

    _customer_data(shop_a)
    _customer_data(shop_b)
    post_webhook("orders/create", shop_a.domain, ORDER)
    payload = {
        "shop_id": 1,
        "shop_domain": shop_a.domain,
        "orders_requested": [450789469],
        "customer": {"id": 207119551, "email": "bob.norman@mail.example.com", "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }
    assert post_webhook("customers/data_request", shop_a.domain, payload, webhook_id="dr-1").status_code == 200

    record = ComplianceRequest.objects.get(webhook_id="dr-1")
    assert record.completed_at and record.customer_id == "207119551"
    export = json.loads(record.export)
    assert {r["source_type"] for r in export["synced_records"]} == {"order", "customer"}
    assert len(export["synced_records"]) == 2  # shop B's identical ids are not included
    assert export["sync_issues"][0]["code"] == "qbo_rejected"
    # Order deliveries keep ids only (the sync never books from a body): the customer's
    # details were never stored, so the export has none to show.
    stored = export["webhook_payloads"][0]["payload"]
    assert stored["id"] == ORDER["id"] and stored["customer"] == {"id": 207119551}
    assert "bob.norman" not in json.dumps(export["webhook_payloads"])
    # The delivery row of the request itself keeps ids, not the customer's contact details.
    assert "bob.norman" not in json.dumps(WebhookDelivery.objects.get(webhook_id="dr-1").payload)

    home = client.get("/", {"id_token": session_token(shop_a.domain)})
    assert f"/privacy/data-requests/{record.pk}.json".encode() in home.content
    download = client.get(
        f"/privacy/data-requests/{record.pk}.json", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain)
    )
    assert download.status_code == 200 and json.loads(download.content) == export
    other = client.get(
        f"/privacy/data-requests/{record.pk}.json", HTTP_AUTHORIZATION="Bearer " + session_token(shop_b.domain)
    )
    assert other.status_code == 404


def test_customers_redact_erases_personal_data_and_keeps_bookkeeping(post_webhook, shop_a, shop_b):
    _customer_data(shop_a)
    _customer_data(shop_b)
    post_webhook("orders/create", shop_a.domain, ORDER)
    post_webhook("orders/create", shop_b.domain, ORDER)
    payload = {
        "shop_id": 1,
        "shop_domain": shop_a.domain,
        "orders_to_redact": [450789469],
        "customer": {"id": 207119551, "email": "bob.norman@mail.example.com", "phone": "555-625-1199"},
    }
    assert post_webhook("customers/redact", shop_a.domain, payload, webhook_id="cr-1").status_code == 200

    a_rows = json.dumps(
        list(WebhookDelivery.objects.filter(shop_domain=shop_a.domain).values_list("payload", flat=True))
    )
    assert "bob.norman" not in a_rows and "555-625" not in a_rows
    issue = SyncIssue.objects.get(shop=shop_a)
    assert "bob.norman" not in issue.message and issue.detail == {}
    assert not SyncedRecord.objects.filter(shop=shop_a, source_type="customer").exists()
    assert SyncedRecord.objects.get(shop=shop_a, source_type="order").qbo_id == "145"  # the books' link stays
    # Shop B's data about its own customer is untouched.
    assert "bob.norman" in SyncIssue.objects.get(shop=shop_b).message
    assert SyncedRecord.objects.filter(shop=shop_b, source_type="customer").exists()
    assert ComplianceRequest.objects.get(webhook_id="cr-1").completed_at is not None


def test_shop_redact_deletes_everything_of_that_shop_only(
    post_webhook, shop_a, shop_b, django_capture_on_commit_callbacks, shopify_access
):
    shopify_access[shop_a.domain] = False
    for shop in (shop_a, shop_b):
        _customer_data(shop)
        make_connection(shop)
        SyncSettings.objects.create(shop=shop)
        post_webhook("orders/create", shop.domain, ORDER)
        OAuthState.objects.create(provider="quickbooks", shop_domain=shop.domain, state=f"s-{shop.pk}")
    compliance = {"shop_id": 1, "shop_domain": shop_a.domain, "customer": {"id": 1}, "orders_requested": []}
    assert post_webhook("customers/data_request", shop_a.domain, compliance).status_code == 200
    assert post_webhook("app/uninstalled", shop_a.domain, shop_body(shop_a)).status_code == 200
    assert run_queued() == ["uninstalled"]
    async_task("syncing.tasks.sync_order", shop_a.pk, "gid://shopify/Order/1", group=f"shop-{shop_a.pk}")
    a_id = shop_a.pk

    response = post_webhook(
        "shop/redact", shop_a.domain, {"shop_id": 1, "shop_domain": shop_a.domain}, webhook_id="sr-1"
    )
    assert response.status_code == 200
    assert Shop.objects.filter(pk=a_id).exists()  # the request only records and enqueues
    with django_capture_on_commit_callbacks(execute=True):
        [summary] = run_queued()
    assert summary.startswith("deleted ")
    assert not Shop.objects.filter(pk=a_id).exists()
    assert not QuickBooksConnection.objects.filter(shop_id=a_id).exists()
    assert (
        not SyncedRecord.objects.filter(shop_id=a_id).exists() and not SyncIssue.objects.filter(shop_id=a_id).exists()
    )
    assert not SyncSettings.objects.filter(shop_id=a_id).exists()
    assert list(WebhookDelivery.objects.filter(shop_domain=shop_a.domain).values_list("topic", flat=True)) == [
        "shop/redact"
    ]
    assert not OAuthState.objects.filter(shop_domain=shop_a.domain).exists()
    assert queued_for(shop_a) == [] and queued_for(shop_b)
    record = ComplianceRequest.objects.get(shop_domain=shop_a.domain)
    assert record.topic == "shop/redact" and record.completed_at and "deleted" in record.summary
    # A QuickBooks revoke is queued with the token encrypted, never in clear.
    revoke = [t for t in (q.task for q in OrmQ.objects.all()) if t["func"] == "accounts.tasks.qbo_revoke_encrypted"]
    assert len(revoke) == 1 and "qbo_refresh" not in revoke[0]["args"][0]
    # Shop B is whole.
    assert Shop.objects.get(pk=shop_b.pk).is_installed
    assert (
        SyncedRecord.objects.filter(shop=shop_b).count() == 2
        and QuickBooksConnection.objects.filter(shop=shop_b).exists()
    )
    # A duplicate delivery is a no-op.
    redact = {"shop_id": 1, "shop_domain": shop_a.domain}
    assert post_webhook("shop/redact", shop_a.domain, redact, webhook_id="sr-1").status_code == 200
    assert run_queued("syncing.tasks.shop_redact") == []


def test_shop_redact_for_an_installed_shop_whose_token_works_deletes_nothing(post_webhook, shop_a, shopify_access):
    shopify_access[shop_a.domain] = True  # reinstalled within the 48 hours, or a replayed body
    post_webhook("shop/redact", shop_a.domain, {"shop_id": 1, "shop_domain": shop_a.domain}, webhook_id="sr-2")
    run_queued()
    assert Shop.objects.get(pk=shop_a.pk).access_token
    assert "Shopify accepts its access" in ComplianceRequest.objects.get(webhook_id="sr-2").summary


def test_unknown_topics_are_recorded_and_acknowledged(post_webhook, shop_a):
    assert post_webhook("products/update", shop_a.domain, {"id": 1}).status_code == 200
    assert WebhookDelivery.objects.get().topic == "products/update"
    assert OrmQ.objects.count() == 0


def test_a_shop_created_later_is_unaffected_by_old_uninstall(post_webhook):
    shop = make_shop("delta-shop.myshopify.com", installed_at=timezone.now())
    assert post_webhook("orders/paid", shop.domain, ORDER).status_code == 200
    assert requested(shop) == ["gid://shopify/Order/450789469"]


@pytest.mark.parametrize("depth", [50_000, 980])
def test_signed_but_absurdly_nested_body_is_400_not_500(client, shop_a, depth):
    body = b'{"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1", "x": ' + b"[" * depth + b"]" * depth + b"}"
    headers = webhook_headers(body, "orders/create", shop_a.domain)
    response = client.post("/webhooks", data=body, content_type="application/json", **headers)
    assert response.status_code in (200, 400)
    assert WebhookDelivery.objects.count() == (1 if response.status_code == 200 else 0)


def test_order_webhooks_queue_the_order_once_with_the_newest_version_they_carry(post_webhook, shop_a):
    """The same outcome on PostgreSQL's one-statement path and everywhere else."""
    from datetime import UTC, datetime

    gid = ORDER["admin_graphql_api_id"]
    for topic, updated_at in (
        ("orders/updated", "2026-11-30T10:00:00-05:00"),
        ("orders/paid", "2026-11-30T10:05:00-05:00"),
        ("orders/updated", "2026-11-30T09:00:00-05:00"),  # a late retry of an older version
    ):
        assert post_webhook(topic, shop_a.domain, {**ORDER, "updated_at": updated_at}).status_code == 200
    row = PendingSync.objects.get(shop=shop_a, order_gid=gid)
    assert row.generation == 3 and row.priority == PendingSync.Priority.CHANGED
    assert row.announced == datetime(2026, 11, 30, 15, 5, tzinfo=UTC)
    drains = [q.task for q in OrmQ.objects.all() if q.task["func"] == "syncing.tasks.drain_shop"]
    assert [t["args"][0] for t in drains] == [shop_a.pk]  # one drain for three webhooks

    assert post_webhook("orders/create", shop_a.domain, {**ORDER, "updated_at": "bad"}).status_code == 200
    row.refresh_from_db()
    assert row.priority == PendingSync.Priority.NEW and row.generation == 4
    # A body without a readable version asks for a fetch whatever was fetched before.
    assert row.announced.year == 9999
    # Ids and the version only; the customer by id, so a data request or redaction finds it.
    stored = WebhookDelivery.objects.filter(topic="orders/paid").get().payload
    assert stored == {
        "id": ORDER["id"],
        "admin_graphql_api_id": gid,
        "name": "#1001",
        "updated_at": "2026-11-30T10:05:00-05:00",
        "customer": {"id": 207119551},
    }
