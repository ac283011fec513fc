"""What each role may point at, and what ShopQB proposes for it.

The merchant picks every account from their own chart of accounts, filtered to the types a role
allows; where they have none, ShopQB proposes one to create, and creates it only at go-live.
Account types and sub-types are Intuit's (Finance.xsd AccountTypeEnum and the sub-type lists).
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mappings.models import AccountRole


@dataclass(frozen=True)
class AccountSpec:
    name: str
    account_type: str
    sub_type: str
    currency: str = ""  # "": the company's home currency

    def as_create(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Name": self.name, "AccountType": self.account_type, "AccountSubType": self.sub_type}
        if self.currency:
            body["CurrencyRef"] = {"value": self.currency}
        return body

    def in_currency(self, currency: str) -> AccountSpec:
        """The same account held in ``currency`` (its own name: one account per currency)."""
        if not currency:
            return self
        return AccountSpec(f"{self.name} ({currency})"[:100], self.account_type, self.sub_type, currency)


@dataclass(frozen=True)
class AccountRoleSpec:
    role: AccountRole
    help: str
    account_types: tuple[str, ...]
    default: AccountSpec
    may_create: bool = True
    # Holds the shop's money as it is (a clearing or bank account): in a company whose home
    # currency differs from the shop's, it must be an account in the shop's currency.
    in_shop_currency: bool = False


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
        AccountRole.CHANNEL_TAX,
        "Tax a marketplace or sales channel charges your buyer and pays to the tax authority itself: "
        "not yours to file, so kept out of your VAT and sales tax. The channel's settlement, which keeps "
        "it back, clears it.",
        LIABILITY,
        AccountSpec("Sales Channel Tax Collected", "Other Current Liability", "OtherCurrentLiabilities"),
    ),
    AccountRoleSpec(
        AccountRole.STORE_CREDIT_LIABILITY,
        "Store credit issued to a customer is owed until spent: spending it reduces this liability.",
        LIABILITY,
        AccountSpec("Store Credit Liability", "Other Current Liability", "OtherCurrentLiabilities"),
    ),
    AccountRoleSpec(
        AccountRole.DUTIES,
        "Duties and import taxes charged to customers at checkout: owed to customs (Shopify takes them "
        "from your payouts), so a liability, not income.",
        LIABILITY,
        AccountSpec("Duties and Import Taxes Payable", "Other Current Liability", "OtherCurrentLiabilities"),
    ),
    AccountRoleSpec(
        AccountRole.CHARGEBACKS,
        "Money a buyer's bank took back in a dispute, and the dispute fees; a won dispute returns it here.",
        ("Expense", "Other Expense"),
        AccountSpec("Shopify Chargebacks and Dispute Fees", "Expense", "OtherMiscellaneousServiceCost"),
    ),
    AccountRoleSpec(
        AccountRole.PAYOUT_RESERVE,
        "Money Shopify Payments holds back in a reserve: still yours, until it is released to a payout.",
        CLEARING,
        AccountSpec("Shopify Payments Reserve", "Other Current Asset", "OtherCurrentAssets"),
        in_shop_currency=True,
    ),
    AccountRoleSpec(
        AccountRole.CAPITAL_LOAN,
        "Shopify Capital: an advance paid into a payout is a loan, repaid from later sales.",
        (*LIABILITY, "Long Term Liability"),
        AccountSpec("Shopify Capital Loan", "Other Current Liability", "OtherCurrentLiabilities"),
        in_shop_currency=True,
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
        in_shop_currency=True,
    ),
    AccountRoleSpec(
        AccountRole.CLEARING_OTHER,
        "Money taken through a payment gateway you have not mapped yet lands here until you map it.",
        CLEARING,
        AccountSpec("Other Payments Clearing", "Other Current Asset", "OtherCurrentAssets"),
        in_shop_currency=True,
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
    ItemRoleSpec(
        AccountRole.CHANNEL_TAX_ITEM,
        "Shopify Channel Tax",
        "Tax a sales channel collects and remits",
        AccountRole.CHANNEL_TAX,
    ),
    ItemRoleSpec(
        AccountRole.DUTIES_ITEM,
        "Shopify Duties",
        "Duties and import taxes charged at checkout",
        AccountRole.DUTIES,
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
    # Store credit spent is taken off its liability the same day; the clearing account nets to zero.
    "shopify_store_credit": AccountSpec("Store Credit Clearing", "Other Current Asset", "OtherCurrentAssets"),
}
GATEWAY_LABELS = {
    "shopify_payments": "Shopify Payments",
    "paypal": "PayPal",
    "gift_card": "Gift card",
    "manual": "Manual payment",
    "cash": "Cash",
    "store_credit": "Store credit",
    "shopify_store_credit": "Store credit",
}
GATEWAY_ACCOUNT_TYPES = (*CLEARING, *LIABILITY)


def gateway_label(gateway: str) -> str:
    return GATEWAY_LABELS.get(gateway.lower(), gateway)


def gateway_default(gateway: str, currency: str = "") -> AccountSpec:
    """The clearing account proposed for a gateway; ``currency``: the shop's, when it is not the
    company's home currency (see ``foreign_currency``)."""
    key = gateway.lower()
    if key in GATEWAY_DEFAULTS:
        return GATEWAY_DEFAULTS[key].in_currency(currency)
    spec = AccountSpec(f"{gateway_label(gateway)} Clearing"[:100], "Other Current Asset", "OtherCurrentAssets")
    return spec.in_currency(currency)


