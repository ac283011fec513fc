"""US sales tax, end to end against the QuickBooks sandbox: the books carry the tax the customer paid
in Shopify. On a company with automated sales tax the write names the company's tax code next to
Shopify's TotalTax (QuickBooks' override), which holds even where QuickBooks' own engine would
charge nothing; on an older company with the classic sales tax setup, which works out tax itself,
the write becomes an issue that says so instead of a bare "total differs"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import proposals
from mappings.catalog import catalog_read
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import ledger, trial_sync
from syncing.issue_texts import issue_text
from syncing.ledger import taxes as ledger_taxes
from syncing.models import Outcome, SyncedRecord, SyncIssue
from syncing.orders import order_sync
from tests.sandboxes import go_live, shop_connected, use_sandboxes

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
BROOKLYN = {
    "address1": "12 Market Street",
    "city": "Brooklyn",
    "provinceCode": "NY",
    "zip": "11201",
    "countryCode": "US",
}
CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name } userErrors { field message } }
}
"""


@pytest.fixture
def world(settings, monkeypatch):
    from sandbox.runner import start_sandboxes

    running = start_sandboxes(qbo_options={"companies": ["US", "US-CLASSIC"]})
    use_sandboxes(settings, monkeypatch, running.info)
    yield running
    running.stop()


def live_shop(world, preset: str, *, live: bool = True) -> Shop:
    info = world.info
    company = next(c for c in info["qbo_companies"] if c["preset"] == preset)
    shop = shop_connected(info["shops"][0], company, name=preset, iana_timezone="America/New_York")
    if live:
        go_live(shop)
    return shop


def place(shop: Shop, *, price: str, tax: str, ship_to: dict[str, str] | None = None) -> str:
    """A paid order of one taxed line at ``price`` with ``tax`` (one tax line), shipped to ``ship_to``."""

    def money(amount: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}

    total = str(D(price) + D(tax))
    order: dict[str, Any] = {
        "currency": "USD",
        "financialStatus": "PAID",
        "lineItems": [{"title": "Mug", "sku": "MUG-1", "quantity": 1, "priceSet": money(price)}],
        "taxLines": [{"title": "Sales tax", "rate": str(D(tax) / D(price)), "priceSet": money(tax)}],
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money(total)}
        ],
    }
    if ship_to is not None:
        order["shippingAddress"] = ship_to
    data = shopify_client(shop).execute(CREATE, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return str(data["order"]["id"])


def booked(shop: Shop, order_gid: str) -> tuple[SyncedRecord, dict[str, Any]]:
    record = SyncedRecord.objects.get(shop=shop, source_id=order_gid, kind="SalesReceipt")
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    return record, qbo.read(qb, "SalesReceipt", record.qbo_id)


def company(world, preset: str):
    return next(c for c in world.qbo.companies.values() if c.preset_key == preset)


def test_shopifys_tax_is_booked_where_quickbooks_own_engine_would_charge_none(world):
    """Shipped to New York, where the company collects no tax in QuickBooks: automated sales tax
    would charge nothing, and a TotalTax sent alone would not be applied. Named with the company's
    code, Shopify's 8.875% stands, prorated over the code's rates, and the books owe it."""
    shop = live_shop(world, "US")
    gid = place(shop, price="40.00", tax="3.55", ship_to=BROOKLYN)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == Outcome.WRITTEN
    record, receipt = booked(shop, gid)
    tax = receipt["TxnTaxDetail"]
    assert tax["TxnTaxCodeRef"]["name"] == "California"
    assert D(str(tax["TotalTax"])) == D("3.55")
    assert sum(D(str(line["Amount"])) for line in tax["TaxLine"]) == D("3.55")
    assert len(tax["TaxLine"]) == 3  # one per rate of the code
    assert D(str(receipt["TotalAmt"])) == D("43.55") == record.amount
    balances = company(world, "US").trial_balance()["Accounts"]
    payable = next(a for a in balances if a["Name"] == "Sales Tax Payable")
    assert D(str(payable["Balance"])) == D("3.55")
    assert not SyncIssue.objects.filter(shop=shop).open().exists()


def test_a_company_on_classic_sales_tax_gets_an_issue_saying_quickbooks_charged_its_own_tax(world):
    """An older company without automated sales tax takes no tax amount from apps: it charges its
    code's 8.75% (3.50 on 40.00) where Shopify charged 8% (3.20). The write says so plainly."""
    shop = live_shop(world, "US-CLASSIC")
    gid = place(shop, price="40.00", tax="3.20")
    order_sync(shop_id=shop.pk, order_gid=gid)
    record, receipt = booked(shop, gid)
    assert D(str(receipt["TxnTaxDetail"]["TotalTax"])) == D("3.50")
    assert record.status == SyncedRecord.Status.SYNCED  # written once: never written twice
    issue = SyncIssue.objects.open().get(shop=shop, source_id=gid)
    assert issue.code == "qbo_sales_tax_not_taken"
    assert "put 3.50 of sales tax" in issue.message and "not the 3.20" in issue.message
    assert "totals 43.50 instead of 43.20" in issue.message
    text = issue_text(issue.code, issue.detail)
    assert text.title == "QuickBooks charged its own sales tax on this order"
    assert "automated sales tax" in text.todo


def test_a_classic_company_whose_tax_matches_shopifys_raises_nothing(world):
    shop = live_shop(world, "US-CLASSIC")
    gid = place(shop, price="40.00", tax="3.50")  # the code's 8.75%, as Shopify charged it
    order_sync(shop_id=shop.pk, order_gid=gid)
    _record, receipt = booked(shop, gid)
    assert D(str(receipt["TotalAmt"])) == D("43.50")
    assert not SyncIssue.objects.filter(shop=shop).open().exists()


def test_the_setup_test_sync_shows_the_tax_quickbooks_charged_and_raises_the_issue(world):
    shop = live_shop(world, "US-CLASSIC", live=False)
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2020, 1, 1))
    gid = place(shop, price="40.00", tax="3.20")
    result = trial_sync.order_test_sync(shop=shop, order_gid=gid)
    assert not result.ok
    [receipt] = result.documents
    checks = {c.label: (c.shopify, c.quickbooks, c.ok) for c in receipt.totals}
    assert checks["Tax"] == (D("3.20"), D("3.50"), False)
    assert checks["Total"] == (D("43.20"), D("43.50"), False)
    assert SyncIssue.objects.open().get(shop=shop, source_id=gid).code == "qbo_sales_tax_not_taken"


