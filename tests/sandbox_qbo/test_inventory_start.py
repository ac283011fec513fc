"""A sale or a return of an inventory item dated before the item's InvStartDate is refused whole, as
QBO refuses it (6270); items without a start date (non-inventory, service) are not affected (issue 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.salesreceipt import SalesReceipt

from .conftest import fault_of
from .helpers import ids, line, ok, one

START = "2026-03-01"
DAY_BEFORE = "2026-02-28"


def _inventory_item(sandbox, start: str = START) -> dict:
    """A new inventory item, 10 on hand, tracked from ``start``."""
    account = {
        name: one(sandbox, f"select * from Account where Name = '{name}'")["Id"]
        for name in ("Sales of Product Income", "Cost of Goods Sold", "Inventory Asset")
    }
    body = {
        "Name": "Enamel Pin",
        "Type": "Inventory",
        "UnitPrice": 8,
        "PurchaseCost": 3,
        "IncomeAccountRef": {"value": account["Sales of Product Income"]},
        "ExpenseAccountRef": {"value": account["Cost of Goods Sold"]},
        "AssetAccountRef": {"value": account["Inventory Asset"]},
        "TrackQtyOnHand": True,
        "QtyOnHand": 10,
        "InvStartDate": start,
    }
    return ok(sandbox.post("item", body))["Item"]


def _document(sandbox, entity: str, lines: list, txn_date: str) -> dict:
    """The smallest valid body of ``entity`` (US company) with these lines on ``txn_date``."""
    i = ids(sandbox, "US")
    body: dict = {"TxnDate": txn_date, "Line": lines}
    if entity in ("Invoice", "CreditMemo"):
        body["CustomerRef"] = {"value": i["customer"]}
    if entity == "RefundReceipt":
        body["DepositToAccountRef"] = {"value": i["Checking"]}
    return body


def _count(sandbox, entity: str) -> int:
    response = ok(sandbox.query(f"select count(*) from {entity}"))
    return int(response["QueryResponse"]["totalCount"])


def _qty_on_hand(sandbox, item_id: str) -> Decimal:
    return Decimal(str(ok(sandbox.get(f"item/{item_id}"))["Item"]["QtyOnHand"]))


@pytest.mark.parametrize("entity", ["SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo"])
def test_a_document_dated_before_the_items_start_date_is_refused_whole(sandbox, entity):
    pin = _inventory_item(sandbox)
    sales = ids(sandbox, "US")["Sales"]
    # The non-inventory line first: the whole document goes, not only the inventory line.
    lines = [line(sales, "1", "5.00", "NON"), line(pin["Id"], "2", "8.00", "NON")]
    before = _count(sandbox, entity)

    refused = sandbox.post(entity.lower(), _document(sandbox, entity, lines, DAY_BEFORE))

    assert refused.status_code == 400
    assert refused.json()["Fault"]["type"] == "ValidationFault"
    fault = fault_of(refused)
    assert fault["code"] == "6270"
    assert fault["Message"] == "Transaction date is prior to start date for inventory item"
    assert fault["Detail"].startswith("Transaction date is prior to start date for inventory item")
    assert "Enamel Pin" in fault["Detail"] and START in fault["Detail"]
    assert fault["element"] == "Line[2].SalesItemLineDetail.ItemRef"
    assert _count(sandbox, entity) == before
    assert _qty_on_hand(sandbox, pin["Id"]) == 10

    # On the start date itself the item is tracked: the document is taken and moves the stock.
    saved = ok(sandbox.post(entity.lower(), _document(sandbox, entity, lines, START)))[entity]
    assert saved["TxnDate"] == START
    assert _count(sandbox, entity) == before + 1
    assert _qty_on_hand(sandbox, pin["Id"]) == (8 if entity in ("SalesReceipt", "Invoice") else 12)


def test_non_inventory_and_service_items_have_no_start_date(sandbox):
    i = ids(sandbox, "US")
    _inventory_item(sandbox)
    lines = [line(i["Sales"], "1", "5.00", "NON"), line(i["Shipping"], "1", "4.00", "NON")]
    for txn_date in (DAY_BEFORE, "2020-01-01"):
        saved = ok(sandbox.post("salesreceipt", _document(sandbox, "SalesReceipt", lines, txn_date)))
        assert saved["SalesReceipt"]["TxnDate"] == txn_date


def test_an_update_that_moves_the_date_before_the_start_date_is_refused(sandbox):
    pin = _inventory_item(sandbox)
    body = _document(sandbox, "SalesReceipt", [line(pin["Id"], "1", "8.00", "NON")], START)
    receipt = ok(sandbox.post("salesreceipt", body))["SalesReceipt"]
    moved = {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"], "TxnDate": DAY_BEFORE}

    for update in ({**moved, "sparse": True}, {**body, **moved}):
        assert fault_of(sandbox.post("salesreceipt", update))["code"] == "6270"

    stored = ok(sandbox.get(f"salesreceipt/{receipt['Id']}"))["SalesReceipt"]
    assert (stored["TxnDate"], stored["SyncToken"]) == (START, receipt["SyncToken"])
    assert _qty_on_hand(sandbox, pin["Id"]) == 9
    # A change that keeps the date is still accepted.
    noted = {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"], "sparse": True, "PrivateNote": "kept"}
    assert ok(sandbox.post("salesreceipt", noted))["SalesReceipt"]["SyncToken"] == "1"


def test_python_quickbooks_sees_the_code_and_message(sandbox):
    """What the app's client is handed: python-quickbooks' exception with QBO's code and texts."""
    pin = _inventory_item(sandbox)
    qb = sandbox.client()
    receipt = SalesReceipt.from_json(
        _document(sandbox, "SalesReceipt", [line(pin["Id"], "1", "8.00", "NON")], DAY_BEFORE)
    )

    with pytest.raises(QuickbooksException) as raised:
        receipt.save(qb=qb)

    assert raised.value.error_code == 6270
    assert raised.value.message == "Transaction date is prior to start date for inventory item"
    assert "Enamel Pin" in raised.value.detail
