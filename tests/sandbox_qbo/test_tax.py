"""Totals and tax as QBO computes them, pinned with worked examples for each preset country.

Tax is computed per line and per rate, rounded half-up to the cent, then summed;
the worked examples are chosen so that rounding the document total instead would
give a different cent.
"""

from __future__ import annotations

from decimal import Decimal

from .conftest import fault_of
from .helpers import ids, line, ok, one, tax_code

D = Decimal


def receipt(sandbox, preset: str, lines: list, **extra) -> dict:
    return ok(sandbox.post("salesreceipt", {"Line": lines, **extra}, preset))["SalesReceipt"]


def test_us_ast_rounds_per_rate_and_an_explicit_total_tax_overrides(sandbox):
    i = ids(sandbox, "US")
    doc = receipt(
        sandbox, "US", [line(i["TSHIRT-CLASSIC"], "3", "25.00", "TAX"), line(i["Shipping"], "1", "10", "NON")]
    )
    # 75.00 taxable: 7.25% -> 5.4375 -> 5.44; 1% -> 0.75; 0.5% -> 0.375 -> 0.38
    assert [t["Amount"] for t in doc["TxnTaxDetail"]["TaxLine"]] == [5.44, 0.75, 0.38]
    assert D(str(doc["TxnTaxDetail"]["TotalTax"])) == D("6.57")
    assert D(str(doc["TotalAmt"])) == D("91.57")
    override = receipt(sandbox, "US", [line(i["TSHIRT-CLASSIC"], "3", "25.00", "TAX")], TxnTaxDetail={"TotalTax": 6.56})
    assert D(str(override["TxnTaxDetail"]["TotalTax"])) == D("6.56")
    assert D(str(override["TotalAmt"])) == D("81.56")
    assert sum(D(str(t["Amount"])) for t in override["TxnTaxDetail"]["TaxLine"]) == D("6.56")
    zero = receipt(sandbox, "US", [line(i["TSHIRT-CLASSIC"], "1", "25.00", "TAX")], TxnTaxDetail={"TotalTax": 0})
    assert D(str(zero["TotalAmt"])) == D("25.00")


def test_canada_hst_per_line_rounding_and_gst_qst_two_rates(sandbox):
    i = ids(sandbox, "CA")
    hst = tax_code(sandbox, "HST ON", "CA")
    doc = receipt(sandbox, "CA", [line(i["TSHIRT-CLASSIC"], "3", "19.99", hst), line(i["MUG-11OZ"], "1", "4.99", hst)])
    # 59.97 x 13% = 7.7961 -> 7.80; 4.99 x 13% = 0.6487 -> 0.65; total 8.45 (document-level: 8.44)
    assert D(str(doc["TxnTaxDetail"]["TotalTax"])) == D("8.45")
    assert D(str(doc["TotalAmt"])) == D("73.41")
    assert doc["GlobalTaxCalculation"] == "TaxExcluded"
    qc = tax_code(sandbox, "GST/QST QC", "CA")
    doc = receipt(sandbox, "CA", [line(i["Sales"], "1", "100.00", qc)])
    amounts = sorted(D(str(t["Amount"])) for t in doc["TxnTaxDetail"]["TaxLine"])
    assert amounts == [D("5.00"), D("9.98")]  # QST 9.975% of 100 = 9.975 -> 9.98
    assert D(str(doc["TotalAmt"])) == D("114.98")
    exempt = receipt(sandbox, "CA", [line(i["Sales"], "1", "100.00", tax_code(sandbox, "Exempt", "CA"))])
    assert D(str(exempt["TotalAmt"])) == D("100.00")


def test_uk_vat_tax_inclusive_keeps_the_gross_and_rounds_per_line(sandbox):
    i = ids(sandbox, "UK")
    standard = tax_code(sandbox, "20.0% S", "UK")
    lines = [line(i["Sales"], "1", "9.99", standard, amount="8.32", gross="9.99")] * 2
    doc = receipt(sandbox, "UK", lines, GlobalTaxCalculation="TaxInclusive")
    # each line: 9.99 x 20/120 = 1.665 -> 1.67 VAT, 8.32 net; document-level would be 19.98/6 = 3.33
    assert D(str(doc["TxnTaxDetail"]["TotalTax"])) == D("3.34")
    assert D(str(doc["TotalAmt"])) == D("19.98")
    assert [D(str(ln["Amount"])) for ln in doc["Line"][:2]] == [D("8.32"), D("8.32")]
    assert doc["Line"][0]["SalesItemLineDetail"]["TaxInclusiveAmt"] == 9.99

    excluded = receipt(
        sandbox,
        "UK",
        [
            line(i["Sales"], "1", "12.34", tax_code(sandbox, "5.0% R", "UK")),
            line(i["Sales"], "1", "10.00", tax_code(sandbox, "0.0% Z", "UK")),
            line(i["Sales"], "1", "7.00", tax_code(sandbox, "Exempt", "UK")),
        ],
    )
    # 12.34 x 5% = 0.617 -> 0.62; zero-rated and exempt add nothing
    assert D(str(excluded["TxnTaxDetail"]["TotalTax"])) == D("0.62")
    assert D(str(excluded["TotalAmt"])) == D("29.96")


