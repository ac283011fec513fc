"""What a person does in the QuickBooks sandbox (edit or delete a document, write their own), over
its public API as any other app would, and reading the company back, for the tests of changes made
in QuickBooks (test_cdc.py) and of the undo (test_undo.py)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.undo import is_voided
from tests.sandboxes import Store


def qb_of(shop) -> qbo.QuickBooks:
    return context_open(shop.pk).qb


def place(shop, *, price: str, day: str, sku: str = "MUG-1") -> str:
    """A paid order in the Shopify sandbox processed at midday (shop time) on ``day``; its GID."""
    money = {"shopMoney": {"amount": price, "currencyCode": "USD"}}
    order = {
        "currency": "USD",
        "financialStatus": "PAID",
        "processedAt": f"{day}T17:00:00Z",
        "lineItems": [{"title": f"Item {sku}", "sku": sku, "quantity": 1, "priceSet": money}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money}],
    }
    data = Store(shop).client.execute(Store.MUTATION, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return str(data["order"]["id"])


def person_edits(shop, kind: str, qbo_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A bookkeeper's sparse edit of the document, from its current version."""
    qb = qb_of(shop)
    current = qbo.read(qb, kind, qbo_id)
    url = f"{qb.api_url}/company/{qb.company_id}/{kind.lower()}"
    body = {**changes, "Id": qbo_id, "SyncToken": current["SyncToken"], "sparse": True}
    return dict(qb.post(url, json.dumps(body, default=str), request_id=str(uuid.uuid4()))[kind])


def person_deletes(shop, kind: str, qbo_id: str) -> None:
    qb = qb_of(shop)
    token = str(qbo.read(qb, kind, qbo_id)["SyncToken"])
    qbo.delete(qb, kind, qbo_id=qbo_id, sync_token=token, request_id=str(uuid.uuid4()))


def person_creates(shop, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    qb = qb_of(shop)
    url = f"{qb.api_url}/company/{qb.company_id}/{kind.lower()}"
    return dict(qb.post(url, json.dumps(body, default=str), request_id=str(uuid.uuid4()))[kind])


def documents(shop, kind: str) -> list[dict[str, Any]]:
    return qbo.query_all(qb_of(shop), f"select * from {kind}", kind)


def live_for(shop, kind: str, source_id: str) -> list[dict[str, Any]]:
    """The documents of ``kind`` naming the Shopify object in their memo, voided ones left out."""
    return [d for d in documents(shop, kind) if source_id in str(d.get("PrivateNote") or "") and not is_voided(d)]


def balances(shop) -> dict[str, Decimal]:
    """Every account's balance as the company's general ledger has it (Account.CurrentBalance)."""
    accounts = qbo.query_all(qb_of(shop), "select * from Account", "Account")
    return {a["Name"]: Decimal(str(a.get("CurrentBalance", 0))) for a in accounts}


def custom_transaction_numbers(shop, *, on: bool) -> None:
    """The company's preference that makes QBO refuse a duplicate DocNumber (6140)."""
    qb = qb_of(shop)
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    token = qb.get(url)["Preferences"]["SyncToken"]
    qb.post(url, json.dumps({"SyncToken": token, "SalesFormsPrefs": {"CustomTxnNumbers": on}}))


def another_sales_item(shop) -> str:
    """A new income account and an item booking to it, made the item for unmapped products (the
    merchant's mapping changed); returns the account's name."""
    from mappings.models import AccountRole, AccountRoleMapping

    account = person_creates(shop, "Account", {"Name": "Online Store Sales", "AccountType": "Income"})
    item = person_creates(
        shop,
        "Item",
        {"Name": "Online Store Sale", "Type": "Service", "IncomeAccountRef": {"value": account["Id"]}},
    )
    AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_ITEM).update(
        qbo_id=item["Id"], qbo_name=item["Name"]
    )
    return str(account["Name"])
