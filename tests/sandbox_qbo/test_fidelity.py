"""Where QBO is stricter, or promises less, than a lenient emulator would be (issue 12).

Each test fails against the lenient behaviour it names; sandbox/qbo/README.md cites the source.
"""

from __future__ import annotations

from .conftest import fault_of
from .helpers import custom_numbers, ids, line, ok


def _invoice(sandbox, amount: str = "40") -> dict:
    i = ids(sandbox, "US")
    body = {"CustomerRef": {"value": i["customer"]}, "Line": [line(i["Sales"], "1", amount, "NON")]}
    return ok(sandbox.post("invoice", body))["Invoice"]


def _pay(sandbox, invoice: dict, amount: str) -> dict:
    body = {
        "CustomerRef": invoice["CustomerRef"],
        "TotalAmt": float(amount),
        "Line": [{"Amount": float(amount), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    return ok(sandbox.post("payment", body))["Payment"]


def _read(sandbox, entity: str, object_id: str) -> dict:
    return ok(sandbox.get(f"{entity.lower()}/{object_id}"))[entity]


# ---- item 1: a payment changes the invoice it pays -------------------------------------------------


def test_a_payment_moves_the_invoice_sync_token_balance_and_links(sandbox):
    invoice = _invoice(sandbox)
    payment = _pay(sandbox, invoice, "15")
    after = _read(sandbox, "Invoice", invoice["Id"])
    assert after["SyncToken"] == "1"
    assert after["Balance"] == 25
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    # Voiding or updating the invoice from the version read before the payment is stale.
    stale = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    assert fault_of(sandbox.post("invoice", stale, operation="void"))["code"] == "5010"
    assert fault_of(sandbox.post("invoice", {**stale, "sparse": True, "PrivateNote": "x"}))["code"] == "5010"
    # A request cannot make up or drop payment links: they are QBO's to keep.
    edited = ok(sandbox.post("invoice", {"Id": invoice["Id"], "SyncToken": "1", "sparse": True, "LinkedTxn": []}))[
        "Invoice"
    ]
    assert edited["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]


def test_voiding_or_deleting_the_payment_moves_the_invoice_again(sandbox):
    invoice = _invoice(sandbox)
    first = _pay(sandbox, invoice, "10")
    second = _pay(sandbox, invoice, "5")
    paid = _read(sandbox, "Invoice", invoice["Id"])
    assert paid["SyncToken"] == "2" and paid["Balance"] == 25
    assert [link["TxnId"] for link in paid["LinkedTxn"]] == [first["Id"], second["Id"]]

    ok(
        sandbox.post(
            "payment",
            {"Id": first["Id"], "SyncToken": first["SyncToken"], "sparse": True},
            operation="update",
            include="void",
        )
    )
    voided = _read(sandbox, "Invoice", invoice["Id"])
    assert voided["SyncToken"] == "3" and voided["Balance"] == 35
    assert voided["LinkedTxn"] == [{"TxnId": second["Id"], "TxnType": "Payment"}]

    ok(sandbox.post("payment", {"Id": second["Id"], "SyncToken": second["SyncToken"]}, operation="delete"))
    deleted = _read(sandbox, "Invoice", invoice["Id"])
    assert deleted["SyncToken"] == "4" and deleted["Balance"] == 40
    assert "LinkedTxn" not in deleted
    stale = {"Id": invoice["Id"], "SyncToken": voided["SyncToken"]}
    assert fault_of(sandbox.post("invoice", stale, operation="void"))["code"] == "5010"
    assert (
        ok(sandbox.post("invoice", {**stale, "SyncToken": "4"}, operation="void"))["Invoice"]["TxnStatus"] == "Voided"
    )


# ---- items 3, 13, 15: preferences, and the duplicate-number refusal they govern ---------------------

XSD_SECTIONS = {
    "AccountingInfoPrefs",
    "AdvancedInventoryPrefs",
    "ProductAndServicesPrefs",
    "SalesFormsPrefs",
    "EmailMessagesPrefs",
    "PrintDocumentPrefs",
    "VendorAndPurchasesPrefs",
    "TimeTrackingPrefs",
    "TaxPrefs",
    "FinanceChargesPrefs",
    "CurrencyPrefs",
    "ReportPrefs",
    "OtherPrefs",
}


def test_preferences_read_every_xsd_section(sandbox):
    prefs = ok(sandbox.get("preferences"))["Preferences"]
    assert XSD_SECTIONS <= set(prefs)
    queried = ok(sandbox.query("select * from Preferences"))["QueryResponse"]["Preferences"][0]
    assert XSD_SECTIONS <= set(queried)


def test_a_new_company_does_not_refuse_a_duplicate_doc_number(sandbox):
    """Custom transaction numbers are off in a new company: QBO takes the same DocNumber twice."""
    assert ok(sandbox.get("preferences"))["Preferences"]["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    i = ids(sandbox, "US")
    body = {"DocNumber": "1001", "Line": [line(i["Sales"], "1", "1", "NON")]}
    first = ok(sandbox.post("salesreceipt", body))["SalesReceipt"]
    second = ok(sandbox.post("salesreceipt", body))["SalesReceipt"]
    assert first["Id"] != second["Id"] and first["DocNumber"] == second["DocNumber"] == "1001"


def test_with_custom_numbers_on_a_duplicate_doc_number_is_6140(sandbox):
    prefs = custom_numbers(sandbox)
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    i = ids(sandbox, "US")
    body = {"DocNumber": "1001", "Line": [line(i["Sales"], "1", "1", "NON")]}
    ok(sandbox.post("salesreceipt", body))
    assert fault_of(sandbox.post("salesreceipt", body))["code"] == "6140"
    custom_numbers(sandbox, on=False)
    ok(sandbox.post("salesreceipt", body))


def test_preferences_writes_are_applied_with_sync_token_and_validation(sandbox):
    before = ok(sandbox.get("preferences"))["Preferences"]
    written = ok(
        sandbox.post(
            "preferences",
            {"SyncToken": before["SyncToken"], "SalesFormsPrefs": {"AllowShipping": True, "DefaultFOB": "Dock"}},
        )
    )["Preferences"]
    assert int(written["SyncToken"]) == int(before["SyncToken"]) + 1
    after = ok(sandbox.get("preferences"))["Preferences"]
    assert after["SalesFormsPrefs"]["AllowShipping"] is True and after["SalesFormsPrefs"]["DefaultFOB"] == "Dock"
    # The rest of the section is kept.
    assert after["SalesFormsPrefs"]["AllowDiscount"] == before["SalesFormsPrefs"]["AllowDiscount"]
    # Stale token, a field the XSD lacks, a bad enumeration, a missing token: refused, nothing changed.
    stale = {"SyncToken": before["SyncToken"], "SalesFormsPrefs": {"AllowShipping": False}}
    assert fault_of(sandbox.post("preferences", stale))["code"] == "5010"
    unknown = {"SyncToken": after["SyncToken"], "SalesFormsPrefs": {"AllowTeleport": True}}
    assert fault_of(sandbox.post("preferences", unknown))["code"] == "2010"
    bad_enum = {"SyncToken": after["SyncToken"], "ReportPrefs": {"ReportBasis": "Vibes"}}
    assert fault_of(sandbox.post("preferences", bad_enum))["code"] == "2030"
    assert fault_of(sandbox.post("preferences", {"ReportPrefs": {"ReportBasis": "Cash"}}))["code"] == "2020"
    home = {"SyncToken": after["SyncToken"], "CurrencyPrefs": {"HomeCurrency": {"value": "EUR"}}}
    assert fault_of(sandbox.post("preferences", home))["code"] == "6000"
    assert ok(sandbox.get("preferences"))["Preferences"] == after


def test_preferences_writes_survive_a_restart(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path)
    custom_numbers(first)
    first.emulator.close()
    second = make_sandbox(state_dir=tmp_path)
    prefs = ok(second.get("preferences"))["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True and prefs["SyncToken"] == "1"


# ---- item 12: refresh tokens as Intuit documents them -----------------------------------------------


def test_refresh_token_is_the_same_for_a_day_and_the_previous_one_keeps_working(sandbox):
    auth = sandbox.auth_client()
    first = auth.refresh_token
    auth.refresh()
    assert auth.refresh_token == first  # within the day: the same refresh token comes back
    sandbox.control("clock", {"advance_seconds": 24 * 3600 + 1})
    auth.refresh()
    second = auth.refresh_token
    assert second != first
    # The previous one still refreshes, and answers the current one.
    old = sandbox.auth_client()
    old.refresh(refresh_token=first)
    assert old.refresh_token == second
    # After the next rotation, the one before the previous is dead.
    sandbox.control("clock", {"advance_seconds": 24 * 3600 + 1})
    auth.refresh()
    assert auth.refresh_token not in (first, second)
    from intuitlib.exceptions import AuthClientError

    try:
        sandbox.auth_client().refresh(refresh_token=first)
    except AuthClientError as error:
        assert b"invalid_grant" in error.content
    else:
        raise AssertionError("a refresh token two rotations old still worked")


# ---- item 6: per-second limit and the throttle fault's real shapes ---------------------------------


def test_throttle_fault_is_xml_even_when_json_was_asked_for(make_sandbox):
    sandbox = make_sandbox(requests_per_minute=1)
    assert sandbox.get("item/1").status_code == 200
    throttled = sandbox.get("item/1")
    assert sandbox.headers()["Accept"] == "application/json"
    assert throttled.status_code == 429
    assert throttled.headers["Content-Type"].startswith("application/xml")
    assert throttled.text.startswith("<?xml")
    assert '<Error code="3001">' in throttled.text
    assert "message=ThrottleExceeded; errorCode=003001; statusCode=429" in throttled.text


def test_throttle_can_come_back_as_403(sandbox):
    realm = sandbox.company()["realm_id"]
    sandbox.control(f"{realm}/throttle", {"requests": 1, "status": 403})
    throttled = sandbox.get("item/1")
    assert throttled.status_code == 403
    assert "message=ThrottleExceeded; errorCode=003001; statusCode=403" in throttled.text
    assert sandbox.get("item/1").status_code == 200


def test_per_second_limit(make_sandbox):
    sandbox = make_sandbox(requests_per_second=3)
    assert [sandbox.get("item/1").status_code for _ in range(4)] == [200, 200, 200, 429]
    sandbox.control("clock", {"advance_seconds": 1.5})
    assert sandbox.get("item/1").status_code == 200


def test_request_ids_can_be_ignored_as_qbo_does_not_promise_replay(sandbox):
    """Replay by requestid is the default; with ``ignore_request_ids`` a repeated requestid
    is processed again, as public reports show QBO sometimes does."""
    i = ids(sandbox, "US")
    body = {"Line": [line(i["Sales"], "1", "1", "NON")]}
    first = ok(sandbox.post("salesreceipt", body, requestid="rid-1"))["SalesReceipt"]
    assert ok(sandbox.post("salesreceipt", body, requestid="rid-1"))["SalesReceipt"]["Id"] == first["Id"]
    ok(sandbox.control("faults", {"ignore_request_ids": True}))
    again = ok(sandbox.post("salesreceipt", body, requestid="rid-1"))["SalesReceipt"]
    assert again["Id"] != first["Id"]
    ok(sandbox.control("faults", {"reset": True}))
    assert ok(sandbox.post("salesreceipt", body, requestid="rid-1"))["SalesReceipt"]["Id"] == first["Id"]