def _code(code_id: str, name: str, rates: int, active: bool = True) -> dict[str, Any]:
    detail = [{"TaxRateRef": {"value": str(n)}} for n in range(rates)]
    return {"Id": code_id, "Name": name, "Active": active, "SalesTaxRateList": {"TaxRateDetail": detail}}


def test_the_code_named_is_the_companys_first_active_code_with_rates():
    codes = [
        _code("TAX", "TAX", 0),
        _code("NON", "NON", 0),
        _code("CustomSalesTax", "CustomSalesTax", 0),
        _code("12", "Later", 1),
        _code("3", "Inactive", 2, active=False),
        _code("9", "No rates", 0),
        _code("4", "California", 3),
    ]
    assert ledger_taxes.us_override_code(codes) == ledger.Ref("4", "California")
    assert ledger_taxes.us_override_code(codes[:3]) is None


def test_only_a_us_total_tax_gets_the_code_next_to_it():
    code = ledger.Ref("4", "California")
    us = {"Line": [], "TxnTaxDetail": {"TotalTax": D("3.55")}}
    assert ledger_taxes.us_tax_override(us, code)["TxnTaxDetail"] == {
        "TxnTaxCodeRef": {"value": "4", "name": "California"},
        "TotalTax": D("3.55"),
    }
    assert us["TxnTaxDetail"] == {"TotalTax": D("3.55")}  # the ledger's body is left as it was
    per_rate = {"TxnTaxDetail": {"TotalTax": D("2"), "TaxLine": []}}  # outside the US
    assert ledger_taxes.us_tax_override(per_rate, code) is per_rate
    payment = {"TotalAmt": D("5")}
    assert ledger_taxes.us_tax_override(payment, code) is payment