def test_uk_net_amount_must_match_the_gross_under_tax_inclusive(sandbox):
    i = ids(sandbox, "UK")
    standard = tax_code(sandbox, "20.0% S", "UK")
    doc = receipt(
        sandbox,
        "UK",
        [line(i["Sales"], "1", "9.99", standard, amount="9.99", gross="9.99")],
        GlobalTaxCalculation="TaxInclusive",
    )
    # The gross wins: the stored Amount is the net QBO derives from it.
    assert D(str(doc["Line"][0]["Amount"])) == D("8.32")


def test_australia_gst_inclusive_and_exclusive(sandbox):
    i = ids(sandbox, "AU")
    gst = tax_code(sandbox, "GST", "AU")
    free = tax_code(sandbox, "FRE", "AU")
    inclusive = receipt(
        sandbox,
        "AU",
        [
            line(i["Sales"], "1", "11.00", gst, amount="10.00", gross="11.00"),
            line(i["Sales"], "1", "5.00", free, amount="5.00", gross="5.00"),
        ],
        GlobalTaxCalculation="TaxInclusive",
    )
    assert D(str(inclusive["TxnTaxDetail"]["TotalTax"])) == D("1.00")
    assert D(str(inclusive["TotalAmt"])) == D("16.00")
    exclusive = receipt(sandbox, "AU", [line(i["Sales"], "1", "10.05", gst)])
    assert D(str(exclusive["TxnTaxDetail"]["TotalTax"])) == D("1.01")  # 1.005 rounds half-up
    assert D(str(exclusive["TotalAmt"])) == D("11.06")
    none = receipt(sandbox, "AU", [line(i["Sales"], "1", "10.05", gst)], GlobalTaxCalculation="NotApplicable")
    assert D(str(none["TotalAmt"])) == D("10.05")


def test_non_us_lines_need_a_tax_code(sandbox):
    i = ids(sandbox, "UK")
    response = sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "5.00")]}, "UK")
    assert response.status_code == 400
    assert fault_of(response)["code"] == "6000"
    assert "tax code" in fault_of(response)["Detail"]


def test_discount_line_reduces_the_total(sandbox):
    i = ids(sandbox, "US")
    doc = receipt(
        sandbox,
        "US",
        [
            line(i["Sales"], "2", "50.00", "NON"),
            {
                "Amount": 10,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
            },
        ],
    )
    assert D(str(doc["TotalAmt"])) == D("90.00")
    assert doc["Line"][1]["DiscountLineDetail"]["DiscountAccountRef"]["name"] == "Discounts given"


def test_multicurrency_home_total(make_sandbox):
    sandbox = make_sandbox(companies=["US"], multicurrency=True)
    i = ids(sandbox, "US")
    customer = ok(sandbox.post("customer", {"DisplayName": "Euro Buyer", "CurrencyRef": {"value": "EUR"}}))
    doc = receipt(
        sandbox,
        "US",
        [line(i["Sales"], "1", "100.00", "NON")],
        CurrencyRef={"value": "EUR"},
        ExchangeRate=1.0825,
        CustomerRef={"value": customer["Customer"]["Id"]},
    )
    assert D(str(doc["TotalAmt"])) == D("100.00")
    assert D(str(doc["HomeTotalAmt"])) == D("108.25")
    default_rate = receipt(sandbox, "US", [line(i["Sales"], "1", "10.00", "NON")], CurrencyRef={"value": "CAD"})
    assert D(str(default_rate["ExchangeRate"])) == D("0.73")
    wrong_customer = sandbox.post(
        "salesreceipt",
        {
            "Line": [line(i["Sales"], "1", "1", "NON")],
            "CurrencyRef": {"value": "GBP"},
            "CustomerRef": {"value": customer["Customer"]["Id"]},
        },
    )
    assert fault_of(wrong_customer)["code"] == "6000"


def test_foreign_currency_needs_multicurrency(sandbox):
    i = ids(sandbox, "US")
    response = sandbox.post(
        "salesreceipt", {"Line": [line(i["Sales"], "1", "1", "NON")], "CurrencyRef": {"value": "EUR"}}
    )
    assert fault_of(response)["code"] == "6000"
    assert "Multicurrency" in fault_of(response)["Detail"]


