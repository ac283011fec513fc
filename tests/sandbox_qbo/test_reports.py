"""The Reports API of the QuickBooks sandbox, read through python-quickbooks' ``get_report``.

A small year of books (a sale of inventory with sales tax, a plain sale, a refund, a payout deposit
with a fee, a journal entry, a sale in euros, and one sale after the period) is posted; the trial
balance, balance sheet and profit and loss must then agree with each other, with every Account's
CurrentBalance, and with the amounts posted, to the cent, in the home currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.item import Item
from quickbooks.objects.journalentry import JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt

from sandbox.qbo.books.reports import macro_period
from tests import reference

from .xsd import load_types

D = Decimal
YEAR = "2025"  # a closed, fixed year: nothing depends on today's date


# ---- building the books -----------------------------------------------------------------------


def value_ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def account(qb, name: str) -> Account:
    found = Account.filter(Name=name, qb=qb)
    assert len(found) == 1, name
    return found[0]


def item(qb, name: str) -> Item:
    found = Item.filter(Name=name, qb=qb)
    assert len(found) == 1, name
    return found[0]


def stocked_in_year(qb) -> Item:
    """An inventory item tracked from the first day of the year the tests post in (QuickBooks
    refuses a sale dated before an item's InvStartDate), none on hand then: it opens at zero value."""
    shirt = Item()
    shirt.Name = "Vintage T-Shirt"
    shirt.Type = "Inventory"
    shirt.UnitPrice = D("25.00")
    shirt.PurchaseCost = D("8.00")
    shirt.Taxable = True
    shirt.TrackQtyOnHand = True
    shirt.QtyOnHand = D("0")
    shirt.InvStartDate = f"{YEAR}-01-01"
    shirt.IncomeAccountRef = value_ref(account(qb, "Sales of Product Income").Id)
    shirt.ExpenseAccountRef = value_ref(account(qb, "Cost of Goods Sold").Id)
    shirt.AssetAccountRef = value_ref(account(qb, "Inventory Asset").Id)
    return shirt.save(qb=qb)


def sale_line(it: Item, qty: str, price: str, code: str) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = D(qty) * D(price)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = value_ref(it.Id)
    line.SalesItemLineDetail.Qty = D(qty)
    line.SalesItemLineDetail.UnitPrice = D(price)
    line.SalesItemLineDetail.TaxCodeRef = value_ref(code)
    return line


def receipt(qb, day: str, *lines: SalesItemLine, **fields: Any) -> SalesReceipt:
    doc = SalesReceipt()
    doc.TxnDate = day
    doc.Line = list(lines)
    for key, value in fields.items():
        setattr(doc, key, value)
    return doc.save(qb=qb)


def journal_line(acct: Account, posting: str, amount: str) -> JournalEntryLine:
    line = JournalEntryLine()
    line.Amount = D(amount)
    line.JournalEntryLineDetail = JournalEntryLineDetail()
    line.JournalEntryLineDetail.PostingType = posting
    line.JournalEntryLineDetail.AccountRef = value_ref(acct.Id)
    return line


def post_year(qb) -> dict[str, Any]:
    """The year's documents; returns what the tests look at again."""
    shirt, sales = stocked_in_year(qb), item(qb, "Sales")
    checking = account(qb, "Checking")
    # 2 T-shirts at 25.00, taxable (8.75%: 4.38), from stock at 8.00 each: COGS 16.00.
    shirts = receipt(qb, f"{YEAR}-03-10", sale_line(shirt, "2", "25.00", "TAX"))
    plain = receipt(qb, f"{YEAR}-03-12", sale_line(sales, "1", "100.00", "NON"))
    refund = RefundReceipt()
    refund.TxnDate = f"{YEAR}-04-02"
    refund.DepositToAccountRef = value_ref(checking.Id)
    refund.Line = [sale_line(sales, "1", "30.00", "NON")]
    refund.save(qb=qb)
    # The payout: the 100.00 sale into Checking, less a 3.00 fee.
    deposit = Deposit()
    deposit.TxnDate = f"{YEAR}-04-05"
    deposit.DepositToAccountRef = value_ref(checking.Id)
    linked = DepositLine()
    linked.Amount = D("100.00")
    link = LinkedTxn()
    link.TxnId = plain.Id
    link.TxnType = "SalesReceipt"
    linked.LinkedTxn = [link]
    fee = DepositLine()
    fee.Amount = D("-3.00")
    fee.DepositLineDetail = DepositLineDetail()
    fee.DepositLineDetail.AccountRef = value_ref(account(qb, "Merchant Fees").Id)
    deposit.Line = [linked, fee]
    deposit.save(qb=qb)
    entry = JournalEntry()
    entry.TxnDate = f"{YEAR}-05-01"
    entry.Line = [
        journal_line(account(qb, "Bank Charges"), "Debit", "12.00"),
        journal_line(checking, "Credit", "12.00"),
    ]
    entry.save(qb=qb)
    # 100.00 EUR at 1.10: 110.00 USD of income, into Undeposited Funds (a home-currency account).
    buyer = Customer()
    buyer.DisplayName = "Euro Buyer"
    buyer.CurrencyRef = value_ref("EUR")
    buyer = buyer.save(qb=qb)
    euros = receipt(
        qb,
        f"{YEAR}-05-15",
        sale_line(sales, "1", "100.00", "NON"),
        CurrencyRef=value_ref("EUR"),
        ExchangeRate=D("1.10"),
        CustomerRef=value_ref(buyer.Id),
    )
    later = receipt(qb, f"{YEAR}-07-15", sale_line(sales, "1", "40.00", "NON"))
    return {"shirts": shirts, "euros": euros, "later": later}


@pytest.fixture
def books(make_sandbox):
    sandbox = make_sandbox(companies=["US"], multicurrency=True)
    qb = sandbox.client("US")
    return qb, post_year(qb)


# ---- reading a report -------------------------------------------------------------------------


def walk(rows: dict[str, Any]):
    for row in rows.get("Row", []):
        yield row
        if "Rows" in row:
            yield from walk(row["Rows"])


def section(report: dict[str, Any], group: str) -> dict[str, Any]:
    found = [row for row in walk(report["Rows"]) if row.get("group") == group]
    assert len(found) == 1, group
    return found[0]


def amount(text: str) -> Decimal:
    return D(text) if text else D("0.00")


def summary(report: dict[str, Any], group: str) -> Decimal:
    return amount(section(report, group)["Summary"]["ColData"][1]["value"])


def data_rows(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Data rows by their first column's text."""
    return {row["ColData"][0]["value"]: row["ColData"] for row in walk(report["Rows"]) if "ColData" in row}


def trial_balance(report: dict[str, Any]) -> dict[str, Decimal]:
    """Account name -> debit minus credit."""
    return {name: amount(cols[1]["value"]) - amount(cols[2]["value"]) for name, cols in data_rows(report).items()}


def report(qb, name: str, **params: str) -> dict[str, Any]:
    return qb.get_report(name, qs=params)


# ---- the three reports agree ------------------------------------------------------------------


def test_trial_balance_balances_and_matches_every_accounts_current_balance(books):
    qb, _ = books
    tb = report(qb, "TrialBalance", start_date=f"{YEAR}-01-01", end_date=f"{YEAR}-12-31")
    assert tb["Header"]["ReportName"] == "TrialBalance"
    assert tb["Header"]["Currency"] == "USD"
    assert [c["ColTitle"] for c in tb["Columns"]["Column"]] == ["", "Debit", "Credit"]
    total = tb["Rows"]["Row"][-1]
    assert total["group"] == "GrandTotal" and total["type"] == "Section"
    label, debits, credits = (c["value"] for c in total["Summary"]["ColData"])
    assert label == "TOTAL"
    assert D(debits) == D(credits)
    rows = trial_balance(tb)
    assert sum((v for v in rows.values() if v > 0), D(0)) == D(debits)
    # Every amount is a string with two decimals, in one column only.
    for cols in data_rows(tb).values():
        assert cols[0]["id"]
        assert (cols[1]["value"] == "") != (cols[2]["value"] == "")
        assert all(len(c["value"].split(".")[1]) == 2 for c in cols[1:] if c["value"])
    # Sales of Product Income: 50 + 100 - 30 + 110 (EUR 100 at 1.10) + 40.
    assert rows["Sales of Product Income"] == D("-270.00")
    assert rows["Cost of Goods Sold"] == D("16.00")
    assert rows["Inventory Asset"] == D("-16.00")
    assert rows["Sales Tax Payable"] == D("-4.38")
    assert rows["Merchant Fees"] == D("3.00")
    assert rows["Bank Charges"] == D("12.00")
    # Checking: 97.00 deposited, 30.00 refunded, 12.00 journal.
    assert rows["Checking"] == D("55.00")
    # Undeposited Funds: 54.38 + 110.00 + 40.00 still there (the 100.00 went to the bank).
    assert rows["Undeposited Funds"] == D("204.38")
    # Every account of the year is one fiscal year: the trial balance is each CurrentBalance, signed,
    # but for the stock the preset's items start with on 1 January 2026 (100 T-shirts at 8.00, 50
    # mugs at 4.00): its starting value is in today's balances and not yet at the end of 2025.
    starting = {"Inventory Asset": D("1000.00"), "Opening Balance Equity": D("-1000.00")}
    for acct in Account.all(qb=qb):
        balance = D(str(acct.CurrentBalance))
        debit_normal = acct.Classification in ("Asset", "Expense")
        expected = (balance if debit_normal else -balance) - starting.get(acct.FullyQualifiedName, D("0.00"))
        assert rows.get(acct.FullyQualifiedName, D("0.00")) == expected, acct.FullyQualifiedName
    later = trial_balance(report(qb, "TrialBalance", end_date="2026-01-31"))
    assert later["Inventory Asset"] == D("1000.00") - D("16.00")
    assert later["Opening Balance Equity"] == D("-1000.00")


def test_balance_sheet_balances_and_its_net_income_is_the_profit_and_loss(books):
    qb, _ = books
    bs = report(qb, "BalanceSheet", end_date=f"{YEAR}-12-31", start_date=f"{YEAR}-01-01")
    assert bs["Header"]["ReportName"] == "BalanceSheet"
    assert {"Name": "AccountingStandard", "Value": "GAAP"} in bs["Header"]["Option"]
    assert [c["ColTitle"] for c in bs["Columns"]["Column"]] == ["", "Total"]
    assets = summary(bs, "TotalAssets")
    assert assets == summary(bs, "TotalLiabilitiesAndEquity")
    assert assets == D("55.00") + D("204.38") - D("16.00")
    assert summary(bs, "BankAccounts") == D("55.00")
    assert summary(bs, "OtherCurrentAssets") == D("188.38")
    assert summary(bs, "Liabilities") == D("4.38")
    net_income = section(bs, "NetIncome")
    assert net_income["type"] == "Data" and net_income["ColData"][0]["value"] == "Net Income"
    pnl = report(qb, "ProfitAndLoss", start_date=f"{YEAR}-01-01", end_date=f"{YEAR}-12-31")
    income, cogs, expenses = summary(pnl, "Income"), summary(pnl, "COGS"), summary(pnl, "Expenses")
    assert (income, cogs, expenses) == (D("270.00"), D("16.00"), D("15.00"))
    assert summary(pnl, "GrossProfit") == income - cogs
    assert summary(pnl, "NetOperatingIncome") == income - cogs - expenses
    assert summary(pnl, "NetIncome") == income - cogs - expenses == D("239.00")
    assert D(net_income["ColData"][1]["value"]) == summary(pnl, "NetIncome")
    assert summary(bs, "Equity") == D("239.00")


def test_a_document_after_end_date_is_left_out_and_profit_and_loss_covers_its_dates(books):
    qb, docs = books
    june = trial_balance(report(qb, "TrialBalance", end_date=f"{YEAR}-06-30", start_date=f"{YEAR}-06-01"))
    assert june["Sales of Product Income"] == D("-230.00")  # not the 40.00 of July
    assert june["Undeposited Funds"] == D("164.38")
    bs = report(qb, "BalanceSheet", end_date=f"{YEAR}-06-30")
    assert summary(bs, "TotalAssets") == summary(bs, "TotalLiabilitiesAndEquity") == D("203.38")
    april = report(qb, "ProfitAndLoss", start_date=f"{YEAR}-04-01", end_date=f"{YEAR}-04-30")
    assert april["Header"]["StartPeriod"] == f"{YEAR}-04-01" and april["Header"]["EndPeriod"] == f"{YEAR}-04-30"
    assert "DateMacro" not in april["Header"]
    rows = data_rows(april)
    assert set(rows) == {"Sales of Product Income", "Merchant Fees"}
    assert summary(april, "Income") == D("-30.00")  # the refund
    assert summary(april, "NetIncome") == D("-33.00")
    assert "COGS" not in {row.get("group") for row in walk(april["Rows"])}
    july = report(qb, "ProfitAndLoss", start_date=f"{YEAR}-07-01", end_date=f"{YEAR}-07-31")
    assert summary(july, "NetIncome") == D("40.00")
    # A document voided leaves every report.
    docs["later"].void(qb=qb)
    july = report(qb, "ProfitAndLoss", start_date=f"{YEAR}-07-01", end_date=f"{YEAR}-07-31")
    assert summary(july, "NetIncome") == D("0.00")
    assert {"Name": "NoReportData", "Value": "true"} in july["Header"]["Option"]
    assert section(july, "Expenses")["Summary"]["ColData"][1]["value"] == ""


def test_a_foreign_currency_sale_is_reported_in_the_home_currency(books):
    qb, docs = books
    assert docs["euros"].CurrencyRef.value == "EUR"
    may = report(qb, "ProfitAndLoss", start_date=f"{YEAR}-05-15", end_date=f"{YEAR}-05-15")
    assert may["Header"]["Currency"] == "USD"
    assert data_rows(may)["Sales of Product Income"][1]["value"] == "110.00"
    tb = trial_balance(report(qb, "TrialBalance", end_date=f"{YEAR}-05-15", start_date=f"{YEAR}-05-15"))
    assert tb["Undeposited Funds"] == D("164.38")


def test_earlier_years_close_into_retained_earnings(make_sandbox):
    sandbox = make_sandbox(companies=["US"])
    qb = sandbox.client("US")
    sales = item(qb, "Sales")
    receipt(qb, "2024-11-20", sale_line(sales, "1", "80.00", "NON"))
    receipt(qb, f"{YEAR}-02-01", sale_line(sales, "1", "20.00", "NON"))
    tb = trial_balance(report(qb, "TrialBalance", start_date=f"{YEAR}-01-01", end_date=f"{YEAR}-12-31"))
    assert tb["Retained Earnings"] == D("-80.00")
    assert tb["Sales of Product Income"] == D("-20.00")  # this fiscal year only
    bs = report(qb, "BalanceSheet", end_date=f"{YEAR}-12-31")
    assert data_rows(bs)["Retained Earnings"][1]["value"] == "80.00"
    assert section(bs, "NetIncome")["ColData"][1]["value"] == "20.00"
    assert summary(bs, "TotalAssets") == summary(bs, "TotalLiabilitiesAndEquity") == D("100.00")
    # At the end of 2024 the same sale is still that year's income.
    before = trial_balance(report(qb, "TrialBalance", end_date="2024-12-31", start_date="2024-12-01"))
    assert before["Sales of Product Income"] == D("-80.00")
    assert "Retained Earnings" not in before


# ---- parameters -------------------------------------------------------------------------------


def test_date_macros_and_defaults(books):
    qb, _ = books
    today = qb_today(qb)
    tb = report(qb, "TrialBalance")
    assert tb["Header"]["DateMacro"] == "this month-to-date"
    assert tb["Header"]["StartPeriod"] == today.replace(day=1).isoformat()
    assert tb["Header"]["EndPeriod"] == today.isoformat()
    pnl = report(qb, "ProfitAndLoss")
    assert pnl["Header"]["DateMacro"] == "this fiscal year-to-date"
    assert pnl["Header"]["StartPeriod"] == f"{today.year}-01-01"
    month = report(qb, "ProfitAndLoss", date_macro="This Month")
    assert month["Header"]["DateMacro"] == "this month"
    assert month["Header"]["StartPeriod"] == today.replace(day=1).isoformat()
    assert report(qb, "ProfitAndLoss", date_macro="Today")["Header"]["EndPeriod"] == today.isoformat()
    everything = report(qb, "ProfitAndLoss", date_macro="All")
    assert everything["Header"]["StartPeriod"] == f"{YEAR}-03-10"
    assert summary(everything, "NetIncome") == D("239.00")


def qb_today(qb) -> date:
    """The company's today, as its Time header says (the company's own time zone)."""
    return date.fromisoformat(report(qb, "TrialBalance", end_date="2000-01-01")["Header"]["Time"][:10])


def test_date_macro_periods():
    today = date(2026, 12, 1)  # a Tuesday
    assert period("This Week", today) == ("2026-11-29", "2026-12-05")
    assert period("This Week-to-date", today) == ("2026-11-29", "2026-12-01")
    assert period("Last Week", today) == ("2026-11-22", "2026-11-28")
    assert period("Last Month", today) == ("2026-11-01", "2026-11-30")
    assert period("Last Month-to-date", today) == ("2026-11-01", "2026-11-01")
    assert period("Next Month", today) == ("2027-01-01", "2027-01-31")
    assert period("Next 4 Weeks", today) == ("2026-12-06", "2027-01-02")
    assert period("Yesterday", today) == ("2026-11-30", "2026-11-30")
    assert period("This Calendar Quarter", today) == ("2026-10-01", "2026-12-31")
    assert period("last calendar year", today) == ("2025-01-01", "2025-12-31")
    # A fiscal year starting in April.
    assert period("This Fiscal Year", today, fiscal_month=4) == ("2026-04-01", "2027-03-31")
    assert period("Last Fiscal Year-to-date", today, fiscal_month=4) == ("2025-04-01", "2025-12-01")
    assert period("This Fiscal Quarter", today, fiscal_month=4) == ("2026-10-01", "2026-12-31")
    assert period("Next Fiscal Quarter", today, fiscal_month=2) == ("2027-02-01", "2027-04-30")


def period(macro: str, today: date, fiscal_month: int = 1) -> tuple[str, str]:
    p = macro_period(macro, today, fiscal_month, None, None)
    return p.start.isoformat(), p.end.isoformat()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"accounting_method": "Cash"}, 500),  # Cash basis is not emulated: refused, never answered as accrual
        ({"summarize_column_by": "Month"}, 500),
        ({"customer": "1"}, 500),  # filters are not emulated: refused, never answered unfiltered
        ({"accounting_method": "Sideways"}, 2010),
        ({"summarize_column_by": "Fortnight"}, 2010),
        ({"date_macro": "Some Day"}, 2010),
        ({"start_date": "2025-13-01"}, 2010),
        ({"start_date": "2025-06-01", "end_date": "2025-05-01"}, 2010),
    ],
)
def test_parameters_the_sandbox_does_not_answer_are_refused(make_sandbox, params, code):
    qb = make_sandbox(companies=["US"]).client("US")
    with pytest.raises(QuickbooksException) as excinfo:
        report(qb, "ProfitAndLoss", **params)
    assert excinfo.value.error_code == code


