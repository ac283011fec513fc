"""Deposits: received money moved from Undeposited Funds (or other accounts) into the bank.

A deposit line either links a Payment, SalesReceipt or RefundReceipt received into
Undeposited Funds (for exactly its amount, and in no other deposit), or names the
account the money comes from. A deposited transaction can't be deleted or voided.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from .. import faults
from .checks import Checks
from .rules import DEPOSIT_TO_TYPES, ZERO, dec, line_amount, money, ref_value


class Deposits(Checks):
    def _build_deposit(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        target = self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES, required=True)
        assert target is not None
        currency = data["CurrencyRef"]["value"]
        target_currency = ref_value(target, "CurrencyRef") or self.preset.currency
        if target_currency != currency:
            raise faults.business(
                f"A deposit is in the currency of the account it goes to: {target['Name']!r} is in "
                f"{target_currency}, the deposit's CurrencyRef is {currency}.",
                "CurrencyRef",
            )
        lines = data.get("Line")
        if not lines:
            raise faults.required("Line")
        total = ZERO
        out = []
        for index, raw in enumerate(lines, start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            amount = line_amount(line, where)
            linked = line.get("LinkedTxn") or []
            if linked:
                for link in linked:
                    self._check_depositable(link, amount, where, (existing or {}).get("Id"), currency)
            else:
                self._check_deposit_detail(line, where, target)
                self._check_account_currency(
                    self.objects["Account"][line["DepositLineDetail"]["AccountRef"]["value"]],
                    data,
                    f"{where}.DepositLineDetail.AccountRef",
                )
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

    def _check_deposit_detail(self, line: dict[str, Any], where: str, target: dict[str, Any]) -> None:
        """A line that links nothing names the account the money comes from (not the one it goes to)."""
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

    def _check_depositable(
        self, link: dict[str, Any], amount: Decimal, where: str, own_id: str | None, currency: str
    ) -> None:
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
        source_currency = ref_value(source, "CurrencyRef") or self.preset.currency
        if source_currency != currency:
            raise faults.business(
                f"{where}: {kind} {source['Id']} is in {source_currency}; this deposit is in {currency}.",
                f"{where}.LinkedTxn",
            )
        expected = -source["TotalAmt"] if kind == "RefundReceipt" else source["TotalAmt"]
        if amount != expected:
            raise faults.business(
                f"{where}: the amount {amount} must equal the linked {kind}'s {expected}.", f"{where}.Amount"
            )
        deposit = self._deposit_holding(kind, source["Id"], skip=own_id)
        if deposit is not None:
            raise faults.business(f"{kind} {source['Id']} is already in deposit {deposit['Id']}.", f"{where}.LinkedTxn")
        link["TxnId"] = source["Id"]

    def _check_not_deposited(self, entity: str, existing: dict[str, Any]) -> None:
        deposit = self._deposit_holding(entity, existing["Id"])
        if deposit is not None:
            raise faults.business(
                f"{entity} {existing['Id']} is part of deposit {deposit['Id']}: remove it from the deposit first."
            )

    def _deposit_holding(self, kind: str | None, txn_id: str, *, skip: str | None = None) -> dict[str, Any] | None:
        """The first live deposit (other than ``skip``) with a line linking that transaction."""
        for deposit in self.live("Deposit"):
            if deposit["Id"] == skip:
                continue
            for line in deposit.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    if link.get("TxnType") == kind and str(link.get("TxnId")) == txn_id:
                        return deposit
        return None