# Multicurrency: a customer's and a bank or asset account's currency is set when it is created and
# never changes; income and expense accounts are always in the home currency. A document in the
# shop's currency therefore needs a customer and a deposit account in that currency.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies
# Reference: https://quickbooks.intuit.com/learn-support/global/mobile-and-apps/turn-on-multicurrency/00/381912


def foreign_currency(*, shop_currency: str, home_currency: str) -> str:
    """The shop's currency when the QuickBooks company keeps its books in another one, else ""
    (the same currency, or one of them not known yet: books in the shop's currency as is)."""
    shop_currency, home_currency = shop_currency.strip().upper(), home_currency.strip().upper()
    return shop_currency if shop_currency and home_currency and shop_currency != home_currency else ""


def holds_shop_money(role: str) -> bool:
    """The customer and the accounts that hold the shop's money as it is (clearing, bank)."""
    if role == AccountRole.CUSTOMER_DEFAULT:
        return True
    spec = ACCOUNT_ROLE_SPECS.get(AccountRole(role)) if role in AccountRole.values else None
    return spec is not None and spec.in_shop_currency


def customer_name(currency: str = "") -> str:
    return f"{DEFAULT_CUSTOMER} ({currency})" if currency else DEFAULT_CUSTOMER


def customer_create(currency: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"DisplayName": customer_name(currency)}
    if currency:
        body["CurrencyRef"] = {"value": currency}
    return body


def spec_currency(create_spec: dict[str, Any]) -> str:
    """The currency a proposal to create would be created in ("" for the home currency)."""
    ref = create_spec.get("CurrencyRef")
    return str(ref.get("value") or "") if isinstance(ref, dict) else ""


def create_in_currency(create_spec: dict[str, Any], currency: str) -> dict[str, Any]:
    """A proposal to create an account or a customer, held in ``currency``: a spec made for the
    home currency (the setup forms offer those) gets the currency and its own name."""
    if not currency or not create_spec or spec_currency(create_spec) == currency:
        return create_spec
    spec = dict(create_spec)
    field = "DisplayName" if "DisplayName" in spec else "Name"
    base = str(spec.get(field) or "")
    home = spec_currency(create_spec)
    if home and base.endswith(f" ({home})"):
        base = base[: -len(f" ({home})")]
    spec[field] = f"{base} ({currency})"[: 500 if field == "DisplayName" else 100]
    spec["CurrencyRef"] = {"value": currency}
    return spec