def test_accrual_and_total_are_accepted_and_other_reports_refused(make_sandbox):
    qb = make_sandbox(companies=["US"]).client("US")
    answer = report(qb, "BalanceSheet", accounting_method="Accrual", summarize_column_by="Total", qzurl="true")
    assert answer["Header"]["ReportBasis"] == "Accrual"
    assert answer["Header"]["SummarizeColumnsBy"] == "Total"
    with pytest.raises(QuickbooksException) as excinfo:
        report(qb, "GeneralLedger")
    assert excinfo.value.error_code == 500


@pytest.mark.parametrize("preset", ["CA", "UK", "AU"])
def test_profit_and_loss_groups_follow_the_companys_country(make_sandbox, preset):
    qb = make_sandbox(companies=[preset]).client(preset)
    groups = [row.get("group") for row in report(qb, "ProfitAndLoss", date_macro="This Fiscal Year")["Rows"]["Row"]]
    expected = {
        "CA": ["Income", "Expenses", "NetIncome"],
        "UK": ["Income", "GrossProfit", "Expenses", "NetOperatingIncome", "NetIncome"],
        "AU": ["Income", "GrossProfit", "Expenses", "NetIncome"],
    }[preset]
    assert groups == expected


# ---- shape ------------------------------------------------------------------------------------

