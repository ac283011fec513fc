"""A company's store and its four writes: create, update, delete and void, as QBO does them.

Every write checks the entity may take it, that the caller's SyncToken is current,
builds the object through its family's ``_build_<entity>`` (with the checks all
transactions share first), applies its side effects and records it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from .. import faults
from ..presets import Preset
from ..schema import check_entity
from .rules import (
    DELETABLE,
    ENTITIES,
    SALES_DOCS,
    TRANSACTIONS,
    VOIDABLE,
    WRITABLE,
    ZERO,
    applied_to,
    clean,
    computed_fields,
    money,
    unsupported,
)


class Books:
    """A realm: objects by entity and Id, and the writes that keep them consistent."""

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
        # exchange rates set through the API or the sandbox control: currency -> AsOfDate -> rate
        self.rate_table: dict[str, dict[str, Decimal]] = {}
        self.version = 0  # moves on with every stored change (the general ledger's cache key)
        self.prefs: dict[str, Any] = {}
        self.record = record or (lambda _entry: None)
        self._seed()

    # Supplied by the families Company is made of (see __init__.py).
    _seed: Callable[[], None]
    _check_transaction: Callable[..., None]
    _check_not_deposited: Callable[[str, dict[str, Any]], None]
    _move_inventory: Callable[[str, dict[str, Any] | None, dict[str, Any] | None], None]
    _move_adjusted_stock: Callable[[str, dict[str, Any] | None, dict[str, Any] | None], None]
    _adjustment_postings: Callable[[dict[str, Any]], list[Any]]
    adjusted_quantities: Callable[..., dict[str, Decimal]]
    _rebalance_invoices: Callable[[dict[str, Any] | None, dict[str, Any] | None], None]
    _invoice_links: Callable[[str | None, list[dict[str, Any]]], list[dict[str, Any]]]
    _ensure_ar_account: Callable[[str], None]
    _rebalance_bills: Callable[[dict[str, Any] | None, dict[str, Any] | None], None]
    _move_purchased_stock: Callable[[str, dict[str, Any] | None, dict[str, Any] | None], None]
    _check_not_paid: Callable[[str, dict[str, Any]], None]

    @property
    def us(self) -> bool:
        return self.preset.country == "US"

    # ---- reading -------------------------------------------------------------------------------

    def get(self, entity: str, object_id: str) -> dict[str, Any]:
        obj = self.objects[entity].get(str(object_id))
        if obj is None or obj.get("status") == "Deleted":
            raise faults.not_found(entity, str(object_id))
        return obj

    def live(self, entity: str) -> list[dict[str, Any]]:
        return [o for o in self.objects[entity].values() if o.get("status") != "Deleted"]

    def account_by_name(self, name: str) -> dict[str, Any]:
        for account in self.objects["Account"].values():
            if account.get("Name") == name:
                return account
        raise KeyError(name)

    def _invoice_paid(self, invoice_id: str | None) -> Decimal:
        """What live payments have applied to the invoice."""
        if invoice_id is None:
            return ZERO
        return sum((applied_to(payment, invoice_id) for payment in self.live("Payment")), ZERO)

    # ---- writing -------------------------------------------------------------------------------

    def create(self, entity: str, payload: dict[str, Any], *, allow_duplicate_doc: bool = False) -> dict[str, Any]:
        self._check_writable(entity)
        check_entity(entity, payload)
        data = {k: v for k, v in clean(payload).items() if k not in computed_fields(entity)}
        with self.lock:
            obj = self._build(entity, data, None, allow_duplicate_doc=allow_duplicate_doc)
            self.counters[entity] += 1
            obj["Id"] = str(self.counters[entity])
            obj["SyncToken"] = "0"
            stamp = self.timestamp()
            obj["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
            obj = {"Id": obj.pop("Id"), **obj, "domain": "QBO", "sparse": False}
            self._store(entity, obj)
            self._apply_effects(entity, None, obj)
            return obj

    def update(self, entity: str, payload: dict[str, Any], *, allow_duplicate_doc: bool = False) -> dict[str, Any]:
        self._check_writable(entity)
        with self.lock:
            existing = self._current(entity, payload)
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
            self._store(entity, obj)
            self._apply_effects(entity, existing, obj)
            return obj

    def delete(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        if entity not in DELETABLE:
            raise unsupported(f"Operation Delete is not supported for {entity}")
        with self.lock:
            existing = self._current(entity, payload)
            self._check_not_deposited(entity, existing)
            self._check_not_paid(entity, existing)
            tombstone = {
                "Id": existing["Id"],
                "domain": "QBO",
                "status": "Deleted",
                "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": self.timestamp()},
            }
            self._store(entity, tombstone)
            self._apply_effects(entity, existing, None)
            return {"Id": existing["Id"], "domain": "QBO", "status": "Deleted"}

    def void(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        if entity not in VOIDABLE:
            raise unsupported(f"Operation Void is not supported for {entity}")
        with self.lock:
            existing = self._current(entity, payload)
            self._check_not_deposited(entity, existing)
            obj = copy.deepcopy(existing)
            for line in obj.get("Line", []):
                if "Amount" in line:
                    line["Amount"] = money(ZERO)
                detail = line.get("SalesItemLineDetail")
                if detail and "Qty" in detail:
                    detail["Qty"] = ZERO
            obj["TotalAmt"] = money(ZERO)
            for field in ("HomeTotalAmt", "Balance"):
                if field in obj:
                    obj[field] = money(ZERO)
            if "TxnTaxDetail" in obj:
                obj["TxnTaxDetail"] = {**obj["TxnTaxDetail"], "TotalTax": money(ZERO), "TaxLine": []}
            if entity == "Payment":
                obj["UnappliedAmt"] = money(ZERO)
            obj["PrivateNote"] = "Voided" + (" - " + existing["PrivateNote"] if existing.get("PrivateNote") else "")
            obj["TxnStatus"] = "Voided"
            obj["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            obj["MetaData"] = {**existing["MetaData"], "LastUpdatedTime": self.timestamp()}
            self._store(entity, obj)
            self._apply_effects(entity, existing, obj)
            return obj

    # ---- helpers ---------------------------------------------------------------------------------

    def timestamp(self) -> str:
        return self.now().isoformat(timespec="seconds")

    def today(self) -> str:
        return self.now().date().isoformat()

    def _store(self, entity: str, obj: dict[str, Any]) -> None:
        self.objects[entity][obj["Id"]] = obj
        self.version += 1
        self.record({"op": "put", "e": entity, "o": obj})

    def _check_writable(self, entity: str) -> None:
        if entity not in WRITABLE:
            raise unsupported(f"Operation Create/Update is not supported for {entity}")

    def _current(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The stored object a change names, if the change was made from its current version."""
        check_entity(entity, payload)
        object_id = payload.get("Id")
        if object_id in (None, ""):
            raise faults.required("Id")
        existing = self.get(entity, str(object_id))
        token = payload.get("SyncToken")
        if token in (None, ""):
            raise faults.required("SyncToken")
        if str(token) != existing["SyncToken"]:
            raise faults.stale(entity, existing["Id"], existing["SyncToken"], token)
        return existing

    def _build(
        self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None, *, allow_duplicate_doc: bool
    ) -> dict[str, Any]:
        builder = getattr(self, f"_build_{entity.lower()}")
        if entity in TRANSACTIONS:
            self._check_transaction(entity, data, existing, allow_duplicate_doc=allow_duplicate_doc)
        obj: dict[str, Any] = builder(data, existing)
        if (
            entity in TRANSACTIONS
            and "TotalAmt" in obj
            and "HomeTotalAmt" not in obj
            and obj.get("ExchangeRate") not in (None, 1)
        ):
            obj["HomeTotalAmt"] = money(obj["TotalAmt"] * obj["ExchangeRate"])
        return obj

    def _apply_effects(self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """What a write (already stored) changes elsewhere: stock for sales documents, the invoices a payment pays."""
        if entity in SALES_DOCS:
            self._move_inventory(entity, old, new)
        if entity in ("Invoice", "CreditMemo", "Payment") and new is not None and "CurrencyRef" in new:
            self._ensure_ar_account(new["CurrencyRef"]["value"])
        if entity == "Payment":
            self._rebalance_invoices(old, new)
        if entity == "BillPayment":
            self._rebalance_bills(old, new)
        self._move_purchased_stock(entity, old, new)
        self._move_adjusted_stock(entity, old, new)
