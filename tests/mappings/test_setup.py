"""The merchant's setup: proposals that write nothing, forms that refuse what is not theirs,
versioned changes, and a go-live that lists precisely what is missing, then creates once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from mappings import go_live, proposals, roles, services
from mappings.catalog import catalog_read
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    GatewayMapping,
    MappingChange,
    SetupStep,
    SyncSettings,
)
from mappings.snapshot import mapping_snapshot
from shopqb_app.integrations.quickbooks import client as qbo
from tests.factories import session_token
from tests.sandboxes import connect_shop

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(settings, sandbox_settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return connect_shop(sandbox_settings, live=False)


@pytest.fixture
def qb(shop):
    return qbo_client(QuickBooksConnection.objects.get(shop=shop))


def qbo_counts(qb) -> dict[str, int]:
    return {
        entity: len(qbo.query_all(qb, f"select * from {entity}", entity)) for entity in ("Account", "Item", "Customer")
    }


def auth(shop) -> dict[str, str]:
    token = session_token(shop.domain, secret=settings.SHOPIFY_API_SECRET, aud=settings.SHOPIFY_API_KEY)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_proposals_read_quickbooks_and_write_nothing(shop, qb):
    before = qbo_counts(qb)
    proposals.mapping_propose(shop=shop, catalog=catalog_read(shop=shop, qb=qb, fresh=True))
    assert qbo_counts(qb) == before
    rows = AccountRoleMapping.objects.filter(shop=shop)
    assert rows.exists() and not rows.filter(confirmed=True).exists()
    # The sandbox company has no "Shopify Sales" account: proposed for creation, not created.
    sales = rows.get(role=AccountRole.SALES_INCOME)
    assert sales.qbo_id == "" and sales.create_spec["AccountType"] == "Income"
    # A bank account the company already has is proposed as it is.
    bank = rows.get(role=AccountRole.BANK_ACCOUNT)
    assert bank.qbo_id and not bank.create_spec


def test_go_live_is_refused_with_the_precise_list_then_creates_once(shop, qb):
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.mapping_propose(shop=shop, catalog=catalog)
    with pytest.raises(go_live.GoLiveRefused) as refused:
        go_live.setup_go_live(shop=shop, qb=qb, by="test")
    missing = refused.value.missing
    assert "Choose the date to start syncing from (What to sync)." in missing
    assert "Confirm the account proposed for “Product sales income” (Accounts)." in missing
    assert any("Shopify Payments" in m for m in missing)
    assert not SyncSettings.objects.get(shop=shop).is_live

    before = qbo_counts(qb)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2026, 1, 1))
    assert qbo_counts(qb) == before, "confirming writes nothing to QuickBooks"
    # The store has orders (the scan found a sample): one must be previewed first.
    SyncSettings.objects.filter(shop=shop).update(sample_orders={"plain": "gid://shopify/Order/1"})
    with pytest.raises(go_live.GoLiveRefused) as refused:
        go_live.setup_go_live(shop=shop, qb=qb, by="test")
    assert refused.value.missing == ["Look at the preview of at least one order."]

    services.step_done(shop=shop, step=SetupStep.PREVIEW)
    created = go_live.setup_go_live(shop=shop, qb=qb, by="test")
    after = qbo_counts(qb)
    assert after["Item"] == before["Item"] + len(roles.ITEM_ROLES)
    assert after["Account"] > before["Account"]
    assert {c.name for c in created} >= {"Shopify Sale", "Shopify Shipping", "Shopify Sales"}
    assert SyncSettings.objects.get(shop=shop).is_live
    sale_item = AccountRoleMapping.objects.get(shop=shop, role=AccountRole.SALES_ITEM)
    item = qbo.read(qb, "Item", sale_item.qbo_id)
    sales_account = AccountRoleMapping.objects.get(shop=shop, role=AccountRole.SALES_INCOME)
    assert item["IncomeAccountRef"]["value"] == sales_account.qbo_id

    # Twice: nothing new in QuickBooks, still live.
    go_live.setup_go_live(shop=shop, qb=qb, by="test")
    assert qbo_counts(qb) == after
    snapshot = mapping_snapshot(shop=shop, connection=QuickBooksConnection.objects.get(shop=shop))
    assert snapshot.sales_item.value == sale_item.qbo_id
    assert snapshot.clearing_for("shopify_payments").name == "Shopify Payments Clearing"
    # Tax a sales channel remits books to its own item, whose account is a liability, not income.
    channel_item = qbo.read(qb, "Item", snapshot.channel_tax_item.value)
    channel_account = qbo.read(qb, "Account", channel_item["IncomeAccountRef"]["value"])
    assert channel_account["AccountType"] == "Other Current Liability"


def test_every_saved_change_is_a_version_with_who_and_before_after(shop, qb):
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="Shopify staff 42", start_date=date(2026, 1, 1))
    version = SyncSettings.objects.get(shop=shop).mapping_version
    assert version == MappingChange.objects.filter(shop=shop).count() >= 3
    bank = catalog.accounts_of(("Bank",))[-1]
    services.roles_save(
        shop=shop,
        choices={AccountRole.BANK_ACCOUNT: {"qbo_id": bank.id, "qbo_name": bank.name, "create_spec": {}}},
        by="Shopify staff 7",
    )
    change = MappingChange.objects.filter(shop=shop).first()
    assert change.version == version + 1 and change.changed_by == "Shopify staff 7"
    assert change.after[AccountRole.BANK_ACCOUNT]["qbo_id"] == bank.id
    # Saving the same again changes nothing and makes no version.
    services.roles_save(
        shop=shop,
        choices={AccountRole.BANK_ACCOUNT: {"qbo_id": bank.id, "qbo_name": bank.name, "create_spec": {}}},
        by="Shopify staff 7",
    )
    assert SyncSettings.objects.get(shop=shop).mapping_version == version + 1


def test_an_account_of_the_wrong_type_is_a_form_error_and_nothing_is_saved(client, shop, qb):
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.mapping_propose(shop=shop, catalog=catalog)
    bank = catalog.accounts_of(("Bank",))[0]
    form = {spec: "create" for spec in AccountRole.values}
    form[AccountRole.SALES_INCOME] = bank.id  # a bank account cannot hold sales income
    form[AccountRole.CUSTOMER_DEFAULT] = "create"
    before = list(AccountRoleMapping.objects.filter(shop=shop).values_list("role", "qbo_id", "confirmed"))
    response = client.post(reverse("mappings:accounts"), form, **auth(shop))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "That is not one of your QuickBooks accounts of a type this can use." in page
    # What was entered elsewhere is kept in the form.
    assert 'value="create" selected' in page
    assert list(AccountRoleMapping.objects.filter(shop=shop).values_list("role", "qbo_id", "confirmed")) == before


def test_the_accounts_page_saves_and_confirms(client, shop, qb):
    response = client.get(reverse("mappings:accounts") + "?id_token=" + auth(shop)["HTTP_AUTHORIZATION"][7:])
    assert response.status_code == 200
    assert "Product sales income" in response.content.decode()
    form = {role: "create" for role in [*(s.role for s in roles.ACCOUNT_ROLES), AccountRole.CUSTOMER_DEFAULT]}
    bank = catalog_read(shop=shop, qb=qb).accounts_of(("Bank",))[0]
    form[AccountRole.BANK_ACCOUNT] = bank.id
    response = client.post(reverse("mappings:accounts"), form, **auth(shop))
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["next"].startswith(reverse("mappings:setup"))
    rows = AccountRoleMapping.objects.filter(shop=shop, role__in=form)
    assert rows.count() == len(form) and not rows.filter(confirmed=False).exists()
    assert rows.get(role=AccountRole.BANK_ACCOUNT).qbo_id == bank.id


def test_what_to_sync_refuses_a_future_start_date_and_keeps_the_rest(client, shop):
    tomorrow = date.today() + timedelta(days=2)
    form = {
        "sync_orders": "on",
        "customer_mode": "generic",
        "posting_mode": "per_order",
        "start_date": tomorrow.isoformat(),
        "doc_number_prefix": "WEB-",
    }
    response = client.post(reverse("mappings:what_to_sync"), form, **auth(shop))
    assert response.status_code == 422
    page = response.content.decode()
    assert "The start date cannot be in the future." in page and 'value="WEB-"' in page
    assert SyncSettings.objects.get(shop=shop).start_date is None

    form["start_date"] = "2026-01-01"
    form["doc_number_prefix"] = "W B"
    response = client.post(reverse("mappings:what_to_sync"), form, **auth(shop))
    assert response.status_code == 422
    assert "Use up to 8 letters, digits or dashes (no spaces)." in response.content.decode()

    form["doc_number_prefix"] = "WEB-"
    response = client.post(reverse("mappings:what_to_sync"), form, **auth(shop))
    assert response.status_code == 200
    rules = SyncSettings.objects.get(shop=shop)
    assert rules.start_date == date(2026, 1, 1) and rules.doc_number_prefix == "WEB-"
    assert SetupStep.WHAT_TO_SYNC in rules.steps_done


def test_filters_skip_with_a_reason_the_merchant_can_read():
    rules = SyncSettings(
        min_total=Decimal("10.00"), max_total=Decimal("500.00"), only_tags=["Wholesale"], exclude_tags=["staff"]
    )
    base = {"test": False, "booked_on": date(2026, 3, 1), "location_id": "", "channel": "web"}
    assert (
        rules.skip_reason(total=Decimal("9.99"), tags=("wholesale",), **base) == "total 9.99 is below the minimum 10.00"
    )
    assert rules.skip_reason(total=Decimal("600"), tags=("wholesale",), **base).startswith("total 600 is above")
    assert rules.skip_reason(total=Decimal("50"), tags=(), **base).startswith("it has none of the tags you sync")
    assert rules.skip_reason(total=Decimal("50"), tags=("wholesale", "Staff"), **base) == (
        "it is tagged staff, which you excluded"
    )
    assert rules.skip_reason(total=Decimal("50"), tags=("WHOLESALE",), **base) == ""
    rules.only_channels = ["pos"]
    assert "sales channel web is not one of the channels you sync" in rules.skip_reason(
        total=Decimal("50"), tags=("wholesale",), **base
    )


def test_gateways_found_in_orders_are_proposed_not_confirmed(shop, qb):
    from mappings.discovery import setup_scan
    from tests.sandboxes import Store

    Store(shop).order(gateway="Cash on Delivery (COD)")
    SyncSettings.objects.update_or_create(shop=shop, defaults={"start_date": date(2020, 1, 1)})
    from accounts.clients import shopify_client

    result = setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog_read(shop=shop, qb=qb))
    assert result.gateways["Cash on Delivery (COD)"] >= 1
    row = GatewayMapping.objects.get(shop=shop, gateway="Cash on Delivery (COD)")
    assert not row.confirmed and row.create_spec["Name"] == "Cash on Delivery (COD) Clearing"
    assert "plain" in result.samples or result.samples
    assert any("Cash on Delivery" in m for m in go_live.setup_missing(shop=shop))
    # A later start date: the next scan no longer sees that order, and says so.
    SyncSettings.objects.filter(shop=shop).update(start_date=date.today() + timedelta(days=1))
    setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog_read(shop=shop, qb=qb))
    row.refresh_from_db()
    assert row.orders_seen == 0


def test_documents_record_the_mapping_version_and_filtered_orders_their_reason(shop, qb):
    from syncing.models import SyncedRecord
    from syncing.runs import shop_sweep
    from tests.sandboxes import Store
    from tests.sandboxes import go_live as accept_proposals_and_go_live

    store = Store(shop)
    store.order(lines=[("MUG-1", 1, "12.50")])
    store.order(lines=[("MUG-2", 1, "900.00")])
    accept_proposals_and_go_live(shop)
    services.settings_save(
        shop=shop, values={"max_total": Decimal("500.00")}, by="Shopify staff 9", section=SetupStep.FILTERS
    )
    version = SyncSettings.objects.get(shop=shop).mapping_version
    shop_sweep(shop_id=shop.pk)
    written = SyncedRecord.objects.get(shop=shop, status=SyncedRecord.Status.SYNCED)
    assert written.amount == Decimal("12.50") and written.mapping_version == version
    skipped = SyncedRecord.objects.get(shop=shop, status=SyncedRecord.Status.SKIPPED)
    assert skipped.last_error == "total 900.00 is above the maximum 500.00"


def test_nothing_syncs_before_go_live(shop):
    from syncing.context import ShopNotReady, context_open

    with pytest.raises(ShopNotReady, match="not live yet"):
        context_open(shop.pk)


def test_reading_orders_from_a_step_stays_on_that_step(client, shop):
    stay = client.post(reverse("mappings:scan") + "?next=/setup/gateways", **auth(shop))
    assert stay.status_code == 200 and json.loads(stay.content)["next"] == "/setup/gateways"
    for elsewhere in ("https://evil.example/setup/x", "//evil.example/setup/", "/admin/"):
        answer = client.post(reverse("mappings:scan") + "?next=" + elsewhere, **auth(shop))
        assert json.loads(answer.content)["next"].startswith(reverse("mappings:setup") + "?scanned=")