# Report.xsd (Intuit's Java SDK, ipp-v3-java-data/src/main/xsd/Report.xsd): each type's elements and
# attributes, as the JSON carries them. Checked against the file itself when the reference has it.
REPORT_TYPES: dict[str, dict[str, str]] = {
    "Report": {"Header": "ReportHeader", "Columns": "Columns", "Rows": "Rows"},
    "ReportHeader": {
        "Time": "dateTime",
        "ReportName": "string",
        "DateMacro": "string",
        "ReportBasis": "ReportBasisEnum",
        "StartPeriod": "string",
        "EndPeriod": "string",
        "SummarizeColumnsBy": "string",
        "Currency": "string",
        "Customer": "string",
        "Vendor": "string",
        "Employee": "string",
        "Item": "string",
        "Class": "string",
        "Department": "string",
        "Option": "NameValue[]",
    },
    "NameValue": {"Name": "string", "Value": "string"},
    "Columns": {"Column": "Column[]"},
    "Column": {"ColTitle": "string", "ColType": "string", "MetaData": "NameValue[]", "Columns": "Columns"},
    "Rows": {"Row": "Row[]"},
    "Row": {
        "id": "string",
        "parentId": "string",
        "Header": "Header",
        "Rows": "Rows",
        "Summary": "Summary",
        "ColData": "ColData[]",
        "type": "RowTypeEnum",
        "group": "string",
    },
    "Header": {"ColData": "ColData[]"},
    "Summary": {"ColData": "ColData[]"},
    "ColData": {"Attributes": "Attributes", "value": "string", "id": "string", "href": "string"},
    "Attributes": {"Attribute": "Attribute[]"},
    "Attribute": {"Type": "string", "Value": "string"},
}
ENUMS = {"RowTypeEnum": {"Section", "Data"}, "ReportBasisEnum": {"Cash", "Accrual"}}


