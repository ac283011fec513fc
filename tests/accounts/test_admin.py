"""Support staff in the Django admin: every model they need is there, each shop's rows are found by
its domain (and orders by their name), and the merchant's rules cannot be edited behind the app's
back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db.models import Model
from django.urls import reverse

from accounts.models import ComplianceRequest, QuickBooksConnection, Shop
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    MappingChange,
    ProductMapping,
    SetupStep,
    SyncSettings,
    TaxMapping,
)
from syncing.models import PendingSync, SourceType, SyncedRecord, SyncIssue, SyncRun, WebhookDelivery
from tests.accounts.factories import make_connection

SUPPORT_MODELS: list[type[Model]] = [
    Shop,
    QuickBooksConnection,
    ComplianceRequest,
    AccountRoleMapping,
    GatewayMapping,
    TaxMapping,
    ProductMapping,
    DimensionMapping,
    SyncSettings,
    MappingChange,
    SyncedRecord,
    PendingSync,
    SyncIssue,
    SyncRun,
    WebhookDelivery,
]
# Editing these would bypass the app: the rules' versioning, the audit trail, the OAuth consent.
READ_ONLY_MODELS: list[type[Model]] = [
    QuickBooksConnection,
    ComplianceRequest,
    AccountRoleMapping,
    GatewayMapping,
    TaxMapping,
    ProductMapping,
    DimensionMapping,
    SyncSettings,
    MappingChange,
]


def seed_rows(shop: Shop, order_number: int) -> dict[type[Model], Model]:
    """One row of every support model for ``shop``, its order named #``order_number``."""
    order_gid = f"gid://shopify/Order/{order_number}000"
    record = SyncedRecord.objects.create(
        shop=shop,
        source_type=SourceType.ORDER,
        source_id=order_gid,
        source_name=f"#{order_number}",
        order_gid=order_gid,
        kind="SalesReceipt",
        status=SyncedRecord.Status.FAILED,
        request_id=f"req-{shop.pk}-{order_number}",
        amount=Decimal("12.50"),
        currency="USD",
    )
    return {
        Shop: shop,
        QuickBooksConnection: make_connection(shop),
        ComplianceRequest: ComplianceRequest.objects.create(
            topic=ComplianceRequest.Topic.DATA_REQUEST, shop_domain=shop.domain, webhook_id=f"cr-{shop.pk}"
        ),
        AccountRoleMapping: AccountRoleMapping.objects.create(
            shop=shop, role=next(iter(AccountRole)).value, qbo_id="1", qbo_name="Sales"
        ),
        GatewayMapping: GatewayMapping.objects.create(shop=shop, gateway="shopify_payments", qbo_name="Clearing"),
        TaxMapping: TaxMapping.objects.create(shop=shop, title="State Tax", rate=Decimal("0.0625")),
        ProductMapping: ProductMapping.objects.create(
            shop=shop, variant_gid=f"gid://shopify/ProductVariant/{order_number}", title="Mug"
        ),
        DimensionMapping: DimensionMapping.objects.create(
            shop=shop, kind=DimensionMapping.Kind.CHANNEL, shopify_id="web", name="Online Store"
        ),
        SyncSettings: SyncSettings.objects.get_or_create(shop=shop)[0],
        MappingChange: MappingChange.objects.create(
            shop=shop, version=1, section=next(iter(SetupStep)).value, changed_by="owner@example.com"
        ),
        SyncedRecord: record,
        PendingSync: PendingSync.objects.create(shop=shop, order_gid=order_gid),
        SyncIssue: SyncIssue.objects.create(
            shop=shop,
            record=record,
            source_type=SourceType.ORDER,
            source_id=order_gid,
            code="qbo_rejected",
            message="QuickBooks refused the document.",
        ),
        SyncRun: SyncRun.objects.create(shop=shop, status=SyncRun.Status.SUCCEEDED),
        WebhookDelivery: WebhookDelivery.objects.create(
            shop_domain=shop.domain, webhook_id=f"wh-{shop.pk}", topic="orders/updated"
        ),
    }


