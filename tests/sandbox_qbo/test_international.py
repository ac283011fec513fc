"""VAT and GST companies and foreign currencies, driven through python-quickbooks as the app drives QBO.

Supplied tax lines (TxnTaxDetail.TaxLine per rate) override QBO's computed amounts with
OverrideDeltaAmount; TaxService creates codes; multicurrency transactions post to the general
ledger in the home currency at their rate; exchange rates are read and set as QBO serves them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import Deposit, DepositLine
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.exchangerate import ExchangeRate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.tax import TaxLine, TaxLineDetail, TxnTaxDetail
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.taxservice import TaxRateDetails, TaxService

from .conftest import fault_of

D = Decimal


def value_ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def named(qb, entity, name: str):
    found = entity.filter(Name=name, qb=qb)
    assert len(found) == 1, name
    return found[0]


def sales_item(qb) -> Item:
    return named(qb, Item, "Sales")


def item_line(item: Item, amount: str, code: str | None = None, *, gross: str | None = None) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = D(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = value_ref(item.Id)
    line.SalesItemLineDetail.Qty = D(1)
    line.SalesItemLineDetail.UnitPrice = D(gross or amount)
    if code:
        line.SalesItemLineDetail.TaxCodeRef = value_ref(code)
    if gross:
        line.SalesItemLineDetail.TaxInclusiveAmt = D(gross)
    return line


def tax_lines(*supplied: tuple[str, str]) -> TxnTaxDetail:
    """TxnTaxDetail with one TaxLine per (tax rate id, amount), as the app supplies Shopify's tax."""
    detail = TxnTaxDetail()
    detail.TotalTax = sum((D(amount) for _, amount in supplied), D(0))
    for rate_id, amount in supplied:
        line = TaxLine()
        line.Amount = D(amount)
        line.DetailType = "TaxLineDetail"
        line.TaxLineDetail = TaxLineDetail()
        line.TaxLineDetail.TaxRateRef = value_ref(rate_id)
        line.TaxLineDetail.PercentBased = True
        detail.TaxLine.append(line)
    return detail


def balance(qb, name: str) -> Decimal:
    return D(str(named(qb, Account, name).CurrentBalance))


def rate_id(qb, name: str) -> str:
    return named(qb, TaxRate, name).Id


def by_rate(doc) -> dict[str, tuple[Decimal, Decimal | None]]:
    """Tax rate id -> (amount, OverrideDeltaAmount) of a document read back."""
    out = {}
    for line in doc.TxnTaxDetail.TaxLine:
        detail = line.TaxLineDetail
        delta = getattr(detail, "OverrideDeltaAmount", None)
        out[detail.TaxRateRef.value] = (D(str(line.Amount)), None if delta is None else D(str(delta)))
    return out


# ---- supplied tax outside the US ---------------------------------------------------------------


def test_uk_tax_inclusive_100_95_books_shopifys_vat_with_the_override(sandbox):
    qb = sandbox.client("UK")
    standard = named(qb, TaxCode, "20.0% S").Id
    vat = rate_id(qb, "20.0% S")
    before = balance(qb, "VAT Control")
    receipt = SalesReceipt()
    receipt.GlobalTaxCalculation = "TaxInclusive"
    # Shopify: 100.95 gross, VAT 16.83 (100.95 x 20/120 = 16.825), net 84.12.
    receipt.Line = [item_line(sales_item(qb), "84.12", standard, gross="100.95")]
    receipt.TxnTaxDetail = tax_lines((vat, "16.83"))
    saved = receipt.save(qb=qb)
    assert D(str(saved.TotalAmt)) == D("100.95")
    assert D(str(saved.TxnTaxDetail.TotalTax)) == D("16.83")
    # QBO's own figure on the kept net: 84.12 x 20% = 16.824 -> 16.82, a cent short of Shopify's.
    assert by_rate(saved) == {vat: (D("16.83"), D("0.01"))}
    assert D(str(saved.TxnTaxDetail.TaxLine[0].TaxLineDetail.NetAmountTaxable)) == D("84.12")
    assert D(str(saved.Line[0].Amount)) == D("84.12")
    assert D(str(saved.Line[0].SalesItemLineDetail["TaxInclusiveAmt"])) == D("100.95")
    assert balance(qb, "VAT Control") - before == D("16.83")
    assert balance(qb, "Undeposited Funds") == D("100.95")
    assert balance(qb, "Sales of Product Income") == D("84.12")


