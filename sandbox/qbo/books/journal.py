"""Journal entries: balanced debits and credits posted straight to accounts."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from .. import faults
from .checks import Checks
from .rules import ZERO, line_amount, money, ref_value


class Journal(Checks):
    def _build_journalentry(self, data: dict[str, Any], _existing: dict[str, Any] | None) -> dict[str, Any]:
        lines = data.get("Line")
        if not lines:
            raise faults.required("Line")
        debits = credits = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            posting, amount = self._journal_line(line, where)
            self._check_account_currency(
                self.objects["Account"][line["JournalEntryLineDetail"]["AccountRef"]["value"]],
                data,
                f"{where}.JournalEntryLineDetail.AccountRef",
            )
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

    def _journal_line(self, line: dict[str, Any], where: str) -> tuple[str, Decimal]:
        """(posting type, amount) of a checked line; A/R and A/P lines need a name."""
        detail = line.get("JournalEntryLineDetail")
        if line.get("DetailType") != "JournalEntryLineDetail" or not isinstance(detail, dict):
            raise faults.required(f"{where}.JournalEntryLineDetail")
        amount = line_amount(line, where)
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
        return posting, amount
