"""The Reports API: TrialBalance, BalanceSheet and ProfitAndLoss, from the general ledger's postings by TxnDate.

Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/trialbalance
(and .../all-entities/profitandloss, .../report-entities/balancesheet); the answer is the Report
type of Intuit's Report.xsd (Header, Columns.Column, Rows.Row with ColData or Header/Rows/Summary).

Every amount is in the home currency (each posting's home amount, as the ledger keeps it), as a
string with two decimals. What a report covers:

- TrialBalance, as of EndPeriod: balance-sheet accounts with everything up to that day; income and
  expense accounts with the fiscal year to that day; Retained Earnings with its own postings plus
  the net income of every earlier fiscal year (QuickBooks closes each year into it). One row per
  account whose balance is not zero, in the Debit or the Credit column, and a GrandTotal section
  whose two totals are equal.
- BalanceSheet, as of EndPeriod: assets, liabilities and equity as above, and a Net Income row for
  the fiscal year to EndPeriod, so TOTAL ASSETS = TOTAL LIABILITIES AND EQUITY.
- ProfitAndLoss: income and expense accounts' activity from StartPeriod to EndPeriod.

Parameters: ``start_date`` / ``end_date`` (YYYY-MM-DD) or ``date_macro`` (Report.xsd's DateMacro
values, any case); ``accounting_method`` Accrual (Cash is not emulated: refused);
``summarize_column_by`` Total (the other values are not emulated: refused). Filters (customer,
class, department, item, vendor...) are not emulated and refused rather than ignored, so a caller
never reads an unfiltered report as a filtered one; anything else (minorversion, qzurl,
sort_order...) is ignored.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import faults
from ..faults import QBOFault
from .ledger import Ledger
from .rules import CENT, POSTING, ZERO

REPORT_NAMES = ("TrialBalance", "BalanceSheet", "ProfitAndLoss")
LEDGER_ENTITIES = POSTING

# Without date_macro or dates: Intuit's TrialBalance sample (a request with no parameters) answers
# "this month-to-date"; ProfitAndLoss and BalanceSheet document "This Fiscal Year-to-date".
DEFAULT_MACRO = {
    "TrialBalance": "This Month-to-date",
    "BalanceSheet": "This Fiscal Year-to-date",
    "ProfitAndLoss": "This Fiscal Year-to-date",
}
# Report.xsd's DateMacro enumeration.
DATE_MACROS = (
    "All",
    "Today",
    "This Week",
    "This Week-to-date",
    "This Month",
    "This Month-to-date",
    "This Fiscal Quarter",
    "This Fiscal Quarter-to-date",
    "This Fiscal Year",
    "This Fiscal Year-to-date",
    "This Calendar Quarter",
    "This Calendar Quarter-to-date",
    "This Calendar Year",
    "This Calendar Year-to-date",
    "Yesterday",
    "Last Week",
    "Last Week-to-date",
    "Last Month",
    "Last Month-to-date",
    "Last Fiscal Quarter",
    "Last Fiscal Quarter-to-date",
    "Last Fiscal Year",
    "Last Fiscal Year-to-date",
    "Last Calendar Quarter",
    "Last Calendar Quarter-to-date",
    "Last Calendar Year",
    "Last Calendar Year-to-date",
    "Next Week",
    "Next 4 Weeks",
    "Next Month",
    "Next Fiscal Quarter",
    "Next Fiscal Year",
    "Next Calendar Quarter",
    "Next Calendar Year",
)
_MACROS = {m.lower(): m for m in DATE_MACROS}
# Report.xsd's SummarizeColumnsByEnum, and the extra spellings Intuit's report pages list.
SUMMARIZE_VALUES = {
    "total",
    "year",
    "quarter",
    "fiscalyear",
    "fiscalquarter",
    "month",
    "week",
    "days",
    "customers",
    "vendors",
    "employees",
    "departments",
    "classes",
    "productsandservices",
}
FILTERS = ("customer", "vendor", "employee", "item", "class", "department", "account", "account_type", "payment_method")
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}

# TrialBalance row order: QuickBooks lists accounts by type, in the chart of accounts' order.
TYPE_ORDER = (
    "Bank",
    "Accounts Receivable",
    "Other Current Asset",
    "Fixed Asset",
    "Other Asset",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
    "Long Term Liability",
    "Equity",
    "Income",
    "Cost of Goods Sold",
    "Expense",
    "Other Income",
    "Other Expense",
)
BALANCE_SHEET_CLASSES = ("Asset", "Liability", "Equity")

# BalanceSheet sections: (title, group, account types or nested sections), as Intuit's sample nests them.
ASSETS = (
    (
        "Current Assets",
        "CurrentAssets",
        (
            ("Bank Accounts", "BankAccounts", ("Bank",)),
            ("Accounts Receivable", "AR", ("Accounts Receivable",)),
            ("Other current assets", "OtherCurrentAssets", ("Other Current Asset",)),
        ),
    ),
    ("Fixed Assets", "FixedAssets", ("Fixed Asset",)),
    ("Other Assets", "OtherAssets", ("Other Asset",)),
)
LIABILITIES = (
    (
        "Current Liabilities",
        "CurrentLiabilities",
        (
            ("Accounts Payable", "AP", ("Accounts Payable",)),
            ("Credit Cards", "CreditCards", ("Credit Card",)),
            ("Other Current Liabilities", "OtherCurrentLiabilities", ("Other Current Liability",)),
        ),
    ),
    ("Long-Term Liabilities", "LongTermLiabilities", ("Long Term Liability",)),
)
# ProfitAndLoss groups per country, as Intuit's ProfitAndLoss page lists them ("Values based on locales").
PNL_TOTALS = {
    "US": {"GrossProfit", "NetOperatingIncome", "NetOtherIncome"},
    "GB": {"GrossProfit", "NetOperatingIncome", "NetOtherIncome"},
    "CA": set(),
    "AU": {"GrossProfit"},
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    macro: str | None  # the date macro used (None: explicit dates)


@dataclass(frozen=True)
class DatedPosting:
    day: date
    account_id: str
    home: Decimal  # debit positive, home currency


def money_text(amount: Decimal) -> str:
    return format(amount.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _bad(param: str, detail: str) -> QBOFault:
    return QBOFault(faults.INVALID_PROPERTY, "Request has invalid or unsupported property", detail, element=param)


def _not_emulated(detail: str) -> QBOFault:
    return QBOFault(faults.UNSUPPORTED_OPERATION, "Unsupported Operation", detail)


def parse_day(param: str, value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _bad(param, f"{param} must be a date as YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(param, f"{param} must be a date as YYYY-MM-DD, got {value!r}") from None


# ---- date macros -------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _unit(unit: str, day: date, fiscal_month: int) -> tuple[date, date]:
    """The week, month, quarter or year (fiscal or calendar) that holds ``day``."""
    if unit == "week":  # weeks run Sunday to Saturday, as QuickBooks Online US shows them
        start = day - timedelta(days=(day.weekday() + 1) % 7)
        return start, start + timedelta(days=6)
    length, anchor = {
        "month": (1, 1),
        "fiscal quarter": (3, fiscal_month),
        "fiscal year": (12, fiscal_month),
        "calendar quarter": (3, 1),
        "calendar year": (12, 1),
    }[unit]
    offset = (day.year * 12 + day.month - 1 - (anchor - 1)) % length
    start = _add_months(date(day.year, day.month, 1), -offset)
    return start, _add_months(start, length) - timedelta(days=1)


def macro_period(macro: str, today: date, fiscal_month: int, first: date | None, last: date | None) -> Period:
    name = _MACROS.get(macro.strip().lower())
    if name is None:
        raise _bad("date_macro", f"date_macro {macro!r} is not one of: {', '.join(DATE_MACROS)}")
    key = name.lower()
    if key == "all":
        return Period(first or today, max(last or today, today), name)
    if key == "today":
        return Period(today, today, name)
    if key == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1), name)
    if key == "next 4 weeks":
        start = _unit("week", today, fiscal_month)[1] + timedelta(days=1)
        return Period(start, start + timedelta(days=27), name)
    match = re.fullmatch(r"(this|last|next) (.+?)(-to-date)?", key)
    assert match is not None
    which, unit, to_date = match.groups()
    this_start, this_end = _unit(unit, today, fiscal_month)
    if which == "this":
        start, end = this_start, this_end
    elif which == "last":
        start, end = _unit(unit, this_start - timedelta(days=1), fiscal_month)
    else:
        start, end = _unit(unit, this_end + timedelta(days=1), fiscal_month)
    if to_date:
        end = min(end, start + (today - this_start))
    return Period(start, end, name)


# ---- the reports -------------------------------------------------------------------------------


class Reports(Ledger):
    def report(self, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The report ``name`` for the request's query parameters, as the Reports API answers it."""
        canonical = next((n for n in REPORT_NAMES if n.lower() == name.lower()), None)
        if canonical is None:
            raise _not_emulated(f"Report {name} is not emulated by the sandbox (only {', '.join(REPORT_NAMES)})")
        self._check_report_params(params)
        postings = self._dated_postings()
        period = self._period(canonical, params, postings)
        if canonical == "TrialBalance":
            return self._trial_balance_report(period, postings)
        if canonical == "BalanceSheet":
            return self._balance_sheet_report(period, postings)
        return self._profit_and_loss_report(period, postings)

    # ---- parameters -----------------------------------------------------------------------------

    def _check_report_params(self, params: Mapping[str, str]) -> None:
        method = params.get("accounting_method", "").strip()
        if method and method.lower() != "accrual":
            if method.lower() == "cash":
                raise _not_emulated("accounting_method=Cash is not emulated by the sandbox: only Accrual")
            raise _bad("accounting_method", f"accounting_method must be Cash or Accrual, got {method!r}")
        summarize = params.get("summarize_column_by", "").strip()
        if summarize and summarize.lower() != "total":
            if summarize.lower() in SUMMARIZE_VALUES:
                raise _not_emulated(f"summarize_column_by={summarize} is not emulated by the sandbox: only Total")
            raise _bad("summarize_column_by", f"summarize_column_by {summarize!r} is not a supported value")
        for name in FILTERS:
            if params.get(name):
                raise _not_emulated(f"The {name} filter is not emulated by the sandbox")

    def _fiscal_month(self) -> int:
        month = str((self.prefs.get("AccountingInfoPrefs") or {}).get("FirstMonthOfFiscalYear") or "January")
        return MONTHS.get(month.lower(), 1)

    def _fiscal_year_start(self, day: date) -> date:
        return _unit("fiscal year", day, self._fiscal_month())[0]

    def _period(self, report: str, params: Mapping[str, str], postings: list[DatedPosting]) -> Period:
        start_text, end_text = params.get("start_date", "").strip(), params.get("end_date", "").strip()
        macro = params.get("date_macro", "").strip() or DEFAULT_MACRO[report]
        days = [p.day for p in postings]
        default = macro_period(
            macro, self.now().date(), self._fiscal_month(), min(days, default=None), max(days, default=None)
        )
        if not start_text and not end_text:
            return default
        # One date given: the other comes from the date macro, kept on the right side of it.
        end = parse_day("end_date", end_text) if end_text else default.end
        start = parse_day("start_date", start_text) if start_text else min(default.start, self._fiscal_year_start(end))
        if not end_text:
            end = max(end, start)
        if start > end:
            raise _bad("start_date", f"start_date {start} is after end_date {end}")
        return Period(start, end, None)

    # ---- postings -------------------------------------------------------------------------------

    def _dated_postings(self) -> list[DatedPosting]:
        """Every live posting with its document's TxnDate, in the home currency."""
        out = []
        for entity in LEDGER_ENTITIES:
            for doc in self.live(entity):
                if doc.get("TxnStatus") == "Voided":
                    continue
                day = date.fromisoformat(str(doc.get("TxnDate"))[:10])
                for posting in self.postings(entity, doc):
                    if posting.home:
                        out.append(DatedPosting(day, posting.account_id, posting.home))
        out.extend(DatedPosting(day, p.account_id, p.amount) for day, p in self.opening_stock())
        return out

    def _accounts(self) -> dict[str, dict[str, Any]]:
        return {a["Id"]: a for a in self.objects["Account"].values() if a.get("status") != "Deleted"}

    def _sums(self, postings: list[DatedPosting], start: date | None, end: date) -> tuple[dict[str, Decimal], set[str]]:
        """Home debit balance per account over [start, end], and the accounts with any posting there."""
        sums: dict[str, Decimal] = {}
        for p in postings:
            if p.day <= end and (start is None or p.day >= start):
                sums[p.account_id] = sums.get(p.account_id, ZERO) + p.home
        return sums, set(sums)

    def _closing(self, postings: list[DatedPosting], end: date) -> tuple[dict[str, Decimal], set[str], Decimal]:
        """Balances as of ``end`` as QuickBooks reports them: balance-sheet accounts from the beginning,
        income and expense accounts for the fiscal year holding ``end``, and every earlier year's net
        income closed into Retained Earnings. Also the year's net income (credit positive)."""
        accounts = self._accounts()
        year_start = self._fiscal_year_start(end)
        balances: dict[str, Decimal] = {}
        active: set[str] = set()
        earlier = ZERO  # earlier years' income and expense, debit positive
        for p in postings:
            account = accounts.get(p.account_id)
            if account is None or p.day > end:
                continue
            if account.get("Classification") in BALANCE_SHEET_CLASSES:
                balances[p.account_id] = balances.get(p.account_id, ZERO) + p.home
                active.add(p.account_id)
            elif p.day >= year_start:
                balances[p.account_id] = balances.get(p.account_id, ZERO) + p.home
                active.add(p.account_id)
            else:
                earlier += p.home
        retained = self._retained_earnings(accounts)
        if earlier and retained is not None:
            balances[retained] = balances.get(retained, ZERO) + earlier
            active.add(retained)
        net_income = -sum(
            (v for k, v in balances.items() if accounts[k].get("Classification") not in BALANCE_SHEET_CLASSES), ZERO
        )
        return balances, active, net_income

    @staticmethod
    def _retained_earnings(accounts: dict[str, dict[str, Any]]) -> str | None:
        for account in accounts.values():
            if account.get("AccountSubType") == "RetainedEarnings":
                return str(account["Id"])
        return None

    # ---- shapes ---------------------------------------------------------------------------------

    def _header(self, name: str, period: Period, *, no_data: bool, gaap: bool) -> dict[str, Any]:
        header: dict[str, Any] = {"Time": self.now().isoformat(timespec="seconds"), "ReportName": name}
        if period.macro:
            header["DateMacro"] = period.macro.lower()
        header.update(
            {
                "ReportBasis": "Accrual",
                "StartPeriod": period.start.isoformat(),
                "EndPeriod": period.end.isoformat(),
                "SummarizeColumnsBy": "Total",
                "Currency": self.preset.currency,
            }
        )
        options = [{"Name": "AccountingStandard", "Value": "GAAP"}] if gaap else []
        options.append({"Name": "NoReportData", "Value": "true" if no_data else "false"})
        header["Option"] = options
        return header

    @staticmethod
    def _columns(*money: tuple[str, str]) -> dict[str, Any]:
        columns = [{"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]}]
        for title, key in money:
            columns.append({"ColTitle": title, "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": key}]})
        return {"Column": columns}

    @staticmethod
    def _natural(account: dict[str, Any], home: Decimal) -> Decimal:
        return home if account.get("Classification") in ("Asset", "Expense") else -home

    @staticmethod
    def _sorted(accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(accounts, key=lambda a: str(a.get("FullyQualifiedName") or a.get("Name") or "").lower())

    def _data_rows(
        self, types: tuple[str, ...], balances: dict[str, Decimal], active: set[str]
    ) -> list[dict[str, Any]]:
        accounts = self._accounts()
        chosen = [accounts[i] for i in active if i in accounts and accounts[i].get("AccountType") in types]
        return [
            {
                "ColData": [
                    {"value": a.get("Name"), "id": a["Id"]},
                    {"value": money_text(self._natural(a, balances.get(a["Id"], ZERO)))},
                ],
                "type": "Data",
            }
            for a in self._sorted(chosen)
        ]

    @staticmethod
    def _section(
        title: str, group: str, rows: list[dict[str, Any]], total: Decimal, *, summary: str | None = None
    ) -> dict[str, Any]:
        section: dict[str, Any] = {"Header": {"ColData": [{"value": title}, {"value": ""}]}}
        if rows:
            section["Rows"] = {"Row": rows}
        # An empty section totals to "" (Intuit's ProfitAndLoss sample: "Total Expenses", "").
        section["Summary"] = {
            "ColData": [{"value": summary or f"Total {title}"}, {"value": money_text(total) if rows else ""}]
        }
        section["type"] = "Section"
        section["group"] = group
        return section

    @staticmethod
    def _total_row(title: str, group: str, amount: Decimal) -> dict[str, Any]:
        return {
            "Summary": {"ColData": [{"value": title}, {"value": money_text(amount)}]},
            "type": "Section",
            "group": group,
        }

    def _nested(
        self, spec: tuple[Any, ...], balances: dict[str, Decimal], active: set[str]
    ) -> tuple[list[dict[str, Any]], Decimal]:
        """Sections for a BalanceSheet spec: (title, group, account types | nested specs); empty ones left out."""
        accounts = self._accounts()
        rows: list[dict[str, Any]] = []
        total = ZERO
        for title, group, inner in spec:
            if inner and isinstance(inner[0], tuple):
                sub_rows, sub_total = self._nested(inner, balances, active)
            else:
                sub_rows = self._data_rows(inner, balances, active)
                sub_total = sum(
                    (
                        self._natural(accounts[i], balances.get(i, ZERO))
                        for i in active
                        if i in accounts and accounts[i].get("AccountType") in inner
                    ),
                    ZERO,
                )
            if sub_rows:
                rows.append(self._section(title, group, sub_rows, sub_total))
                total += sub_total
        return rows, total

    # ---- TrialBalance ---------------------------------------------------------------------------

    def _trial_balance_report(self, period: Period, postings: list[DatedPosting]) -> dict[str, Any]:
        balances, _active, _net = self._closing(postings, period.end)
        accounts = self._accounts()
        order = {t: i for i, t in enumerate(TYPE_ORDER)}
        listed = [accounts[i] for i, v in balances.items() if v and i in accounts]
        listed.sort(
            key=lambda a: (
                order.get(str(a.get("AccountType")), len(order)),
                str(a.get("FullyQualifiedName") or a.get("Name") or "").lower(),
            )
        )
        rows: list[dict[str, Any]] = []
        debits = credits = ZERO
        for account in listed:
            amount = balances[account["Id"]]
            debit, credit = (money_text(amount), "") if amount > 0 else ("", money_text(-amount))
            debits += max(amount, ZERO)
            credits += max(-amount, ZERO)
            rows.append(
                {
                    "ColData": [
                        {"value": account.get("FullyQualifiedName") or account.get("Name"), "id": account["Id"]},
                        {"value": debit},
                        {"value": credit},
                    ]
                }
            )
        report: dict[str, Any] = {
            "Header": self._header("TrialBalance", period, no_data=not rows, gaap=False),
            "Columns": self._columns(("Debit", "debit"), ("Credit", "credit")),
        }
        if rows:
            rows.append(
                {
                    "Summary": {
                        "ColData": [{"value": "TOTAL"}, {"value": money_text(debits)}, {"value": money_text(credits)}]
                    },
                    "type": "Section",
                    "group": "GrandTotal",
                }
            )
        report["Rows"] = {"Row": rows} if rows else {}
        return report

    # ---- BalanceSheet ---------------------------------------------------------------------------

    def _balance_sheet_report(self, period: Period, postings: list[DatedPosting]) -> dict[str, Any]:
        balances, active, net_income = self._closing(postings, period.end)
        accounts = self._accounts()
        sheet = {i for i in active if accounts[i].get("Classification") in BALANCE_SHEET_CLASSES}
        asset_rows, total_assets = self._nested(ASSETS, balances, sheet)
        liability_rows, total_liabilities = self._nested(LIABILITIES, balances, sheet)
        equity_rows = self._data_rows(("Equity",), balances, sheet)
        total_equity = sum((-balances.get(i, ZERO) for i in sheet if accounts[i].get("AccountType") == "Equity"), ZERO)
        equity_rows.append(
            {
                "ColData": [{"value": "Net Income"}, {"value": money_text(net_income)}],
                "type": "Data",
                "group": "NetIncome",
            }
        )
        total_equity += net_income
        liabilities = self._section("Liabilities", "Liabilities", liability_rows, total_liabilities)
        if not liability_rows:
            liabilities["Summary"]["ColData"][1]["value"] = money_text(ZERO)
        equity = self._section("Equity", "Equity", equity_rows, total_equity)
        rows = [
            self._section("ASSETS", "TotalAssets", asset_rows, total_assets, summary="TOTAL ASSETS"),
            self._section(
                "LIABILITIES AND EQUITY",
                "TotalLiabilitiesAndEquity",
                [liabilities, equity],
                total_liabilities + total_equity,
                summary="TOTAL LIABILITIES AND EQUITY",
            ),
        ]
        if not asset_rows:
            rows[0]["Summary"]["ColData"][1]["value"] = money_text(ZERO)
        return {
            "Header": self._header("BalanceSheet", period, no_data=not active, gaap=True),
            "Columns": self._columns(("Total", "total")),
            "Rows": {"Row": rows},
        }

    # ---- ProfitAndLoss --------------------------------------------------------------------------

    def _profit_and_loss_report(self, period: Period, postings: list[DatedPosting]) -> dict[str, Any]:
        accounts = self._accounts()
        sums, active = self._sums(postings, period.start, period.end)
        active = {i for i in active if i in accounts and accounts[i].get("Classification") not in BALANCE_SHEET_CLASSES}

        def part(types: tuple[str, ...]) -> tuple[list[dict[str, Any]], Decimal]:
            rows = self._data_rows(types, sums, active)
            total = sum(
                (
                    self._natural(accounts[i], sums.get(i, ZERO))
                    for i in active
                    if accounts[i].get("AccountType") in types
                ),
                ZERO,
            )
            return rows, total

        income_rows, income = part(("Income",))
        cogs_rows, cogs = part(("Cost of Goods Sold",))
        expense_rows, expenses = part(("Expense",))
        other_income_rows, other_income = part(("Other Income",))
        other_expense_rows, other_expenses = part(("Other Expense",))
        totals = PNL_TOTALS.get(self.preset.country, PNL_TOTALS["US"])
        rows = [self._section("Income", "Income", income_rows, income)]
        if cogs_rows:
            rows.append(self._section("Cost of Goods Sold", "COGS", cogs_rows, cogs))
        if "GrossProfit" in totals:
            rows.append(self._total_row("Gross Profit", "GrossProfit", income - cogs))
        rows.append(self._section("Expenses", "Expenses", expense_rows, expenses))
        if "NetOperatingIncome" in totals:
            rows.append(self._total_row("Net Operating Income", "NetOperatingIncome", income - cogs - expenses))
        if other_income_rows:
            rows.append(self._section("Other Income", "OtherIncome", other_income_rows, other_income))
        if other_expense_rows:
            rows.append(self._section("Other Expenses", "OtherExpenses", other_expense_rows, other_expenses))
        if "NetOtherIncome" in totals and (other_income_rows or other_expense_rows):
            rows.append(self._total_row("Net Other Income", "NetOtherIncome", other_income - other_expenses))
        net_income = income - cogs - expenses + other_income - other_expenses
        rows.append(self._total_row("Net Income", "NetIncome", net_income))
        return {
            "Header": self._header("ProfitAndLoss", period, no_data=not active, gaap=True),
            "Columns": self._columns(("Total", "total")),
            "Rows": {"Row": rows},
        }
