"""What QBO's bookkeeping rules are made of: the entity families, computed fields, account
classes, and the value helpers every family uses (cents, numbers, references)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .. import faults
from ..faults import QBOFault

CENT = Decimal("0.01")
UNIT = Decimal("0.0000001")  # unit prices and quantities keep 7 decimals
ZERO = Decimal("0")

SALES_DOCS = ("SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo")
# Purchases that post: a bill (to A/P) and an expense, check or credit card charge (Purchase).
PURCHASE_DOCS = ("Bill", "Purchase")
# The transactions the general ledger posts (the others, Estimate and PurchaseOrder, are non-posting).
POSTING = (
    *SALES_DOCS,
    "Payment",
    "Deposit",
    "JournalEntry",
    *PURCHASE_DOCS,
    "BillPayment",
    "Transfer",
    "CreditCardPayment",
    "InventoryAdjustment",
)
TRANSACTIONS = (*POSTING, "Estimate", "PurchaseOrder")
NAME_LISTS = (
    "Account",
    "Item",
    "Customer",
    "Class",
    "Department",
    "PaymentMethod",
    "Vendor",
    "Employee",
    "Term",
    "TaxAgency",
    "CompanyCurrency",
)
# Neither transactions nor name lists: a timesheet entry and an attachment (note or file).
OTHER_WRITABLE = ("TimeActivity", "Attachable")
READ_ONLY = ("TaxCode", "TaxRate")
# Transaction templates (RecurringTransaction): stored apart, each wrapping one transaction.
TEMPLATES = ("RecurringTransaction",)
ENTITIES = (*TRANSACTIONS, *NAME_LISTS, *OTHER_WRITABLE, *READ_ONLY, *TEMPLATES)
WRITABLE = (*TRANSACTIONS, *NAME_LISTS, *OTHER_WRITABLE)
DELETABLE = (*TRANSACTIONS, *OTHER_WRITABLE)
VOIDABLE = ("SalesReceipt", "Invoice", "Payment", "BillPayment")
# The name lists whose DisplayName is shared: "Another customer, vendor or employee is already using this name".
PEOPLE = ("Customer", "Vendor", "Employee")
DOC_NUMBER_UNIQUE = SALES_DOCS
MAX_DOC_NUMBER = 21

# Fields QBO computes: whatever a request says about them is ignored.
COMPUTED = {
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "status",
    "TotalAmt",
    "HomeTotalAmt",
    "Balance",
    "HomeBalance",
    "FullyQualifiedName",
    "Level",
    "BalanceWithJobs",
    "CurrentBalance",
    "CurrentBalanceWithSubAccounts",
    "Classification",
    "RemainingCredit",
    "InvoiceLink",
    "UnappliedAmt",
}

CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
DEPOSIT_TO_TYPES = ("Bank", "Other Current Asset")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any, field: str) -> Decimal:
    if not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    raise faults.QBOFault(
        faults.INVALID_PROPERTY,
        "Request has invalid or unsupported property",
        f"Property Name:{field} is not a number specified is unsupported or invalid",
        element=field,
    )


def computed_fields(entity: str) -> set[str]:
    # A Payment's (or a BillPayment's) TotalAmt is what was paid: input, not computed.
    return COMPUTED - {"TotalAmt"} if entity in ("Payment", "BillPayment") else COMPUTED


def clean(value: Any) -> Any:
    """Drop what python-quickbooks sends as 'unset': "" strings, empty lists and objects, nulls."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = clean(item)
            if item is None or item == "" or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def ref_value(obj: dict[str, Any] | None, field: str) -> str | None:
    ref = (obj or {}).get(field)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def ref_to(obj: dict[str, Any]) -> dict[str, Any]:
    """A reference to a stored object, named as QBO names it."""
    return {"value": obj["Id"], "name": obj.get("FullyQualifiedName") or obj.get("Name")}


def line_amount(line: dict[str, Any], where: str) -> Decimal:
    """A line's Amount in cents; QBO requires one."""
    if "Amount" not in line:
        raise faults.required(f"{where}.Amount")
    return money(dec(line["Amount"], f"{where}.Amount"))


def unsupported(detail: str) -> QBOFault:
    return QBOFault(faults.UNSUPPORTED_OPERATION, "Unsupported Operation", detail)


def applied_to(payment: dict[str, Any], invoice_id: str) -> Decimal:
    """What ``payment``'s lines apply to the invoice."""
    total = ZERO
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                total += line["Amount"]
    return total
