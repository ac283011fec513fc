"""A shop selling in EUR on a QuickBooks company that keeps its books in USD: the company's
currency facts are read (and read again), the proposals are in EUR, go-live is refused with a
plain instruction while multicurrency is off and creates the EUR customer and accounts once it
is on; home-currency choices for what holds the shop's money are refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from django.utils import timezone

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection, Shop
from accounts.quickbooks_connect import qbo_company_refresh
from mappings import go_live, proposals, roles, services
from mappings.catalog import catalog_read
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, SetupStep
from sandbox.runner import start_sandboxes
from shopqb_app.integrations.quickbooks import client as qbo
from tests.sandboxes import use_sandboxes

pytestmark = [pytest.mark.django_db(transaction=True)]

EURO_SHOP = {"domain": "euro-store.myshopify.com", "currency": "EUR", "timezone": "Europe/Berlin", "country": "DE"}
OFF = (
    "Your shop sells in EUR and your QuickBooks company keeps its books in USD. Turn on multicurrency in "
    "QuickBooks (Settings ⚙ > Account and settings > Advanced > Currency), then press “Go live” again. "
    "QuickBooks cannot turn it off afterwards: check with your accountant first."
)


@pytest.fixture
def euro_sandboxes(settings, monkeypatch):
    """A EUR shop and the US preset company (USD), multicurrency off."""
    running = start_sandboxes(shopify_options={"shops": [EURO_SHOP]})
    use_sandboxes(settings, monkeypatch, running.info)
    yield running
    running.stop()


def connect_euro_shop(info: dict[str, Any]) -> Shop:
    """The EUR shop connected to the US company; the company's facts as the connect reads them."""
    shop = Shop.objects.create(
        domain=EURO_SHOP["domain"],
        name="Euro Store",
        currency="EUR",
        iana_timezone="Europe/Berlin",
        installed_at=timezone.now(),
        access_token=info["shops"][0]["access_token"],
    )
    company = info["qbo_companies"][0]
    connection = QuickBooksConnection.objects.create(
        shop=shop,
        realm_id=company["realm_id"],
        access_token=company["access_token"],
        refresh_token=company["refresh_token"],
    )
    qbo_company_refresh(connection=connection)
    return shop


def multicurrency_on(info: dict[str, Any], shop: Shop) -> None:
    """What the merchant does in QuickBooks' settings (the sandbox's switch)."""
    realm = shop.qbo.realm_id
    response = requests.post(f"{info['qbo']}/_sandbox/qbo/{realm}/multicurrency", json={"enabled": True}, timeout=10)
    response.raise_for_status()


@pytest.fixture
def euro_shop(db, euro_sandboxes) -> Shop:
    return connect_euro_shop(euro_sandboxes.info)


@pytest.fixture
def qb(euro_shop):
    return qbo_client(QuickBooksConnection.objects.get(shop=euro_shop))


def accept_proposals(shop: Shop, qb) -> None:
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2000, 1, 1))
    services.step_done(shop=shop, step=SetupStep.PREVIEW)


def currency_of(row: dict[str, Any]) -> str:
    return row["CurrencyRef"]["value"]


def test_the_company_facts_are_read_and_read_again_once_multicurrency_is_turned_on(euro_sandboxes, euro_shop):
    connection = QuickBooksConnection.objects.get(shop=euro_shop)
    assert (connection.home_currency, connection.multicurrency, connection.country) == ("USD", False, "US")
    multicurrency_on(euro_sandboxes.info, euro_shop)
    assert not QuickBooksConnection.objects.get(shop=euro_shop).multicurrency  # not read yet
    assert qbo_company_refresh(connection=connection).multicurrency
    assert QuickBooksConnection.objects.get(shop=euro_shop).multicurrency