def test_uk_tax_inclusive_without_supplied_tax_keeps_qbos_own_net(sandbox):
    qb = sandbox.client("UK")
    standard = named(qb, TaxCode, "20.0% S").Id
    receipt = SalesReceipt()
    receipt.GlobalTaxCalculation = "TaxInclusive"
    receipt.Line = [item_line(sales_item(qb), "80.00", standard, gross="100.95")]
    saved = receipt.save(qb=qb)
    assert D(str(saved.Line[0].Amount)) == D("84.12")  # the gross wins; the Amount given is replaced
    assert D(str(saved.TotalAmt)) == D("100.95")
    assert getattr(saved.TxnTaxDetail.TaxLine[0].TaxLineDetail, "OverrideDeltaAmount", None) is None


def test_uk_supplied_tax_refuses_a_net_that_disagrees_with_the_gross(sandbox):
    qb = sandbox.client("UK")
    standard = named(qb, TaxCode, "20.0% S").Id
    receipt = SalesReceipt()
    receipt.GlobalTaxCalculation = "TaxInclusive"
    receipt.Line = [item_line(sales_item(qb), "84.10", standard, gross="100.95")]  # 2 cents off 84.12
    receipt.TxnTaxDetail = tax_lines((rate_id(qb, "20.0% S"), "16.83"))
    with pytest.raises(QuickbooksException) as error:
        receipt.save(qb=qb)
    assert error.value.error_code == 6000
    assert "disagree" in error.value.detail


def test_canada_gst_qst_line_with_two_supplied_rate_amounts(sandbox):
    qb = sandbox.client("CA")
    qc = named(qb, TaxCode, "GST/QST QC").Id
    gst, qst = rate_id(qb, "GST"), rate_id(qb, "QST")
    receipt = SalesReceipt()
    # 19.99: GST 5% = 0.9995 -> 1.00; QST 9.975% = 1.994 -> 1.99 by QBO, 2.00 by the shop.
    receipt.Line = [item_line(sales_item(qb), "19.99", qc)]
    receipt.TxnTaxDetail = tax_lines((gst, "1.00"), (qst, "2.00"))
    saved = receipt.save(qb=qb)
    assert by_rate(saved) == {gst: (D("1.00"), D("0.00")), qst: (D("2.00"), D("0.01"))}
    assert D(str(saved.TxnTaxDetail.TotalTax)) == D("3.00")
    assert D(str(saved.TotalAmt)) == D("22.99")
    assert balance(qb, "GST/HST Payable") == D("1.00")
    assert balance(qb, "QST Payable") == D("2.00")

    # A rate the lines use but the document leaves out keeps QBO's computed amount.
    partial = SalesReceipt()
    partial.Line = [item_line(sales_item(qb), "19.99", qc)]
    partial.TxnTaxDetail = tax_lines((qst, "2.00"))
    saved = partial.save(qb=qb)
    assert by_rate(saved) == {gst: (D("1.00"), None), qst: (D("2.00"), D("0.01"))}
    assert D(str(saved.TotalAmt)) == D("22.99")


def test_a_tax_line_for_a_rate_no_line_uses_is_refused(sandbox):
    qb = sandbox.client("UK")
    receipt = SalesReceipt()
    receipt.Line = [item_line(sales_item(qb), "10.00", named(qb, TaxCode, "20.0% S").Id)]
    receipt.TxnTaxDetail = tax_lines((rate_id(qb, "20.0% S"), "2.00"), (rate_id(qb, "5.0% R"), "0.50"))
    with pytest.raises(QuickbooksException) as error:
        receipt.save(qb=qb)
    assert error.value.error_code == 6000
    assert "not used by any line" in error.value.detail


def test_refunds_and_credit_memos_take_supplied_vat_back(sandbox):
    qb = sandbox.client("UK")
    standard = named(qb, TaxCode, "20.0% S").Id
    vat = rate_id(qb, "20.0% S")
    checking = named(qb, Account, "Checking")
    sale = SalesReceipt()
    sale.GlobalTaxCalculation = "TaxInclusive"
    sale.Line = [item_line(sales_item(qb), "84.12", standard, gross="100.95")]
    sale.TxnTaxDetail = tax_lines((vat, "16.83"))
    sale.save(qb=qb)
    body = {
        "GlobalTaxCalculation": "TaxInclusive",
        "DepositToAccountRef": {"value": checking.Id},
        "Line": [
            {
                "Amount": "84.12",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": sales_item(qb).Id},
                    "TaxCodeRef": {"value": standard},
                    "TaxInclusiveAmt": "100.95",
                },
            }
        ],
        "TxnTaxDetail": {
            "TaxLine": [
                {"Amount": "16.83", "DetailType": "TaxLineDetail", "TaxLineDetail": {"TaxRateRef": {"value": vat}}}
            ]
        },
    }
    refund = sandbox.post("refundreceipt", body, "UK")
    assert refund.status_code == 200, refund.text
    assert D(str(refund.json()["RefundReceipt"]["TotalAmt"])) == D("100.95")
    assert balance(qb, "VAT Control") == D("0.00")
    assert balance(qb, "Checking") == D("-100.95")


