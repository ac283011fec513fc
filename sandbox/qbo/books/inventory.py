"""Inventory adjustments: a change of an inventory item's quantity on hand outside any sale or purchase.

# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-inventory/inventory-adjustment

QBO's InventoryAdjustment (Finance.xsd): ``AdjustAccountRef`` (required; "an expense or opening balance
equity account", the inventory asset account coming from each item) and lines of
``ItemAdjustmentLineDetail`` with an ``ItemRef`` and either ``QtyDiff`` (signed) or ``NewQty`` (the
quantity as of the transaction date). Intuit's guide: quantities only (values cannot be adjusted),
the transaction date cannot be edited, available to US companies on Plus and Advanced.

Effects: each line moves the item's QtyOnHand by its QtyDiff (a NewQty is turned into the QtyDiff it
means when the adjustment is written, and kept as the QtyDiff); the general ledger moves QtyDiff x
the item's PurchaseCost between the item's asset account and the adjustment account (a count that
finds fewer units: the adjustment account +, the asset -).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from .. import faults
from .checks import Checks
from .ledger import Posting
from .rules import ZERO, dec, money, ref_value

ENTITY = "InventoryAdjustment"
ADJUST_ACCOUNT_TYPES = ("Expense", "Other Expense", "Cost of Goods Sold", "Equity")


class InventoryAdjustments(Checks):
    def _build_inventoryadjustment(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        if not self.us:
            raise faults.business(
                "Inventory adjustments through the API are available to US companies only.", "InventoryAdjustment"
            )
        if existing is not None and data.get("TxnDate") != existing.get("TxnDate"):
            raise faults.business("The transaction date of an inventory adjustment cannot be edited.", "TxnDate")
        self._account_ref(data, "AdjustAccountRef", ADJUST_ACCOUNT_TYPES, required=True)
        self._ref(data, "CustomerRef", "Customer")
        lines = data.get("Line")
        if not lines:
            raise faults.required("Line")
        # What this adjustment moved before (an update re-applies its lines on the stock without them).
        undone = self.adjusted_quantities([existing]) if existing is not None else {}
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            detail = line.get("ItemAdjustmentLineDetail")
            if line.get("DetailType") != "ItemAdjustmentLineDetail" or not isinstance(detail, dict):
                raise faults.required(f"{where}.ItemAdjustmentLineDetail")
            item = self._ref(
                detail, "ItemRef", "Item", required=True, where=f"{where}.ItemAdjustmentLineDetail.ItemRef"
            )
            assert item is not None
            if item.get("Type") != "Inventory":
                raise faults.business(
                    f"{where}: only inventory items can be adjusted; {item['Name']} is {item.get('Type')}.",
                    f"{where}.ItemAdjustmentLineDetail.ItemRef",
                )
            has_diff, has_new = "QtyDiff" in detail, "NewQty" in detail
            if has_diff == has_new:
                raise faults.business(
                    f"{where}: give either QtyDiff or NewQty.", f"{where}.ItemAdjustmentLineDetail.QtyDiff"
                )
            if has_new:
                on_hand = Decimal(str(item.get("QtyOnHand") or 0)) - undone.get(str(item["Id"]), ZERO)
                detail["QtyDiff"] = dec(detail.pop("NewQty"), f"{where}.ItemAdjustmentLineDetail.NewQty") - on_hand
            else:
                detail["QtyDiff"] = dec(detail["QtyDiff"], f"{where}.ItemAdjustmentLineDetail.QtyDiff")
            self._ref(detail, "ClassRef", "Class")
            line["Id"] = str(index)
            line["LineNum"] = index
            out.append(line)
        data["Line"] = out
        return data

    def adjusted_quantities(self, docs: list[dict[str, Any] | None] | None = None) -> dict[str, Decimal]:
        """Item id -> the quantity these adjustments (default: every live one) added, signed."""
        moved: dict[str, Decimal] = {}
        for doc in self.live(ENTITY) if docs is None else docs:
            if doc is None or doc.get("status") == "Deleted":
                continue
            for line in doc.get("Line", []):
                detail = line.get("ItemAdjustmentLineDetail") or {}
                item_id = ref_value(detail, "ItemRef")
                if item_id and "QtyDiff" in detail:
                    moved[item_id] = moved.get(item_id, ZERO) + Decimal(str(detail["QtyDiff"]))
        return moved

    def _move_adjusted_stock(self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """Each line's QtyDiff moves its item's quantity on hand (old undone, new applied)."""
        if entity != ENTITY:
            return
        changes = self.adjusted_quantities([new])
        for item_id, qty in self.adjusted_quantities([old]).items():
            changes[item_id] = changes.get(item_id, ZERO) - qty
        for item_id, delta in changes.items():
            item = self.objects["Item"].get(item_id)
            if item and item.get("Type") == "Inventory" and delta:
                self._store(
                    "Item",
                    {
                        **item,
                        "QtyOnHand": Decimal(str(item.get("QtyOnHand") or 0)) + delta,
                        "SyncToken": str(int(item["SyncToken"]) + 1),
                        "MetaData": {**item["MetaData"], "LastUpdatedTime": self.timestamp()},
                    },
                )

    def _adjustment_postings(self, doc: dict[str, Any]) -> list[Posting]:
        """QtyDiff x PurchaseCost: to the item's asset account, from the adjustment account (home currency)."""
        adjust = ref_value(doc, "AdjustAccountRef")
        out: list[Posting] = []
        for line in doc.get("Line", []):
            detail = line.get("ItemAdjustmentLineDetail") or {}
            item = self.objects["Item"].get(ref_value(detail, "ItemRef") or "")
            asset = ref_value(item, "AssetAccountRef")
            if not item or not asset or not adjust:
                continue
            value = money(Decimal(str(detail.get("QtyDiff") or 0)) * Decimal(str(item.get("PurchaseCost") or 0)))
            if value:
                out.append(Posting(asset, ZERO, value))
                out.append(Posting(adjust, ZERO, -value))
        return out