def write_every_kind(sandbox) -> None:
    """One of each writable entity in each company, plus a void and a delete (used by the XSD test)."""
    for preset in ("US", "CA", "UK", "AU"):
        i = ids(sandbox, preset)
        code = (
            "NON" if preset == "US" else tax_code(sandbox, {"CA": "GST", "UK": "20.0% S", "AU": "GST"}[preset], preset)
        )
        ok(sandbox.post("class", {"Name": "Online store"}, preset))
        ok(sandbox.post("department", {"Name": "Warehouse"}, preset))
        ok(sandbox.post("paymentmethod", {"Name": "Shopify Payments", "Type": "CREDIT_CARD"}, preset))
        clearing = ok(
            sandbox.post(
                "account",
                {
                    "Name": "Shopify Clearing",
                    "AccountType": "Other Current Asset",
                    "AccountSubType": "OtherCurrentAssets",
                },
                preset,
            )
        )["Account"]
        ok(
            sandbox.post(
                "item",
                {
                    "Name": "Hat",
                    "Type": "NonInventory",
                    "Sku": "HAT-1",
                    "IncomeAccountRef": {"value": i["Sales of Product Income"]},
                },
                preset,
            )
        )
        customer = ok(
            sandbox.post(
                "customer",
                {
                    "DisplayName": "Ann Lee",
                    "PrimaryEmailAddr": {"Address": "ann@example.com"},
                    "BillAddr": {"Line1": "1 Main St", "City": "Town"},
                },
                preset,
            )
        )["Customer"]
        sale = ok(
            sandbox.post(
                "salesreceipt",
                {
                    "DocNumber": "S-1",
                    "CustomerRef": {"value": customer["Id"]},
                    "DepositToAccountRef": {"value": clearing["Id"]},
                    "Line": [line(i["Sales"], "1", "10.00", code)],
                },
                preset,
            )
        )["SalesReceipt"]
        inv = ok(
            sandbox.post(
                "invoice",
                {"CustomerRef": {"value": customer["Id"]}, "Line": [line(i["Sales"], "2", "10.00", code)]},
                preset,
            )
        )["Invoice"]
        ok(
            sandbox.post(
                "payment",
                {
                    "CustomerRef": {"value": customer["Id"]},
                    "TotalAmt": float(inv["TotalAmt"]),
                    "Line": [
                        {"Amount": float(inv["TotalAmt"]), "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
                    ],
                },
                preset,
            )
        )
        ok(
            sandbox.post(
                "refundreceipt",
                {"DepositToAccountRef": {"value": clearing["Id"]}, "Line": [line(i["Sales"], "1", "5.00", code)]},
                preset,
            )
        )
        ok(
            sandbox.post(
                "creditmemo",
                {"CustomerRef": {"value": customer["Id"]}, "Line": [line(i["Sales"], "1", "5.00", code)]},
                preset,
            )
        )
        ok(
            sandbox.post(
                "deposit",
                {
                    "DepositToAccountRef": {"value": i["Checking"]},
                    "Line": [
                        {
                            "Amount": float(sale["TotalAmt"]),
                            "DetailType": "DepositLineDetail",
                            "DepositLineDetail": {"AccountRef": {"value": clearing["Id"]}},
                        },
                        {
                            "Amount": -0.59,
                            "DetailType": "DepositLineDetail",
                            "DepositLineDetail": {"AccountRef": {"value": i["Merchant Fees"]}},
                        },
                    ],
                },
                preset,
            )
        )
        ok(
            sandbox.post(
                "journalentry",
                {
                    "Line": [
                        {
                            "Amount": 1.5,
                            "DetailType": "JournalEntryLineDetail",
                            "JournalEntryLineDetail": {
                                "PostingType": "Debit",
                                "AccountRef": {"value": i["Bank Charges"]},
                            },
                        },
                        {
                            "Amount": 1.5,
                            "DetailType": "JournalEntryLineDetail",
                            "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": i["Checking"]}},
                        },
                    ]
                },
                preset,
            )
        )
        voided = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "3.00", code)]}, preset))
        ok(
            sandbox.post(
                "salesreceipt",
                {"Id": voided["SalesReceipt"]["Id"], "SyncToken": "0", "sparse": True},
                preset,
                operation="update",
                include="void",
            )
        )
        gone = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "4.00", code)]}, preset))
        ok(
            sandbox.post(
                "salesreceipt", {"Id": gone["SalesReceipt"]["Id"], "SyncToken": "0"}, preset, operation="delete"
            )
        )
    assert one(sandbox, "select * from Customer where DisplayName = 'Ann Lee'", "AU")
