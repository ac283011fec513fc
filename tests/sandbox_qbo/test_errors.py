"""Every rejection over raw HTTP: QBO's Fault JSON shape, status and code."""

from __future__ import annotations

import requests

from .conftest import fault_of
from .helpers import custom_numbers, ids, line, ok


def assert_fault(response, code: str, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] in ("ValidationFault", "SystemFault", "SERVICE")
    error = fault_of(response)
    assert {"Message", "Detail", "code"} <= set(error)
    assert error["code"] == code, error
    return error


def test_missing_and_bad_tokens_are_401_with_the_gateway_fault(sandbox):
    url = f"{sandbox.api()}/item/1"
    for headers in ({}, {"Authorization": "Bearer short"}, {"Authorization": "Bearer " + "x" * 40}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        error = response.json()["fault"]["error"][0]
        assert error["code"] == "3200"
        assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"


def test_a_token_for_another_realm_is_403(sandbox):
    response = requests.get(f"{sandbox.api('CA')}/item/1", headers=sandbox.headers("US"), timeout=5)
    assert_fault(response, "3100", 403)


def test_expired_after_an_hour(sandbox):
    assert sandbox.get("item/1").status_code == 200
    sandbox.control("clock", {"advance_seconds": 3601})
    assert sandbox.get("item/1").status_code == 401


def test_read_of_missing_object_is_610(sandbox):
    assert_fault(sandbox.get("invoice/424242"), "610")


def test_required_fields(sandbox):
    assert_fault(sandbox.post("salesreceipt", {"DocNumber": "X"}), "2020")
    assert_fault(sandbox.post("invoice", {"Line": [line("1", "1", "1", "NON")]}), "2020")  # no CustomerRef
    assert_fault(sandbox.post("item", {"Name": "No type"}), "2020")
    assert_fault(sandbox.post("customer", {"Notes": "nameless"}), "2020")
    i = ids(sandbox, "US")
    error = assert_fault(
        sandbox.post(
            "item", {"Name": "Box", "Type": "Inventory", "IncomeAccountRef": {"value": i["Sales of Product Income"]}}
        ),
        "2020",
    )
    assert "ExpenseAccountRef" in error["Detail"]
    assert_fault(sandbox.post("refundreceipt", {"Line": [line(i["Sales"], "1", "1", "NON")]}), "2020")


def test_missing_references_are_2500_and_inactive_ones_610(sandbox):
    i = ids(sandbox, "US")
    error = assert_fault(
        sandbox.post("salesreceipt", {"CustomerRef": {"value": "999"}, "Line": [line(i["Sales"], "1", "1", "NON")]}),
        "2500",
    )
    assert error["element"] == "CustomerRef"
    assert_fault(sandbox.post("salesreceipt", {"Line": [line("999", "1", "1", "NON")]}), "2500")
    item = ok(
        sandbox.post(
            "item", {"Name": "Old", "Type": "Service", "IncomeAccountRef": {"value": i["Sales of Product Income"]}}
        )
    )["Item"]
    ok(sandbox.post("item", {"Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True, "Active": False}))
    assert_fault(sandbox.post("salesreceipt", {"Line": [line(item["Id"], "1", "1", "NON")]}), "610")


def test_doc_number_longer_than_21_is_rejected(sandbox):
    i = ids(sandbox, "US")
    body = {"DocNumber": "X" * 22, "Line": [line(i["Sales"], "1", "1", "NON")]}
    error = assert_fault(sandbox.post("salesreceipt", body), "2050")
    assert error["element"] == "DocNumber"
    body["DocNumber"] = "X" * 21
    ok(sandbox.post("salesreceipt", body))


def test_duplicate_doc_number_6140_unless_allowed(sandbox):
    custom_numbers(sandbox)
    i = ids(sandbox, "US")
    body = {"DocNumber": "#1001", "Line": [line(i["Sales"], "1", "1", "NON")]}
    ok(sandbox.post("invoice", {**body, "CustomerRef": {"value": i["customer"]}}))
    ok(sandbox.post("salesreceipt", body))  # another entity may reuse it
    error = assert_fault(sandbox.post("salesreceipt", body), "6140")
    assert "DocNumber=#1001" in error["Detail"]
    ok(sandbox.post("salesreceipt", body, include="allowduplicatedocnum"))


def test_duplicate_names_6240(sandbox):
    i = ids(sandbox, "US")
    assert_fault(
        sandbox.post(
            "item", {"Name": "shipping", "Type": "Service", "IncomeAccountRef": {"value": i["Sales of Product Income"]}}
        ),
        "6240",
    )
    assert_fault(sandbox.post("account", {"Name": "Checking", "AccountType": "Bank"}), "6240")
    assert_fault(sandbox.post("customer", {"DisplayName": "walk-in customer"}), "6240")


def test_stale_sync_token_5010(sandbox):
    created = ok(sandbox.post("customer", {"DisplayName": "Sync"}))["Customer"]
    ok(sandbox.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "a"}))
    error = assert_fault(
        sandbox.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"}), "5010"
    )
    assert error["Message"] == "Stale Object Error"
    assert_fault(sandbox.post("customer", {"Id": created["Id"], "sparse": True}), "2020")


def test_full_update_replaces_what_is_omitted(sandbox):
    created = ok(sandbox.post("customer", {"DisplayName": "Full", "Notes": "keep?"}))["Customer"]
    updated = ok(sandbox.post("customer", {"Id": created["Id"], "SyncToken": "0", "DisplayName": "Full"}))
    assert "Notes" not in updated["Customer"]
    assert updated["Customer"]["SyncToken"] == "1"


def test_amount_must_equal_qty_times_unit_price(sandbox):
    i = ids(sandbox, "US")
    error = assert_fault(
        sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "3", "0.333", "NON", amount="1.01")]}), "6070"
    )
    assert "Supplied value:1.01" in error["Detail"]
    # 3 x 0.333 = 0.999, which is 1.00 to the cent
    ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "3", "0.333", "NON", amount="1.00")]}))


