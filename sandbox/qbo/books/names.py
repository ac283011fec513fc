"""Name lists: accounts, items, customers, classes, departments and payment methods.

Names are unique per list (case-insensitive; accounts by their full name), may
not contain a colon, and sub-entries take their parent's full name as a prefix.
"""

from __future__ import annotations

import re
from typing import Any

from .. import faults
from .checks import Checks
from .rules import CLASSIFICATION, PEOPLE, ZERO, dec, ref_value


class NameLists(Checks):
    def _build_account(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = self._required_name(data, "Name", 100)
        if ":" in name or '"' in name:
            raise faults.business("Account names can't contain a colon or a double quote.", "Name")
        acct_type = data.get("AccountType")
        if not acct_type:
            raise faults.required("AccountType")
        if (
            existing is not None
            and acct_type != existing["AccountType"]
            and existing.get("AccountType") in ("Accounts Receivable", "Accounts Payable")
        ):
            raise faults.business("The account type of A/R and A/P accounts can't be changed.", "AccountType")
        parent = self._ref(data, "ParentRef", "Account")
        if parent is not None and parent["AccountType"] != acct_type:
            raise faults.business("A sub-account must have the same type as its parent.", "ParentRef")
        full = _qualified(parent, name)
        own_id = (existing or {}).get("Id")
        self._check_name_unique("Account", "FullyQualifiedName", full, own_id, "account", element="Name")
        data["SubAccount"] = parent is not None
        data["FullyQualifiedName"] = full
        data["Classification"] = CLASSIFICATION[acct_type]
        data.setdefault("Active", True)
        data["CurrencyRef"] = {"value": self._account_currency(data, existing, acct_type)}
        data["CurrentBalance"] = (existing or {}).get("CurrentBalance", ZERO)
        data["CurrentBalanceWithSubAccounts"] = (existing or {}).get("CurrentBalanceWithSubAccounts", ZERO)
        return data

    def _account_currency(self, data: dict[str, Any], existing: dict[str, Any] | None, acct_type: str) -> str:
        """An account's currency: set once, foreign only with multicurrency on and only for balance-sheet
        accounts (income and expense accounts are always in the home currency)."""
        home = self.preset.currency
        before = ref_value(existing, "CurrencyRef") or home if existing is not None else None
        currency = ref_value(data, "CurrencyRef") or before or home
        if before is not None and currency != before:
            raise faults.business("An account's currency can't be changed.", "CurrencyRef")
        if currency != home:
            if not self.multicurrency:
                raise faults.business(
                    f"Multicurrency is not enabled for this company: an account in {currency} needs it.",
                    "CurrencyRef",
                )
            if CLASSIFICATION[acct_type] in ("Revenue", "Expense"):
                raise faults.business(
                    f"Income and expense accounts are always in the home currency ({home}).", "CurrencyRef"
                )
        return currency

    def _build_item(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = self._required_name(data, "Name", 100)
        self._check_string(data, "Sku", 100)
        item_type = data.get("Type")
        if not item_type:
            raise faults.required("Type")
        if existing is not None and existing["Type"] == "Inventory" and item_type != "Inventory":
            raise faults.business("An inventory item can't be changed to another type.", "Type")
        self._check_name_unique("Item", "Name", name, (existing or {}).get("Id"), "product or service")
        # Service and non-inventory items may post their sales to a liability (QuickBooks'
        # own advice for gift cards and collected tips); inventory items may not.
        income_types: tuple[str, ...] = ("Income", "Other Income")
        if item_type != "Inventory":
            income_types += ("Other Current Liability",)
        self._account_ref(data, "IncomeAccountRef", income_types, required=True)
        for field in ("UnitPrice", "PurchaseCost", "QtyOnHand", "ReorderPoint"):
            if field in data:
                data[field] = dec(data[field], field)
        if item_type == "Inventory":
            self._inventory_fields(data, existing)
        else:
            self._account_ref(data, "ExpenseAccountRef", None)
            data.pop("AssetAccountRef", None)
            data["TrackQtyOnHand"] = False
            data.pop("QtyOnHand", None)
        self._ref(data, "ClassRef", "Class")
        data["FullyQualifiedName"] = name
        data.setdefault("Active", True)
        data.setdefault("Taxable", False)
        return data

    def _inventory_fields(self, data: dict[str, Any], existing: dict[str, Any] | None) -> None:
        """An inventory item's cost and asset accounts, and its quantity on hand from a start date."""
        self._account_ref(data, "ExpenseAccountRef", ("Cost of Goods Sold",), required=True)
        self._account_ref(data, "AssetAccountRef", ("Other Current Asset",), required=True)
        if data.get("TrackQtyOnHand") not in (True, "true"):
            raise faults.business(
                "Inventory items must track quantity on hand (TrackQtyOnHand true).", "TrackQtyOnHand"
            )
        if existing is None:
            if "QtyOnHand" not in data:
                raise faults.required("QtyOnHand")
            if "InvStartDate" not in data:
                raise faults.required("InvStartDate")
        else:
            data.setdefault("QtyOnHand", existing.get("QtyOnHand", ZERO))
            data.setdefault("InvStartDate", existing.get("InvStartDate"))
        self._check_date(data, "InvStartDate")
        data["TrackQtyOnHand"] = True

    def _build_customer(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        if not data.get("DisplayName"):
            parts = [data.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if data.get(k)]
            data["DisplayName"] = " ".join(parts) or data.get("CompanyName") or ""
        name = self._required_name(data, "DisplayName", 500)
        if ":" in name:
            raise faults.business("Names can't contain a colon.", "DisplayName")
        for entity in PEOPLE:  # customers, vendors and employees share one name list
            own_id = (existing or {}).get("Id") if entity == "Customer" else None
            self._check_name_unique(entity, "DisplayName", name, own_id, "customer, vendor or employee")
        before = ref_value(existing, "CurrencyRef") or self.preset.currency if existing is not None else None
        currency = ref_value(data, "CurrencyRef") or before or self.preset.currency
        if before is not None and currency != before:
            raise faults.business("A customer's currency can't be changed.", "CurrencyRef")
        if currency != self.preset.currency and not self.multicurrency:
            raise faults.business(
                f"Multicurrency is not enabled for this company: a customer in {currency} needs it.", "CurrencyRef"
            )
        data["CurrencyRef"] = {"value": currency}
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise faults.business(f"Invalid email address format: {email}", "PrimaryEmailAddr")
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        self._ref(data, "DefaultTaxCodeRef", "TaxCode")
        parent = self._ref(data, "ParentRef", "Customer")
        data["Job"] = parent is not None
        data["FullyQualifiedName"] = _qualified(parent, name)
        data.setdefault("Active", True)
        data["Balance"] = (existing or {}).get("Balance", ZERO)
        data["BalanceWithJobs"] = (existing or {}).get("BalanceWithJobs", ZERO)
        return data

    def _simple_list(self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = self._required_name(data, "Name", 100)
        self._check_name_unique(entity, "Name", name, (existing or {}).get("Id"), entity.lower())
        data.setdefault("Active", True)
        if entity in ("Class", "Department"):
            parent = self._ref(data, "ParentRef", entity)
            data["Sub" + entity] = parent is not None
            data["FullyQualifiedName"] = _qualified(parent, name)
        return data

    def _build_class(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("Class", data, existing)

    def _build_department(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("Department", data, existing)

    def _build_paymentmethod(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("PaymentMethod", data, existing)


def _qualified(parent: dict[str, Any] | None, name: str) -> str:
    """A sub-entry's full name: its parent's full name, a colon, its own."""
    return f"{parent['FullyQualifiedName']}:{name}" if parent else name
