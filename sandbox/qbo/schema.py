"""The request fields the emulator accepts, by QBO type, named as in Intuit's XSDs.

QBO rejects a JSON property its schema does not define (fault 2010) and accepts every one it
does. ``TYPES`` is read from the XSDs (``xsd_types.py``, generated): each implemented entity's
type and every type it reaches, complete, so a field the XSD allows is accepted (and kept) even
where the emulator has no rule for it; tests/sandbox_qbo/test_xsd.py and test_xsd_tables.py hold
the tables to the XSDs. Leaf types use the XSD's simple type names; ``X[]`` is a repeated element.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from . import xsd_types
from .faults import INVALID_ENUM, INVALID_PROPERTY, QBOFault

LEAF_TYPES = {"anyURI", "string", "decimal", "boolean", "date", "dateTime", "int", "id", "positiveInteger"} | set(
    xsd_types.SIMPLE
)

TYPES: dict[str, dict[str, str]] = xsd_types.TYPES

# The entities whose XSD type has another name.
ENTITY_TYPES = {"CreditCardPayment": "CreditCardPaymentTxn"}


# Enumerations the emulator narrows (each a subset of the XSD's); every other XSD enumeration is
# checked against the XSD's own values.
_NARROWED: dict[str, set[str]] = {
    "GlobalTaxCalculationEnum": {"TaxExcluded", "TaxInclusive", "NotApplicable"},
    "PrintStatusEnum": {"NotSet", "NeedToPrint", "PrintComplete"},
    "EmailStatusEnum": {"NotSet", "NeedToSend", "EmailSent"},
    "PaymentTypeEnum": {"Cash", "Check", "CreditCard", "Other"},
    "ItemTypeEnum": {"Inventory", "NonInventory", "Service"},
    "PostingTypeEnum": {"Debit", "Credit"},
    "EntityTypeEnum": {"Customer", "Vendor", "Employee"},
    "LineDetailTypeEnum": {
        "SalesItemLineDetail",
        "DiscountLineDetail",
        "SubTotalLineDetail",
        "DescriptionOnly",
        "DepositLineDetail",
        "JournalEntryLineDetail",
        "PaymentLineDetail",
        "TaxLineDetail",
        "AccountBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail",
        "ItemAdjustmentLineDetail",
    },
    "AccountTypeEnum": {
        "Bank",
        "Other Current Asset",
        "Fixed Asset",
        "Other Asset",
        "Accounts Receivable",
        "Equity",
        "Expense",
        "Other Expense",
        "Cost of Goods Sold",
        "Accounts Payable",
        "Credit Card",
        "Long Term Liability",
        "Other Current Liability",
        "Income",
        "Other Income",
    },
    "AccountClassificationEnum": {"Asset", "Equity", "Expense", "Liability", "Revenue"},
    "TxnTypeEnum": {"ReceivePayment", "SalesReceipt", "CreditMemo", "JournalEntry", "Deposit", "Transfer", "Invoice"},
    "TaxApplicableOnEnum": {"Sales", "Purchase"},
    "CustomFieldTypeEnum": {"StringType", "BooleanType", "NumberType", "DateType"},
    "ReportBasisEnum": {"Accrual", "Cash"},
    "MonthEnum": {
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    },
    "UOMFeatureTypeEnum": {"Disabled", "SinglePerItem", "MultiplePerItem"},
    "PaySalesTaxEnum": {"Annually", "Monthly", "Quarterly"},
    "ETransactionEnabledStatusEnum": {"Enabled", "NotApplicable"},
    "WeekEnum": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}


ENUMS: dict[str, set[str]] = {
    **{name: set(values) for name, values in xsd_types.ENUMS.items()},
    **_NARROWED,
}


def check_entity(entity: str, payload: Any) -> None:
    """An entity's request body against its XSD type."""
    check_fields(ENTITY_TYPES.get(entity, entity), payload)


def check_fields(type_name: str, payload: Any, path: str = "") -> None:
    """Reject any property the type does not define, like QBO's 2010 fault; checks enums and numbers."""
    fields = TYPES[type_name]
    if not isinstance(payload, dict):
        raise _invalid(path or type_name, f"expected an object for {type_name}")
    for key, value in payload.items():
        where = f"{path}.{key}" if path else key
        declared = fields.get(key)
        if declared is None:
            raise _invalid(
                where,
                f'Unrecognized field "{key}" (class com.intuit.schema.finance.v3.{type_name}), not marked as ignorable',
            )
        if value is None:
            continue
        repeated = declared.endswith("[]")
        inner = declared.removesuffix("[]")
        values = value if repeated else [value]
        if repeated and not isinstance(value, list):
            raise _invalid(where, f"expected a list for {key}")
        for item in values:
            _check_value(inner, item, where)


def _check_value(type_name: str, value: Any, where: str) -> None:
    if type_name in TYPES:
        check_fields(type_name, value, where)
    elif type_name in ENUMS:
        if value != "" and value not in ENUMS[type_name]:
            raise QBOFault(
                INVALID_ENUM, "Invalid Enumeration", f"Invalid Enumeration : {value} for {where}", element=where
            )
    elif type_name in ("decimal", "int", "positiveInteger"):
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
            raise _invalid(where, f"{value!r} is not a number")
        if isinstance(value, str) and value != "":
            try:
                Decimal(value)
            except InvalidOperation:
                raise _invalid(where, f"{value!r} is not a number") from None
    elif type_name == "boolean":
        if not isinstance(value, bool) and value not in ("true", "false", ""):
            raise _invalid(where, f"{value!r} is not a boolean")
    elif isinstance(value, dict | list):
        raise _invalid(where, f"{where} is not a {type_name}")


def _invalid(where: str, detail: str) -> QBOFault:
    return QBOFault(
        INVALID_PROPERTY,
        "Request has invalid or unsupported property",
        f"Property Name:{detail} specified is unsupported or invalid",
        element=where,
    )