def test_what_holds_the_shops_money_is_proposed_in_its_currency(euro_shop, qb):
    proposals.mapping_propose(shop=euro_shop, catalog=catalog_read(shop=euro_shop, qb=qb, fresh=True))
    rows = {m.role: m for m in AccountRoleMapping.objects.filter(shop=euro_shop)}
    customer = rows[AccountRole.CUSTOMER_DEFAULT]
    assert customer.qbo_id == ""
    assert customer.create_spec == {"DisplayName": "Shopify Customer (EUR)", "CurrencyRef": {"value": "EUR"}}
    # The company's own banks (Checking, Savings) are in USD: an EUR one is proposed for creation.
    assert rows[AccountRole.BANK_ACCOUNT].create_spec == {
        "Name": "Shopify Payouts Bank (EUR)",
        "AccountType": "Bank",
        "AccountSubType": "Checking",
        "CurrencyRef": {"value": "EUR"},
    }
    assert rows[AccountRole.CLEARING_OTHER].create_spec["Name"] == "Other Payments Clearing (EUR)"
    assert rows[AccountRole.CLEARING_OTHER].create_spec["CurrencyRef"] == {"value": "EUR"}
    # Income, expense and liability accounts stay in the home currency.
    assert rows[AccountRole.SALES_INCOME].create_spec == {
        "Name": "Shopify Sales",
        "AccountType": "Income",
        "AccountSubType": "SalesOfProductIncome",
    }
    assert "CurrencyRef" not in rows[AccountRole.PAYOUT_FEES].create_spec
    gateways = {g.gateway: g.create_spec for g in GatewayMapping.objects.filter(shop=euro_shop)}
    assert gateways["shopify_payments"] == {
        "Name": "Shopify Payments Clearing (EUR)",
        "AccountType": "Other Current Asset",
        "AccountSubType": "OtherCurrentAssets",
        "CurrencyRef": {"value": "EUR"},
    }
    assert all(spec["CurrencyRef"] == {"value": "EUR"} for spec in gateways.values())


def test_a_gateway_found_in_the_orders_is_proposed_again_in_the_shops_currency(euro_shop, qb):
    """The order scan proposes a gateway's usual (home-currency) account; until the merchant
    confirms it, the proposal gives way to one in the shop's currency."""
    GatewayMapping.objects.create(
        shop=euro_shop, gateway="manual", confirmed=False, create_spec=roles.gateway_default("manual").as_create()
    )
    GatewayMapping.objects.create(
        shop=euro_shop, gateway="cash", confirmed=True, create_spec=roles.gateway_default("cash").as_create()
    )
    proposals.mapping_propose(shop=euro_shop, catalog=catalog_read(shop=euro_shop, qb=qb, fresh=True))
    manual = GatewayMapping.objects.get(shop=euro_shop, gateway="manual")
    assert manual.create_spec["Name"] == "Manual payment Clearing (EUR)"
    assert manual.create_spec["CurrencyRef"] == {"value": "EUR"} and not manual.confirmed
    # A confirmed choice is the merchant's: left as saved (go-live creates it in EUR).
    assert GatewayMapping.objects.get(shop=euro_shop, gateway="cash").create_spec["Name"] == "Cash Clearing"


def test_existing_accounts_in_the_shops_currency_are_proposed_as_they_are(euro_sandboxes, euro_shop, qb):
    multicurrency_on(euro_sandboxes.info, euro_shop)
    clearing = qbo.entity_class("Account").from_json(
        {
            "Name": "Shopify Payments Clearing (EUR)",
            "AccountType": "Other Current Asset",
            "AccountSubType": "OtherCurrentAssets",
            "CurrencyRef": {"value": "EUR"},
        }
    )
    clearing = qbo.call(lambda: clearing.save(qb=qb))
    bank = qbo.entity_class("Account").from_json(
        {"Name": "Euro Bank", "AccountType": "Bank", "AccountSubType": "Checking", "CurrencyRef": {"value": "EUR"}}
    )
    bank = qbo.call(lambda: bank.save(qb=qb))
    # Named like ShopQB's but in USD: never proposed for the EUR shop.
    paypal = qbo.entity_class("Account").from_json(
        {"Name": "PayPal Clearing (EUR)", "AccountType": "Other Current Asset", "AccountSubType": "OtherCurrentAssets"}
    )
    qbo.call(lambda: paypal.save(qb=qb))
    proposals.mapping_propose(shop=euro_shop, catalog=catalog_read(shop=euro_shop, qb=qb, fresh=True))
    gateways = {g.gateway: g for g in GatewayMapping.objects.filter(shop=euro_shop)}
    assert (gateways["shopify_payments"].qbo_id, gateways["shopify_payments"].create_spec) == (str(clearing.Id), {})
    assert gateways["paypal"].qbo_id == "" and gateways["paypal"].create_spec["CurrencyRef"] == {"value": "EUR"}
    payout_bank = AccountRoleMapping.objects.get(shop=euro_shop, role=AccountRole.BANK_ACCOUNT)
    assert (payout_bank.qbo_id, payout_bank.qbo_name) == (str(bank.Id), "Euro Bank")
    # Go-live finds the USD account of that name and refuses to book EUR to it.
    accept_proposals(euro_shop, qb)
    with pytest.raises(go_live.GoLiveRefused) as refused:
        go_live.setup_go_live(shop=euro_shop, qb=qb, by="test")
    assert refused.value.missing == [
        "QuickBooks already has an account named “PayPal Clearing (EUR)” in USD; ShopQB needs one in EUR. "
        "Rename that one in QuickBooks, or choose another in EUR."
    ]


