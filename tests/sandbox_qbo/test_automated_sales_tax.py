"""US sales tax as QuickBooks computes it: automated sales tax (AST) picks the code from the
jurisdiction and takes an app's amount only as an override; an older company on the classic setup
computes tax from the line codes and the transaction's code and takes no amount at all.

Sources for each behaviour: sandbox/qbo/README.md, "Fidelity". Worked numbers: the US preset's
company is in California, whose AST code "California" is 7.25% + 1% + 0.5% = 8.75%.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .conftest import fault_of
from .helpers import ids, line, ok, tax_code

D = Decimal
NEW_YORK = {"Line1": "12 Market Street", "City": "Brooklyn", "CountrySubDivisionCode": "NY", "PostalCode": "11201"}
OAKLAND = {"Line1": "1 Broadway", "City": "Oakland", "CountrySubDivisionCode": "CA", "PostalCode": "94607"}


@pytest.fixture
def us(make_sandbox):
    return make_sandbox(companies=["US", "US-CLASSIC"])


def receipt(sandbox, lines: list, preset: str = "US", **extra: Any) -> dict[str, Any]:
    return ok(sandbox.post("salesreceipt", {"Line": lines, **extra}, preset))["SalesReceipt"]


def taxed(sandbox, preset: str = "US", price: str = "100.00", **extra: Any) -> dict[str, Any]:
    """A receipt of one taxable line at ``price``."""
    item = ids(sandbox, preset)["TSHIRT-CLASSIC"]
    return receipt(sandbox, [line(item, "1", price, "TAX")], preset, **extra)


def tax_lines(doc: dict[str, Any]) -> list[tuple[D, D, D | None]]:
    """(TaxPercent, Amount, OverrideDeltaAmount) per tax line."""
    return [
        (
            D(str(t["TaxLineDetail"]["TaxPercent"])),
            D(str(t["Amount"])),
            D(str(t["TaxLineDetail"]["OverrideDeltaAmount"])) if "OverrideDeltaAmount" in t["TaxLineDetail"] else None,
        )
        for t in doc["TxnTaxDetail"]["TaxLine"]
    ]


def flat_code(sandbox, preset: str = "US") -> str:
    """A second code (3%, one rate) through the TaxService, as an app can still create one."""
    body = {"TaxCode": "Flat 3", "TaxRateDetails": [{"TaxRateName": "Flat 3", "RateValue": 3, "TaxAgencyId": "1"}]}
    return str(ok(sandbox.post("taxservice/taxcode", body, preset))["TaxCodeId"])


def ledger_balance(sandbox, preset: str, name: str) -> D:
    realm = sandbox.company(preset)["realm_id"]
    accounts = sandbox.emulator.companies[realm].trial_balance()["Accounts"]
    return D(next(a["Balance"] for a in accounts if a["Name"] == name))


def test_the_preference_says_which_companies_use_automated_sales_tax(us):
    for preset, expected in (("US", True), ("US-CLASSIC", False)):
        prefs = ok(us.get("preferences", preset))["Preferences"]
        assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is expected, preset


def test_ast_takes_the_code_of_the_ship_to_state_else_of_the_company_address(us):
    at_home = taxed(us)  # no ShipAddr: the company's address, California
    assert at_home["TxnTaxDetail"]["TxnTaxCodeRef"]["name"] == "California"
    assert tax_lines(at_home) == [(D("7.25"), D("7.25"), None), (D("1"), D("1.00"), None), (D("0.5"), D("0.50"), None)]
    assert D(str(at_home["TotalAmt"])) == D("108.75")
    shipped = taxed(us, ShipAddr=OAKLAND)
    assert D(str(shipped["TxnTaxDetail"]["TotalTax"])) == D("8.75")
    # New York: the company has no agency there, so automated sales tax charges nothing.
    elsewhere = taxed(us, ShipAddr=NEW_YORK)
    assert D(str(elsewhere["TxnTaxDetail"]["TotalTax"])) == D("0")
    assert elsewhere["TxnTaxDetail"]["TaxLine"] == []
    assert D(str(elsewhere["TotalAmt"])) == D("100.00")
    abroad = taxed(us, ShipAddr={**OAKLAND, "Country": "Canada", "CountrySubDivisionCode": "ON"})
    assert D(str(abroad["TotalAmt"])) == D("100.00")


def test_ast_replaces_a_code_sent_without_an_amount(us):
    flat = flat_code(us)
    doc = taxed(us, TxnTaxDetail={"TxnTaxCodeRef": {"value": flat}})
    assert doc["TxnTaxDetail"]["TxnTaxCodeRef"]["name"] == "California"
    assert D(str(doc["TxnTaxDetail"]["TotalTax"])) == D("8.75")


def test_an_override_is_the_code_and_the_amount_prorated_over_the_codes_rates(us):
    california = tax_code(us, "California", "US")
    doc = taxed(us, TxnTaxDetail={"TxnTaxCodeRef": {"value": california}, "TotalTax": 10})
    # 10.00 over 7.25 : 1 : 0.5 -> 8.29, 1.14, 0.57; each line's delta from AST's own 7.25, 1.00, 0.50.
    assert tax_lines(doc) == [
        (D("7.25"), D("8.29"), D("1.04")),
        (D("1"), D("1.14"), D("0.14")),
        (D("0.5"), D("0.57"), D("0.07")),
    ]
    assert D(str(doc["TxnTaxDetail"]["TotalTax"])) == D("10.00")
    assert D(str(doc["TotalAmt"])) == D("110.00")
    assert ledger_balance(us, "US", "Sales Tax Payable") == D("10.00")  # owed as the document says


def test_an_override_holds_where_ast_would_charge_nothing_and_names_its_code(us):
    flat = flat_code(us)
    doc = taxed(us, ShipAddr=NEW_YORK, TxnTaxDetail={"TxnTaxCodeRef": {"value": flat}, "TotalTax": 8.88})
    assert doc["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": flat, "name": "Flat 3"}
    assert tax_lines(doc) == [(D("3"), D("8.88"), D("5.88"))]
    assert D(str(doc["TotalAmt"])) == D("108.88")
    assert ledger_balance(us, "US", "Sales Tax Payable") == D("8.88")


def test_a_bare_total_tax_is_prorated_over_the_jurisdictions_code_but_not_applied_without_one(us):
    at_home = taxed(us, TxnTaxDetail={"TotalTax": 9})
    assert at_home["TxnTaxDetail"]["TxnTaxCodeRef"]["name"] == "California"
    assert sum(amount for _, amount, _ in tax_lines(at_home)) == D("9.00")
    assert D(str(at_home["TotalAmt"])) == D("109.00")
    # Shipped where the company has no agency: nothing to prorate over, the amount is not taken.
    elsewhere = taxed(us, ShipAddr=NEW_YORK, TxnTaxDetail={"TotalTax": 8.88})
    assert D(str(elsewhere["TxnTaxDetail"]["TotalTax"])) == D("0")
    assert D(str(elsewhere["TotalAmt"])) == D("100.00")


def test_ast_taxes_a_line_without_a_code_when_its_item_is_taxable(us):
    item = ids(us, "US")["TSHIRT-CLASSIC"]
    doc = receipt(us, [line(item, "1", "100.00")])
    assert doc["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"
    assert D(str(doc["TotalAmt"])) == D("108.75")


def test_classic_sales_tax_computes_from_the_codes_and_ignores_any_total_tax(us):
    bare = taxed(us, "US-CLASSIC", TxnTaxDetail={"TotalTax": 6})
    assert D(str(bare["TxnTaxDetail"]["TotalTax"])) == D("8.75")  # the company's default code
    assert D(str(bare["TotalAmt"])) == D("108.75")
    flat = flat_code(us, "US-CLASSIC")
    named = taxed(us, "US-CLASSIC", TxnTaxDetail={"TxnTaxCodeRef": {"value": flat}, "TotalTax": 6})
    assert tax_lines(named) == [(D("3"), D("3.00"), None)]  # the code's rate, not the 6.00 sent
    assert D(str(named["TotalAmt"])) == D("103.00")
    # No jurisdiction: a ship-to in another state changes nothing.
    shipped = taxed(us, "US-CLASSIC", ShipAddr=NEW_YORK)
    assert D(str(shipped["TotalAmt"])) == D("108.75")
    assert ledger_balance(us, "US-CLASSIC", "Sales Tax Payable") == D("8.75") + D("3.00") + D("8.75")


def test_classic_sales_tax_does_not_tax_a_line_without_a_code(us):
    item = ids(us, "US-CLASSIC")["TSHIRT-CLASSIC"]
    doc = receipt(us, [line(item, "1", "100.00")], "US-CLASSIC")
    assert doc["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "NON"
    assert D(str(doc["TotalAmt"])) == D("100.00")


def test_a_line_code_is_not_a_transaction_code(us):
    response = us.post(
        "salesreceipt",
        {
            "Line": [line(ids(us, "US")["TSHIRT-CLASSIC"], "1", "100.00", "TAX")],
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "TAX"}, "TotalTax": 5},
        },
    )
    assert response.status_code == 400
    assert fault_of(response)["code"] == "2500"