# ---- TaxService --------------------------------------------------------------------------------


def test_tax_service_creates_a_combined_code_from_an_existing_and_a_new_rate(sandbox):
    qb = sandbox.client("CA")  # Saskatchewan's 6% PST: a rate the preset company does not have yet
    agency = TaxAgency.filter(DisplayName="Canada Revenue Agency", qb=qb)[0]
    existing = TaxRateDetails()
    existing.TaxRateId = rate_id(qb, "GST")
    new = TaxRateDetails()
    new.TaxRateName = "PST SK"
    new.RateValue = D("6")
    new.TaxAgencyId = agency.Id
    service = TaxService()
    service.TaxCode = "GST/PST SK"
    service.TaxRateDetails = [existing, new]
    answer = service.save(qb=qb)
    assert answer.TaxCode == "GST/PST SK"
    details = {d.TaxRateName: d for d in answer.TaxRateDetails}
    assert details["GST"].TaxRateId == rate_id(qb, "GST")
    assert D(str(details["PST SK"].RateValue)) == D("6")
    assert details["PST SK"].TaxApplicableOn == "Sales"

    code = TaxCode.get(answer.TaxCodeId, qb=qb)
    assert code.TaxGroup is True
    assert [d.TaxRateRef.value for d in code.SalesTaxRateList.TaxRateDetail] == [
        rate_id(qb, "GST"),
        details["PST SK"].TaxRateId,
    ]
    receipt = SalesReceipt()
    receipt.Line = [item_line(sales_item(qb), "100.00", code.Id)]
    saved = receipt.save(qb=qb)
    assert D(str(saved.TotalAmt)) == D("111.00")

    again = TaxService()
    again.TaxCode = "GST/PST SK"
    again.TaxRateDetails = [existing]
    with pytest.raises(QuickbooksException) as error:
        again.save(qb=qb)
    assert error.value.error_code == 6240


def test_tax_service_checks_its_references_and_answers_unwrapped(sandbox):
    bad = sandbox.post("taxservice/taxcode", {"TaxCode": "X", "TaxRateDetails": [{"TaxRateId": "999"}]}, "UK")
    assert bad.status_code == 400 and fault_of(bad)["code"] == "2500"
    no_agency = sandbox.post(
        "taxservice/taxcode",
        {"TaxCode": "X", "TaxRateDetails": [{"TaxRateName": "X", "RateValue": 3, "TaxAgencyId": "99"}]},
        "UK",
    )
    assert fault_of(no_agency)["code"] == "2500"
    empty = sandbox.post("taxservice/taxcode", {"TaxCode": "X", "TaxRateDetails": []}, "UK")
    assert fault_of(empty)["code"] == "2020"
    good = sandbox.post(
        "taxservice/taxcode",
        {"TaxCode": "Flat 3", "TaxRateDetails": [{"TaxRateName": "Flat 3", "RateValue": 3, "TaxAgencyId": "1"}]},
        "UK",
    )
    assert good.status_code == 200, good.text
    body = good.json()
    assert set(body) == {"TaxCode", "TaxCodeId", "TaxRateDetails"}
    # US companies use automated sales tax: Intuit keeps the create for backward compatibility.
    us = sandbox.post(
        "taxservice/taxcode",
        {"TaxCode": "Extra", "TaxRateDetails": [{"TaxRateName": "Extra", "RateValue": 1, "TaxAgencyId": "1"}]},
        "US",
    )
    assert us.status_code == 200, us.text


# ---- multicurrency -----------------------------------------------------------------------------