def test_go_live_is_refused_while_multicurrency_is_off_and_goes_through_once_it_is_on(euro_sandboxes, euro_shop, qb):
    accept_proposals(euro_shop, qb)
    before = {e: len(qbo.query_all(qb, f"select * from {e}", e)) for e in ("Account", "Customer", "Item")}
    with pytest.raises(go_live.GoLiveRefused) as refused:
        go_live.setup_go_live(shop=euro_shop, qb=qb, by="test")
    assert refused.value.missing == [OFF]
    assert go_live.setup_missing(shop=euro_shop) == [OFF]
    assert {e: len(qbo.query_all(qb, f"select * from {e}", e)) for e in ("Account", "Customer", "Item")} == before

    multicurrency_on(euro_sandboxes.info, euro_shop)
    # The merchant presses "Go live" again: the company's preferences are read again.
    go_live.setup_go_live(shop=euro_shop, qb=qb, by="test")
    assert QuickBooksConnection.objects.get(shop=euro_shop).multicurrency
    assert services.settings_for(shop=euro_shop).is_live
    rows = {m.role: m for m in AccountRoleMapping.objects.filter(shop=euro_shop)}
    customer = qbo.read(qb, "Customer", rows[AccountRole.CUSTOMER_DEFAULT].qbo_id)
    assert (customer["DisplayName"], currency_of(customer)) == ("Shopify Customer (EUR)", "EUR")
    for role, currency in (
        (AccountRole.BANK_ACCOUNT, "EUR"),
        (AccountRole.CLEARING_OTHER, "EUR"),
        (AccountRole.SALES_INCOME, "USD"),
        (AccountRole.GIFT_CARD_LIABILITY, "USD"),
    ):
        assert currency_of(qbo.read(qb, "Account", rows[role].qbo_id)) == currency, role
    for gateway in GatewayMapping.objects.filter(shop=euro_shop):
        account = qbo.read(qb, "Account", gateway.qbo_id)
        assert (account["Name"].endswith(" (EUR)"), currency_of(account)) == (True, "EUR")


def test_a_choice_in_the_home_currency_is_saved_as_one_in_the_shops(euro_shop, qb):
    """The setup's forms offer "create it for me" as the home-currency account; for what holds the
    shop's money it is saved (and created) in the shop's currency."""
    services.roles_save(
        shop=euro_shop,
        choices={
            AccountRole.CLEARING_OTHER: {
                "qbo_id": "",
                "qbo_name": "",
                "create_spec": {
                    "Name": "Other Payments Clearing",
                    "AccountType": "Other Current Asset",
                    "AccountSubType": "OtherCurrentAssets",
                },
            },
            AccountRole.CUSTOMER_DEFAULT: {
                "qbo_id": "",
                "qbo_name": "",
                "create_spec": {"DisplayName": "Shopify Customer"},
            },
            AccountRole.SALES_INCOME: {
                "qbo_id": "",
                "qbo_name": "",
                "create_spec": {"Name": "Shopify Sales", "AccountType": "Income", "AccountSubType": "Other"},
            },
        },
        by="test",
    )
    rows = {m.role: m.create_spec for m in AccountRoleMapping.objects.filter(shop=euro_shop)}
    assert rows[AccountRole.CLEARING_OTHER]["Name"] == "Other Payments Clearing (EUR)"
    assert rows[AccountRole.CLEARING_OTHER]["CurrencyRef"] == {"value": "EUR"}
    assert rows[AccountRole.CUSTOMER_DEFAULT] == {
        "DisplayName": "Shopify Customer (EUR)",
        "CurrencyRef": {"value": "EUR"},
    }
    assert rows[AccountRole.SALES_INCOME] == {
        "Name": "Shopify Sales",
        "AccountType": "Income",
        "AccountSubType": "Other",
    }


