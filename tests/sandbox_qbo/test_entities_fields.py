"""Every field Intuit's XSD allows is accepted (and kept), anything else refused (issue 12, item 14);
``include=invoiceLink`` (item 16); a US company's pseudo tax codes in TaxCode queries."""

from __future__ import annotations

import importlib
import json

import pytest
from quickbooks.objects.invoice import Invoice

from sandbox.qbo import schema
from tests import reference

from . import xsd_tables
from .conftest import fault_of
from .helpers import ids, ok, one
from .xsd import XSD_FILES, all_fields, load_types


@pytest.fixture
def us(make_sandbox):
    return make_sandbox(companies=["US"])


def sale(sandbox) -> dict:
    known = ids(sandbox, "US")
    return {
        "CustomerRef": {"value": known["customer"]},
        "Line": [
            {
                "Amount": "25.00",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": known["TSHIRT-CLASSIC"]}, "Qty": 1, "UnitPrice": 25},
            }
        ],
    }


def test_sales_transaction_fields_of_the_xsd_are_accepted_and_kept(us):
    extra = {
        "CheckPayment": {"CheckNum": "1001", "NameOnAcct": "John Smith", "AcctNum": "0000", "BankName": "Bank"},
        "PONumber": "PO-77",
        "BillEmailCc": {"Address": "cc@example.com"},
        "BillEmailBcc": {"Address": "bcc@example.com"},
        "FOB": "Origin",
        "TemplateRef": {"value": "1"},
    }
    receipt = ok(us.post("salesreceipt", {**sale(us), **extra}))["SalesReceipt"]
    for key, value in extra.items():
        assert receipt[key] == value, key
    credit_card = {"CreditCardPayment": {"CreditChargeInfo": {"NameOnAcct": "J", "Type": "Visa"}}}
    refund = ok(
        us.post(
            "refundreceipt",
            {**sale(us), **credit_card, "DepositToAccountRef": {"value": ids(us, "US")["Checking"]}},
        )
    )["RefundReceipt"]
    assert refund["CreditCardPayment"]["CreditChargeInfo"]["NameOnAcct"] == "J"


def test_fields_the_xsd_lacks_are_still_refused(us):
    unknown = us.post("salesreceipt", {**sale(us), "CheckPayment": {"CheckNum": "1", "Colour": "red"}})
    assert fault_of(unknown)["code"] == "2010"
    assert fault_of(unknown)["element"] == "CheckPayment.Colour"
    not_a_field = us.post("invoice", {**sale(us), "PurchaseOrderNumber": "PO-1"})
    assert fault_of(not_a_field)["code"] == "2010"
    bad_enum = us.post("salesreceipt", {**sale(us), "CreditCardPayment": {"CreditChargeResponse": {"Status": "Maybe"}}})
    assert fault_of(bad_enum)["code"] == "2030"


def test_the_field_tables_are_the_xsds_for_every_implemented_entity():
    types = load_types(reference.require(*XSD_FILES))
    for root in xsd_tables.ROOTS:
        declared = schema.TYPES[root]
        assert set(declared) == set(all_fields(types, root)), root


def test_the_generated_tables_are_current():
    reference.require(*XSD_FILES)
    assert xsd_tables.main(["--check"]) == 0, "run python -m tests.sandbox_qbo.xsd_tables"


