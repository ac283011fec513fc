"""Sales documents: SalesReceipt, Invoice, RefundReceipt and CreditMemo.

Lines are priced and taxed as QBO does (per line, rounded half-up to the cent,
then summed); a subtotal line is appended; US companies tax the taxable lines
with one code for the transaction (books/taxes.py: automated sales tax or the
classic setup), the others per line with each line's code.
Sales take stock out of inventory items, refunds and credit memos put it back,
never on a date before the item's InvStartDate.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import faults
from ..faults import QBOFault
from .checks import Checks
from .rules import CENT, DEPOSIT_TO_TYPES, UNIT, ZERO, dec, line_amount, money, ref_to, ref_value

# QBO's fault for a document dated before an inventory item on it starts tracking its quantity.
INVENTORY_START_DATE = "6270"


@dataclass
class Totals:
    """What a document's lines add up to, as they are read."""

    subtotal: Decimal = ZERO  # net of tax, before discounts
    discount: Decimal = ZERO
    us_taxable: Decimal = ZERO
    per_rate: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # tax rate id -> tax, base, rate
    # Outside the US: the document supplies its own tax lines (TxnTaxDetail.TaxLine), so a
    # tax-inclusive line keeps the net Amount it was given (see _inclusive_net).
    supplied: bool = False