def euro_setup(qb):
    customer = Customer()
    customer.DisplayName = "Euro Buyer"
    customer.CurrencyRef = value_ref("EUR")
    customer = customer.save(qb=qb)
    bank = Account()
    bank.Name = "Euro Bank"
    bank.AccountType = "Bank"
    bank.AccountSubType = "Checking"
    bank.CurrencyRef = value_ref("EUR")
    bank = bank.save(qb=qb)
    return customer, bank


def euro_receipt(qb, customer, amount: str, *, rate: str | None = None, deposit_to=None, date=None) -> SalesReceipt:
    receipt = SalesReceipt()
    receipt.CurrencyRef = value_ref("EUR")
    if rate:
        receipt.ExchangeRate = D(rate)
    if date:
        receipt.TxnDate = date
    receipt.CustomerRef = value_ref(customer.Id)
    if deposit_to is not None:
        receipt.DepositToAccountRef = value_ref(deposit_to.Id)
    receipt.Line = [item_line(sales_item(qb), amount, "NON")]
    return receipt.save(qb=qb)


def test_eur_receipt_on_a_usd_company_posts_the_ledger_in_usd(make_sandbox):
    sandbox = make_sandbox(companies=["US"], multicurrency=True)
    qb = sandbox.client("US")
    customer, bank = euro_setup(qb)
    saved = euro_receipt(qb, customer, "100.00", rate="1.0825")
    assert saved.CurrencyRef.value == "EUR"
    assert D(str(saved.TotalAmt)) == D("100.00")
    assert D(str(saved.HomeTotalAmt)) == D("108.25")
    # Undeposited Funds is a home-currency account: it takes the USD equivalent.
    assert balance(qb, "Undeposited Funds") == D("108.25")
    assert balance(qb, "Sales of Product Income") == D("108.25")

    into_bank = euro_receipt(qb, customer, "50.00", rate="1.10", deposit_to=bank)
    assert D(str(into_bank.HomeTotalAmt)) == D("55.00")
    assert balance(qb, "Euro Bank") == D("50.00")  # the account's own currency
    ledger = requests.get(f"{sandbox.url}/_sandbox/qbo/{sandbox.company('US')['realm_id']}/ledger", timeout=10).json()
    rows = {row["Name"]: row for row in ledger["Accounts"]}
    assert rows["Euro Bank"]["Currency"] == "EUR"
    assert D(rows["Euro Bank"]["Balance"]) == D("50.00")
    assert D(rows["Euro Bank"]["HomeBalance"]) == D("55.00")
    assert D(rows["Sales of Product Income"]["HomeBalance"]) == D("163.25")
    assert ledger["Balanced"] is True

    # Depositing the first receipt into the euro bank at another rate realises an exchange difference.
    deposit = Deposit()
    deposit.CurrencyRef = value_ref("EUR")
    deposit.ExchangeRate = D("1.09")
    deposit.DepositToAccountRef = value_ref(bank.Id)
    line = DepositLine()
    line.Amount = D("100.00")
    link = {"TxnId": saved.Id, "TxnType": "SalesReceipt"}
    line.LinkedTxn = [link]
    deposit.Line = [line]
    deposit.save(qb=qb)
    assert balance(qb, "Undeposited Funds") == D("0.00")
    assert balance(qb, "Euro Bank") == D("150.00")
    # 100 EUR came in at 1.0825 (108.25) and went to the bank at 1.09 (109.00): a 0.75 gain.
    assert balance(qb, "Exchange Gain or Loss") == D("-0.75")
    ledger = requests.get(f"{sandbox.url}/_sandbox/qbo/{sandbox.company('US')['realm_id']}/ledger", timeout=10).json()
    assert ledger["Balanced"] is True


