"""One emulated QBO company: its objects, QBO's validations, and totals as QBO computes them.

Pure bookkeeping: no HTTP. Every rejection is a QBOFault with QBO's code. Money is
Decimal, rounded half-up to the cent per line, then summed (as QBO does).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import faults
from .faults import QBOFault
from .presets import PAYMENT_METHODS, Preset
from .schema import check_fields

CENT = Decimal("0.01")
UNIT = Decimal("0.0000001")  # unit prices and quantities keep 7 decimals
ZERO = Decimal("0")

TRANSACTIONS = ("SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo", "Payment", "Deposit", "JournalEntry")
SALES_DOCS = ("SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo")
NAME_LISTS = ("Account", "Item", "Customer", "Class", "Department", "PaymentMethod")
READ_ONLY = ("TaxCode", "TaxRate", "TaxAgency")
ENTITIES = (*TRANSACTIONS, *NAME_LISTS, *READ_ONLY)
WRITABLE = (*TRANSACTIONS, *NAME_LISTS)
DELETABLE = TRANSACTIONS
VOIDABLE = ("SalesReceipt", "Invoice", "Payment")
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
    if isinstance(value, bool):
        raise faults.QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"Property Name:{field} is not a number specified is unsupported or invalid",
            element=field,
        )
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise faults.QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"Property Name:{field} is not a number specified is unsupported or invalid",
            element=field,
        ) from None


def computed_fields(entity: str) -> set[str]:
    # A Payment's TotalAmt is what the customer paid: input, not computed.
    return COMPUTED - {"TotalAmt"} if entity == "Payment" else COMPUTED


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


class Company:
    """A realm: objects by entity and Id, plus the bookkeeping rules that guard them."""

    def __init__(
        self,
        *,
        realm_id: str,
        preset: Preset,
        now: Callable[[], datetime],
        multicurrency: bool = False,
        record: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.realm_id = realm_id
        self.preset = preset
        self.preset_key = preset.country
        self.now = now
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self.counters: dict[str, int] = dict.fromkeys(ENTITIES, 0)
        self.request_ids: dict[str, tuple[int, str]] = {}
        self.multicurrency = multicurrency
        self.record = record or (lambda _entry: None)
        self._seed()

    # ---- presets -------------------------------------------------------------------------------

    @property
    def us(self) -> bool:
        return self.preset.country == "US"

    def _seed(self) -> None:
        stamp = "2026-01-01T00:00:00-08:00"
        p = self.preset

        def put(entity: str, obj: dict[str, Any]) -> dict[str, Any]:
            self.counters[entity] += 1
            obj = {
                "Id": str(self.counters[entity]),
                **obj,
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            self.objects[entity][obj["Id"]] = obj
            return obj

        for name, acct_type, sub in p.accounts:
            put(
                "Account",
                {
                    "Name": name,
                    "FullyQualifiedName": name,
                    "SubAccount": False,
                    "Active": True,
                    "Classification": CLASSIFICATION[acct_type],
                    "AccountType": acct_type,
                    "AccountSubType": sub,
                    "CurrentBalance": ZERO,
                    "CurrentBalanceWithSubAccounts": ZERO,
                    "CurrencyRef": {"value": p.currency},
                },
            )
        agencies = {
            name: put("TaxAgency", {"DisplayName": name, "TaxTrackedOnSales": True})["Id"] for name in p.agencies
        }
        rates = {}
        for name, value, agency in p.rates:
            rates[name] = put(
                "TaxRate",
                {
                    "Name": name,
                    "Description": name,
                    "Active": True,
                    "RateValue": Decimal(value),
                    "AgencyRef": {"value": agencies[agency]},
                    "SpecialTaxType": "ZERO_RATE" if Decimal(value) == 0 else "NONE",
                    "DisplayType": "ReadOnly",
                },
            )["Id"]
        for name, description, rate_names in p.tax_codes:
            code: dict[str, Any] = {
                "Name": name,
                "Description": description,
                "Active": True,
                "Hidden": False,
                "Taxable": bool(rate_names) or name == "TAX",
                "TaxGroup": len(rate_names) > 1,
                "SalesTaxRateList": {
                    "TaxRateDetail": [
                        {
                            "TaxRateRef": {"value": rates[r], "name": r},
                            "TaxTypeApplicable": "TaxOnAmount",
                            "TaxOrder": 0,
                        }
                        for r in rate_names
                    ]
                },
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            }
            if self.us and name in ("TAX", "NON"):
                # US line codes are pseudo codes with those literal Ids.
                code["Id"] = name
                obj = {
                    **code,
                    "SyncToken": "0",
                    "domain": "QBO",
                    "sparse": False,
                    "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
                }
                self.objects["TaxCode"][name] = obj
            else:
                put("TaxCode", code)
        for name, kind in PAYMENT_METHODS:
            put("PaymentMethod", {"Name": name, "Active": True, "Type": kind})
        for item in p.items:
            income = self.account_by_name(str(item["IncomeAccount"]))
            obj: dict[str, Any] = {
                "Name": item["Name"],
                "FullyQualifiedName": item["Name"],
                "Active": True,
                "Type": item["Type"],
                "UnitPrice": Decimal(str(item["UnitPrice"])),
                "Taxable": self.us,
                "IncomeAccountRef": _ref(income),
                "TrackQtyOnHand": False,
            }
            if item.get("Sku"):
                obj["Sku"] = item["Sku"]
            if item["Type"] == "Inventory":
                obj.update(
                    {
                        "TrackQtyOnHand": True,
                        "QtyOnHand": Decimal(str(item["QtyOnHand"])),
                        "InvStartDate": "2026-01-01",
                        "PurchaseCost": Decimal(str(item["PurchaseCost"])),
                        "ExpenseAccountRef": _ref(self.account_by_name("Cost of Goods Sold")),
                        "AssetAccountRef": _ref(self.account_by_name("Inventory Asset")),
                    }
                )
            put("Item", obj)
        for display, email in (("Walk-in Customer", None), ("Amy's Bird Sanctuary", "birds@example.com")):
            customer: dict[str, Any] = {
                "DisplayName": display,
                "FullyQualifiedName": display,
                "Active": True,
                "Taxable": self.us,
                "Balance": ZERO,
                "BalanceWithJobs": ZERO,
                "CurrencyRef": {"value": p.currency},
                "Job": False,
                "BillWithParent": False,
            }
            if email:
                customer["PrimaryEmailAddr"] = {"Address": email}
            put("Customer", customer)

    def account_by_name(self, name: str) -> dict[str, Any]:
        for account in self.objects["Account"].values():
            if account.get("Name") == name:
                return account
        raise KeyError(name)

    def company_info(self) -> dict[str, Any]:
        p = self.preset
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "CompanyName": p.company_name,
            "LegalName": f"{p.company_name} Ltd",
            "Country": p.country,
            "CompanyAddr": dict(p.address),
            "LegalAddr": dict(p.address),
            "CompanyStartDate": "2026-01-01",
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "DefaultTimeZone": p.timezone,
            "Email": {"Address": "owner@example.com"},
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            ],
            "MetaData": {"CreateTime": "2026-01-01T00:00:00-08:00", "LastUpdatedTime": "2026-01-01T00:00:00-08:00"},
        }

    def preferences(self) -> dict[str, Any]:
        p = self.preset
        tax: dict[str, Any] = {"UsingSalesTax": True}
        if self.us:
            tax["PartnerTaxEnabled"] = True
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "AccountingInfoPrefs": {
                "TrackDepartments": True,
                "ClassTrackingPerTxnLine": True,
                "CustomerTerminology": "Customers",
            },
            "ProductAndServicesPrefs": {"ForSales": True, "QuantityOnHand": True},
            "SalesFormsPrefs": {"CustomTxnNumbers": True, "AllowDiscount": True, "AllowShipping": False},
            "TaxPrefs": tax,
            "CurrencyPrefs": {"MultiCurrencyEnabled": self.multicurrency, "HomeCurrency": {"value": p.currency}},
            "MetaData": {"CreateTime": "2026-01-01T00:00:00-08:00", "LastUpdatedTime": "2026-01-01T00:00:00-08:00"},
        }

    # ---- reading -------------------------------------------------------------------------------

    def get(self, entity: str, object_id: str) -> dict[str, Any]:
        obj = self.objects[entity].get(str(object_id))
        if obj is None or obj.get("status") == "Deleted":
            raise faults.not_found(entity, str(object_id))
        return obj

    def live(self, entity: str) -> list[dict[str, Any]]:
        return [o for o in self.objects[entity].values() if o.get("status") != "Deleted"]

    # ---- writing -------------------------------------------------------------------------------

    def create(self, entity: str, payload: dict[str, Any], *, allow_duplicate_doc: bool = False) -> dict[str, Any]:
        self._check_writable(entity)
        check_fields(entity, payload)
        data = {k: v for k, v in clean(payload).items() if k not in computed_fields(entity)}
        with self.lock:
            obj = self._build(entity, data, None, allow_duplicate_doc=allow_duplicate_doc)
            self.counters[entity] += 1
            obj["Id"] = str(self.counters[entity])
            obj["SyncToken"] = "0"
            stamp = self.timestamp()
            obj["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            obj = {"Id": obj.pop("Id"), **obj, "domain": "QBO", "sparse": False}
            self._apply_effects(entity, None, obj)
            self._store(entity, obj)
            return obj

    def update(self, entity: str, payload: dict[str, Any], *, allow_duplicate_doc: bool = False) -> dict[str, Any]:
        self._check_writable(entity)
        check_fields(entity, payload)
        object_id = payload.get("Id")
        if object_id in (None, ""):
            raise faults.required("Id")
        with self.lock:
            existing = self.get(entity, str(object_id))
            self._check_sync_token(entity, existing, payload)
            if existing.get("TxnStatus") == "Voided" and entity != "Payment":
                raise faults.business("A voided transaction cannot be modified.", "TxnStatus")
            incoming = {k: v for k, v in clean(payload).items() if k not in computed_fields(entity)}
            if payload.get("sparse") in (True, "true"):
                base = {k: copy.deepcopy(v) for k, v in existing.items() if k not in computed_fields(entity)}
                if "Line" in incoming:
                    # New lines: the tax QBO computed for the old ones no longer applies.
                    base.pop("TxnTaxDetail", None)
                base.update(incoming)
                data = base
            else:
                data = incoming
            obj = self._build(entity, data, existing, allow_duplicate_doc=allow_duplicate_doc)
            obj = {"Id": existing["Id"], **obj, "domain": "QBO", "sparse": False}
            obj["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            obj["MetaData"] = {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": self.timestamp()}
            self._apply_effects(entity, existing, obj)
            self._store(entity, obj)
            return obj

    def delete(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        if entity not in DELETABLE:
            raise _unsupported(f"Operation Delete is not supported for {entity}")
        check_fields(entity, payload)
        object_id = payload.get("Id")
        if object_id in (None, ""):
            raise faults.required("Id")
        with self.lock:
            existing = self.get(entity, str(object_id))
            self._check_sync_token(entity, existing, payload)
            self._check_not_deposited(entity, existing)
            self._apply_effects(entity, existing, None)
            tombstone = {
                "Id": existing["Id"],
                "domain": "QBO",
                "status": "Deleted",
                "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": self.timestamp()},
            }
            self._store(entity, tombstone)
            return {"Id": existing["Id"], "domain": "QBO", "status": "Deleted"}

    def void(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        if entity not in VOIDABLE:
            raise _unsupported(f"Operation Void is not supported for {entity}")
        check_fields(entity, payload)
        object_id = payload.get("Id")
        if object_id in (None, ""):
            raise faults.required("Id")
        with self.lock:
            existing = self.get(entity, str(object_id))
            self._check_sync_token(entity, existing, payload)
            self._check_not_deposited(entity, existing)
            obj = copy.deepcopy(existing)
            for line in obj.get("Line", []):
                if "Amount" in line:
                    line["Amount"] = money(ZERO)
                detail = line.get("SalesItemLineDetail")
                if detail and "Qty" in detail:
                    detail["Qty"] = ZERO
            obj["TotalAmt"] = money(ZERO)
            if "HomeTotalAmt" in obj:
                obj["HomeTotalAmt"] = money(ZERO)
            if "TxnTaxDetail" in obj:
                obj["TxnTaxDetail"] = {**obj["TxnTaxDetail"], "TotalTax": money(ZERO), "TaxLine": []}
            if "Balance" in obj:
                obj["Balance"] = money(ZERO)
            if entity == "Payment":
                obj["UnappliedAmt"] = money(ZERO)
            obj["PrivateNote"] = "Voided" + (" - " + existing["PrivateNote"] if existing.get("PrivateNote") else "")
            obj["TxnStatus"] = "Voided"
            obj["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            obj["MetaData"] = {**existing["MetaData"], "LastUpdatedTime": self.timestamp()}
            self._apply_effects(entity, existing, obj)
            self._store(entity, obj)
            return obj

    # ---- helpers ---------------------------------------------------------------------------------

    def timestamp(self) -> str:
        return self.now().isoformat(timespec="seconds")

    def today(self) -> str:
        return self.now().date().isoformat()

    def _store(self, entity: str, obj: dict[str, Any]) -> None:
        self.objects[entity][obj["Id"]] = obj
        self.record({"op": "put", "e": entity, "o": obj})

    def _check_writable(self, entity: str) -> None:
        if entity not in WRITABLE:
            raise _unsupported(f"Operation Create/Update is not supported for {entity}")

    def _check_sync_token(self, entity: str, existing: dict[str, Any], payload: dict[str, Any]) -> None:
        token = payload.get("SyncToken")
        if token in (None, ""):
            raise faults.required("SyncToken")
        if str(token) != existing["SyncToken"]:
            raise QBOFault(
                faults.STALE_OBJECT,
                "Stale Object Error",
                f"Stale Object Error : You and sandbox@example.com were working on this at the same time. "
                f"sandbox@example.com finished before you did, so your work was not saved. "
                f"({entity} Id {existing['Id']} is at SyncToken {existing['SyncToken']}, request had {token})",
                element="SyncToken",
            )

    def _ref(
        self, data: dict[str, Any], field: str, entity: str, *, required: bool = False, where: str | None = None
    ) -> dict[str, Any] | None:
        value = ref_value(data, field)
        label = where or field
        if value is None:
            if required:
                raise faults.required(label)
            data.pop(field, None)
            return None
        target = self.objects[entity].get(value)
        if target is None or target.get("status") == "Deleted":
            raise faults.invalid_reference(label, value, entity)
        if target.get("Active") is False:
            raise faults.not_found(entity, value)
        name = target.get("FullyQualifiedName") or target.get("Name") or target.get("DisplayName")
        data[field] = {"value": value, **({"name": name} if name else {})}
        return target

    def _account_ref(
        self,
        data: dict[str, Any],
        field: str,
        types: tuple[str, ...] | None,
        *,
        required: bool = False,
        where: str | None = None,
    ) -> dict[str, Any] | None:
        account = self._ref(data, field, "Account", required=required, where=where)
        if account is not None and types and account["AccountType"] not in types:
            raise faults.business(
                f"Invalid account type: {where or field} must be one of {', '.join(types)}; "
                f"account {account['Name']!r} is {account['AccountType']}",
                where or field,
            )
        return account

    def _check_name_unique(self, entity: str, field: str, name: str, own_id: str | None, what: str) -> None:
        for other in self.live(entity):
            if other["Id"] != own_id and str(other.get(field, "")).lower() == name.lower():
                raise QBOFault(
                    faults.DUPLICATE_NAME,
                    "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {what} is already using this name. "
                    f"Please use a different name. Id={other['Id']}",
                    element=field,
                )

    def _check_string(self, data: dict[str, Any], field: str, maximum: int) -> None:
        value = data.get(field)
        if value is not None and len(str(value)) > maximum:
            raise QBOFault(
                faults.INVALID_STRING_LENGTH,
                "String length is either shorter or longer than supported by specification",
                f"String length specified does not match the supported length. Min:0 Max:{maximum} "
                f"supplied:{len(str(value))}",
                element=field,
            )

    def _check_date(self, data: dict[str, Any], field: str) -> None:
        value = data.get(field)
        if value is None:
            return
        try:
            date.fromisoformat(str(value)[:10])
        except ValueError:
            raise QBOFault(
                faults.INVALID_PROPERTY,
                "Request has invalid or unsupported property",
                f"Property Name:{field} has an invalid date {value!r} specified is unsupported or invalid",
                element=field,
            ) from None
        data[field] = str(value)[:10]

    # ---- per-entity rules ------------------------------------------------------------------------

    def _build(
        self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None, *, allow_duplicate_doc: bool
    ) -> dict[str, Any]:
        builder = getattr(self, f"_build_{entity.lower()}")
        if entity in TRANSACTIONS:
            self._check_string(data, "DocNumber", MAX_DOC_NUMBER)
            self._check_string(data, "PrivateNote", 4000)
            data.setdefault("TxnDate", self.today())
            for field in ("TxnDate", "DueDate", "ShipDate"):
                self._check_date(data, field)
            self._ref(data, "DepartmentRef", "Department")
            self._ref(data, "ClassRef", "Class")
            self._currency(data)
            if entity in DOC_NUMBER_UNIQUE and data.get("DocNumber") and not allow_duplicate_doc:
                for other in self.live(entity):
                    if other["Id"] != (existing or {}).get("Id") and other.get("DocNumber") == data["DocNumber"]:
                        raise QBOFault(
                            faults.DUPLICATE_DOC_NUMBER,
                            "Duplicate Document Number Error",
                            f"Duplicate Document Number Error : You must specify a different number. This number "
                            f"has already been used. DocNumber={data['DocNumber']} is assigned to "
                            f"TxnType={entity} with TxnId={other['Id']}",
                            element="DocNumber",
                        )
        obj = builder(data, existing)
        if entity in TRANSACTIONS and "HomeTotalAmt" not in obj and obj.get("ExchangeRate") not in (None, 1):
            obj["HomeTotalAmt"] = money(obj["TotalAmt"] * obj["ExchangeRate"])
        return obj

    def _currency(self, data: dict[str, Any]) -> None:
        home = self.preset.currency
        currency = ref_value(data, "CurrencyRef") or home
        if currency != home and not self.multicurrency:
            raise faults.business(
                f"Multicurrency is not enabled for this company; CurrencyRef {currency} "
                f"differs from the home currency {home}.",
                "CurrencyRef",
            )
        data["CurrencyRef"] = {"value": currency}
        if currency == home:
            data.pop("ExchangeRate", None)
            if self.multicurrency:
                data["ExchangeRate"] = Decimal(1)
            return
        rate = data.get("ExchangeRate")
        if rate in (None, "", 0, 1) or dec(rate, "ExchangeRate") <= 0:
            known = self.preset.exchange_rates.get(currency)
            if known is None:
                raise faults.business(f"No exchange rate for {currency}: supply ExchangeRate.", "ExchangeRate")
            rate = known
        data["ExchangeRate"] = dec(rate, "ExchangeRate")

    def _customer_for(self, data: dict[str, Any], *, required: bool) -> dict[str, Any] | None:
        customer = self._ref(data, "CustomerRef", "Customer", required=required)
        if customer is not None:
            customer_currency = ref_value(customer, "CurrencyRef") or self.preset.currency
            if customer_currency != data["CurrencyRef"]["value"]:
                raise faults.business(
                    f"The currency of the transaction ({data['CurrencyRef']['value']}) must match the "
                    f"customer's currency ({customer_currency}).",
                    "CurrencyRef",
                )
        return customer

    # Sales documents: SalesReceipt, Invoice, RefundReceipt, CreditMemo

    def _build_salesreceipt(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("SalesReceipt", data, existing)

    def _build_refundreceipt(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("RefundReceipt", data, existing)

    def _build_creditmemo(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("CreditMemo", data, existing)

    def _build_invoice(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("Invoice", data, existing)

    def _sales_doc(self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        self._customer_for(data, required=entity in ("Invoice", "CreditMemo"))
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        if entity == "RefundReceipt":
            self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES, required=True)
        elif entity == "SalesReceipt":
            if ref_value(data, "DepositToAccountRef") is None:
                data["DepositToAccountRef"] = _ref(self.account_by_name("Undeposited Funds"))
            self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES)
        else:
            data.pop("DepositToAccountRef", None)
        if entity == "Invoice":
            data.setdefault("DueDate", data["TxnDate"])
        # QBO computes subtotal lines itself (and appends one): an incoming one is recomputed.
        lines = [line for line in data.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
        if not lines:
            raise faults.required("Line")
        calc = data.get("GlobalTaxCalculation") or ("NotApplicable" if self.us else "TaxExcluded")
        if self.us:
            data.pop("GlobalTaxCalculation", None)
        else:
            data["GlobalTaxCalculation"] = calc
        if data.get("ApplyTaxAfterDiscount") in (True, "true") and any(
            line.get("DetailType") == "DiscountLineDetail" for line in lines
        ):
            raise faults.business(
                "The emulator does not compute tax after a DiscountLineDetail; use negative "
                "SalesItemLineDetail lines with their own tax code.",
                "ApplyTaxAfterDiscount",
            )

        out_lines: list[dict[str, Any]] = []
        subtotal = ZERO  # net of tax, before discounts
        per_rate: dict[str, dict[str, Any]] = {}
        us_taxable = ZERO
        discount = ZERO
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            detail_type = line.get("DetailType")
            if not detail_type:
                raise faults.required(f"{where}.DetailType")
            line["Id"] = str(index)
            line["LineNum"] = index
            if detail_type == "SalesItemLineDetail":
                detail = line.get("SalesItemLineDetail")
                if not isinstance(detail, dict):
                    raise faults.required(f"{where}.SalesItemLineDetail")
                if "Amount" not in line:
                    raise faults.required(f"{where}.Amount")
                amount = money(dec(line["Amount"], f"{where}.Amount"))
                item = self._ref(detail, "ItemRef", "Item", required=True, where=f"{where}.SalesItemLineDetail.ItemRef")
                assert item is not None
                # python-quickbooks sends Qty, UnitPrice and TaxInclusiveAmt as 0 when they were never set:
                # on a line with an amount, a zero there means "not given".
                for field in ("Qty", "UnitPrice", "TaxInclusiveAmt"):
                    if field in detail and amount != 0 and dec(detail[field], field) == 0:
                        del detail[field]
                qty = dec(detail["Qty"], "Qty") if "Qty" in detail else None
                price = dec(detail["UnitPrice"], "UnitPrice") if "UnitPrice" in detail else None
                gross = None
                if "TaxInclusiveAmt" in detail:
                    gross = money(dec(detail["TaxInclusiveAmt"], "TaxInclusiveAmt"))
                if qty is not None and price is not None:
                    expected = money(qty * price)
                    if expected != amount and not (gross is not None and expected == gross):
                        raise QBOFault(
                            faults.AMOUNT_MISMATCH,
                            "Amount is not equal to UnitPrice * Qty",
                            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}, "
                            f"expected: {expected} ({where})",
                            element=f"{where}.Amount",
                        )
                elif qty is not None:
                    detail["UnitPrice"] = (amount / qty).quantize(UNIT, rounding=ROUND_HALF_UP)
                elif price is not None:
                    detail["Qty"] = (amount / price).quantize(UNIT, rounding=ROUND_HALF_UP)
                for field in ("Qty", "UnitPrice"):
                    if field in detail:
                        detail[field] = dec(detail[field], field)
                self._check_date(detail, "ServiceDate")
                self._ref(detail, "ClassRef", "Class", where=f"{where}.SalesItemLineDetail.ClassRef")
                if "ItemAccountRef" not in detail and item.get("IncomeAccountRef"):
                    detail["ItemAccountRef"] = dict(item["IncomeAccountRef"])
                self._ref(detail, "ItemAccountRef", "Account")
                line_tax = self._line_tax(detail, amount, gross, calc, where, per_rate, item)
                if self.us:
                    if detail["TaxCodeRef"]["value"] == "TAX":
                        us_taxable += amount
                elif gross is not None and calc == "TaxInclusive":
                    amount = gross - line_tax
                    detail["TaxInclusiveAmt"] = gross
                elif calc != "NotApplicable":
                    detail["TaxInclusiveAmt"] = amount + line_tax
                line["Amount"] = amount
                subtotal += amount
            elif detail_type == "DiscountLineDetail":
                detail = line.get("DiscountLineDetail") or {}
                if detail.get("PercentBased") in (True, "true") and "DiscountPercent" in detail:
                    amount = money(subtotal * dec(detail["DiscountPercent"], "DiscountPercent") / 100)
                elif "Amount" in line:
                    amount = money(dec(line["Amount"], f"{where}.Amount"))
                else:
                    raise faults.required(f"{where}.Amount")
                if ref_value(detail, "DiscountAccountRef") is None:
                    detail["DiscountAccountRef"] = _ref(self.account_by_name("Discounts given"))
                self._account_ref(detail, "DiscountAccountRef", None)
                line["DiscountLineDetail"] = detail
                line["Amount"] = amount
                discount += amount
            elif detail_type == "SubTotalLineDetail":
                line["Amount"] = money(subtotal)
                line.setdefault("SubTotalLineDetail", {})
            elif detail_type == "DescriptionOnly":
                line.pop("Amount", None)
                line.setdefault("DescriptionLineDetail", {})
            else:
                raise QBOFault(
                    faults.INVALID_ENUM,
                    "Invalid Enumeration",
                    f"Invalid Enumeration : DetailType {detail_type} is not valid on {entity}",
                    element=f"{where}.DetailType",
                )
            out_lines.append(line)
        # QBO appends the computed subtotal line.
        out_lines.append({"Amount": money(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        data["Line"] = out_lines

        tax_detail = data.get("TxnTaxDetail") or {}
        if self.us:
            total_tax = self._us_tax(data, tax_detail, us_taxable)
        else:
            tax_lines = [
                {
                    "Amount": money(v["tax"]),
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": rid},
                        "PercentBased": True,
                        "TaxPercent": v["rate"],
                        "NetAmountTaxable": money(v["base"]),
                    },
                }
                for rid, v in per_rate.items()
            ]
            total_tax = money(sum((v["tax"] for v in per_rate.values()), ZERO))
            data["TxnTaxDetail"] = {"TotalTax": total_tax, "TaxLine": tax_lines}
        total = money(subtotal - discount + total_tax)
        if total < 0:
            raise faults.business(f"The transaction total can't be negative ({total}).", "TotalAmt")
        data["TotalAmt"] = total
        if entity == "Invoice":
            paid = self._invoice_paid((existing or {}).get("Id"))
            deposit = money(dec(data.get("Deposit", 0), "Deposit"))
            if deposit:
                data["Deposit"] = deposit
            data["Balance"] = money(total - paid - deposit)
            if data["Balance"] < 0:
                raise faults.business(
                    f"Invoice total {total} is less than the payments already applied ({paid}).", "TotalAmt"
                )
        elif entity == "CreditMemo":
            data["RemainingCredit"] = total
            data["Balance"] = total
        else:
            data["Balance"] = money(ZERO)
        return data

    def _line_tax(
        self,
        detail: dict[str, Any],
        amount: Decimal,
        gross: Decimal | None,
        calc: str,
        where: str,
        per_rate: dict[str, dict[str, Any]],
        item: dict[str, Any],
    ) -> Decimal:
        field = f"{where}.SalesItemLineDetail.TaxCodeRef"
        if self.us:
            code = ref_value(detail, "TaxCodeRef") or ("TAX" if item.get("Taxable") else "NON")
            if code not in ("TAX", "NON"):
                raise faults.invalid_reference(field, code, "TaxCode")
            detail["TaxCodeRef"] = {"value": code}
            return ZERO
        if calc == "NotApplicable":
            self._ref(detail, "TaxCodeRef", "TaxCode", where=field)
            return ZERO
        if ref_value(detail, "TaxCodeRef") is None:
            raise faults.business(
                "Make sure all your transactions have a tax code (VAT/GST rate) before you save.", field
            )
        code = self._ref(detail, "TaxCodeRef", "TaxCode", where=field)
        assert code is not None
        rates = [
            (d["TaxRateRef"]["value"], self.objects["TaxRate"][d["TaxRateRef"]["value"]]["RateValue"])
            for d in code.get("SalesTaxRateList", {}).get("TaxRateDetail", [])
        ]
        if not rates:
            return ZERO
        total_rate = sum((r for _, r in rates), ZERO)
        if calc == "TaxInclusive" and gross is not None:
            line_tax = money(gross * total_rate / (100 + total_rate))
            net = gross - line_tax
            parts = [money(net * r / 100) for _, r in rates]
            # Keep the gross exact: any cent of difference goes to the largest rate.
            biggest = max(range(len(rates)), key=lambda i: rates[i][1])
            parts[biggest] += line_tax - sum(parts, ZERO)
        else:
            net = amount
            parts = [money(net * r / 100) for _, r in rates]
            line_tax = sum(parts, ZERO)
        for (rate_id, rate), part in zip(rates, parts, strict=True):
            slot = per_rate.setdefault(rate_id, {"tax": ZERO, "base": ZERO, "rate": rate})
            slot["tax"] += part
            slot["base"] += net
        return line_tax

    def _us_tax(self, data: dict[str, Any], tax_detail: dict[str, Any], taxable: Decimal) -> Decimal:
        code_id = ref_value(tax_detail, "TxnTaxCodeRef")
        if code_id is None:
            code = next(c for c in self.live("TaxCode") if c["Name"] == self.preset.default_tax_code)
        else:
            code = self.objects["TaxCode"].get(code_id)
            if code is None or code_id in ("TAX", "NON"):
                raise faults.invalid_reference("TxnTaxDetail.TxnTaxCodeRef", code_id, "TaxCode")
        lines = []
        computed = ZERO
        for d in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
            rate = self.objects["TaxRate"][d["TaxRateRef"]["value"]]["RateValue"]
            amount = money(taxable * rate / 100)
            computed += amount
            lines.append(
                {
                    "Amount": amount,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": d["TaxRateRef"]["value"]},
                        "PercentBased": True,
                        "TaxPercent": rate,
                        "NetAmountTaxable": money(taxable),
                    },
                }
            )
        total = computed
        if "TotalTax" in tax_detail:
            # Automated sales tax: an explicit TotalTax overrides the computed amount.
            total = money(dec(tax_detail["TotalTax"], "TxnTaxDetail.TotalTax"))
            if lines and total != computed:
                lines[0]["TaxLineDetail"]["OverrideDeltaAmount"] = total - computed
                lines[0]["Amount"] = lines[0]["Amount"] + total - computed
        data["TxnTaxDetail"] = {
            "TxnTaxCodeRef": {"value": code["Id"], "name": code["Name"]},
            "TotalTax": total,
            "TaxLine": lines,
        }
        return total

    def _invoice_paid(self, invoice_id: str | None) -> Decimal:
        if invoice_id is None:
            return ZERO
        paid = ZERO
        for payment in self.live("Payment"):
            for line in payment.get("Line", []):
                for linked in line.get("LinkedTxn", []):
                    if linked.get("TxnType") == "Invoice" and str(linked.get("TxnId")) == invoice_id:
                        paid += line["Amount"]
        return paid

    # Payment

    def _build_payment(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        customer = self._customer_for(data, required=True)
        assert customer is not None
        if "TotalAmt" not in data:
            raise faults.required("TotalAmt")
        total = money(dec(data["TotalAmt"], "TotalAmt"))
        if total < 0:
            raise faults.business("The payment amount can't be negative.", "TotalAmt")
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        if ref_value(data, "DepositToAccountRef") is None:
            data["DepositToAccountRef"] = _ref(self.account_by_name("Undeposited Funds"))
        self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES)
        applied = ZERO
        lines = []
        for index, raw in enumerate(data.get("Line") or [], start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            if "Amount" not in line:
                raise faults.required(f"{where}.Amount")
            amount = money(dec(line["Amount"], f"{where}.Amount"))
            linked = line.get("LinkedTxn") or []
            if not linked:
                raise faults.required(f"{where}.LinkedTxn")
            for link in linked:
                if link.get("TxnType") != "Invoice":
                    raise faults.business(
                        f"{where}: a Payment line can only be linked to an Invoice here.", f"{where}.LinkedTxn"
                    )
                invoice = self.objects["Invoice"].get(str(link.get("TxnId")))
                if invoice is None or invoice.get("status") == "Deleted":
                    raise faults.invalid_reference(f"{where}.LinkedTxn.TxnId", link.get("TxnId"), "Invoice")
                if ref_value(invoice, "CustomerRef") != customer["Id"]:
                    raise faults.business(f"Invoice {invoice['Id']} belongs to another customer.", f"{where}.LinkedTxn")
                link["TxnId"] = invoice["Id"]
                already = self._invoice_paid(invoice["Id"])
                if existing is not None:
                    already -= sum(
                        (
                            ln["Amount"]
                            for ln in existing.get("Line", [])
                            for lk in ln.get("LinkedTxn", [])
                            if lk.get("TxnId") == invoice["Id"]
                        ),
                        ZERO,
                    )
                if amount > invoice["TotalAmt"] - already:
                    raise faults.business(
                        f"The payment amount {amount} is more than the open balance "
                        f"{invoice['TotalAmt'] - already} of invoice {invoice['Id']}.",
                        f"{where}.Amount",
                    )
            line["Amount"] = amount
            applied += amount
            lines.append(line)
        if applied > total:
            raise faults.business(f"The amount applied ({applied}) is more than the payment ({total}).", "TotalAmt")
        data["Line"] = lines
        data["TotalAmt"] = total
        data["UnappliedAmt"] = money(total - applied)
        return data

    # Deposit

    def _build_deposit(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        target = self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES, required=True)
        assert target is not None
        lines = data.get("Line")
        if not lines:
            raise faults.required("Line")
        total = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            if "Amount" not in line:
                raise faults.required(f"{where}.Amount")
            amount = money(dec(line["Amount"], f"{where}.Amount"))
            linked = line.get("LinkedTxn") or []
            if linked:
                for link in linked:
                    self._check_depositable(link, amount, where, (existing or {}).get("Id"))
            else:
                if line.get("DetailType") != "DepositLineDetail" or not isinstance(line.get("DepositLineDetail"), dict):
                    raise faults.required(f"{where}.DepositLineDetail")
                detail = line["DepositLineDetail"]
                account = self._account_ref(
                    detail, "AccountRef", None, required=True, where=f"{where}.DepositLineDetail.AccountRef"
                )
                assert account is not None
                if account["Id"] == target["Id"]:
                    raise faults.business(
                        "A deposit line can't use the account being deposited to.",
                        f"{where}.DepositLineDetail.AccountRef",
                    )
                self._ref(detail, "PaymentMethodRef", "PaymentMethod")
                self._ref(detail, "ClassRef", "Class")
                self._ref(detail, "Entity", "Customer")
            line["Id"] = str(index)
            line["LineNum"] = index
            line["Amount"] = amount
            total += amount
            out.append(line)
        cash_back = data.get("CashBack")
        if cash_back:
            self._account_ref(cash_back, "AccountRef", None, required=True, where="CashBack.AccountRef")
            cash_back["Amount"] = money(dec(cash_back.get("Amount", 0), "CashBack.Amount"))
            total -= cash_back["Amount"]
        if total < 0:
            raise faults.business(f"The deposit total can't be negative ({total}).", "TotalAmt")
        data["Line"] = out
        data["TotalAmt"] = money(total)
        return data

    def _check_depositable(self, link: dict[str, Any], amount: Decimal, where: str, own_id: str | None) -> None:
        kind = link.get("TxnType")
        if kind not in ("Payment", "SalesReceipt", "RefundReceipt"):
            raise faults.business(
                f"{where}: only Payment, SalesReceipt and RefundReceipt can be deposited.", f"{where}.LinkedTxn"
            )
        source = self.objects[kind].get(str(link.get("TxnId")))
        if source is None or source.get("status") == "Deleted":
            raise faults.invalid_reference(f"{where}.LinkedTxn.TxnId", link.get("TxnId"), kind)
        if ref_value(source, "DepositToAccountRef") != self.account_by_name("Undeposited Funds")["Id"]:
            raise faults.business(
                f"{kind} {source['Id']} was not received into Undeposited Funds.", f"{where}.LinkedTxn"
            )
        expected = -source["TotalAmt"] if kind == "RefundReceipt" else source["TotalAmt"]
        if amount != expected:
            raise faults.business(
                f"{where}: the amount {amount} must equal the linked {kind}'s {expected}.", f"{where}.Amount"
            )
        for deposit in self.live("Deposit"):
            if deposit["Id"] == own_id:
                continue
            for line in deposit.get("Line", []):
                for other in line.get("LinkedTxn", []):
                    if other.get("TxnType") == kind and str(other.get("TxnId")) == source["Id"]:
                        raise faults.business(
                            f"{kind} {source['Id']} is already in deposit {deposit['Id']}.", f"{where}.LinkedTxn"
                        )
        link["TxnId"] = source["Id"]

    def _check_not_deposited(self, entity: str, existing: dict[str, Any]) -> None:
        for deposit in self.live("Deposit"):
            for line in deposit.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    if link.get("TxnType") == entity and str(link.get("TxnId")) == existing["Id"]:
                        raise faults.business(
                            f"{entity} {existing['Id']} is part of deposit {deposit['Id']}: "
                            "remove it from the deposit first."
                        )

    # JournalEntry

    def _build_journalentry(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        lines = data.get("Line")
        if not lines:
            raise faults.required("Line")
        debits = credits = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            detail = line.get("JournalEntryLineDetail")
            if line.get("DetailType") != "JournalEntryLineDetail" or not isinstance(detail, dict):
                raise faults.required(f"{where}.JournalEntryLineDetail")
            if "Amount" not in line:
                raise faults.required(f"{where}.Amount")
            amount = money(dec(line["Amount"], f"{where}.Amount"))
            if amount < 0:
                raise faults.business(
                    f"{where}: journal lines can't be negative; use the other PostingType.", f"{where}.Amount"
                )
            posting = detail.get("PostingType")
            if posting not in ("Debit", "Credit"):
                raise faults.required(f"{where}.JournalEntryLineDetail.PostingType")
            account = self._account_ref(
                detail, "AccountRef", None, required=True, where=f"{where}.JournalEntryLineDetail.AccountRef"
            )
            assert account is not None
            entity_ref = detail.get("Entity") or {}
            if account["AccountType"] in ("Accounts Receivable", "Accounts Payable"):
                if ref_value(entity_ref, "EntityRef") is None:
                    raise faults.business(
                        "When you use Accounts Receivable, you must choose a customer in the Name field; "
                        "with Accounts Payable, a supplier.",
                        f"{where}.JournalEntryLineDetail.Entity",
                    )
            if entity_ref and entity_ref.get("Type", "Customer") == "Customer":
                self._ref(entity_ref, "EntityRef", "Customer")
            self._ref(detail, "ClassRef", "Class")
            self._ref(detail, "DepartmentRef", "Department")
            if posting == "Debit":
                debits += amount
            else:
                credits += amount
            line["Id"] = str(index)
            line["LineNum"] = index
            line["Amount"] = amount
            out.append(line)
        if debits != credits:
            raise faults.business(
                f"You must balance your debits and credits: debits {debits}, credits {credits}.", "Line"
            )
        data["Line"] = out
        data["TotalAmt"] = money(debits)
        return data

    # Name lists

    def _build_account(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = data.get("Name")
        if not name:
            raise faults.required("Name")
        self._check_string(data, "Name", 100)
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
        full = f"{parent['FullyQualifiedName']}:{name}" if parent else name
        for other in self.live("Account"):
            if other["Id"] != (existing or {}).get("Id") and other["FullyQualifiedName"].lower() == full.lower():
                raise QBOFault(
                    faults.DUPLICATE_NAME,
                    "Duplicate Name Exists Error",
                    "The name supplied already exists. : Another account is already using this name. "
                    f"Please use a different name. Id={other['Id']}",
                    element="Name",
                )
        data["SubAccount"] = parent is not None
        data["FullyQualifiedName"] = full
        data["Classification"] = CLASSIFICATION[acct_type]
        data.setdefault("Active", True)
        data.setdefault("CurrencyRef", {"value": self.preset.currency})
        data["CurrentBalance"] = (existing or {}).get("CurrentBalance", ZERO)
        data["CurrentBalanceWithSubAccounts"] = (existing or {}).get("CurrentBalanceWithSubAccounts", ZERO)
        return data

    def _build_item(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = data.get("Name")
        if not name:
            raise faults.required("Name")
        self._check_string(data, "Name", 100)
        self._check_string(data, "Sku", 100)
        item_type = data.get("Type")
        if not item_type:
            raise faults.required("Type")
        if existing is not None and existing["Type"] == "Inventory" and item_type != "Inventory":
            raise faults.business("An inventory item can't be changed to another type.", "Type")
        self._check_name_unique("Item", "Name", name, (existing or {}).get("Id"), "product or service")
        # Service and non-inventory items may post their sales to a liability (QuickBooks'
        # own advice for gift cards and collected tips); inventory items may not.
        income_types = ("Income", "Other Income")
        if item_type != "Inventory":
            income_types += ("Other Current Liability",)
        self._account_ref(data, "IncomeAccountRef", income_types, required=True)
        for field in ("UnitPrice", "PurchaseCost", "QtyOnHand", "ReorderPoint"):
            if field in data:
                data[field] = dec(data[field], field)
        if item_type == "Inventory":
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

    def _build_customer(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        if not data.get("DisplayName"):
            parts = [data.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if data.get(k)]
            data["DisplayName"] = " ".join(parts) or data.get("CompanyName") or ""
        name = data["DisplayName"]
        if not name:
            raise faults.required("DisplayName")
        self._check_string(data, "DisplayName", 500)
        if ":" in name:
            raise faults.business("Names can't contain a colon.", "DisplayName")
        self._check_name_unique(
            "Customer", "DisplayName", name, (existing or {}).get("Id"), "customer, vendor or employee"
        )
        currency = ref_value(data, "CurrencyRef") or self.preset.currency
        if existing is not None and currency != (ref_value(existing, "CurrencyRef") or self.preset.currency):
            raise faults.business("A customer's currency can't be changed.", "CurrencyRef")
        if currency != self.preset.currency and not self.multicurrency:
            raise faults.business("Multicurrency is not enabled for this company.", "CurrencyRef")
        data["CurrencyRef"] = {"value": currency}
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise faults.business(f"Invalid email address format: {email}", "PrimaryEmailAddr")
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        self._ref(data, "DefaultTaxCodeRef", "TaxCode")
        parent = self._ref(data, "ParentRef", "Customer")
        data["Job"] = parent is not None
        data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}" if parent else name
        data.setdefault("Active", True)
        data["Balance"] = (existing or {}).get("Balance", ZERO)
        data["BalanceWithJobs"] = (existing or {}).get("BalanceWithJobs", ZERO)
        return data

    def _simple_list(self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        name = data.get("Name")
        if not name:
            raise faults.required("Name")
        self._check_string(data, "Name", 100)
        self._check_name_unique(entity, "Name", name, (existing or {}).get("Id"), entity.lower())
        data.setdefault("Active", True)
        if entity in ("Class", "Department"):
            parent = self._ref(data, "ParentRef", entity)
            data["Sub" + entity] = parent is not None
            data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}" if parent else name
        return data

    def _build_class(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("Class", data, existing)

    def _build_department(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("Department", data, existing)

    def _build_paymentmethod(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._simple_list("PaymentMethod", data, existing)

    # ---- side effects: inventory and invoice balances ----------------------------------------------

    def _apply_effects(self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if entity in ("SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo"):
            sign = Decimal(-1) if entity in ("SalesReceipt", "Invoice") else Decimal(1)
            changes: dict[str, Decimal] = {}
            for doc, factor in ((old, -sign), (new, sign)):
                if doc is None or doc.get("status") == "Deleted":
                    continue
                for line in doc.get("Line", []):
                    detail = line.get("SalesItemLineDetail")
                    if detail and "Qty" in detail:
                        item_id = detail["ItemRef"]["value"]
                        changes[item_id] = changes.get(item_id, ZERO) + factor * detail["Qty"]
            for item_id, delta in changes.items():
                item = self.objects["Item"].get(item_id)
                if item and item.get("Type") == "Inventory" and delta:
                    updated = {
                        **item,
                        "QtyOnHand": item.get("QtyOnHand", ZERO) + delta,
                        "SyncToken": str(int(item["SyncToken"]) + 1),
                        "MetaData": {**item["MetaData"], "LastUpdatedTime": self.timestamp()},
                    }
                    self._store("Item", updated)
        if entity == "Payment":
            invoice_ids = set()
            for doc in (old, new):
                for line in (doc or {}).get("Line", []):
                    for link in line.get("LinkedTxn", []):
                        invoice_ids.add(str(link.get("TxnId")))
            pending = {new["Id"]: new} if new is not None else {}
            removed = old["Id"] if (old is not None and new is None) else None
            for invoice_id in invoice_ids:
                invoice = self.objects["Invoice"].get(invoice_id)
                if invoice is None or invoice.get("status") == "Deleted":
                    continue
                paid = ZERO
                for payment in self.live("Payment"):
                    if payment["Id"] in pending or payment["Id"] == removed:
                        continue
                    paid += _applied_to(payment, invoice_id)
                for payment in pending.values():
                    paid += _applied_to(payment, invoice_id)
                balance = money(invoice["TotalAmt"] - paid - invoice.get("Deposit", ZERO))
                if balance != invoice.get("Balance"):
                    self._store("Invoice", {**invoice, "Balance": balance})


def _applied_to(payment: dict[str, Any], invoice_id: str) -> Decimal:
    total = ZERO
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                total += line["Amount"]
    return total


def _ref(obj: dict[str, Any]) -> dict[str, Any]:
    return {"value": obj["Id"], "name": obj.get("FullyQualifiedName") or obj.get("Name")}


def _unsupported(detail: str) -> QBOFault:
    return QBOFault(faults.UNSUPPORTED_OPERATION, "Unsupported Operation", detail)
