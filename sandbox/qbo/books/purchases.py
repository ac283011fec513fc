"""Purchases and money moved between accounts: Bill, BillPayment, Purchase, PurchaseOrder, Transfer,
CreditCardPayment, and the Estimate (a sales form that posts nothing).

Expense lines are AccountBasedExpenseLineDetail (an account) or ItemBasedExpenseLineDetail (an item:
its expense account, or for an inventory item its asset account, whose quantity on hand the purchase
raises). A bill credits A/P and is paid by bill payments, which lower its Balance (and move its
SyncToken, as a payment does an invoice's); a Purchase credits the bank or credit card account it is
paid from (``Credit``: a card refund, the other way round); a purchase order posts nothing. Purchase
tax is not emulated: a non-zero TxnTaxDetail.TotalTax is refused. Sources are in the sandbox README.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .. import faults
from .checks import Checks
from .rules import (
    CLASSIFICATION,
    PURCHASE_DOCS,
    UNIT,
    ZERO,
    dec,
    line_amount,
    money,
    ref_to,
    ref_value,
)
from .sales import INVENTORY_START_DATE

EXPENSE_DETAILS = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
# Accounts an expense line can't name: the ledgers of what customers and vendors owe (emulator's choice).
NOT_EXPENSE_TYPES = ("Accounts Receivable", "Accounts Payable")
PAYMENT_TYPES = {"Cash": ("Bank",), "Check": ("Bank",), "CreditCard": ("Credit Card",)}
BALANCE_SHEET = ("Asset", "Liability", "Equity")


class Purchases(Checks):
    # ---- documents ------------------------------------------------------------------------------

    def _build_bill(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/bill
        self._vendor_for(data, required=True)
        self._ap_account_ref(data)
        term = self._ref(data, "SalesTermRef", "Term")
        if "DueDate" not in data:
            data["DueDate"] = self._due_date(data["TxnDate"], term)
        self._check_date(data, "DueDate")
        total = self._expense_lines(data)
        self._check_stock_start(data)
        data["TotalAmt"] = total
        paid = self._bill_paid((existing or {}).get("Id"))
        if paid > total:
            raise faults.business(f"Bill total {total} is less than the payments already applied ({paid}).", "TotalAmt")
        data["Balance"] = money(total - paid)
        links = self._bill_links((existing or {}).get("Id"))
        data.pop("LinkedTxn", None)
        if links:
            data["LinkedTxn"] = links
        return data

    def _build_purchase(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/purchase
        kind = data.get("PaymentType")
        if not kind:
            raise faults.required("PaymentType")
        account = self._account_ref(data, "AccountRef", PAYMENT_TYPES.get(str(kind)), required=True)
        assert account is not None
        self._check_account_currency(account, data, "AccountRef")
        if data.get("Credit") in (True, "true") and kind != "CreditCard":
            raise faults.business("Only a credit card purchase can be a credit (Credit true).", "Credit")
        entity_ref = data.get("EntityRef")
        if isinstance(entity_ref, dict) and entity_ref.get("value") not in (None, ""):
            kind_of = str(entity_ref.get("type") or "Vendor")
            if kind_of not in ("Vendor", "Customer", "Employee"):
                raise faults.invalid_reference("EntityRef", entity_ref.get("value"), kind_of)
            holder = {"EntityRef": entity_ref}
            self._ref(holder, "EntityRef", kind_of)
            data["EntityRef"] = {**holder["EntityRef"], "type": kind_of}
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        data["TotalAmt"] = self._expense_lines(data)
        self._check_stock_start(data)
        return data

    def _build_purchaseorder(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/purchaseorder
        self._vendor_for(data, required=True)
        # A purchase order posts nothing: QBO takes any account here (python-quickbooks' test_purchaseorder
        # sends the company's first account and passes against Intuit's sandbox company).
        self._ref(data, "APAccountRef", "Account")
        self._ref(data, "SalesTermRef", "Term")
        data["TotalAmt"] = self._expense_lines(data)
        data.setdefault("POStatus", "Open")
        if data["POStatus"] not in ("Open", "Closed"):
            raise faults.QBOFault(
                faults.INVALID_ENUM,
                "Invalid Enumeration",
                f"Invalid Enumeration : {data['POStatus']} for POStatus",
                element="POStatus",
            )
        return data

    def _build_billpayment(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/billpayment
        vendor = self._vendor_for(data, required=True)
        assert vendor is not None
        self._ap_account_ref(data)
        pay_type = data.get("PayType")
        if not pay_type:
            raise faults.required("PayType")
        if pay_type == "Check":
            holder, field, types = "CheckPayment", "BankAccountRef", ("Bank",)
            data.pop("CreditCardPayment", None)
        elif pay_type == "CreditCard":
            holder, field, types = "CreditCardPayment", "CCAccountRef", ("Credit Card",)
            data.pop("CheckPayment", None)
        else:
            raise faults.QBOFault(
                faults.INVALID_ENUM,
                "Invalid Enumeration",
                f"Invalid Enumeration : {pay_type} for PayType",
                element="PayType",
            )
        detail = data.get(holder)
        if not isinstance(detail, dict):
            raise faults.required(f"{holder}.{field}")
        account = self._account_ref(detail, field, types, required=True, where=f"{holder}.{field}")
        assert account is not None
        self._check_account_currency(account, data, f"{holder}.{field}")
        if "TotalAmt" not in data:
            raise faults.required("TotalAmt")
        total = money(dec(data["TotalAmt"], "TotalAmt"))
        if total < 0:
            raise faults.business("A bill payment's TotalAmt can't be negative.", "TotalAmt")
        data["TotalAmt"] = total
        lines = data.get("Line") or []
        applied = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            amount = line_amount(line, where)
            links = line.get("LinkedTxn") or []
            if len(links) != 1:
                raise faults.business(f"{where} must link exactly one bill (LinkedTxn).", f"{where}.LinkedTxn")
            link = links[0]
            if link.get("TxnType") != "Bill":
                raise faults.business(f"{where}: a bill payment pays bills (TxnType Bill).", f"{where}.LinkedTxn")
            bill = self.objects["Bill"].get(str(link.get("TxnId")))
            if bill is None or bill.get("status") == "Deleted":
                raise faults.invalid_reference(f"{where}.LinkedTxn.TxnId", link.get("TxnId"), "Bill")
            if ref_value(bill, "VendorRef") != vendor["Id"]:
                raise faults.business(f"{where}: bill {bill['Id']} is another vendor's.", f"{where}.LinkedTxn")
            open_balance = bill["TotalAmt"] - self._bill_paid(bill["Id"], skip=(existing or {}).get("Id"))
            if amount > open_balance:
                raise faults.business(
                    f"{where}: {amount} is more than bill {bill['Id']}'s open balance {open_balance}.",
                    f"{where}.Amount",
                )
            applied += amount
            out.append({"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]})
        if applied > total:
            raise faults.QBOFault(
                faults.AMOUNT_MISMATCH,
                "Amount mismatch",
                f"The lines apply {applied}, more than the payment's TotalAmt {total}.",
                element="TotalAmt",
            )
        data["Line"] = out
        return data

    def _build_transfer(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/transfer
        source = self._balance_sheet_ref(data, "FromAccountRef")
        target = self._balance_sheet_ref(data, "ToAccountRef")
        if source["Id"] == target["Id"]:
            raise faults.business("A transfer needs two different accounts.", "ToAccountRef")
        data["Amount"] = self._positive_amount(data)
        return data

    def _build_creditcardpayment(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/creditcardpayment
        card = self._account_ref(data, "CreditCardAccountRef", ("Credit Card",), required=True)
        bank = self._account_ref(data, "BankAccountRef", ("Bank",), required=True)
        assert card is not None and bank is not None
        self._check_account_currency(card, data, "CreditCardAccountRef")
        self._check_account_currency(bank, data, "BankAccountRef")
        self._vendor_for(data, required=False)
        data["Amount"] = self._positive_amount(data)
        return data

    def _build_estimate(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate
        self._customer_for(data, required=True)
        for field in ("ExpirationDate", "AcceptedDate"):
            self._check_date(data, field)
        status = data.setdefault("TxnStatus", "Pending")
        if status not in ("Pending", "Accepted", "Closed", "Rejected"):
            raise faults.business(f"Invalid estimate status {status!r}.", "TxnStatus")
        builder = self._sales_doc  # type: ignore[attr-defined]
        built: dict[str, Any] = builder("Estimate", data, existing)
        built.pop("Balance", None)
        return built

    # ---- parts ----------------------------------------------------------------------------------

    def _vendor_for(self, data: dict[str, Any], *, required: bool) -> dict[str, Any] | None:
        return self._name_for(data, "Vendor", required=required)  # type: ignore[attr-defined,no-any-return]

    def ap_account(self, currency: str) -> dict[str, Any] | None:
        """The company's A/P account in ``currency``."""
        for account in self.live("Account"):
            if account.get("AccountType") == "Accounts Payable" and (
                (ref_value(account, "CurrencyRef") or self.preset.currency) == currency
            ):
                return account
        return None

    def _ap_account_ref(self, data: dict[str, Any]) -> None:
        if ref_value(data, "APAccountRef") is None:
            currency = data["CurrencyRef"]["value"]
            if self.ap_account(currency) is None and currency != self.preset.currency:
                self._add_foreign_ap(currency)
            account = self.ap_account(currency)
            if account is None:
                raise faults.business(
                    f"The company has no Accounts Payable account in {data['CurrencyRef']['value']}.", "APAccountRef"
                )
            data["APAccountRef"] = ref_to(account)
        account = self._account_ref(data, "APAccountRef", ("Accounts Payable",))
        assert account is not None
        self._check_account_currency(account, data, "APAccountRef")

    def _add_foreign_ap(self, currency: str) -> None:
        """QBO adds an A/P account in a foreign currency with the first purchase in it (as it does A/R)."""
        home = self.ap_account(self.preset.currency)
        name = f"{(home or {}).get('Name', 'Accounts Payable (A/P)')} - {currency}"
        self.counters["Account"] += 1
        stamp = self.timestamp()
        self._store(
            "Account",
            {
                "Id": str(self.counters["Account"]),
                "Name": name,
                "FullyQualifiedName": name,
                "SubAccount": False,
                "Active": True,
                "Classification": "Liability",
                "AccountType": "Accounts Payable",
                "AccountSubType": "AccountsPayable",
                "CurrentBalance": ZERO,
                "CurrentBalanceWithSubAccounts": ZERO,
                "CurrencyRef": {"value": currency},
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            },
        )

    def _balance_sheet_ref(self, data: dict[str, Any], field: str) -> dict[str, Any]:
        account = self._account_ref(data, field, None, required=True)
        assert account is not None
        if CLASSIFICATION.get(account["AccountType"]) not in BALANCE_SHEET:
            raise faults.business(
                f"{field} must be a balance sheet account; {account['Name']!r} is {account['AccountType']}.", field
            )
        self._check_account_currency(account, data, field)
        return account

    def _positive_amount(self, data: dict[str, Any]) -> Decimal:
        if "Amount" not in data:
            raise faults.required("Amount")
        amount = money(dec(data["Amount"], "Amount"))
        if amount <= 0:
            raise faults.business("Amount must be more than 0.", "Amount")
        return amount

    def _due_date(self, txn_date: str, term: dict[str, Any] | None) -> str:
        day = date.fromisoformat(txn_date)
        if term is not None and term.get("Type") == "STANDARD":
            return (day + timedelta(days=int(term.get("DueDays") or 0))).isoformat()
        return txn_date

    def _expense_lines(self, data: dict[str, Any]) -> Decimal:
        """Checks and numbers the expense lines; returns their total. Purchase tax is refused (not emulated)."""
        lines = data.get("Line") or []
        if not lines:
            raise faults.required("Line")
        tax = data.get("TxnTaxDetail") or {}
        if money(dec(tax.get("TotalTax", 0), "TxnTaxDetail.TotalTax")) != 0 or tax.get("TaxLine"):
            raise faults.business(
                "Purchase tax is not emulated: the sandbox refuses a purchase with TxnTaxDetail tax.",
                "TxnTaxDetail",
            )
        data.pop("TxnTaxDetail", None)
        total = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            kind = line.get("DetailType") or next((k for k in EXPENSE_DETAILS if k in line), None)
            if kind not in EXPENSE_DETAILS:
                raise faults.QBOFault(
                    faults.INVALID_ENUM,
                    "Invalid Enumeration",
                    f"Invalid Enumeration : DetailType {kind} is not valid on a purchase",
                    element=f"{where}.DetailType",
                )
            detail = line.get(kind)
            if not isinstance(detail, dict):
                raise faults.required(f"{where}.{kind}")
            amount = line_amount(line, where)
            if kind == "AccountBasedExpenseLineDetail":
                self._account_ref(
                    detail,
                    "AccountRef",
                    tuple(t for t in CLASSIFICATION if t not in NOT_EXPENSE_TYPES),
                    required=True,
                    where=f"{where}.{kind}.AccountRef",
                )
            else:
                amount = self._item_expense(detail, amount, f"{where}.{kind}")
            self._ref(detail, "CustomerRef", "Customer", where=f"{where}.{kind}.CustomerRef")
            self._ref(detail, "ClassRef", "Class", where=f"{where}.{kind}.ClassRef")
            self._ref(detail, "TaxCodeRef", "TaxCode", where=f"{where}.{kind}.TaxCodeRef")
            billable = detail.setdefault("BillableStatus", "NotBillable")
            if billable == "Billable" and ref_value(detail, "CustomerRef") is None:
                raise faults.business(f"{where}: a billable expense needs a CustomerRef.", f"{where}.{kind}")
            out.append({**line, "Id": str(index), "LineNum": index, "DetailType": kind, "Amount": amount})
            total += amount
        data["Line"] = out
        return money(total)

    def _check_stock_start(self, data: dict[str, Any]) -> None:
        """A bill or purchase of an inventory item dated before the item's InvStartDate is refused
        whole (6270), as a sale is: the item's stock does not exist before that date."""
        # Reference: https://plugin-qbo.intuit.com/qbo-ush/helpcontent/production/129/en_CA/QBO_Plus/Content/Topics/inventory/help_inventory_as_of_date.htm
        txn_date = date.fromisoformat(data["TxnDate"])
        for line in data["Line"]:
            detail = line.get("ItemBasedExpenseLineDetail")
            item = self.objects["Item"].get(ref_value(detail or {}, "ItemRef") or "")
            if not item or item.get("Type") != "Inventory" or not item.get("InvStartDate"):
                continue
            start = date.fromisoformat(str(item["InvStartDate"])[:10])
            if txn_date < start:
                raise faults.QBOFault(
                    INVENTORY_START_DATE,
                    "Transaction date is prior to start date for inventory item",
                    f"Transaction date is prior to start date for inventory item : {item['Name']} "
                    f"(Item Id {item['Id']}) is tracked from {start.isoformat()}; TxnDate is {txn_date.isoformat()}",
                    element=f"Line[{line['LineNum']}].ItemBasedExpenseLineDetail.ItemRef",
                )

    def _item_expense(self, detail: dict[str, Any], amount: Decimal, where: str) -> Decimal:
        item = self._ref(detail, "ItemRef", "Item", required=True, where=f"{where}.ItemRef")
        assert item is not None
        field = "AssetAccountRef" if item.get("Type") == "Inventory" else "ExpenseAccountRef"
        if ref_value(item, field) is None:
            raise faults.business(
                f"Item {item['Name']!r} has no {field}: it can't be on a purchase.", f"{where}.ItemRef"
            )
        qty = detail.get("Qty")
        price = detail.get("UnitPrice")
        # python-quickbooks sends Qty and UnitPrice as 0 when they were never set.
        if qty not in (None, 0) and price not in (None, 0):
            q, p = dec(qty, f"{where}.Qty"), dec(price, f"{where}.UnitPrice")
            if money(q * p) != amount:
                raise faults.QBOFault(
                    faults.AMOUNT_MISMATCH,
                    "Amount mismatch",
                    f"{where}: Amount {amount} is not Qty {q} x UnitPrice {p}.",
                    element=f"{where}.UnitPrice",
                )
            detail["Qty"], detail["UnitPrice"] = q, p
        elif qty not in (None, 0):
            q = dec(qty, f"{where}.Qty")
            detail["Qty"], detail["UnitPrice"] = q, (amount / q).quantize(UNIT)
        else:
            detail.pop("Qty", None)
            detail.pop("UnitPrice", None)
        return amount

    # ---- what bills are owed --------------------------------------------------------------------

    def _bill_paid(self, bill_id: str | None, *, skip: str | None = None) -> Decimal:
        if bill_id is None:
            return ZERO
        total = ZERO
        for payment in self.live("BillPayment"):
            if payment["Id"] == skip:
                continue
            for line in payment.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    if link.get("TxnType") == "Bill" and str(link.get("TxnId")) == bill_id:
                        total += line["Amount"]
        return total

    def _bill_links(self, bill_id: str | None) -> list[dict[str, Any]]:
        if bill_id is None:
            return []
        return [
            {"TxnId": p["Id"], "TxnType": "BillPayment"}
            for p in self.live("BillPayment")
            if p.get("TxnStatus") != "Voided"
            and any(
                str(link.get("TxnId")) == bill_id
                for line in p.get("Line", [])
                for link in line.get("LinkedTxn", [])
                if link.get("TxnType") == "Bill"
            )
        ]

    def _rebalance_bills(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """A bill payment written, voided or deleted: each bill it touches gets its new Balance,
        LinkedTxn and SyncToken (as QBO moves an invoice's when a payment changes)."""
        touched = set()
        for doc in (old, new):
            for line in (doc or {}).get("Line", []):
                for link in line.get("LinkedTxn", []):
                    if link.get("TxnType") == "Bill":
                        touched.add(str(link.get("TxnId")))
        for bill_id in sorted(touched):
            bill = self.objects["Bill"].get(bill_id)
            if bill is None or bill.get("status") == "Deleted":
                continue
            updated = {**bill, "Balance": money(bill["TotalAmt"] - self._bill_paid(bill_id))}
            links = self._bill_links(bill_id)
            updated.pop("LinkedTxn", None)
            if links:
                updated["LinkedTxn"] = links
            updated["SyncToken"] = str(int(bill["SyncToken"]) + 1)
            updated["MetaData"] = {**bill["MetaData"], "LastUpdatedTime": self.timestamp()}
            self._store("Bill", updated)

    def _check_not_paid(self, entity: str, existing: dict[str, Any]) -> None:
        """A bill with payments applied can't be deleted (QBO asks to delete or void the payments first)."""
        if entity == "Bill" and self._bill_paid(existing["Id"]) > 0:
            raise faults.business(f"Bill {existing['Id']} has bill payments applied: delete or void them first.", "Id")

    def _move_purchased_stock(self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """Inventory items bought on a bill or purchase: their quantity on hand goes up (old undone, new applied)."""
        if entity not in PURCHASE_DOCS:
            return
        changes: dict[str, Decimal] = {}
        for doc, factor in ((old, Decimal(-1)), (new, Decimal(1))):
            if doc is None or doc.get("status") == "Deleted" or doc.get("TxnStatus") == "Voided":
                continue
            sign = Decimal(-1) if doc.get("Credit") in (True, "true") else Decimal(1)
            for line in doc.get("Line", []):
                detail = line.get("ItemBasedExpenseLineDetail")
                if detail and "Qty" in detail:
                    item_id = detail["ItemRef"]["value"]
                    changes[item_id] = changes.get(item_id, ZERO) + factor * sign * Decimal(str(detail["Qty"]))
        for item_id, delta in changes.items():
            item = self.objects["Item"].get(item_id)
            if item and item.get("Type") == "Inventory" and delta:
                self._store(
                    "Item",
                    {
                        **item,
                        "QtyOnHand": item.get("QtyOnHand", ZERO) + delta,
                        "SyncToken": str(int(item["SyncToken"]) + 1),
                        "MetaData": {**item["MetaData"], "LastUpdatedTime": self.timestamp()},
                    },
                )
