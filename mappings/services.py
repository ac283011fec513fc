"""The merchant's mapping: the QBO objects each role points at, and its snapshot for the ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from accounts.models import QuickBooksConnection, Shop
from mappings.models import AccountRole, AccountRoleMapping, SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import ledger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountSpec:
    name: str
    account_type: str
    sub_type: str


@dataclass(frozen=True)
class ItemSpec:
    name: str
    income_account: AccountSpec
    description: str


SALES = AccountSpec("Shopify Sales", "Income", "SalesOfProductIncome")
SHIPPING_INCOME = AccountSpec("Shopify Shipping Income", "Income", "OtherPrimaryIncome")
DISCOUNTS = AccountSpec("Shopify Discounts Given", "Income", "DiscountsRefundsGiven")
TIPS = AccountSpec("Tips Payable", "Other Current Liability", "OtherCurrentLiabilities")
GIFT_CARDS = AccountSpec("Gift Card Liability", "Other Current Liability", "OtherCurrentLiabilities")
ROUNDING = AccountSpec("Rounding Differences", "Income", "OtherPrimaryIncome")

# Defaults the setup finds by name, or creates, in the merchant's company.
DEFAULT_ITEMS: dict[str, ItemSpec] = {
    AccountRole.SALES_ITEM: ItemSpec("Shopify Sale", SALES, "Products sold on Shopify"),
    AccountRole.SHIPPING_ITEM: ItemSpec("Shopify Shipping", SHIPPING_INCOME, "Shipping charged on Shopify"),
    AccountRole.DISCOUNT_ITEM: ItemSpec("Shopify Discount", DISCOUNTS, "Discounts given on Shopify"),
    AccountRole.TIP_ITEM: ItemSpec("Shopify Tip", TIPS, "Tips collected for staff"),
    AccountRole.GIFT_CARD_ITEM: ItemSpec("Shopify Gift Card", GIFT_CARDS, "Gift cards sold (a liability)"),
    AccountRole.ROUNDING_ITEM: ItemSpec("Shopify Rounding", ROUNDING, "Cent differences, flagged by ShopQB"),
}
DEFAULT_CLEARING: dict[str, AccountSpec] = {
    AccountRole.CLEARING_SHOPIFY_PAYMENTS: AccountSpec(
        "Shopify Payments Clearing", "Other Current Asset", "OtherCurrentAssets"
    ),
    AccountRole.CLEARING_PAYPAL: AccountSpec("PayPal Clearing", "Other Current Asset", "OtherCurrentAssets"),
    AccountRole.CLEARING_GIFT_CARD: AccountSpec("Gift Card Clearing", "Other Current Asset", "OtherCurrentAssets"),
    AccountRole.CLEARING_OTHER: AccountSpec("Other Payments Clearing", "Other Current Asset", "OtherCurrentAssets"),
}
DEFAULT_CUSTOMER = "Shopify Customer"
PAYOUT_FEES = AccountSpec("Shopify Payments Fees", "Expense", "BankCharges")
GATEWAY_ROLES = {
    "shopify_payments": AccountRole.CLEARING_SHOPIFY_PAYMENTS,
    "paypal": AccountRole.CLEARING_PAYPAL,
    "gift_card": AccountRole.CLEARING_GIFT_CARD,
    "other": AccountRole.CLEARING_OTHER,
}


def _find_or_create(qb: Any, entity: str, field: str, name: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    found = qbo.find_by(qb, entity, field, name)
    if found:
        return found[0], False
    created = qbo.call(lambda: qbo.entity_class(entity).from_json(body).save(qb=qb))
    return {"Id": str(created.Id), field: name}, True


def _account(qb: Any, spec: AccountSpec, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if spec.name not in cache:
        body = {"Name": spec.name, "AccountType": spec.account_type, "AccountSubType": spec.sub_type}
        cache[spec.name], _ = _find_or_create(qb, "Account", "Name", spec.name, body)
    return cache[spec.name]


def _remember(shop: Shop, role: str, qbo_id: str, name: str, created: bool) -> None:
    AccountRoleMapping.objects.update_or_create(
        shop=shop, role=role, defaults={"qbo_id": qbo_id, "qbo_name": name, "created_by_app": created}
    )


def mapping_ensure_defaults(*, shop: Shop, qb: Any) -> None:
    """Give every role that has no mapping yet a QBO object: an existing one with the
    default name, or a new one. Existing QBO objects are only referenced, never changed."""
    mapped = set(AccountRoleMapping.objects.filter(shop=shop).values_list("role", flat=True))
    accounts: dict[str, dict[str, Any]] = {}
    for role, item_spec in DEFAULT_ITEMS.items():
        if role in mapped:
            continue
        income = _account(qb, item_spec.income_account, accounts)
        body = {
            "Name": item_spec.name,
            "Type": "Service",
            "Description": item_spec.description,
            "IncomeAccountRef": {"value": str(income["Id"]), "name": item_spec.income_account.name},
        }
        item, created = _find_or_create(qb, "Item", "Name", item_spec.name, body)
        _remember(shop, role, str(item["Id"]), item_spec.name, created)
    for role, account_spec in DEFAULT_CLEARING.items():
        if role in mapped:
            continue
        found = qbo.find_by(qb, "Account", "Name", account_spec.name)
        account = found[0] if found else _account(qb, account_spec, accounts)
        _remember(shop, role, str(account["Id"]), account_spec.name, not found)
    if AccountRole.PAYOUT_FEES not in mapped:
        fees, created = _find_or_create(
            qb,
            "Account",
            "Name",
            PAYOUT_FEES.name,
            {"Name": PAYOUT_FEES.name, "AccountType": PAYOUT_FEES.account_type, "AccountSubType": PAYOUT_FEES.sub_type},
        )
        _remember(shop, AccountRole.PAYOUT_FEES, str(fees["Id"]), PAYOUT_FEES.name, created)
    if AccountRole.BANK_ACCOUNT not in mapped:
        # The merchant's own bank account: never created, only chosen (the first one until they pick).
        banks = qbo.find_by(qb, "Account", "AccountType", "Bank")
        if banks:
            bank = sorted(banks, key=lambda a: int(str(a["Id"])) if str(a["Id"]).isdigit() else 0)[0]
            _remember(shop, AccountRole.BANK_ACCOUNT, str(bank["Id"]), str(bank.get("Name", "")), False)
    if AccountRole.CUSTOMER_DEFAULT not in mapped:
        customer, created = _find_or_create(
            qb, "Customer", "DisplayName", DEFAULT_CUSTOMER, {"DisplayName": DEFAULT_CUSTOMER}
        )
        _remember(shop, AccountRole.CUSTOMER_DEFAULT, str(customer["Id"]), DEFAULT_CUSTOMER, created)


class MappingIncomplete(Exception):
    pass


def mapping_snapshot(*, shop: Shop, connection: QuickBooksConnection) -> ledger.Mapping:
    refs = {m.role: ledger.Ref(m.qbo_id, m.qbo_name) for m in AccountRoleMapping.objects.filter(shop=shop)}
    needed = [*DEFAULT_ITEMS, *DEFAULT_CLEARING, AccountRole.CUSTOMER_DEFAULT]
    missing = [role for role in needed if role not in refs]
    if missing:
        raise MappingIncomplete(f"no QuickBooks object mapped for: {', '.join(missing)}")
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    return ledger.Mapping(
        sales_item=refs[AccountRole.SALES_ITEM],
        shipping_item=refs[AccountRole.SHIPPING_ITEM],
        discount_item=refs[AccountRole.DISCOUNT_ITEM],
        tip_item=refs[AccountRole.TIP_ITEM],
        gift_card_item=refs[AccountRole.GIFT_CARD_ITEM],
        rounding_item=refs[AccountRole.ROUNDING_ITEM],
        customer=refs[AccountRole.CUSTOMER_DEFAULT],
        clearing_accounts={key: refs[role] for key, role in GATEWAY_ROLES.items()},
        default_clearing=refs[AccountRole.CLEARING_OTHER],
        timezone=shop.iana_timezone or "UTC",
        country=connection.country or "US",
        doc_number_prefix=rules.doc_number_prefix,
        bank_account=refs.get(AccountRole.BANK_ACCOUNT),
        fees_account=refs.get(AccountRole.PAYOUT_FEES),
    )