def test_existing_choices_in_the_home_currency_are_listed_as_missing(euro_sandboxes, euro_shop, qb):
    multicurrency_on(euro_sandboxes.info, euro_shop)
    accept_proposals(euro_shop, qb)
    checking = qbo.find_by(qb, "Account", "Name", "Checking")[0]
    undeposited = qbo.find_by(qb, "Account", "Name", "Undeposited Funds")[0]
    walk_in = qbo.find_by(qb, "Customer", "DisplayName", "Walk-in Customer")[0]
    services.roles_save(
        shop=euro_shop,
        choices={
            AccountRole.BANK_ACCOUNT: {"qbo_id": checking["Id"], "qbo_name": "Checking", "create_spec": {}},
            AccountRole.CUSTOMER_DEFAULT: {"qbo_id": walk_in["Id"], "qbo_name": "Walk-in Customer", "create_spec": {}},
        },
        by="test",
    )
    services.gateways_save(
        shop=euro_shop,
        choices={
            "paypal": {"qbo_id": undeposited["Id"], "qbo_name": "Undeposited Funds", "create_spec": {}},
        },
        by="test",
    )
    missing = go_live.setup_missing(shop=euro_shop)
    assert missing == [
        "“Checking”, chosen for “Bank account Shopify Payments pays out to”, is in USD; your shop's money is in "
        "EUR: choose an account in EUR, or let ShopQB create one (Accounts).",
        "The QuickBooks customer “Walk-in Customer” is in USD; your orders are in EUR: choose a customer in EUR, "
        "or let ShopQB create one (Accounts).",
        "“Undeposited Funds” is in USD; payments through “PayPal” are in EUR: choose an account in EUR, "
        "or let ShopQB create one (Payment gateways).",
    ]
    with pytest.raises(go_live.GoLiveRefused):
        go_live.setup_go_live(shop=euro_shop, qb=qb, by="test")


def test_a_shop_in_the_home_currency_is_proposed_what_it_always_was(euro_sandboxes, euro_shop, qb):
    """The same company and a USD shop: no currency anywhere, multicurrency not needed."""
    Shop.objects.filter(pk=euro_shop.pk).update(currency="USD")
    euro_shop.refresh_from_db()
    proposals.mapping_propose(shop=euro_shop, catalog=catalog_read(shop=euro_shop, qb=qb, fresh=True))
    specs = [
        *(m.create_spec for m in AccountRoleMapping.objects.filter(shop=euro_shop)),
        *(g.create_spec for g in GatewayMapping.objects.filter(shop=euro_shop)),
    ]
    assert not any("CurrencyRef" in spec for spec in specs)
    assert GatewayMapping.objects.get(shop=euro_shop, gateway="shopify_payments").create_spec["Name"] == (
        "Shopify Payments Clearing"
    )
    bank = AccountRoleMapping.objects.get(shop=euro_shop, role=AccountRole.BANK_ACCOUNT)
    assert bank.qbo_name == "Checking"
    accept_proposals(euro_shop, qb)
    assert go_live.setup_missing(shop=euro_shop) == []


def test_the_setup_pages_offer_to_create_in_the_shops_currency(client, settings, euro_shop, qb):
    from django.urls import reverse

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from tests.mappings.test_taxes import auth

    accounts = client.get(reverse("mappings:accounts"), **auth(euro_shop)).content.decode()
    assert "Create “Shopify Customer (EUR)”" in accounts
    assert "Create “Other Payments Clearing (EUR)”" in accounts
    assert "Create “Shopify Sales”" in accounts  # income stays in the home currency
    gateways = client.get(reverse("mappings:gateways"), **auth(euro_shop)).content.decode()
    assert "Create “Shopify Payments Clearing (EUR)”" in gateways
    assert "Create “Shopify Payments Clearing”" not in gateways
