"""Vendors, employees, terms, tax agencies, company currencies and time activities.

Customers, vendors and employees share one name list: a DisplayName used by any of them is
refused for another (6240, "Another customer, vendor or employee is already using this name").
Sources for each rule are in the sandbox README ("Entities beyond sales").
"""

from __future__ import annotations

import re
from typing import Any

from .. import faults
from .checks import Checks
from .rules import PEOPLE, ZERO, dec, ref_value

# Reference: https://www.iso.org/iso-4217-currency-codes.html (the names QBO shows for them)
CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "BRL": "Brazilian Real",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "CNY": "Chinese Yuan Renminbi",
    "DKK": "Danish Krone",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "HKD": "Hong Kong Dollar",
    "INR": "Indian Rupee",
    "JPY": "Japanese Yen",
    "MXN": "Mexican Peso",
    "NOK": "Norwegian Krone",
    "NZD": "New Zealand Dollar",
    "SEK": "Swedish Krona",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}
TERM_NAME_MAX = 31
TERM_DAYS_MAX = 999
TIME_NAME_OF = ("Employee", "Vendor")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class People(Checks):
    # ---- the shared name list ---------------------------------------------------------------------

    def _display_name(self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None) -> str:
        """A person's DisplayName (made from the name parts when absent), unique across customers,
        vendors and employees, without a colon."""
        if not data.get("DisplayName"):
            parts = [data.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if data.get(k)]
            data["DisplayName"] = " ".join(str(p) for p in parts) or data.get("CompanyName") or ""
        name = str(self._required_name(data, "DisplayName", 500))
        if ":" in name:
            raise faults.business("Names can't contain a colon.", "DisplayName")
        own_id = (existing or {}).get("Id")
        for other_entity in PEOPLE:
            self._check_name_unique(
                other_entity,
                "DisplayName",
                name,
                own_id if other_entity == entity else None,
                "customer, vendor or employee",
            )
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None and not EMAIL.fullmatch(str(email)):
            raise faults.business(f"Invalid email address format: {email}", "PrimaryEmailAddr")
        return name

    # ---- vendors ----------------------------------------------------------------------------------

    def _build_vendor(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/vendor
        name = self._display_name("Vendor", data, existing)
        data["PrintOnCheckName"] = data.get("PrintOnCheckName") or name
        self._check_string(data, "AcctNum", 100)
        self._check_string(data, "TaxIdentifier", 20)
        before = ref_value(existing, "CurrencyRef") or self.preset.currency if existing is not None else None
        currency = ref_value(data, "CurrencyRef") or before or self.preset.currency
        if before is not None and currency != before:
            raise faults.business("A vendor's currency can't be changed.", "CurrencyRef")
        if currency != self.preset.currency and not self.multicurrency:
            raise faults.business(
                f"Multicurrency is not enabled for this company: a vendor in {currency} needs it.", "CurrencyRef"
            )
        data["CurrencyRef"] = {"value": currency}
        self._ref(data, "TermRef", "Term")
        data.setdefault("Vendor1099", False)
        data.setdefault("Active", True)
        data["Balance"] = self._vendor_balance((existing or {}).get("Id"))
        return data

    def with_vendor_balances(self, vendors: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Vendors as QBO answers them: ``Balance`` is what their open bills owe now."""
        return [{**v, "Balance": self._vendor_balance(v["Id"])} if v.get("status") != "Deleted" else v for v in vendors]

    def _vendor_balance(self, vendor_id: str | None) -> Any:
        """What the vendor's open bills still owe (in the vendor's currency)."""
        if vendor_id is None:
            return ZERO
        return sum(
            (bill.get("Balance", ZERO) for bill in self.live("Bill") if ref_value(bill, "VendorRef") == vendor_id),
            ZERO,
        )

    # ---- employees --------------------------------------------------------------------------------

    def _build_employee(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/employee
        if not any(data.get(k) for k in ("DisplayName", "GivenName", "FamilyName")):
            raise faults.required("GivenName")
        self._display_name("Employee", data, existing)
        for field in ("HiredDate", "ReleasedDate", "BirthDate"):
            self._check_date(data, field)
        ssn = data.get("SSN")
        if ssn is not None:
            digits = re.sub(r"\D", "", str(ssn))
            if len(digits) != 9:
                raise faults.business("SSN must have 9 digits.", "SSN")
            # QBO answers the SSN masked.
            data["SSN"] = "XXX-XX-" + digits[-4:]
        data["PrintOnCheckName"] = data.get("PrintOnCheckName") or data["DisplayName"]
        data.setdefault("BillableTime", False)
        data.setdefault("Active", True)
        return data

    # ---- terms ------------------------------------------------------------------------------------

    def _build_term(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/term
        # (Finance.xsd's Term: Name max 31; DueDays 0-999, "required if DayOfMonthDue is not specified",
        # and with it "only DiscountDays and DiscountPercent"; DayOfMonthDue 1-31)
        name = self._required_name(data, "Name", TERM_NAME_MAX)
        self._check_name_unique("Term", "Name", name, (existing or {}).get("Id"), "term")
        standard = [f for f in ("DueDays", "DiscountDays") if f in data]
        date_driven = [f for f in ("DayOfMonthDue", "DueNextMonthDays", "DiscountDayOfMonth") if f in data]
        if standard and date_driven:
            raise faults.business(
                "A term is either standard (DueDays, DiscountDays) or date driven (DayOfMonthDue, "
                "DueNextMonthDays, DiscountDayOfMonth), not both.",
                date_driven[0],
            )
        for field in (*standard, *date_driven):
            value = dec(data[field], field)
            if value < 0 or value != value.to_integral_value():
                raise faults.business(f"{field} must be a whole number of days, not {data[field]}.", field)
            data[field] = int(value)
        if data.get("DueDays", 0) > TERM_DAYS_MAX:
            raise faults.business(f"DueDays can be at most {TERM_DAYS_MAX}.", "DueDays")
        if "DayOfMonthDue" in data and not 1 <= data["DayOfMonthDue"] <= 31:
            raise faults.business("DayOfMonthDue must be between 1 and 31.", "DayOfMonthDue")
        if "DiscountPercent" in data:
            data["DiscountPercent"] = dec(data["DiscountPercent"], "DiscountPercent")
        if not standard and not date_driven:
            raise faults.required("DueDays")
        data["Type"] = "DATE_DRIVEN" if date_driven else "STANDARD"
        data.setdefault("Active", True)
        return data

    # ---- tax agencies -----------------------------------------------------------------------------

    def _build_taxagency(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxagency
        if existing is not None:
            raise faults.business("A tax agency can't be updated through the API.", "Id")
        name = self._required_name(data, "DisplayName", 100)
        self._check_name_unique("TaxAgency", "DisplayName", name, None, "tax agency")
        data.setdefault("TaxTrackedOnSales", True)
        data.setdefault("TaxTrackedOnPurchases", False)
        return data

    # ---- company currencies -----------------------------------------------------------------------

    def _build_companycurrency(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companycurrency
        if not self.multicurrency:
            raise faults.business("Multicurrency is not enabled for this company: it has no currencies.", "Code")
        code = str(data.get("Code") or (existing or {}).get("Code") or "").upper()
        if not code:
            raise faults.required("Code")
        if existing is not None and code != existing["Code"]:
            raise faults.business("A currency's code can't be changed.", "Code")
        if code not in CURRENCY_NAMES:
            raise faults.invalid_reference("Code", code, "CompanyCurrency")
        if code == self.preset.currency:
            raise faults.business(f"{code} is the home currency.", "Code")
        self._check_name_unique("CompanyCurrency", "Code", code, (existing or {}).get("Id"), "currency")
        data["Code"] = code
        data["Name"] = CURRENCY_NAMES[code]
        data.setdefault("Active", True)
        return data

    def _seed_currencies(self) -> None:
        """A multicurrency company's currencies: those of the preset's exchange rates, in their order."""
        if not self.multicurrency:
            return
        present = {c.get("Code") for c in self.objects["CompanyCurrency"].values()}
        for code in self.preset.exchange_rates:
            if code in present or code == self.preset.currency or code not in CURRENCY_NAMES:
                continue
            self.counters["CompanyCurrency"] += 1
            stamp = self.timestamp()
            self._store(
                "CompanyCurrency",
                {
                    "Id": str(self.counters["CompanyCurrency"]),
                    "Code": code,
                    "Name": CURRENCY_NAMES[code],
                    "Active": True,
                    "SyncToken": "0",
                    "domain": "QBO",
                    "sparse": False,
                    "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
                },
            )

    # ---- time activities --------------------------------------------------------------------------

    def _build_timeactivity(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/timeactivity
        name_of = data.get("NameOf")
        if not name_of:
            raise faults.required("NameOf")
        if name_of not in TIME_NAME_OF:
            raise faults.QBOFault(
                faults.INVALID_ENUM,
                "Invalid Enumeration",
                f"Invalid Enumeration : {name_of} for NameOf",
                element="NameOf",
            )
        self._ref(data, f"{name_of}Ref", name_of, required=True)
        data.pop("VendorRef" if name_of == "Employee" else "EmployeeRef", None)
        data.setdefault("TxnDate", self.today())
        self._check_date(data, "TxnDate")
        self._check_string(data, "Description", 4000)
        self._ref(data, "CustomerRef", "Customer")
        self._ref(data, "ItemRef", "Item")
        self._ref(data, "ClassRef", "Class")
        self._ref(data, "DepartmentRef", "Department")
        for field in ("Hours", "Minutes", "Seconds", "BreakHours", "BreakMinutes", "BreakSeconds"):
            if field in data:
                value = dec(data[field], field)
                if value < 0:
                    raise faults.business(f"{field} can't be negative.", field)
                data[field] = int(value)
        for field in ("CostRate", "HourlyRate"):
            if field in data:
                data[field] = dec(data[field], field)
                if data[field] < 0:
                    raise faults.business(f"{field} can't be negative.", field)
        timed = "StartTime" in data or "EndTime" in data
        if timed:
            if "StartTime" not in data or "EndTime" not in data:
                raise faults.required("EndTime" if "StartTime" in data else "StartTime")
            if str(data["EndTime"]) <= str(data["StartTime"]):
                raise faults.business("EndTime must be after StartTime.", "EndTime")
        elif "Hours" not in data and "Minutes" not in data:
            raise faults.required("Hours")
        billable = data.setdefault("BillableStatus", "NotBillable")
        if billable == "Billable" and ref_value(data, "CustomerRef") is None:
            raise faults.business("A billable time activity needs a CustomerRef.", "CustomerRef")
        return data
