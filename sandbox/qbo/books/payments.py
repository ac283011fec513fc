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
        target = self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES)
        assert target is not None
        self._check_account_currency(target, data, "DepositToAccountRef")
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
        """Every invoice the payment pays, before or after the change, gets its new balance and payment links.

        QBO records that as a change of the invoice: its SyncToken moves on, so a write made
        from the version read before the payment is refused as stale (5010).
        """
        invoice_ids = set()
        for doc in (old, new):
            for line in (doc or {}).get("Line", []):
                for link in line.get("LinkedTxn", []):
                    invoice_ids.add(str(link.get("TxnId")))
        for invoice_id in sorted(invoice_ids):
            invoice = self.objects["Invoice"].get(invoice_id)
            if invoice is None or invoice.get("status") == "Deleted":
                continue
            balance = money(invoice["TotalAmt"] - self._invoice_paid(invoice_id) - invoice.get("Deposit", ZERO))
            links = self._invoice_links(invoice_id, invoice.get("LinkedTxn") or [])
            if balance == invoice.get("Balance") and links == (invoice.get("LinkedTxn") or []):
                continue
            updated = {
                **invoice,
                "Balance": balance,
                "SyncToken": str(int(invoice["SyncToken"]) + 1),
                "MetaData": {**invoice["MetaData"], "LastUpdatedTime": self.timestamp()},
            }
            updated.pop("LinkedTxn", None)
            if links:
                updated["LinkedTxn"] = links
            self._store("Invoice", updated)

    def _invoice_links(self, invoice_id: str | None, links: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """An invoice's LinkedTxn: its other links as given, then one per live payment applying money to it."""
        kept = [link for link in links if link.get("TxnType") != "Payment"]
        if invoice_id is None:
            return kept
        paying = [p for p in self.live("Payment") if applied_to(p, invoice_id) != ZERO]
        paying.sort(key=lambda p: int(p["Id"]))
        return kept + [{"TxnId": p["Id"], "TxnType": "Payment"} for p in paying]
