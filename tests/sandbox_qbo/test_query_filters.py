"""QBO lets a query filter only on the properties its reference marks filterable."""

from __future__ import annotations

import pytest

from sandbox.qbo.filterable import FILTERABLE, NOT_QUERYABLE, queryable
from tests import reference

from .conftest import fault_of
from .helpers import ok
from .xsd import XSD_FILES, all_fields, load_types


def assert_not_queryable(response, prop: str) -> None:
    """QBO's answer, as quoted in ruckus/quickbooks-ruby#403."""
    assert response.status_code == 400, response.text
    assert response.json()["Fault"]["type"] == "ValidationFault"
    assert fault_of(response) == {
        "Message": "Invalid query",
        "Detail": f"QueryValidationError: property '{prop}' is not queryable",
        "code": "4001",
    }


def test_a_property_the_reference_does_not_mark_filterable_is_refused(sandbox):
    account = ok(sandbox.query("select * from Account where Name = 'Shipping Income'"))["QueryResponse"]["Account"][0]
    assert_not_queryable(
        sandbox.query(f"select * from Item where IncomeAccountRef = '{account['Id']}'"), "IncomeAccountRef"
    )
    assert_not_queryable(sandbox.query("select * from Item where FullyQualifiedName = 'Sales'"), "FullyQualifiedName")
    assert_not_queryable(sandbox.query("select * from Account where AcctNum = '1000'"), "AcctNum")
    assert_not_queryable(sandbox.query("select * from Customer where Notes = 'x'"), "Notes")
    assert_not_queryable(sandbox.query("select * from Invoice where PrivateNote like '%order%'"), "PrivateNote")
    # One refused condition refuses the whole statement, and count(*) is no way around it.
    assert_not_queryable(
        sandbox.query("select count(*) from Item where Name = 'Sales' and UnitPrice > '1'"), "UnitPrice"
    )


def test_payment_unapplied_amount_and_line_details_are_not_queryable(sandbox):
    assert_not_queryable(sandbox.query("select * from Payment where UnappliedAmt != '0.0'"), "UnappliedAmt")
    assert_not_queryable(sandbox.query("select * from SalesReceipt where Line.Amount > '5'"), "Line.Amount")


def test_a_batch_query_on_a_property_that_is_not_filterable_gets_the_fault_in_its_item(sandbox):
    body = ok(
        sandbox.post(
            "batch",
            {
                "BatchItemRequest": [
                    {"bId": "1", "Query": "select * from Item where Description = 'Mug'"},
                    {"bId": "2", "Query": "select * from Item where Name = 'Sales'"},
                ]
            },
        )
    )
    refused, answered = body["BatchItemResponse"]
    assert refused["Fault"]["Error"][0]["code"] == "4001"
    assert refused["Fault"]["Error"][0]["Detail"] == "QueryValidationError: property 'Description' is not queryable"
    assert answered["QueryResponse"]["Item"][0]["Name"] == "Sales"


@pytest.mark.parametrize(
    "statement",
    [
        "select * from Account where Name = 'Checking' and Active = true",
        "select * from Account where Metadata.LastUpdatedTime > '2020-01-01T00:00:00-08:00'",
        "select *, Sku from Item where Sku = 'MUG-11OZ' and Type = 'Inventory' and Active in (true, false)",
        "select * from Item where Name in ('Sales', 'Shipping') and Id in ('1', '2', '3')",
        "select * from Customer where DisplayName = 'Walk-in Customer'",
        "select * from Customer where PrimaryEmailAddr = 'a@example.com' and Balance > '0'",
        "select * from Invoice where DocNumber = 'S1001' and CustomerRef = '1' and TotalAmt > '0'",
        "select * from TaxCode where Name = 'California' and Active = true",
        "select * from TaxRate",
        "select * from Class where Active = true",
        "select * from Department where Active = true",
        "select * from SalesReceipt where DocNumber = 'S1001'",
        "select * from RefundReceipt where DocNumber = 'R1001-1'",
        "select * from CreditMemo where DocNumber = 'S1001-C'",
        "select * from JournalEntry where DocNumber = 'P1'",
        "select * from Payment where PaymentRefNum = 'S1001'",
        "select * from Deposit where DocNumber = 'P1'",
        "select * from Preferences",
        "select * from CompanyInfo",
    ],
)
def test_what_the_app_and_python_quickbooks_filter_on_is_answered(sandbox, statement):
    assert sandbox.query(statement).status_code == 200


def test_names_compare_case_insensitively_and_unlisted_entities_refuse_only_what_qbo_refused():
    assert queryable("Item", "NAME") and queryable("Account", "metadata.createtime")
    assert not queryable("Item", "incomeaccountref")
    assert queryable("Payment", "PaymentRefNum") and not queryable("Payment", "unappliedAMT")
    assert not queryable("Deposit", "Line.DepositLineDetail.AccountRef")


@pytest.fixture(scope="module")
def xsd():
    return load_types(reference.require(*XSD_FILES))


def test_every_listed_property_exists_on_its_entity_in_the_xsd(xsd):
    for entity, names in {**FILTERABLE, **NOT_QUERYABLE}.items():
        fields = {name.lower(): typ for name, (typ, _) in all_fields(xsd, entity).items()}
        for name in names:
            head, _, rest = name.partition(".")
            assert head in fields, (entity, name)
            if rest:
                nested = {n.lower() for n in all_fields(xsd, fields[head])}
                assert rest in nested, (entity, name)