def check_shape(type_name: str, value: Any, path: str, problems: list[str]) -> None:
    if type_name in ENUMS:
        if value not in ENUMS[type_name]:
            problems.append(f"{path}: {value!r} not in {type_name}")
        return
    fields = REPORT_TYPES.get(type_name)
    if fields is None:
        if not isinstance(value, str):
            problems.append(f"{path}: {type_name} must be a string, got {value!r}")
        return
    if not isinstance(value, dict):
        problems.append(f"{path}: {type_name} must be an object")
        return
    for key, child in value.items():
        declared = fields.get(key)
        if declared is None:
            problems.append(f"{path}.{key} is not in {type_name}")
        elif declared.endswith("[]"):
            if not isinstance(child, list):
                problems.append(f"{path}.{key} must be a list")
            else:
                for i, element in enumerate(child):
                    check_shape(declared[:-2], element, f"{path}.{key}[{i}]", problems)
        else:
            check_shape(declared, child, f"{path}.{key}", problems)
    if type_name == "Row":
        # Report.xsd: a row is either a section (Header/Rows/Summary) or data (ColData), never both.
        if "ColData" in value and {"Header", "Rows", "Summary"} & set(value):
            problems.append(f"{path}: both ColData and a section")


def test_every_report_has_the_report_xsd_shape(books):
    qb, _ = books
    for name in ("TrialBalance", "BalanceSheet", "ProfitAndLoss"):
        for params in ({}, {"start_date": f"{YEAR}-01-01", "end_date": f"{YEAR}-12-31"}):
            answer = report(qb, name, **params)
            problems: list[str] = []
            check_shape("Report", answer, name, problems)
            assert problems == []
            width = len(answer["Columns"]["Column"])
            for row in walk(answer.get("Rows", {})):
                for part in ("Header", "Summary"):
                    if part in row:
                        assert len(row[part]["ColData"]) == width
                if "ColData" in row:
                    assert len(row["ColData"]) == width


def test_the_shape_table_is_report_xsd():
    (path,) = reference.require("quickbooks/xsd/Report.xsd")
    types = load_types([path])
    for name, fields in REPORT_TYPES.items():
        if name == "NameValue":
            continue  # defined in IntuitBaseTypes.xsd
        xsd_fields = {**types[name].elements, **{k: (v, False) for k, v in types[name].attributes.items()}}
        assert set(xsd_fields) == set(fields), name
        for field_name, declared in fields.items():
            typ, repeated = xsd_fields[field_name]
            assert declared.endswith("[]") == repeated, (name, field_name)
            assert declared.removesuffix("[]") == typ, (name, field_name)
