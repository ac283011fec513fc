"""A restarted sandbox with the same state directory has the same books and accepts the same tokens."""

from __future__ import annotations

import pytest
from intuitlib.exceptions import AuthClientError

from .helpers import ids, line, ok, one


def test_documents_tokens_and_request_ids_survive_a_restart(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path, seed=3, companies=["US", "CA"], rotate_refresh_tokens=True)
    i = ids(first, "US")
    sale = ok(
        first.post(
            "salesreceipt",
            {"DocNumber": "P-1", "Line": [line(i["TSHIRT-CLASSIC"], "2", "25", "TAX")]},
            requestid="order-P-1",
        )
    )["SalesReceipt"]
    auth = first.auth_client()
    old_refresh = auth.refresh_token
    auth.refresh()
    info = first.info
    first.emulator.close()
    first.server.stop()

    second = make_sandbox(state_dir=tmp_path, seed=3, companies=["US", "CA"], rotate_refresh_tokens=True)
    assert second.info["app"] == info["app"]
    company = second.company()
    assert company["realm_id"] == info["companies"][0]["realm_id"]
    assert company["refresh_token"] == auth.refresh_token
    again = second.auth_client()
    again.refresh(refresh_token=auth.refresh_token)
    with pytest.raises(AuthClientError):
        second.auth_client().refresh(refresh_token=old_refresh)
    found = one(second, "select * from SalesReceipt where DocNumber = 'P-1'")
    assert found["Id"] == sale["Id"]
    assert found["TotalAmt"] == sale["TotalAmt"]
    assert one(second, "select *, Sku from Item where Sku = 'TSHIRT-CLASSIC'")["QtyOnHand"] == 98
    replay = ok(
        second.post(
            "salesreceipt", {"DocNumber": "P-1", "Line": [line(i["Sales"], "1", "1", "NON")]}, requestid="order-P-1"
        )
    )["SalesReceipt"]
    assert replay["Id"] == sale["Id"]
    fresh = ok(second.post("salesreceipt", {"Line": [line(i["Sales"], "1", "1", "NON")]}))["SalesReceipt"]
    assert int(fresh["Id"]) > int(sale["Id"])


def test_without_a_state_dir_nothing_is_written(make_sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sandbox = make_sandbox()
    ok(sandbox.post("customer", {"DisplayName": "Ephemeral"}))
    assert list(tmp_path.iterdir()) == []


def test_same_seed_same_credentials(make_sandbox):
    a = make_sandbox(seed=11).info
    b = make_sandbox(seed=11).info
    c = make_sandbox(seed=12).info
    assert a["app"] == b["app"] and a["companies"] == b["companies"]
    assert a["app"] != c["app"]


def test_a_torn_last_line_is_ignored(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path)
    ok(first.post("customer", {"DisplayName": "Kept"}))
    first.emulator.close()
    first.server.stop()
    journal = next((tmp_path / "qbo").glob("*.jsonl"))
    with journal.open("a") as f:
        f.write('{"op": "put", "e": "Cust')
    second = make_sandbox(state_dir=tmp_path)
    assert one(second, "select * from Customer where DisplayName = 'Kept'")


def test_multicurrency_switch_survives_a_restart(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path)
    realm = first.company()["realm_id"]
    first.control(f"{realm}/multicurrency", {"enabled": True})
    first.emulator.close()
    first.server.stop()
    second = make_sandbox(state_dir=tmp_path)
    prefs = ok(second.get("preferences"))["Preferences"]
    assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True


def test_companies_as_a_comma_separated_string_and_unknown_presets(make_sandbox):
    from sandbox.qbo.emulator import QBOEmulator

    sandbox = make_sandbox(companies="US, AU,US")
    assert [c["preset"] for c in sandbox.info["companies"]] == ["US", "AU", "US"]
    assert sandbox.info["companies"][2]["name"] == "Sandbox Company US 2"
    with pytest.raises(ValueError, match="unknown QBO company preset"):
        QBOEmulator(None, 0, companies=["FR"])