def test_wrong_account_types(sandbox):
    i = ids(sandbox, "US")
    error = assert_fault(
        sandbox.post(
            "deposit",
            {
                "DepositToAccountRef": {"value": i["Sales of Product Income"]},
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "DepositLineDetail",
                        "DepositLineDetail": {"AccountRef": {"value": i["Merchant Fees"]}},
                    }
                ],
            },
        ),
        "6000",
    )
    assert "Bank, Other Current Asset" in error["Detail"]
    assert_fault(
        sandbox.post(
            "salesreceipt",
            {"DepositToAccountRef": {"value": i["Merchant Fees"]}, "Line": [line(i["Sales"], "1", "1", "NON")]},
        ),
        "6000",
    )
    assert_fault(
        sandbox.post("item", {"Name": "Wrong", "Type": "Service", "IncomeAccountRef": {"value": i["Checking"]}}), "6000"
    )
    liability = ok(sandbox.post("account", {"Name": "Gift Card Liability", "AccountType": "Other Current Liability"}))
    gift = {"Name": "Gift card", "Type": "Service", "IncomeAccountRef": {"value": liability["Account"]["Id"]}}
    ok(sandbox.post("item", gift))


def test_journal_entries_balance_and_name_ar_lines(sandbox):
    i = ids(sandbox, "US")

    def jl(account: str, posting: str, amount: float, **detail) -> dict:
        return {
            "Amount": amount,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": {"value": account}, **detail},
        }

    error = assert_fault(
        sandbox.post("journalentry", {"Line": [jl(i["Checking"], "Debit", 10), jl(i["Bank Charges"], "Credit", 9.99)]}),
        "6000",
    )
    assert "balance" in error["Detail"]
    assert_fault(
        sandbox.post(
            "journalentry", {"Line": [jl(i["Accounts Receivable (A/R)"], "Debit", 10), jl(i["Checking"], "Credit", 10)]}
        ),
        "6000",
    )
    ok(
        sandbox.post(
            "journalentry",
            {
                "Line": [
                    jl(
                        i["Accounts Receivable (A/R)"],
                        "Debit",
                        10,
                        Entity={"Type": "Customer", "EntityRef": {"value": i["customer"]}},
                    ),
                    jl(i["Checking"], "Credit", 10),
                ]
            },
        )
    )


