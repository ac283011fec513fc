"""python-quickbooks batch, void and change data capture; the HTML inspector."""

from __future__ import annotations

from decimal import Decimal

import requests
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.salesreceipt import SalesReceipt

from .helpers import ids, line, ok
from .test_client import find_item, item_line, ref


def test_batch_create_with_python_quickbooks_reports_per_item_faults(sandbox):
    qb = sandbox.client()
    customers = []
    for name in ("Batch A", "Batch B", "Walk-in Customer"):
        c = Customer()
        c.DisplayName = name
        customers.append(c)
    result = batch_create(customers, qb=qb)
    assert sorted(c.DisplayName for c in result.successes) == ["Batch A", "Batch B"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"


def test_void_invoice_with_python_quickbooks(sandbox):
    qb = sandbox.client()
    customer = Customer.filter(DisplayName="Walk-in Customer", qb=qb)[0]
    invoice = Invoice()
    invoice.CustomerRef = ref(customer)
    invoice.Line = [item_line(find_item(qb, "MUG-11OZ"), "1", "12.50", "NON")]
    saved = invoice.save(qb=qb)
    saved.void(qb=qb)
    voided = Invoice.get(saved.Id, qb=qb)
    assert voided.TotalAmt == Decimal("0.00")
    assert voided.Balance == Decimal("0.00")
    assert find_item(qb, "MUG-11OZ").QtyOnHand == Decimal("50")
    receipt = SalesReceipt()
    receipt.Line = [item_line(find_item(qb, "MUG-11OZ"), "1", "12.50", "NON")]
    receipt = receipt.save(qb=qb)
    receipt.void(qb=qb)
    assert SalesReceipt.get(receipt.Id, qb=qb).TotalAmt == Decimal("0.00")


def test_change_data_capture_lists_changes_and_deletions(sandbox):
    qb = sandbox.client()
    since = sandbox.emulator.iso_now()
    sandbox.control("clock", {"advance_seconds": 2})
    i = ids(sandbox, "US")
    kept = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "5", "NON")]}))["SalesReceipt"]
    gone = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "6", "NON")]}))["SalesReceipt"]
    ok(sandbox.post("salesreceipt", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete"))
    ok(sandbox.post("customer", {"DisplayName": "CDC Customer"}))
    cdc = change_data_capture([SalesReceipt, Customer], since, qb=qb)
    receipts = {r.Id: r for r in cdc.SalesReceipt}
    assert set(receipts) == {kept["Id"], gone["Id"]}
    assert receipts[gone["Id"]].status == "Deleted"
    assert [c.DisplayName for c in cdc.Customer] == ["CDC Customer"]
    too_old = sandbox.get("cdc", entities="Customer", changedSince="2020-01-01T00:00:00Z")
    assert too_old.json()["Fault"]["Error"][0]["code"] == "2010"


def test_inspector_shows_accounts_items_customers_and_documents(sandbox):
    i = ids(sandbox, "US")
    sale = ok(
        sandbox.post("salesreceipt", {"DocNumber": "INSPECT-1", "Line": [line(i["TSHIRT-CLASSIC"], "2", "25", "TAX")]})
    )["SalesReceipt"]
    realm = sandbox.company()["realm_id"]
    index = requests.get(f"{sandbox.url}/_sandbox/qbo/", timeout=5)
    assert realm in index.text
    page = requests.get(f"{sandbox.url}/_sandbox/qbo/{realm}/", timeout=5)
    assert page.status_code == 200
    for text in ("Undeposited Funds", "Classic T-Shirt", "Amy&#x27;s Bird Sanctuary", "INSPECT-1", "California"):
        assert text in page.text
    doc = requests.get(f"{sandbox.url}/_sandbox/qbo/{realm}/SalesReceipt/{sale['Id']}", timeout=5)
    assert "Classic T-Shirt" in doc.text and str(sale["TotalAmt"]) in doc.text
    # read-only: no form posts to the inspector
    assert "<form" not in page.text
    assert requests.post(f"{sandbox.url}/_sandbox/qbo/{realm}/", timeout=5).status_code == 404
