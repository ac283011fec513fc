"""Raw-HTTP helpers for building documents in an emulated company."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def one(sandbox, text: str, preset: str = "US") -> dict[str, Any]:
    response = sandbox.query(text, preset)
    assert response.status_code == 200, response.text
    body = response.json()["QueryResponse"]
    found = [v for k, v in body.items() if isinstance(v, list)]
    assert found and len(found[0]) == 1, (text, body)
    return found[0][0]


def ids(sandbox, preset: str) -> dict[str, str]:
    """Ids of the preset objects the tests use."""
    out = {}
    for name in (
        "Checking",
        "Undeposited Funds",
        "Merchant Fees",
        "Sales of Product Income",
        "Bank Charges",
        "Accounts Receivable (A/R)",
    ):
        out[name] = one(sandbox, f"select * from Account where Name = '{name}'", preset)["Id"]
    for sku in ("TSHIRT-CLASSIC", "MUG-11OZ"):
        out[sku] = one(sandbox, f"select *, Sku from Item where Sku = '{sku}'", preset)["Id"]
    for name in ("Sales", "Shipping"):
        out[name] = one(sandbox, f"select * from Item where Name = '{name}'", preset)["Id"]
    out["customer"] = one(sandbox, "select * from Customer where DisplayName = 'Walk-in Customer'", preset)["Id"]
    return out


def tax_code(sandbox, name: str, preset: str) -> str:
    return one(sandbox, f"select * from TaxCode where Name = '{name}'", preset)["Id"]


def line(
    item_id: str, qty: str, price: str, code: str | None = None, *, amount: str | None = None, gross: str | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": item_id}, "Qty": float(qty), "UnitPrice": float(price)}
    if code:
        detail["TaxCodeRef"] = {"value": code}
    if gross:
        detail["TaxInclusiveAmt"] = float(gross)
    value = amount if amount is not None else str(Decimal(qty) * Decimal(price))
    return {"Amount": float(value), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def custom_numbers(sandbox, preset: str = "US", *, on: bool = True) -> dict[str, Any]:
    """Turns the company's custom transaction numbers on (or off) through the preferences endpoint."""
    current = ok(sandbox.get("preferences", preset))["Preferences"]
    body = {"SyncToken": current["SyncToken"], "SalesFormsPrefs": {"CustomTxnNumbers": on}}
    return ok(sandbox.post("preferences", body, preset))["Preferences"]
