"""What each role may point at, and what ShopQB proposes for it.

The merchant picks every account from their own chart of accounts, filtered to the types a role
allows; where they have none, ShopQB proposes one to create, and creates it only at go-live.
Account types and sub-types are Intuit's (Finance.xsd AccountTypeEnum and the sub-type lists).
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
"""

from __future__ import annotations

from dataclasses import dataclass

from mappings.models import AccountRole


@dataclass(frozen=True)
class AccountSpec:
    name: str
    account_type: str
    sub_type: str

    def as_create(self) -> dict[str, str]:
        return {"Name": self.name, "AccountType": self.account_type, "AccountSubType": self.sub_type}


@dataclass(frozen=True)
class AccountRoleSpec:
    role: AccountRole
    help: str
    account_types: tuple[str, ...]
    default: AccountSpec
    may_create: bool = True


@dataclass(frozen=True)
class ItemRoleSpec:
    """An item the ledger puts on sales lines; it books to the account of ``income_role``."""

    role: AccountRole
    name: str
    description: str
    income_role: AccountRole


INCOME = ("Income", "Other Income")
LIABILITY = ("Other Current Liability",)
CLEARING = ("Bank", "Other Current Asset")

ACCOUNT_ROLES: tuple[AccountRoleSpec, ...] = (
    AccountRoleSpec(
        AccountRole.SALES_INCOME,
        "Where the sale of your products is booked.",
        INCOME,
        AccountSpec("Shopify Sales", "Income", "SalesOfProductIncome"),
    ),
    AccountRoleSpec(
        AccountRole.SHIPPING_INCOME,
        "Where shipping charged to customers is booked.",
        INCOME,
        AccountSpec("Shopify Shipping Income", "Income", "OtherPrimaryIncome"),
    ),
    AccountRoleSpec(
        AccountRole.DISCOUNTS,
        "Discounts reduce income here (a contra-income account keeps gross sales visible).",
        (*INCOME, "Expense"),
        AccountSpec("Shopify Discounts Given", "Income", "DiscountsRefundsGiven"),
    ),
    AccountRoleSpec(
        AccountRole.GIFT_CARD_LIABILITY,
        "A gift card sold is money you owe until it is spent: a liability, not income.",
        LIABILITY,
        AccountSpec("Gift Card Liability", "Other Current Liability", "OtherCurrentLiabilities"),
    ),
    AccountRoleSpec(
        AccountRole.TIPS,
        "Tips belong to your staff: a liability until paid out.",
        LIABILITY,
        AccountSpec("Tips Payable", "Other Current Liability", "OtherCurrentLiabilities"),
    ),
    AccountRoleSpec(
        AccountRole.ROUNDING,
        "Cent differences between Shopify's total and the lines, each flagged for review.",
        (*INCOME, "Expense", "Other Expense"),
        AccountSpec("Rounding Differences", "Income", "OtherPrimaryIncome"),
    ),
    AccountRoleSpec(
        AccountRole.PAYOUT_FEES,
        "Shopify Payments' processing fees, booked with each payout.",
        ("Expense", "Other Expense", "Cost of Goods Sold"),
        AccountSpec("Shopify Payments Fees", "Expense", "BankCharges"),
    ),
    AccountRoleSpec(
        AccountRole.BANK_ACCOUNT,
        "The bank account Shopify Payments pays out to; payouts are deposited here.",
        ("Bank",),
        AccountSpec("Shopify Payouts Bank", "Bank", "Checking"),
    ),
    AccountRoleSpec(
        AccountRole.CLEARING_OTHER,
        "Money taken through a payment gateway you have not mapped yet lands here until you map it.",
        CLEARING,
        AccountSpec("Other Payments Clearing", "Other Current Asset", "OtherCurrentAssets"),
    ),
)
ACCOUNT_ROLE_SPECS = {spec.role: spec for spec in ACCOUNT_ROLES}

ITEM_ROLES: tuple[ItemRoleSpec, ...] = (
    ItemRoleSpec(AccountRole.SALES_ITEM, "Shopify Sale", "Products sold on Shopify", AccountRole.SALES_INCOME),
    ItemRoleSpec(
        AccountRole.SHIPPING_ITEM, "Shopify Shipping", "Shipping charged on Shopify", AccountRole.SHIPPING_INCOME
    ),
    ItemRoleSpec(AccountRole.DISCOUNT_ITEM, "Shopify Discount", "Discounts given on Shopify", AccountRole.DISCOUNTS),
    ItemRoleSpec(AccountRole.TIP_ITEM, "Shopify Tip", "Tips collected for staff", AccountRole.TIPS),
    ItemRoleSpec(
        AccountRole.GIFT_CARD_ITEM,
        "Shopify Gift Card",
        "Gift cards sold (a liability)",
        AccountRole.GIFT_CARD_LIABILITY,
    ),
    ItemRoleSpec(
        AccountRole.ROUNDING_ITEM, "Shopify Rounding", "Cent differences, flagged by ShopQB", AccountRole.ROUNDING
    ),
)
ITEM_ROLE_SPECS = {spec.role: spec for spec in ITEM_ROLES}

DEFAULT_CUSTOMER = "Shopify Customer"

# Gateways every shop can take money through, proposed with the account they usually clear to.
# Gift cards and store credit are not money in: redeeming one reduces the liability it created.
GATEWAY_DEFAULTS: dict[str, AccountSpec] = {
    "shopify_payments": AccountSpec("Shopify Payments Clearing", "Other Current Asset", "OtherCurrentAssets"),
    "paypal": AccountSpec("PayPal Clearing", "Other Current Asset", "OtherCurrentAssets"),
    "gift_card": AccountSpec("Gift Card Clearing", "Other Current Asset", "OtherCurrentAssets"),
}
GATEWAY_LABELS = {
    "shopify_payments": "Shopify Payments",
    "paypal": "PayPal",
    "gift_card": "Gift card",
    "manual": "Manual payment",
    "cash": "Cash",
    "store_credit": "Store credit",
}
GATEWAY_ACCOUNT_TYPES = (*CLEARING, *LIABILITY)


def gateway_label(gateway: str) -> str:
    return GATEWAY_LABELS.get(gateway.lower(), gateway)


def gateway_default(gateway: str) -> AccountSpec:
    key = gateway.lower()
    if key in GATEWAY_DEFAULTS:
        return GATEWAY_DEFAULTS[key]
    return AccountSpec(f"{gateway_label(gateway)} Clearing"[:100], "Other Current Asset", "OtherCurrentAssets")
