"""Payments: money received against invoices, and the invoice balances they leave."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from .. import faults
from .checks import Checks
from .rules import DEPOSIT_TO_TYPES, ZERO, applied_to, dec, line_amount, money, ref_to, ref_value


class Payments(Checks):
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
            data["DepositToAccountRef"] = ref_to(self.account_by_name("Undeposited Funds"))
        self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES)
        applied = ZERO
        lines = []
        for index, raw in enumerate(data.get("Line") or [], start=1):
            line = copy.deepcopy(raw)
            where = f"Line[{index}]"
            amount = line_amount(line, where)
            linked = line.get("LinkedTxn") or []
            if not linked:
                raise faults.required(f"{where}.LinkedTxn")
            for link in linked:
                self._check_payable(link, amount, where, customer, existing)
            line["Amount"] = amount
            applied += amount
            lines.append(line)
        if applied > total:
            raise faults.business(f"The amount applied ({applied}) is more than the payment ({total}).", "TotalAmt")
        data["Line"] = lines
        data["TotalAmt"] = total
        data["UnappliedAmt"] = money(total - applied)
        return data

    def _check_payable(
        self,
        link: dict[str, Any],
        amount: Decimal,
        where: str,
        customer: dict[str, Any],
        existing: dict[str, Any] | None,
    ) -> None:
        """A payment line pays an open invoice of the payment's customer, at most its open balance."""
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
            already -= applied_to(existing, invoice["Id"])
        if amount > invoice["TotalAmt"] - already:
            raise faults.business(
                f"The payment amount {amount} is more than the open balance "
                f"{invoice['TotalAmt'] - already} of invoice {invoice['Id']}.",
                f"{where}.Amount",
            )

    def _rebalance_invoices(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """Recomputes the balance of every invoice the payment pays, before or after the change."""
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
                paid += applied_to(payment, invoice_id)
            for payment in pending.values():
                paid += applied_to(payment, invoice_id)
            balance = money(invoice["TotalAmt"] - paid - invoice.get("Deposit", ZERO))
            if balance != invoice.get("Balance"):
                self._store("Invoice", {**invoice, "Balance": balance})
