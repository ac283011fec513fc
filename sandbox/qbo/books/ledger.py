"""The general ledger: what every live transaction posts to which account, and the balances that leaves.

Balances are computed from the stored documents on every read (never kept apart from them),
so a write, an update, a void or a delete moves them at once and a journal replay needs
nothing extra. Each posting is in the document's currency and in the home currency (the
amount x the document's ExchangeRate, rounded to the cent); an account in a foreign
currency keeps its balance in that currency too, which is what QBO shows as its balance
(the chart of accounts shows balances in each account's own currency). Where the home
amounts of one document differ by a cent of rounding, or a payment or deposit settles at
another rate than the document it settles, the difference goes to "Exchange Gain or Loss".

Postings, debit positive:
- SalesReceipt / Invoice: the deposit-to account (Invoice: A/R of the currency) + TotalAmt;
  each item line's income account - Amount (net); discounts + to their account; each tax
  line - to its agency's liability account; inventory items: cost of goods sold + and the
  asset account - at Qty x PurchaseCost. RefundReceipt / CreditMemo: the same, reversed.
- Payment: deposit-to + TotalAmt, A/R - (at each paid invoice's rate; unapplied at its own).
- Deposit: deposit-to + TotalAmt, each line's account - Amount (a linked transaction: Undeposited
  Funds, at the home amount that transaction put there), CashBack + to its account.
- JournalEntry: as written.
- Bill: A/P - TotalAmt; each line + Amount to its account (an item line: the item's expense account,
  an inventory item's asset account). Purchase: the same against the account it is paid from
  (``Credit``: reversed). BillPayment: A/P + (at each paid bill's rate), the bank or card account -.
- Transfer: to + Amount, from - Amount. CreditCardPayment: the card account + Amount, the bank -.
- Estimate, PurchaseOrder (and recurring templates): nothing.
- An inventory item's starting stock (its quantity on hand at InvStartDate x PurchaseCost): its
  asset account + and Opening Balance Equity -, as QBO posts an item's "Inventory Starting
  Value". The starting quantity is what it has now plus what live documents took out, less what
  they put back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .checks import Checks
from .rules import POSTING, PURCHASE_DOCS, SALES_DOCS, ZERO, money, ref_value

EXCHANGE_ACCOUNT = "Exchange Gain or Loss"
OPENING_EQUITY = "Opening Balance Equity"


@dataclass
class Posting:
    account_id: str
    amount: Decimal  # in the document's currency, debit positive
    home: Decimal | None = None  # in the home currency; None: amount x the document's rate


@dataclass
class Balance:
    account: dict[str, Any]
    currency: str
    home: Decimal = ZERO  # debit positive
    own: Decimal = ZERO  # debit positive, in the account's currency (= home for home-currency accounts)

    @property
    def debit_normal(self) -> bool:
        return self.account.get("Classification") in ("Asset", "Expense")

    @property
    def natural(self) -> Decimal:
        """The balance as QBO shows it, in the account's currency: debit-normal for assets and
        expenses, credit-normal otherwise."""
        return self.own if self.debit_normal else -self.own

    @property
    def natural_home(self) -> Decimal:
        return self.home if self.debit_normal else -self.home


class Ledger(Checks):
    # ---- reading --------------------------------------------------------------------------------

    _ledger_cache: tuple[int, dict[str, Balance]] | None = None

    def ledger(self) -> dict[str, Balance]:
        """Every account's balance, home and own currency, from every live posted transaction."""
        cached = self._ledger_cache
        if cached is not None and cached[0] == self.version:
            return cached[1]
        balances = self._compute_ledger()
        self._ledger_cache = (self.version, balances)
        return balances

    def _compute_ledger(self) -> dict[str, Balance]:
        home_currency = self.preset.currency
        out: dict[str, Balance] = {}
        for account in self.objects["Account"].values():
            out[account["Id"]] = Balance(account, ref_value(account, "CurrencyRef") or home_currency)
        for entity in POSTING:
            for doc in self.live(entity):
                if doc.get("TxnStatus") == "Voided":
                    continue
                currency = ref_value(doc, "CurrencyRef") or home_currency
                for posting in self.postings(entity, doc):
                    balance = out.get(posting.account_id)
                    if balance is None:
                        continue
                    balance.home += posting.home or ZERO
                    if balance.currency != home_currency and balance.currency == currency:
                        balance.own += posting.amount
        for _day, posting in self.opening_stock():
            balance = out.get(posting.account_id)
            if balance is not None:
                balance.home += posting.amount
        for balance in out.values():
            if balance.currency == home_currency:
                balance.own = balance.home
        return out

    def opening_stock(self) -> list[tuple[date, Posting]]:
        """Each inventory item's starting value, on its InvStartDate (home currency)."""
        equity = self._account_named(OPENING_EQUITY)
        if equity is None:
            return []
        moved: dict[str, Decimal] = {}
        for entity in SALES_DOCS:
            sign = Decimal(-1) if entity in ("SalesReceipt", "Invoice") else Decimal(1)
            for doc in self.live(entity):
                if doc.get("TxnStatus") == "Voided":
                    continue
                for line in doc.get("Line", []):
                    detail = line.get("SalesItemLineDetail")
                    if detail and "Qty" in detail:
                        item_id = str(detail["ItemRef"]["value"])
                        moved[item_id] = moved.get(item_id, ZERO) + sign * Decimal(str(detail["Qty"]))
        for entity in PURCHASE_DOCS:  # bought stock came in after the start
            for doc in self.live(entity):
                if doc.get("TxnStatus") == "Voided":
                    continue
                sign = Decimal(-1) if doc.get("Credit") in (True, "true") else Decimal(1)
                for line in doc.get("Line", []):
                    detail = line.get("ItemBasedExpenseLineDetail")
                    if detail and "Qty" in detail:
                        item_id = str(detail["ItemRef"]["value"])
                        moved[item_id] = moved.get(item_id, ZERO) + sign * Decimal(str(detail["Qty"]))
        for item_id, qty in self.adjusted_quantities().items():  # counted stock came in (or went) after the start
            moved[item_id] = moved.get(item_id, ZERO) + qty
        out = []
        for item in self.live("Item"):
            asset = ref_value(item, "AssetAccountRef")
            if item.get("Type") != "Inventory" or not asset or not item.get("InvStartDate"):
                continue
            starting = Decimal(str(item.get("QtyOnHand") or 0)) - moved.get(str(item["Id"]), ZERO)
            value = money(starting * Decimal(str(item.get("PurchaseCost") or 0)))
            if value:
                day = date.fromisoformat(str(item["InvStartDate"])[:10])
                out.append((day, Posting(asset, value, value)))
                out.append((day, Posting(equity["Id"], -value, -value)))
        return out

    def with_balances(self, accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Accounts as QBO answers them: CurrentBalance in the account's own currency."""
        if not accounts:
            return accounts
        ledger = self.ledger()
        out = []
        for account in accounts:
            balance = ledger.get(account["Id"])
            if balance is None or account.get("status") == "Deleted":
                out.append(account)
                continue
            out.append({**account, "CurrentBalance": balance.natural, "CurrentBalanceWithSubAccounts": balance.natural})
        return out

    def trial_balance(self) -> dict[str, Any]:
        """The ledger as JSON for the sandbox control: per account, home and own-currency balances."""
        ledger = self.ledger()
        rows = []
        debits = credits = ZERO
        for balance in ledger.values():
            account = balance.account
            if balance.home > 0:
                debits += balance.home
            else:
                credits -= balance.home
            rows.append(
                {
                    "Id": account["Id"],
                    "Name": account.get("FullyQualifiedName") or account.get("Name"),
                    "AccountType": account.get("AccountType"),
                    "Currency": balance.currency,
                    "Balance": str(balance.natural),
                    "HomeBalance": str(balance.natural_home),
                    "HomeDebit": str(balance.home),
                }
            )
        return {
            "HomeCurrency": self.preset.currency,
            "Accounts": rows,
            "TotalDebits": str(debits),
            "TotalCredits": str(credits),
            "Balanced": debits == credits,
        }

    # ---- postings -------------------------------------------------------------------------------

    def postings(self, entity: str, doc: dict[str, Any]) -> list[Posting]:
        rate = Decimal(str(doc.get("ExchangeRate") or 1))
        if entity in SALES_DOCS:
            raw = self._sales_postings(entity, doc)
        elif entity == "Payment":
            raw = self._payment_postings(doc, rate)
        elif entity == "Deposit":
            raw = self._deposit_postings(doc)
        elif entity in PURCHASE_DOCS:
            raw = self._purchase_postings(entity, doc)
        elif entity == "BillPayment":
            raw = self._bill_payment_postings(doc, rate)
        elif entity == "Transfer":
            raw = self._two_account_postings(doc, "ToAccountRef", "FromAccountRef")
        elif entity == "CreditCardPayment":
            raw = self._two_account_postings(doc, "CreditCardAccountRef", "BankAccountRef")
        elif entity == "InventoryAdjustment":
            raw = self._adjustment_postings(doc)
        else:
            raw = self._journal_postings(doc)
        out = [
            Posting(p.account_id, p.amount, p.home if p.home is not None else money(p.amount * rate))
            for p in raw
            if p.amount or p.home
        ]
        residual = sum((p.home or ZERO for p in out), ZERO)
        if residual:
            exchange = self._account_named(EXCHANGE_ACCOUNT)
            if exchange is not None:
                out.append(Posting(exchange["Id"], ZERO, -residual))
        return out

    def _sales_postings(self, entity: str, doc: dict[str, Any]) -> list[Posting]:
        sign = Decimal(1) if entity in ("SalesReceipt", "Invoice") else Decimal(-1)
        currency = ref_value(doc, "CurrencyRef") or self.preset.currency
        if entity in ("SalesReceipt", "RefundReceipt"):
            money_side = ref_value(doc, "DepositToAccountRef")
        else:
            ar = self.ar_account(currency)
            money_side = ar["Id"] if ar else None
        out = []
        if money_side:
            out.append(Posting(money_side, sign * doc["TotalAmt"]))
        for line in doc.get("Line", []):
            kind = line.get("DetailType")
            if kind == "SalesItemLineDetail":
                detail = line["SalesItemLineDetail"]
                income = ref_value(detail, "ItemAccountRef")
                if income:
                    out.append(Posting(income, -sign * line["Amount"]))
                out.extend(self._cost_postings(detail, sign))
            elif kind == "DiscountLineDetail":
                account = ref_value(line["DiscountLineDetail"], "DiscountAccountRef")
                if account:
                    out.append(Posting(account, sign * line["Amount"]))
        for tax_line in (doc.get("TxnTaxDetail") or {}).get("TaxLine", []):
            rate_id = ref_value(tax_line.get("TaxLineDetail") or {}, "TaxRateRef")
            liability = self.tax_account(rate_id)
            if liability is not None:
                out.append(Posting(liability["Id"], -sign * tax_line["Amount"]))
        return out

    def _cost_postings(self, detail: dict[str, Any], sign: Decimal) -> list[Posting]:
        """An inventory item sold moves its cost from the asset account to cost of goods sold (home currency)."""
        item = self.objects["Item"].get(ref_value(detail, "ItemRef") or "")
        if not item or item.get("Type") != "Inventory" or "Qty" not in detail:
            return []
        cost = money(Decimal(str(detail["Qty"])) * Decimal(str(item.get("PurchaseCost") or 0)))
        expense, asset = ref_value(item, "ExpenseAccountRef"), ref_value(item, "AssetAccountRef")
        if not cost or not expense or not asset:
            return []
        return [Posting(expense, ZERO, sign * cost), Posting(asset, ZERO, -sign * cost)]

    def _payment_postings(self, doc: dict[str, Any], rate: Decimal) -> list[Posting]:
        currency = ref_value(doc, "CurrencyRef") or self.preset.currency
        ar = self.ar_account(currency)
        target = ref_value(doc, "DepositToAccountRef")
        out = [Posting(target, doc["TotalAmt"])] if target else []
        if ar is None:
            return out
        applied = ZERO
        for line in doc.get("Line", []):
            for link in line.get("LinkedTxn", []):
                invoice = self.objects["Invoice"].get(str(link.get("TxnId")))
                invoice_rate = Decimal(str((invoice or {}).get("ExchangeRate") or rate))
                out.append(Posting(ar["Id"], -line["Amount"], -money(line["Amount"] * invoice_rate)))
                applied += line["Amount"]
        unapplied = doc["TotalAmt"] - applied
        if unapplied:
            out.append(Posting(ar["Id"], -unapplied))
        return out

    def _deposit_postings(self, doc: dict[str, Any]) -> list[Posting]:
        target = ref_value(doc, "DepositToAccountRef")
        out = [Posting(target, doc["TotalAmt"])] if target else []
        for line in doc.get("Line", []):
            links = line.get("LinkedTxn") or []
            if links:
                link = links[0]
                source = self.objects.get(str(link.get("TxnType")), {}).get(str(link.get("TxnId")))
                account = ref_value(source, "DepositToAccountRef")
                if source is None or account is None:
                    continue
                source_rate = Decimal(str(source.get("ExchangeRate") or 1))
                out.append(Posting(account, -line["Amount"], -money(line["Amount"] * source_rate)))
            else:
                account = ref_value(line.get("DepositLineDetail") or {}, "AccountRef")
                if account:
                    out.append(Posting(account, -line["Amount"]))
        cash_back = doc.get("CashBack") or {}
        account = ref_value(cash_back, "AccountRef")
        if account and cash_back.get("Amount"):
            out.append(Posting(account, cash_back["Amount"]))
        return out

    def _purchase_postings(self, entity: str, doc: dict[str, Any]) -> list[Posting]:
        """A bill credits A/P, a purchase the account it is paid from (a card credit the other way round);
        each line debits its account, or its item's expense (inventory items: asset) account."""
        sign = Decimal(-1) if doc.get("Credit") in (True, "true") else Decimal(1)
        field = "APAccountRef" if entity == "Bill" else "AccountRef"
        out = []
        source = ref_value(doc, field)
        if source:
            out.append(Posting(source, -sign * doc["TotalAmt"]))
        for line in doc.get("Line", []):
            account = self._expense_account(line)
            if account:
                out.append(Posting(account, sign * line["Amount"]))
        return out

    def _expense_account(self, line: dict[str, Any]) -> str | None:
        detail = line.get("AccountBasedExpenseLineDetail")
        if detail is not None:
            return ref_value(detail, "AccountRef")
        detail = line.get("ItemBasedExpenseLineDetail")
        if detail is None:
            return None
        item = self.objects["Item"].get(ref_value(detail, "ItemRef") or "") or {}
        return ref_value(item, "AssetAccountRef" if item.get("Type") == "Inventory" else "ExpenseAccountRef")

    def _bill_payment_postings(self, doc: dict[str, Any], rate: Decimal) -> list[Posting]:
        """A/P debited (at each paid bill's rate), the bank or credit card account credited."""
        holder = doc.get("CheckPayment") or {}
        source = ref_value(holder, "BankAccountRef") or ref_value(doc.get("CreditCardPayment") or {}, "CCAccountRef")
        ap = ref_value(doc, "APAccountRef")
        out = [Posting(source, -doc["TotalAmt"])] if source else []
        if ap is None:
            return out
        applied = ZERO
        for line in doc.get("Line", []):
            for link in line.get("LinkedTxn", []):
                bill = self.objects["Bill"].get(str(link.get("TxnId")))
                bill_rate = Decimal(str((bill or {}).get("ExchangeRate") or rate))
                out.append(Posting(ap, line["Amount"], money(line["Amount"] * bill_rate)))
                applied += line["Amount"]
        if doc["TotalAmt"] - applied:
            out.append(Posting(ap, doc["TotalAmt"] - applied))
        return out

    def _two_account_postings(self, doc: dict[str, Any], debit: str, credit: str) -> list[Posting]:
        """A transfer (to debited, from credited) or a credit card payment (card debited, bank credited)."""
        out = []
        for field, sign in ((debit, Decimal(1)), (credit, Decimal(-1))):
            account = ref_value(doc, field)
            if account:
                out.append(Posting(account, sign * doc["Amount"]))
        return out

    def _journal_postings(self, doc: dict[str, Any]) -> list[Posting]:
        out = []
        for line in doc.get("Line", []):
            detail = line.get("JournalEntryLineDetail") or {}
            account = ref_value(detail, "AccountRef")
            if account:
                sign = Decimal(1) if detail.get("PostingType") == "Debit" else Decimal(-1)
                out.append(Posting(account, sign * line["Amount"]))
        return out

    # ---- accounts the ledger posts to ---------------------------------------------------------

    def _account_named(self, name: str) -> dict[str, Any] | None:
        for account in self.objects["Account"].values():
            if account.get("Name") == name and account.get("status") != "Deleted":
                return account
        return None

    def tax_account(self, rate_id: str | None) -> dict[str, Any] | None:
        """The liability account a tax rate's agency collects into."""
        rate = self.objects["TaxRate"].get(rate_id or "")
        if rate is None:
            return None
        agency = self.objects["TaxAgency"].get(ref_value(rate, "AgencyRef") or "")
        name = self.preset.tax_accounts.get((agency or {}).get("DisplayName", ""))
        if name is None and self.preset.tax_accounts:
            name = next(iter(self.preset.tax_accounts.values()))
        return self._account_named(name) if name else None