@pytest.fixture
def rows(shop_a, shop_b):
    return seed_rows(shop_a, 1001), seed_rows(shop_b, 2002)


@pytest.fixture
def support_client(client, db):
    """A staff member who may look at everything and change only what the admin lets anyone change."""
    user = User.objects.create_user("support", "support@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "mappings", "syncing"], codename__startswith="view_"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def changelist(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def shop_domain_of(row: Model) -> str:
    if isinstance(row, Shop):
        return row.domain
    if isinstance(row, ComplianceRequest | WebhookDelivery):
        return row.shop_domain
    return row.shop.domain  # type: ignore[attr-defined]


def test_every_support_model_is_registered():
    assert [m for m in SUPPORT_MODELS if not admin.site.is_registered(m)] == []


@pytest.mark.parametrize("model", SUPPORT_MODELS, ids=lambda m: m.__name__)
def test_staff_changelist_loads_and_finds_the_shop_by_domain(support_client, rows, model):
    ours = rows[0]

    everything = support_client.get(changelist(model))
    assert everything.status_code == 200
    assert {shop_domain_of(r) for r in everything.context["cl"].result_list} == {
        "alpha-goods.myshopify.com",
        "bravo-wares.myshopify.com",
    }

    found = support_client.get(changelist(model), {"q": "alpha-goods"})
    assert found.status_code == 200
    assert [r.pk for r in found.context["cl"].result_list] == [ours[model].pk]


@pytest.mark.parametrize("model", SUPPORT_MODELS, ids=lambda m: m.__name__)
def test_staff_detail_page_loads(support_client, rows, model):
    row = rows[0][model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
    assert support_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("model", "order_name"),
    [(SyncedRecord, "#1001"), (SyncIssue, "#1001"), (PendingSync, "gid://shopify/Order/1001000")],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_search_by_order_name(support_client, rows, model, order_name):
    found = support_client.get(changelist(model), {"q": order_name})
    assert [r.pk for r in found.context["cl"].result_list] == [rows[0][model].pk]


def test_list_filters_narrow_the_changelist(support_client, rows):
    SyncedRecord.objects.filter(pk=rows[1][SyncedRecord].pk).update(status=SyncedRecord.Status.SYNCED)
    failed = support_client.get(changelist(SyncedRecord), {"status__exact": "failed"})
    assert [r.pk for r in failed.context["cl"].result_list] == [rows[0][SyncedRecord].pk]


def test_issue_list_names_the_order(support_client, rows):
    page = support_client.get(changelist(SyncIssue))
    assert "#1001" in page.content.decode()
    assert "#2002" in page.content.decode()


def test_tokens_are_never_rendered(superuser_client, rows):
    shop, conn = rows[0][Shop], rows[0][QuickBooksConnection]
    for url in (
        reverse("admin:accounts_shop_change", args=[shop.pk]),
        reverse("admin:accounts_quickbooksconnection_change", args=[conn.pk]),
        changelist(QuickBooksConnection),
    ):
        body = superuser_client.get(url).content.decode()
        assert "qbo_access_" not in body
        assert "qbo_refresh_" not in body
        assert "shpat_" not in body


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m.__name__)
def test_read_only_models_refuse_add_and_change_even_for_a_superuser(superuser_client, rows, model):
    model_admin = admin.site.get_model_admin(model)
    request = superuser_client.get(changelist(model)).wsgi_request
    row = rows[0][model]
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, row) is False

    opts = model._meta
    add = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == 403

    before = model.objects.filter(pk=row.pk).values().get()
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
    posted = superuser_client.post(change_url, {field: "changed" for field in before if field != "id"})
    assert posted.status_code == 403
    assert model.objects.filter(pk=row.pk).values().get() == before


@pytest.mark.parametrize(
    "model", [SyncedRecord, PendingSync, SyncIssue, SyncRun, WebhookDelivery], ids=lambda m: m.__name__
)
def test_sync_rows_cannot_be_added_by_hand(superuser_client, model):
    opts = model._meta
    assert superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