def test_foreign_invoice_gets_a_foreign_ar_and_its_payment_realises_the_rate_difference(make_sandbox):
    sandbox = make_sandbox(companies=["UK"], multicurrency=True)
    qb = sandbox.client("UK")
    customer, bank = euro_setup(qb)
    invoice = Invoice()
    invoice.CurrencyRef = value_ref("EUR")
    invoice.ExchangeRate = D("0.85")
    invoice.CustomerRef = value_ref(customer.Id)
    invoice.Line = [item_line(sales_item(qb), "100.00", named(qb, TaxCode, "0.0% Z").Id)]
    invoice = invoice.save(qb=qb)
    ar = [a for a in Account.filter(AccountType="Accounts Receivable", qb=qb) if a.CurrencyRef.value == "EUR"]
    assert len(ar) == 1 and ar[0].Name == "Accounts Receivable (A/R) - EUR"
    assert D(str(ar[0].CurrentBalance)) == D("100.00")
    payment = Payment()
    payment.CurrencyRef = value_ref("EUR")
    payment.ExchangeRate = D("0.86")
    payment.CustomerRef = value_ref(customer.Id)
    payment.DepositToAccountRef = value_ref(bank.Id)
    payment.TotalAmt = D("100.00")
    line = PaymentLine()
    line.Amount = D("100.00")
    line.LinkedTxn = [{"TxnId": invoice.Id, "TxnType": "Invoice"}]
    payment.Line = [line]
    payment.save(qb=qb)
    assert balance(qb, "Accounts Receivable (A/R) - EUR") == D("0.00")
    assert balance(qb, "Euro Bank") == D("100.00")
    assert balance(qb, "Exchange Gain or Loss") == D("-1.00")  # paid at 86.00 GBP, owed at 85.00


def test_foreign_currency_is_refused_without_multicurrency(sandbox):
    qb = sandbox.client("US")
    receipt = SalesReceipt()
    receipt.CurrencyRef = value_ref("EUR")
    receipt.Line = [item_line(sales_item(qb), "100.00", "NON")]
    with pytest.raises(QuickbooksException) as error:
        receipt.save(qb=qb)
    assert error.value.error_code == 6000
    assert "Multicurrency is not enabled" in error.value.detail
    account = sandbox.post("account", {"Name": "Euro Bank", "AccountType": "Bank", "CurrencyRef": {"value": "EUR"}})
    assert fault_of(account)["code"] == "6000"
    customer = sandbox.post("customer", {"DisplayName": "Euro Buyer", "CurrencyRef": {"value": "EUR"}})
    assert fault_of(customer)["code"] == "6000"
    rate = sandbox.get("exchangerate", sourcecurrencycode="EUR")
    assert rate.status_code == 400 and fault_of(rate)["code"] == "6000"


def test_multicurrency_rules_for_accounts_and_deposit_accounts(make_sandbox):
    sandbox = make_sandbox(companies=["US"], multicurrency=True)
    qb = sandbox.client("US")
    customer, bank = euro_setup(qb)
    income = sandbox.post("account", {"Name": "Euro Sales", "AccountType": "Income", "CurrencyRef": {"value": "EUR"}})
    assert fault_of(income)["code"] == "6000"
    change = sandbox.post(
        "account",
        {
            "Id": bank.Id,
            "SyncToken": bank.SyncToken,
            "Name": "Euro Bank",
            "AccountType": "Bank",
            "CurrencyRef": {"value": "GBP"},
        },
    )
    assert fault_of(change)["code"] == "6000"
    pounds = ok_json(
        sandbox.post("account", {"Name": "Pound Bank", "AccountType": "Bank", "CurrencyRef": {"value": "GBP"}})
    )["Account"]
    wrong = sandbox.post(
        "salesreceipt",
        {
            "CurrencyRef": {"value": "EUR"},
            "CustomerRef": {"value": customer.Id},
            "DepositToAccountRef": {"value": pounds["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": sales_item(qb).Id}},
                }
            ],
        },
    )
    assert fault_of(wrong)["code"] == "6000"
    assert "home currency or the transaction currency" in fault_of(wrong)["Detail"]
    home_customer = sandbox.post(
        "salesreceipt",
        {
            "CurrencyRef": {"value": "EUR"},
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": sales_item(qb).Id}},
                }
            ],
        },
    )
    assert fault_of(home_customer)["code"] == "6000"