def test_delete_and_void(sandbox):
    i = ids(sandbox, "US")
    stock = ok(sandbox.get(f"item/{i['MUG-11OZ']}"))["Item"]["QtyOnHand"]
    sale = ok(sandbox.post("salesreceipt", {"Line": [line(i["MUG-11OZ"], "2", "12.50", "NON")]}))["SalesReceipt"]
    assert ok(sandbox.get(f"item/{i['MUG-11OZ']}"))["Item"]["QtyOnHand"] == stock - 2
    voided = ok(
        sandbox.post(
            "salesreceipt", {"Id": sale["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
        )
    )["SalesReceipt"]
    assert voided["TotalAmt"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert ok(sandbox.get(f"item/{i['MUG-11OZ']}"))["Item"]["QtyOnHand"] == stock
    assert_fault(
        sandbox.post(
            "salesreceipt", {"Id": sale["Id"], "SyncToken": voided["SyncToken"], "sparse": True, "PrivateNote": "edit"}
        ),
        "6000",
    )
    invoice = ok(
        sandbox.post("invoice", {"CustomerRef": {"value": i["customer"]}, "Line": [line(i["Sales"], "1", "9", "NON")]})
    )["Invoice"]
    deleted = ok(sandbox.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"))
    assert deleted["Invoice"] == {"Id": invoice["Id"], "domain": "QBO", "status": "Deleted"}
    assert_fault(sandbox.get(f"invoice/{invoice['Id']}"), "610")
    assert_fault(sandbox.post("account", {"Id": i["Checking"], "SyncToken": "0"}, operation="delete"), "500")
    # Each voidable entity has its own spelling; the other one is refused, as QBO does.
    other = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "2", "NON")]}))["SalesReceipt"]
    error = assert_fault(sandbox.post("salesreceipt", {"Id": other["Id"], "SyncToken": "0"}, operation="void"), "500")
    assert "include=void" in error["Detail"]
    invoice = ok(
        sandbox.post("invoice", {"CustomerRef": {"value": i["customer"]}, "Line": [line(i["Sales"], "1", "9", "NON")]})
    )["Invoice"]
    assert_fault(
        sandbox.post(
            "invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
        ),
        "500",
    )
    assert (
        ok(sandbox.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void"))["Invoice"]["TotalAmt"]
        == 0
    )
    refund = ok(
        sandbox.post(
            "refundreceipt",
            {"DepositToAccountRef": {"value": i["Checking"]}, "Line": [line(i["Sales"], "1", "2", "NON")]},
        )
    )["RefundReceipt"]
    assert_fault(
        sandbox.post(
            "refundreceipt", {"Id": refund["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
        ),
        "500",
    )
    journal = ok(
        sandbox.post(
            "deposit",
            {
                "DepositToAccountRef": {"value": i["Checking"]},
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "DepositLineDetail",
                        "DepositLineDetail": {"AccountRef": {"value": i["Bank Charges"]}},
                    }
                ],
            },
        )
    )
    assert_fault(sandbox.post("deposit", {"Id": journal["Deposit"]["Id"], "SyncToken": "0"}, operation="void"), "500")


def test_a_deposited_payment_cannot_be_deposited_twice_or_deleted(sandbox):
    i = ids(sandbox, "US")
    sale = ok(sandbox.post("salesreceipt", {"Line": [line(i["Sales"], "1", "20", "NON")]}))["SalesReceipt"]
    body = {
        "DepositToAccountRef": {"value": i["Checking"]},
        "Line": [{"Amount": 20, "LinkedTxn": [{"TxnId": sale["Id"], "TxnType": "SalesReceipt"}]}],
    }
    ok(sandbox.post("deposit", body))
    assert_fault(sandbox.post("deposit", body), "6000")
    assert_fault(sandbox.post("salesreceipt", {"Id": sale["Id"], "SyncToken": "0"}, operation="delete"), "6000")


def test_overpaying_an_invoice_is_rejected(sandbox):
    i = ids(sandbox, "US")
    invoice = ok(
        sandbox.post("invoice", {"CustomerRef": {"value": i["customer"]}, "Line": [line(i["Sales"], "1", "10", "NON")]})
    )["Invoice"]
    assert_fault(
        sandbox.post(
            "payment",
            {
                "CustomerRef": {"value": i["customer"]},
                "TotalAmt": 11,
                "Line": [{"Amount": 11, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            },
        ),
        "6000",
    )
    payment = ok(
        sandbox.post(
            "payment",
            {
                "CustomerRef": {"value": i["customer"]},
                "TotalAmt": 15,
                "Line": [{"Amount": 4, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            },
        )
    )
    assert payment["Payment"]["UnappliedAmt"] == 11
    assert ok(sandbox.get(f"invoice/{invoice['Id']}"))["Invoice"]["Balance"] == 6
    ok(sandbox.post("payment", {"Id": payment["Payment"]["Id"], "SyncToken": "0"}, operation="delete"))
    assert ok(sandbox.get(f"invoice/{invoice['Id']}"))["Invoice"]["Balance"] == 10


def test_malformed_json_and_unknown_endpoints(sandbox):
    response = requests.post(f"{sandbox.api()}/customer", data="{not json", headers=sandbox.headers(), timeout=5)
    assert_fault(response, "2000")
    assert_fault(sandbox.get("widget/1"), "500")


def test_query_errors(sandbox):
    assert_fault(sandbox.query("select * from Customer where DisplayName = 'a' or Active = true"), "4000")
    assert_fault(sandbox.query("select * from Customer maxresults 1001"), "4001")
    assert_fault(sandbox.query("select * from Widget"), "4001")
    assert_fault(sandbox.query("select * Customer"), "4000")
    assert_fault(sandbox.query("select * from Customer startposition 0"), "4001")


def test_query_shapes(sandbox):
    body = ok(sandbox.query("select count(*) from Item"))
    assert body["QueryResponse"] == {"totalCount": 5}
    body = ok(
        sandbox.query(
            "SELECT * FROM Item WHERE Type IN ('Inventory', 'Service') ORDERBY Name STARTPOSITION 2 MAXRESULTS 2"
        )
    )
    assert [it["Name"] for it in body["QueryResponse"]["Item"]] == ["Coffee Mug", "Services"]
    assert body["QueryResponse"]["startPosition"] == 2
    assert body["QueryResponse"]["maxResults"] == 2
    assert ok(sandbox.query("select * from Customer where DisplayName = 'Nobody'"))["QueryResponse"] == {}
    names = ok(sandbox.query("select Id, Name from Item where Name like '%Shirt%'"))["QueryResponse"]["Item"]
    assert names[0]["Name"] == "Classic T-Shirt" and "UnitPrice" not in names[0]
    escaped = ok(sandbox.query("select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'"))
    assert len(escaped["QueryResponse"]["Customer"]) == 1
    # A reference is not filterable on Item (test_query_filters.py): the app filters it itself.
    shipping_income = ok(sandbox.query("select * from Account where Name = 'Shipping Income'"))
    account_id = shipping_income["QueryResponse"]["Account"][0]["Id"]
    items = ok(sandbox.query("select * from Item"))["QueryResponse"]["Item"]
    assert {it["Name"] for it in items if it.get("IncomeAccountRef", {}).get("value") == account_id} == {"Shipping"}


def test_queries_answer_active_records_and_sku_only_when_asked(sandbox):
    i = ids(sandbox, "US")
    item = ok(sandbox.get(f"item/{i['Sales']}"))["Item"]
    ok(sandbox.post("item", {"Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True, "Active": False}))
    assert ok(sandbox.query("select * from Item where Name = 'Sales'"))["QueryResponse"] == {}
    both = ok(sandbox.query("select * from Item where Name = 'Sales' and Active in (true, false)"))
    assert both["QueryResponse"]["Item"][0]["Active"] is False
    assert ok(sandbox.get(f"item/{i['Sales']}"))["Item"]["Active"] is False  # reads still find it
    plain = ok(sandbox.query("select * from Item where Sku = 'MUG-11OZ'"))["QueryResponse"]["Item"][0]
    assert "Sku" not in plain
    with_sku = ok(sandbox.query("select *, Sku from Item where Sku = 'MUG-11OZ'"))["QueryResponse"]["Item"][0]
    assert with_sku["Sku"] == "MUG-11OZ"
    assert ok(sandbox.get(f"item/{i['MUG-11OZ']}"))["Item"]["Sku"] == "MUG-11OZ"
    assert ok(sandbox.query("select count(*) from SalesReceipt"))["QueryResponse"] == {"totalCount": 0}


def test_concurrent_retries_with_one_requestid_write_once(sandbox):
    import threading

    i = ids(sandbox, "US")
    body = {"DocNumber": "RACE-1", "Line": [line(i["Sales"], "1", "7", "NON")]}
    answers: list[requests.Response] = []

    def send() -> None:
        answers.append(sandbox.post("salesreceipt", body, requestid="order-race-1"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["SalesReceipt"]["Id"] for a in answers}) == 1
    count = ok(sandbox.query("select count(*) from SalesReceipt where DocNumber = 'RACE-1'"))
    assert count["QueryResponse"]["totalCount"] == 1


def test_delete_and_void_bodies_are_checked_against_the_xsd_too(sandbox):
    """An element QBO's schema lacks is refused on delete and void as on create."""
    for entity, operation in (("salesreceipt", "delete"), ("invoice", "void")):
        response = requests.post(
            f"{sandbox.api()}/{entity}",
            params={"operation": operation, "minorversion": 75},
            json={"Id": "1", "SyncToken": "0", "Bogus": 1},
            headers=sandbox.headers("US"),
            timeout=5,
        )
        assert_fault(response, "2010")