class SalesDocuments(Checks):
    # US sales tax (books/taxes.py).
    _us_sales_tax: Callable[[dict[str, Any], dict[str, Any], Decimal], Decimal]
    _us_line_code: Callable[[dict[str, Any]], str]

    def _build_salesreceipt(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("SalesReceipt", data, existing)

    def _build_refundreceipt(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("RefundReceipt", data, existing)

    def _build_creditmemo(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("CreditMemo", data, existing)

    def _build_invoice(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._sales_doc("Invoice", data, existing)

    def _sales_doc(self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        self._sales_parties(entity, data)
        # QBO computes subtotal lines itself (and appends one): an incoming one is recomputed.
        lines = [line for line in data.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
        if not lines:
            raise faults.required("Line")
        calc = self._tax_calculation(data, lines)
        supplied = [] if self.us else _supplied_tax_lines(data.get("TxnTaxDetail") or {})
        totals = Totals(supplied=bool(supplied))
        out_lines = [self._sales_line(entity, raw, index, calc, totals) for index, raw in enumerate(lines, start=1)]
        self._check_inventory_start(data, out_lines)
        # QBO appends the computed subtotal line.
        out_lines.append(
            {"Amount": money(totals.subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        )
        data["Line"] = out_lines
        tax_detail = data.get("TxnTaxDetail") or {}
        if self.us:
            total_tax = self._us_sales_tax(data, tax_detail, totals.us_taxable)
        else:
            total_tax = self._rate_tax(data, totals.per_rate, supplied)
        total = money(totals.subtotal - totals.discount + total_tax)
        if total < 0:
            raise faults.business(f"The transaction total can't be negative ({total}).", "TotalAmt")
        data["TotalAmt"] = total
        self._sales_balance(entity, data, existing, total)
        return data

    def _sales_parties(self, entity: str, data: dict[str, Any]) -> None:
        """Customer, payment method and where the money goes (SalesReceipt: Undeposited Funds by default)."""
        self._customer_for(data, required=entity in ("Invoice", "CreditMemo"))
        self._ref(data, "PaymentMethodRef", "PaymentMethod")
        target = None
        if entity == "RefundReceipt":
            target = self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES, required=True)
        elif entity == "SalesReceipt":
            if ref_value(data, "DepositToAccountRef") is None:
                data["DepositToAccountRef"] = ref_to(self.account_by_name("Undeposited Funds"))
            target = self._account_ref(data, "DepositToAccountRef", DEPOSIT_TO_TYPES)
        else:
            data.pop("DepositToAccountRef", None)
        if target is not None:
            self._check_account_currency(target, data, "DepositToAccountRef")
        if entity == "Invoice":
            data.setdefault("DueDate", data["TxnDate"])

    def _check_inventory_start(self, data: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """An inventory item can be sold or taken back only from its InvStartDate on: its stock (and
        the value QBO opened it with) does not exist earlier, so QBO refuses the whole document.
        Service and non-inventory items have no start date. The code and message are those public
        integrations report from QBO; the rest of the Detail is the emulator's (see the README).
        """
        # Reference: https://plugin-qbo.intuit.com/qbo-ush/helpcontent/production/129/en_CA/QBO_Plus/Content/Topics/inventory/help_inventory_as_of_date.htm
        txn_date = date.fromisoformat(data["TxnDate"])
        for line in lines:
            detail = line.get("SalesItemLineDetail")
            if detail is None:
                continue
            item = self.objects["Item"][detail["ItemRef"]["value"]]
            if item.get("Type") != "Inventory" or not item.get("InvStartDate"):
                continue
            start = date.fromisoformat(str(item["InvStartDate"])[:10])
            if txn_date < start:
                raise QBOFault(
                    INVENTORY_START_DATE,
                    "Transaction date is prior to start date for inventory item",
                    f"Transaction date is prior to start date for inventory item : {item['Name']} "
                    f"(Item Id {item['Id']}) is tracked from {start.isoformat()}; TxnDate is {txn_date.isoformat()}",
                    element=f"Line[{line['LineNum']}].SalesItemLineDetail.ItemRef",
                )

    def _tax_calculation(self, data: dict[str, Any], lines: list[dict[str, Any]]) -> str:
        calc: str = data.get("GlobalTaxCalculation") or ("NotApplicable" if self.us else "TaxExcluded")
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
        return calc

    def _sales_line(self, entity: str, raw: dict[str, Any], index: int, calc: str, totals: Totals) -> dict[str, Any]:
        line = copy.deepcopy(raw)
        where = f"Line[{index}]"
        detail_type = line.get("DetailType")
        if not detail_type:
            raise faults.required(f"{where}.DetailType")
        line["Id"] = str(index)
        line["LineNum"] = index
        if detail_type == "SalesItemLineDetail":
            amount = self._item_line(line, where, calc, totals)
            line["Amount"] = amount
            totals.subtotal += amount
        elif detail_type == "DiscountLineDetail":
            detail = line.get("DiscountLineDetail") or {}
            if detail.get("PercentBased") in (True, "true") and "DiscountPercent" in detail:
                amount = money(totals.subtotal * dec(detail["DiscountPercent"], "DiscountPercent") / 100)
            else:
                amount = line_amount(line, where)
            if ref_value(detail, "DiscountAccountRef") is None:
                detail["DiscountAccountRef"] = ref_to(self.account_by_name("Discounts given"))
            self._account_ref(detail, "DiscountAccountRef", None)
            line["DiscountLineDetail"] = detail
            line["Amount"] = amount
            totals.discount += amount
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
        return line

    def _item_line(self, line: dict[str, Any], where: str, calc: str, totals: Totals) -> Decimal:
        """Checks and completes a SalesItemLineDetail line; returns its amount net of tax."""
        detail = line.get("SalesItemLineDetail")
        if not isinstance(detail, dict):
            raise faults.required(f"{where}.SalesItemLineDetail")
        amount = line_amount(line, where)
        item = self._ref(detail, "ItemRef", "Item", required=True, where=f"{where}.SalesItemLineDetail.ItemRef")
        assert item is not None
        gross = _price(detail, amount, where)
        self._check_date(detail, "ServiceDate")
        self._ref(detail, "ClassRef", "Class", where=f"{where}.SalesItemLineDetail.ClassRef")
        if "ItemAccountRef" not in detail and item.get("IncomeAccountRef"):
            detail["ItemAccountRef"] = dict(item["IncomeAccountRef"])
        self._ref(detail, "ItemAccountRef", "Account")
        line_tax, amount = self._line_tax(detail, amount, gross, calc, where, totals, item)
        if self.us:
            if detail["TaxCodeRef"]["value"] == "TAX":
                totals.us_taxable += amount
        elif gross is not None and calc == "TaxInclusive":
            detail["TaxInclusiveAmt"] = gross
        elif calc != "NotApplicable":
            detail["TaxInclusiveAmt"] = amount + line_tax
        return amount

    def _line_tax(
        self,
        detail: dict[str, Any],
        amount: Decimal,
        gross: Decimal | None,
        calc: str,
        where: str,
        totals: Totals,
        item: dict[str, Any],
    ) -> tuple[Decimal, Decimal]:
        """The line's tax as QBO computes it, and its net amount; adds both to the line's rates in ``totals``."""
        field = f"{where}.SalesItemLineDetail.TaxCodeRef"
        if self.us:
            us_code = ref_value(detail, "TaxCodeRef") or self._us_line_code(item)
            if us_code not in ("TAX", "NON"):
                raise faults.invalid_reference(field, us_code, "TaxCode")
            detail["TaxCodeRef"] = {"value": us_code}
            return ZERO, amount
        if calc == "NotApplicable":
            self._ref(detail, "TaxCodeRef", "TaxCode", where=field)
            return ZERO, amount
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
        inclusive = calc == "TaxInclusive" and gross is not None
        if not rates:
            return ZERO, (gross if inclusive and gross is not None else amount)
        total_rate = sum((r for _, r in rates), ZERO)
        if inclusive:
            assert gross is not None
            line_tax = money(gross * total_rate / (100 + total_rate))
            net = gross - line_tax
            parts = [money(net * r / 100) for _, r in rates]
            # Keep the gross exact: any cent of difference goes to the largest rate.
            biggest = max(range(len(rates)), key=lambda i: rates[i][1])
            parts[biggest] += line_tax - sum(parts, ZERO)
            if totals.supplied:
                net = _inclusive_net(amount, net, len(rates), where)
                # QBO's own figure for a line whose net it keeps is its tax on that net, per rate.
                parts = [money(net * r / 100) for _, r in rates]
                line_tax = sum(parts, ZERO)
        else:
            net = amount
            parts = [money(net * r / 100) for _, r in rates]
            line_tax = sum(parts, ZERO)
        for (rate_id, rate), part in zip(rates, parts, strict=True):
            slot = totals.per_rate.setdefault(rate_id, {"tax": ZERO, "base": ZERO, "rate": rate})
            slot["tax"] += part
            slot["base"] += net
        return line_tax, net

    def _rate_tax(
        self, data: dict[str, Any], per_rate: dict[str, dict[str, Any]], supplied: list[tuple[str, Decimal]]
    ) -> Decimal:
        """Outside the US: one tax line per rate the lines used, with the amount the document supplied if any.

        A supplied amount replaces QBO's computed one for that rate (OverrideDeltaAmount = supplied -
        computed); a rate the lines use but the document leaves out keeps the computed amount; a
        supplied rate no line uses is refused. NetAmountTaxable is always QBO's, from the lines.
        """
        given: dict[str, Decimal] = {}
        for index, (rate_id, amount) in enumerate(supplied, start=1):
            if rate_id not in per_rate:
                raise faults.business(
                    f"TxnTaxDetail.TaxLine[{index}]: tax rate {rate_id} is not used by any line's tax code; "
                    "supply tax only for the rates of the codes on the lines.",
                    "TxnTaxDetail.TaxLine",
                )
            if rate_id in given:
                raise faults.business(
                    f"TxnTaxDetail.TaxLine[{index}]: tax rate {rate_id} is given twice.", "TxnTaxDetail.TaxLine"
                )
            given[rate_id] = amount
        tax_lines = []
        total_tax = ZERO
        for rid, v in per_rate.items():
            computed = money(v["tax"])
            amount = given.get(rid, computed)
            detail: dict[str, Any] = {
                "TaxRateRef": {"value": rid},
                "PercentBased": True,
                "TaxPercent": v["rate"],
                "NetAmountTaxable": money(v["base"]),
            }
            if rid in given:
                detail["OverrideDeltaAmount"] = amount - computed
            tax_lines.append({"Amount": amount, "DetailType": "TaxLineDetail", "TaxLineDetail": detail})
            total_tax += amount
        data["TxnTaxDetail"] = {"TotalTax": money(total_tax), "TaxLine": tax_lines}
        return money(total_tax)

    def _sales_balance(
        self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None, total: Decimal
    ) -> None:
        """An invoice is owed what payments and its deposit have not covered; a credit memo, all of it."""
        if entity == "Invoice":
            paid = self._invoice_paid((existing or {}).get("Id"))
            deposit = money(dec(data.get("Deposit", 0), "Deposit"))
            if deposit:
                data["Deposit"] = deposit
            data["Balance"] = money(total - paid - deposit)
            # The payments linked to an invoice are QBO's to list, whatever the request said.
            links = self._invoice_links((existing or {}).get("Id"), data.get("LinkedTxn") or [])
            data.pop("LinkedTxn", None)
            if links:
                data["LinkedTxn"] = links
            if data["Balance"] < 0:
                raise faults.business(
                    f"Invoice total {total} is less than the payments already applied ({paid}).", "TotalAmt"
                )
        elif entity == "CreditMemo":
            data["RemainingCredit"] = total
            data["Balance"] = total
        else:
            data["Balance"] = money(ZERO)

    def _move_inventory(self, entity: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """Sales take their quantities out of inventory items, refunds put them back (old undone, new applied)."""
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


def _price(detail: dict[str, Any], amount: Decimal, where: str) -> Decimal | None:
    """Reconciles Qty x UnitPrice with the amount (deriving the one missing); returns TaxInclusiveAmt if given."""
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
                f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}, expected: {expected} ({where})",
                element=f"{where}.Amount",
            )
    elif qty is not None:
        detail["UnitPrice"] = (amount / qty).quantize(UNIT, rounding=ROUND_HALF_UP)
    elif price is not None:
        detail["Qty"] = (amount / price).quantize(UNIT, rounding=ROUND_HALF_UP)
    for field in ("Qty", "UnitPrice"):
        if field in detail:
            detail[field] = dec(detail[field], field)
    return gross


def _supplied_tax_lines(tax_detail: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(tax rate id, amount) of each TaxLine the request supplies; a line without a rate is refused (2020)."""
    out = []
    for index, line in enumerate(tax_detail.get("TaxLine") or [], start=1):
        where = f"TxnTaxDetail.TaxLine[{index}]"
        rate_id = ref_value(line.get("TaxLineDetail") or {}, "TaxRateRef")
        if rate_id is None:
            raise faults.required(f"{where}.TaxLineDetail.TaxRateRef")
        out.append((rate_id, line_amount(line, where)))
    return out


def _inclusive_net(given: Decimal, derived: Decimal, rate_count: int, where: str) -> Decimal:
    """The net a tax-inclusive line keeps when the document supplies its tax: the given Amount,
    if it is within a cent per rate of gross - tax (QBO's own net); else the two disagree (6000)."""
    if abs(given - derived) > CENT * rate_count:
        raise faults.business(
            f"{where}: Amount {given} and TaxInclusiveAmt disagree: the net of the gross is {derived} "
            f"(at most {CENT * rate_count} apart).",
            f"{where}.Amount",
        )
    return given
