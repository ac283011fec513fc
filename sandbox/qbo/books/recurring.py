"""Recurring transactions: templates that wrap one transaction (``{"Invoice": {...}}``) with its
RecurringInfo (name, type, schedule). A template is checked as its transaction would be (fields of
the XSD, references, lines, totals) but posts nothing, moves no stock and pays no invoice.

Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/recurringtransaction
"""

from __future__ import annotations

import copy
from typing import Any

from .. import faults
from ..faults import QBOFault
from ..schema import check_entity
from .checks import Checks
from .rules import clean, computed_fields

# The transaction types a template can wrap (python-quickbooks' RecurringTransaction.class_dict, less
# VendorCredit, which the emulator does not implement).
TEMPLATE_TYPES = (
    "Bill",
    "Purchase",
    "CreditMemo",
    "Deposit",
    "Estimate",
    "Invoice",
    "JournalEntry",
    "RefundReceipt",
    "SalesReceipt",
    "Transfer",
    "PurchaseOrder",
)
RECUR_TYPES = ("Automated", "Reminded", "UnScheduled")
INTERVALS = ("Daily", "Weekly", "Monthly", "Yearly")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKS = ("First", "Second", "Third", "Fourth", "Last")
NAME_MAX = 100


class Recurring(Checks):
    def recurring_write(self, payload: dict[str, Any], operation: str) -> dict[str, Any]:
        """Create, update (the wrapped transaction has an Id) or delete a template; answers the wrapper."""
        kind, inner = _unwrap(payload)
        check_entity(kind, inner)
        with self.lock:
            if operation == "delete":
                return self._recurring_delete(kind, inner)
            if operation not in ("", "create", "update"):
                raise QBOFault(
                    faults.UNSUPPORTED_OPERATION, "Unsupported Operation", f"Operation {operation} is not supported."
                )
            existing = None
            if inner.get("Id") not in (None, ""):
                existing = self._current_template(kind, inner)
            data = {k: v for k, v in clean(copy.deepcopy(inner)).items() if k not in computed_fields(kind)}
            info = self._recurring_info(kind, data.pop("RecurringInfo", None), existing)
            data.pop("RecurDataRef", None)
            built = self._build(kind, data, None, allow_duplicate_doc=True)
            built["RecurringInfo"] = info
            stamp = self.timestamp()
            if existing is None:
                self.counters["RecurringTransaction"] += 1
                object_id, token, created = str(self.counters["RecurringTransaction"]), "0", stamp
            else:
                object_id = existing["Id"]
                token = str(int(existing["SyncToken"]) + 1)
                created = existing["MetaData"]["CreateTime"]
            meta = {"CreateTime": created, "LastUpdatedTime": stamp}
            template = {
                "Id": object_id,
                **built,
                "SyncToken": token,
                "MetaData": meta,
                "domain": "QBO",
                "sparse": False,
            }
            stored = {"Id": object_id, "Type": kind, "SyncToken": token, "MetaData": meta, kind: template}
            self._store("RecurringTransaction", stored)
            return {kind: template}

    def recurring_read(self, object_id: str) -> dict[str, Any]:
        stored = self.get("RecurringTransaction", object_id)
        return {stored["Type"]: stored[stored["Type"]]}

    def _current_template(self, kind: str, inner: dict[str, Any]) -> dict[str, Any]:
        stored = self.get("RecurringTransaction", str(inner["Id"]))
        if stored["Type"] != kind:
            raise faults.not_found(kind, str(inner["Id"]))
        token = inner.get("SyncToken")
        if token in (None, ""):
            raise faults.required("SyncToken")
        if str(token) != stored["SyncToken"]:
            raise faults.stale("RecurringTransaction", stored["Id"], stored["SyncToken"], token)
        return stored

    def _recurring_delete(self, kind: str, inner: dict[str, Any]) -> dict[str, Any]:
        if inner.get("Id") in (None, ""):
            raise faults.required("Id")
        existing = self._current_template(kind, inner)
        tombstone = {
            "Id": existing["Id"],
            "Type": kind,
            "status": "Deleted",
            "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": self.timestamp()},
        }
        self._store("RecurringTransaction", tombstone)
        return {kind: {"Id": existing["Id"], "domain": "QBO", "status": "Deleted"}}

    def _recurring_info(self, kind: str, info: Any, existing: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(info, dict):
            raise faults.required(f"{kind}.RecurringInfo")
        where = f"{kind}.RecurringInfo"
        name = info.get("Name")
        if not name:
            raise faults.required(f"{where}.Name")
        self._check_string(info, "Name", NAME_MAX)
        for other in self.live("RecurringTransaction"):
            if other["Id"] != (existing or {}).get("Id"):
                other_name = other[other["Type"]].get("RecurringInfo", {}).get("Name", "")
                if str(other_name).lower() == str(name).lower():
                    raise QBOFault(
                        faults.DUPLICATE_NAME,
                        "Duplicate Name Exists Error",
                        f"The name supplied already exists. : Another recurring template is already using this "
                        f"name. Id={other['Id']}",
                        element=f"{where}.Name",
                    )
        recur_type = info.setdefault("RecurType", "Automated")
        if recur_type not in RECUR_TYPES:
            raise _enum(recur_type, f"{where}.RecurType")
        info.setdefault("Active", True)
        schedule = info.get("ScheduleInfo")
        if recur_type == "UnScheduled":
            info.pop("ScheduleInfo", None)
            return info
        if not isinstance(schedule, dict):
            raise faults.required(f"{where}.ScheduleInfo")
        self._schedule(schedule, f"{where}.ScheduleInfo")
        return info

    def _schedule(self, schedule: dict[str, Any], where: str) -> None:
        interval = schedule.get("IntervalType")
        if not interval:
            raise faults.required(f"{where}.IntervalType")
        if interval not in INTERVALS:
            raise _enum(interval, f"{where}.IntervalType")
        for field in ("StartDate", "EndDate", "NextDate", "PreviousDate"):
            self._check_date(schedule, field)
        if "StartDate" not in schedule:
            schedule["StartDate"] = self.today()
        if schedule.get("EndDate") and schedule["EndDate"] < schedule["StartDate"]:
            raise faults.business("EndDate is before StartDate.", f"{where}.EndDate")
        if schedule.get("EndDate") and schedule.get("MaxOccurrences"):
            raise faults.business("A schedule ends on EndDate or after MaxOccurrences, not both.", f"{where}.EndDate")
        for field in ("NumInterval", "MaxOccurrences", "DaysBefore", "RemindDays", "DayOfMonth"):
            if field in schedule:
                value = schedule[field]
                if isinstance(value, bool) or not str(value).isdigit():
                    raise faults.business(f"{field} must be a whole number.", f"{where}.{field}")
                schedule[field] = int(value)
        schedule.setdefault("NumInterval", 1)
        if schedule["NumInterval"] < 1:
            raise faults.business("NumInterval must be at least 1.", f"{where}.NumInterval")
        day, week = schedule.get("DayOfWeek"), schedule.get("WeekOfMonth")
        if day is not None and day not in DAYS:
            raise _enum(day, f"{where}.DayOfWeek")
        if week is not None and week not in WEEKS:
            raise _enum(week, f"{where}.WeekOfMonth")
        if interval == "Weekly" and day is None:
            raise faults.required(f"{where}.DayOfWeek")
        if interval == "Monthly":
            if "DayOfMonth" in schedule:
                if not 1 <= schedule["DayOfMonth"] <= 31:
                    raise faults.business("DayOfMonth must be between 1 and 31.", f"{where}.DayOfMonth")
            elif day is None or week is None:
                raise faults.required(f"{where}.DayOfMonth")
        schedule.setdefault("NextDate", schedule["StartDate"])


def _unwrap(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if not isinstance(payload, dict):
        raise faults.required("RecurringTransaction")
    kinds = [k for k in payload if k not in ("domain", "sparse")]
    unknown = [k for k in kinds if k not in TEMPLATE_TYPES]
    if unknown:
        raise QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"Property Name:{unknown[0]} is not a transaction a recurring template can hold",
            element=unknown[0],
        )
    if len(kinds) != 1 or not isinstance(payload[kinds[0]], dict):
        raise faults.business(
            f"A recurring template holds exactly one transaction (one of {', '.join(TEMPLATE_TYPES)}).", "Type"
        )
    return kinds[0], payload[kinds[0]]


def _enum(value: Any, where: str) -> QBOFault:
    return QBOFault(
        faults.INVALID_ENUM, "Invalid Enumeration", f"Invalid Enumeration : {value} for {where}", element=where
    )
