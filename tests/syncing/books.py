"""A US QuickBooks sandbox company, in process, with an account for every place money can go, and
the ledger's mapping onto it: tests book documents into it and assert account balances (the
sandbox keeps a general ledger as QuickBooks does), not only document totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.qbo.books import Company
from sandbox.qbo.presets import PRESETS
from syncing import ledger
from tests.syncing.factories import mapping

# name -> (AccountType, AccountSubType)
ACCOUNTS = {
    "Shopify Payments Clearing": ("Other Current Asset", "OtherCurrentAssets"),
    "PayPal Clearing": ("Other Current Asset", "OtherCurrentAssets"),
    "Gift Card Clearing": ("Other Current Asset", "OtherCurrentAssets"),
    "Store Credit Clearing": ("Other Current Asset", "OtherCurrentAssets"),
    "Other Payments Clearing": ("Other Current Asset", "OtherCurrentAssets"),
    "Gift Card Liability": ("Other Current Liability", "OtherCurrentLiabilities"),
    "Store Credit Liability": ("Other Current Liability", "OtherCurrentLiabilities"),
    "Duties and Import Taxes Payable": ("Other Current Liability", "OtherCurrentLiabilities"),
    "Tips Payable": ("Other Current Liability", "OtherCurrentLiabilities"),
    "Shopify Sales": ("Income", "SalesOfProductIncome"),
    "Shopify Shipping Income": ("Income", "OtherPrimaryIncome"),
    "Shopify Discounts Given": ("Income", "DiscountsRefundsGiven"),
    "Rounding Differences": ("Income", "OtherPrimaryIncome"),
    "Shopify Payments Fees": ("Expense", "BankCharges"),
    "Shopify Chargebacks and Dispute Fees": ("Expense", "OtherMiscellaneousServiceCost"),
    "Shopify Payments Reserve": ("Other Current Asset", "OtherCurrentAssets"),
    "Shopify Capital Loan": ("Other Current Liability", "OtherCurrentLiabilities"),
    "Shopify Payouts Bank": ("Bank", "Checking"),
}
# item name -> the account it books to
ITEMS = {
    "Shopify Sale": "Shopify Sales",
    "Shopify Shipping": "Shopify Shipping Income",
    "Shopify Discount": "Shopify Discounts Given",
    "Shopify Tip": "Tips Payable",
    "Shopify Gift Card": "Gift Card Liability",
    "Shopify Rounding": "Rounding Differences",
    "Shopify Duties": "Duties and Import Taxes Payable",
}
# ledger.Mapping.accounts role -> account name
ROLE_ACCOUNTS = {
    "gift_card_liability": "Gift Card Liability",
    "store_credit_liability": "Store Credit Liability",
    "duties": "Duties and Import Taxes Payable",
    "chargebacks": "Shopify Chargebacks and Dispute Fees",
    "payout_reserve": "Shopify Payments Reserve",
    "capital_loan": "Shopify Capital Loan",
}


class Books:
    """The company, its mapping, and posting that links a payment to its order's invoice."""

    def __init__(self) -> None:
        self.company = Company(realm_id="9US1", preset=PRESETS["US"], now=lambda: datetime(2026, 3, 10, tzinfo=UTC))
        self.refs: dict[str, ledger.Ref] = {}
        for name, (kind, sub) in ACCOUNTS.items():
            made = self.company.create("Account", {"Name": name, "AccountType": kind, "AccountSubType": sub})
            self.refs[name] = ledger.Ref(made["Id"], name)
        items = {}
        for name, account in ITEMS.items():
            made = self.company.create(
                "Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": self.refs[account].value}}
            )
            items[name] = ledger.Ref(made["Id"], name)
        customer = self.company.create("Customer", {"DisplayName": "Shopify Customer"})
        ref = self.refs
        self.mapping = mapping(
            sales_item=items["Shopify Sale"],
            shipping_item=items["Shopify Shipping"],
            discount_item=items["Shopify Discount"],
            tip_item=items["Shopify Tip"],
            gift_card_item=items["Shopify Gift Card"],
            rounding_item=items["Shopify Rounding"],
            duties_item=items["Shopify Duties"],
            customer=ledger.Ref(customer["Id"], customer["DisplayName"]),
            clearing_accounts={
                "shopify_payments": ref["Shopify Payments Clearing"],
                "paypal": ref["PayPal Clearing"],
                "gift_card": ref["Gift Card Clearing"],
                "store_credit": ref["Store Credit Clearing"],
            },
            default_clearing=ref["Other Payments Clearing"],
            bank_account=ref["Shopify Payouts Bank"],
            fees_account=ref["Shopify Payments Fees"],
            accounts={role: ref[name] for role, name in ROLE_ACCOUNTS.items()},
        )
        self.written: dict[tuple[str, str, str], dict[str, Any]] = {}

    def post(self, documents: list[ledger.Document]) -> list[dict[str, Any]]:
        """Create each document in QuickBooks once (as the engine would: a document already written
        for the same Shopify object is left alone), payments linked to their order's invoice."""
        stored = []
        for doc in documents:
            key = (doc.source_type, doc.source_id, doc.entity)
            if key in self.written:
                continue
            linked = ""
            if doc.links_to:
                linked = self.written[("order", doc.order_id, doc.links_to)]["Id"]
            body = json.loads(json.dumps(doc.as_qbo(self.mapping, linked), default=str), parse_float=Decimal)
            self.written[key] = self.company.create(doc.entity, body)
            stored.append(self.written[key])
        return stored

    def balance(self, name: str) -> Decimal:
        """An account's balance as QuickBooks shows it: debit-normal for assets and expenses,
        credit-normal for liabilities and income."""
        return self.company.ledger()[self.company.account_by_name(name)["Id"]].natural

    def balances(self, *names: str) -> dict[str, Decimal]:
        return {name: self.balance(name) for name in names}

    def balanced(self) -> bool:
        """The trial balance balances: debits equal credits over every account."""
        return bool(self.company.trial_balance()["Balanced"])