def test_include_invoice_link_answers_the_link_when_quickbooks_makes_one(us):
    body = {
        **sale(us),
        "AllowOnlineCreditCardPayment": True,
        "BillEmail": {"Address": "buyer@example.com"},
        "InvoiceLink": "https://example.com/not-mine",  # computed by QBO: ignored
    }
    invoice = ok(us.post("invoice", body))["Invoice"]
    assert "InvoiceLink" not in invoice
    plain = ok(us.get(f"invoice/{invoice['Id']}"))["Invoice"]
    assert "InvoiceLink" not in plain
    linked = ok(us.get(f"invoice/{invoice['Id']}", include="invoiceLink"))["Invoice"]
    assert linked["InvoiceLink"].startswith("https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-")
    again = ok(us.get(f"invoice/{invoice['Id']}", include="invoiceLink"))["Invoice"]
    assert again["InvoiceLink"] == linked["InvoiceLink"]
    # No link without online payment, or without an address to send it to.
    offline = ok(us.post("invoice", {**body, "AllowOnlineCreditCardPayment": False}))["Invoice"]
    assert "InvoiceLink" not in ok(us.get(f"invoice/{offline['Id']}", include="invoiceLink"))["Invoice"]
    no_email = {k: v for k, v in body.items() if k != "BillEmail"}
    unsent = ok(us.post("invoice", {**no_email, "AllowOnlineACHPayment": True}))["Invoice"]
    assert "InvoiceLink" not in ok(us.get(f"invoice/{unsent['Id']}", include="invoiceLink"))["Invoice"]
    # A query with the same include answers it too.
    queried = ok(us.get("query", query=f"select * from Invoice where Id = '{invoice['Id']}'", include="invoiceLink"))
    assert queried["QueryResponse"]["Invoice"][0]["InvoiceLink"] == linked["InvoiceLink"]
    # python-quickbooks reads it as its own tests do.
    read = Invoice.get(invoice["Id"], qb=us.client(), params={"include": "invoiceLink"})
    assert read.InvoiceLink == linked["InvoiceLink"]


def test_a_us_tax_code_query_answers_the_pseudo_codes_first_outside_the_page_size(us):
    page = ok(us.query("select * from TaxCode maxresults 1"))["QueryResponse"]["TaxCode"]
    assert [c["Id"] for c in page][:3] == ["TAX", "NON", "CustomSalesTax"] and len(page) == 4
    # Later pages hold the company's own codes only.
    second = ok(us.query("select * from TaxCode startposition 2 maxresults 1"))["QueryResponse"]
    assert all(c["Id"].isdigit() for c in second.get("TaxCode", []))
    total = ok(us.query("select count(*) from TaxCode"))["QueryResponse"]["totalCount"]
    everything = ok(us.query("select * from TaxCode"))["QueryResponse"]["TaxCode"]
    assert total == len(everything) and len({c["Id"] for c in everything}) == total
    named = ok(us.query("select * from TaxCode where Name = 'NON'"))["QueryResponse"]["TaxCode"]
    assert [c["Id"] for c in named] == ["NON"]


def test_account_sub_type_and_full_name_are_queryable(us):
    assert one(us, "select * from Account where AccountSubType = 'AccountsPayable'")["Name"] == "Accounts Payable (A/P)"
    found = ok(us.query("select * from Account where Classification = 'Asset' and FullyQualifiedName != 'Checking'"))
    assert "Checking" not in [a["Name"] for a in found["QueryResponse"]["Account"]]


@pytest.mark.parametrize(
    ("entity", "path"),
    [
        ("Vendor", "vendor.Vendor"),
        ("Employee", "employee.Employee"),
        ("Bill", "bill.Bill"),
        ("BillPayment", "billpayment.BillPayment"),
        ("Purchase", "purchase.Purchase"),
        ("PurchaseOrder", "purchaseorder.PurchaseOrder"),
        ("Transfer", "transfer.Transfer"),
        ("CreditCardPayment", "creditcardpayment_entity.CreditCardPayment"),
        ("Estimate", "estimate.Estimate"),
        ("Term", "term.Term"),
        ("TimeActivity", "timeactivity.TimeActivity"),
        ("TaxAgency", "taxagency.TaxAgency"),
        ("Attachable", "attachable.Attachable"),
        ("CompanyCurrency", "companycurrency.CompanyCurrency"),
    ],
)
def test_python_quickbooks_defaults_of_the_new_entities_pass_the_field_check(entity, path):
    module, name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(f"quickbooks.objects.{module}"), name)
    schema.check_entity(entity, json.loads(cls().to_json()))
