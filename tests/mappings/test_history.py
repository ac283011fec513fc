"""The history of changes as a merchant reads it: what changed, from what to what, in the words of
the setup pages, never the stored before/after dictionaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from mappings import product_matching, services
from mappings.catalog import QBOObject
from mappings.history import change_record, history_entries
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    MappingChange,
    ProductMapping,
    SetupStep,
)
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]

STAFF = "Shopify staff 42"


def lines_of(shop, section: str) -> list[str]:
    return [line for e in history_entries(shop=shop) if e.change.section == section for line in e.lines]


def test_an_account_chosen_instead_of_the_one_proposed_reads_from_what_to_what(shop_a):
    AccountRoleMapping.objects.create(
        shop=shop_a,
        role=AccountRole.SALES_INCOME,
        confirmed=False,
        create_spec={"Name": "Shopify Sales", "AccountType": "Income", "AccountSubType": "SalesOfProductIncome"},
    )
    AccountRoleMapping.objects.create(
        shop=shop_a, role=AccountRole.BANK_ACCOUNT, confirmed=False, qbo_id="35", qbo_name="Checking"
    )
    services.roles_save(
        shop=shop_a,
        choices={
            AccountRole.SALES_INCOME: {"qbo_id": "79", "qbo_name": "Sales of Product Income", "create_spec": {}},
            AccountRole.BANK_ACCOUNT: {"qbo_id": "35", "qbo_name": "Checking", "create_spec": {}},
            AccountRole.TIPS: {"qbo_id": "", "qbo_name": "", "create_spec": {"Name": "Tips Payable"}},
        },
        by=STAFF,
    )

    assert lines_of(shop_a, SetupStep.ACCOUNTS) == [
        "Bank account Shopify Payments pays out to: confirmed",
        "Product sales income: “Shopify Sales” (to be created) → “Sales of Product Income”",
        "Tips collected for staff: — → “Tips Payable” (to be created)",
    ]


def test_a_gateway_confirmed_as_proposed_says_confirmed(shop_a):
    GatewayMapping.objects.create(
        shop=shop_a, gateway="paypal", confirmed=False, qbo_id="70", qbo_name="PayPal Clearing"
    )
    services.gateways_save(
        shop=shop_a, choices={"paypal": {"qbo_id": "70", "qbo_name": "PayPal Clearing", "create_spec": {}}}, by=STAFF
    )
    assert lines_of(shop_a, SetupStep.GATEWAYS) == ["Payment gateway PayPal: confirmed"]


def test_settings_and_filters_read_as_values_not_codes(shop_a):
    DimensionMapping.objects.create(
        shop=shop_a, kind=DimensionMapping.Kind.LOCATION, shopify_id="gid://shopify/Location/7", name="Main Street"
    )
    services.settings_save(
        shop=shop_a, values={"start_date": date(2026, 1, 1)}, by=STAFF, section=SetupStep.WHAT_TO_SYNC
    )
    services.settings_save(
        shop=shop_a,
        values={
            "sync_test_orders": True,
            "min_total": Decimal("25.00"),
            "only_location_ids": ["gid://shopify/Location/7"],
            "exclude_tags": ["wholesale", "staff"],
        },
        by=STAFF,
        section=SetupStep.FILTERS,
    )

    assert lines_of(shop_a, SetupStep.WHAT_TO_SYNC) == ["Start date: — → 1 Jan 2026"]
    assert lines_of(shop_a, SetupStep.FILTERS) == [
        "Leave out orders tagged: — → wholesale, staff",
        "Only orders of at least: — → 25.00",
        "Only orders from: — → Main Street",
        "Sync test orders: off → on",
    ]


def test_locations_products_and_go_live_are_named_as_the_merchant_knows_them(shop_a):
    web = DimensionMapping.objects.create(
        shop=shop_a, kind=DimensionMapping.Kind.CHANNEL, shopify_id="web", name="Online store"
    )
    services.dimensions_save(shop=shop_a, choices={web.pk: {"class_id": "3", "class_name": "Retail"}}, by=STAFF)
    tote = ProductMapping.objects.create(
        shop=shop_a, variant_gid="gid://shopify/ProductVariant/1", title="Canvas Tote", sku="TOTE-1"
    )
    for n, title in enumerate(("Mug", "Poster"), start=2):
        ProductMapping.objects.create(shop=shop_a, variant_gid=f"gid://shopify/ProductVariant/{n}", title=title)
    product_matching.product_map(shop=shop_a, pk=tote.pk, item=QBOObject("9", "Totes"), by=STAFF)
    product_matching.products_map_unmatched_to(shop=shop_a, item_id="11", item_name="Miscellaneous", by=STAFF)
    change_record(shop=shop_a, section=SetupStep.GO_LIVE, by=STAFF, before={"live": False}, after={"live": True})

    assert lines_of(shop_a, SetupStep.LOCATIONS) == ["Sales channel Online store: — → class “Retail”"]
    assert lines_of(shop_a, SetupStep.PRODUCTS) == [
        "2 unmatched variants mapped to “Miscellaneous”",
        "Unmatched variants: 2 → 0",
        "Product Canvas Tote: — → “Totes”",
    ]
    assert lines_of(shop_a, SetupStep.GO_LIVE) == ["Went live: documents are written to QuickBooks"]


def test_the_history_page_shows_the_sentences_and_only_this_shops_changes(client, shop_a, shop_b):
    services.settings_save(
        shop=shop_a, values={"start_date": date(2026, 1, 1)}, by=STAFF, section=SetupStep.WHAT_TO_SYNC
    )
    services.settings_save(
        shop=shop_b, values={"doc_number_prefix": "BRAVO"}, by="Shopify staff 7", section=SetupStep.WHAT_TO_SYNC
    )
    assert MappingChange.objects.count() == 2

    response = client.get(reverse("mappings:history"), {"id_token": session_token(shop_a.domain)})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<li>Start date: — → 1 Jan 2026</li>" in page
    assert "{" not in page.split('data-testid="history"')[1].split("</table>")[0]  # no raw dictionaries
    assert "BRAVO" not in page and "Shopify staff 7" not in page