def ok_json(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


# ---- exchange rates ----------------------------------------------------------------------------


def test_exchange_rate_read_set_and_used_for_a_transaction_without_one(make_sandbox):
    sandbox = make_sandbox(companies=["US"], multicurrency=True)
    qb = sandbox.client("US")
    read = ok_json(sandbox.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-20"))["ExchangeRate"]
    assert read["SourceCurrencyCode"] == "EUR" and read["TargetCurrencyCode"] == "USD"
    assert D(str(read["Rate"])) == D("1.08") and read["AsOfDate"] == "2026-11-20"
    listed = ExchangeRate.filter(SourceCurrencyCode="EUR", qb=qb)
    assert [(r.SourceCurrencyCode, D(str(r.Rate))) for r in listed] == [("EUR", D("1.08"))]
    assert {r.SourceCurrencyCode for r in ExchangeRate.all(qb=qb)} == {"CAD", "EUR", "GBP", "AUD"}

    new = ExchangeRate()
    new.SourceCurrencyCode = "EUR"
    new.TargetCurrencyCode = "USD"
    new.Rate = D("1.1234")
    new.AsOfDate = "2026-11-21"
    saved = new.save(qb=qb)
    assert D(str(saved.Rate)) == D("1.1234")
    later = ok_json(sandbox.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-25"))["ExchangeRate"]
    assert D(str(later["Rate"])) == D("1.1234")
    earlier = ok_json(sandbox.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-20"))["ExchangeRate"]
    assert D(str(earlier["Rate"])) == D("1.08")
    on_day = ExchangeRate.where("AsOfDate = '2026-11-22' and SourceCurrencyCode = 'EUR'", qb=qb)
    assert D(str(on_day[0].Rate)) == D("1.1234")

    customer, _bank = euro_setup(qb)
    dated = euro_receipt(qb, customer, "10.00", date="2026-11-22")
    assert D(str(dated.ExchangeRate)) == D("1.1234")
    assert D(str(dated.HomeTotalAmt)) == D("11.23")
    before = euro_receipt(qb, customer, "10.00", date="2026-11-01")
    assert D(str(before.ExchangeRate)) == D("1.08")

    control = requests.post(
        f"{sandbox.url}/_sandbox/qbo/{sandbox.company('US')['realm_id']}/exchange-rate",
        json={"currency": "GBP", "rate": "1.3", "as_of": "2026-11-01"},
        timeout=10,
    )
    assert control.status_code == 200, control.text
    gbp = ok_json(sandbox.get("exchangerate", sourcecurrencycode="GBP", asofdate="2026-11-02"))["ExchangeRate"]
    assert D(str(gbp["Rate"])) == D("1.3")
    unknown = sandbox.get("exchangerate", sourcecurrencycode="XYZ")
    assert unknown.status_code == 400


def test_exchange_rates_survive_a_restart(make_sandbox, tmp_path):
    sandbox = make_sandbox(state_dir=tmp_path, companies=["US"], multicurrency=True)
    ok_json(sandbox.post("exchangerate", {"SourceCurrencyCode": "EUR", "Rate": 1.2, "AsOfDate": "2026-11-01"}))
    sandbox.emulator.close()
    again = make_sandbox(state_dir=tmp_path, companies=["US"], multicurrency=True)
    rate = ok_json(again.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-02"))["ExchangeRate"]
    assert D(str(rate["Rate"])) == D("1.2")


def test_what_these_flows_answer_is_in_the_xsd(make_sandbox):
    from tests import reference

    from .test_xsd import _walk
    from .xsd import XSD_FILES, load_types

    xsd = load_types(reference.require(*XSD_FILES))
    sandbox = make_sandbox(companies=["UK", "CA"], multicurrency=True)
    qb = sandbox.client("UK")
    customer, bank = euro_setup(qb)
    receipt = SalesReceipt()
    receipt.GlobalTaxCalculation = "TaxInclusive"
    receipt.CurrencyRef = value_ref("EUR")
    receipt.CustomerRef = value_ref(customer.Id)
    receipt.DepositToAccountRef = value_ref(bank.Id)
    receipt.Line = [item_line(sales_item(qb), "84.12", named(qb, TaxCode, "20.0% S").Id, gross="100.95")]
    receipt.TxnTaxDetail = tax_lines((rate_id(qb, "20.0% S"), "16.83"))
    receipt.save(qb=qb)
    problems: list[str] = []
    service = ok_json(
        sandbox.post(
            "taxservice/taxcode",
            {
                "TaxCode": "Two",
                "TaxRateDetails": [{"TaxRateId": "1"}, {"TaxRateName": "N", "RateValue": 2, "TaxAgencyId": "1"}],
            },
            "CA",
        )
    )
    _walk(xsd, "TaxService", service, "TaxService", problems)
    rate = ok_json(sandbox.get("exchangerate", "UK", sourcecurrencycode="EUR"))["ExchangeRate"]
    _walk(xsd, "ExchangeRate", rate, "ExchangeRate", problems)
    for company in sandbox.emulator.companies.values():
        for entity, objects in company.objects.items():
            for obj in objects.values():
                _walk(xsd, entity, obj, f"{entity}[{obj['Id']}]", problems)
        for account in company.with_balances(company.live("Account")):
            _walk(xsd, "Account", account, "Account", problems)
    assert sorted(set(problems)) == []
