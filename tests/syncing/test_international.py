"""End to end outside the US: a Canadian and a British shop, through the merchant's setup (taxes
mapped as proposed, British Columbia's GST + PST code created on confirmation), synced into the
sandbox's preset companies. The books are proven by balances: every tax account holds exactly the
tax Shopify charged at its rates, refunds take theirs back, tax a marketplace remits stays out of
them, and reconciliation matches."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings.models import SyncSettings, TaxMapping
from sandbox.runner import start_sandboxes
from sandbox.setup import setup_as_proposed
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import preview
from syncing.models import SyncedRecord, SyncIssue
from syncing.reconcile import reconcile_shop
from syncing.runs import shop_sweep
from tests.sandboxes import shop_connected, use_sandboxes

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
CENT = D("0.01")
CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name totalPriceSet { shopMoney { amount } } } userErrors { field message } }
}
"""
REFUND = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}
"""
CA_SHOP = {"domain": "maple-goods.myshopify.com", "currency": "CAD", "country": "CA", "timezone": "America/Toronto"}
GB_SHOP = {"domain": "thames-goods.myshopify.com", "currency": "GBP", "country": "GB", "timezone": "Europe/London"}


@pytest.fixture
def world(settings, monkeypatch):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    running = start_sandboxes(shopify_options={"shops": [CA_SHOP, GB_SHOP]}, qbo_options={"companies": ["CA", "UK"]})
    use_sandboxes(settings, monkeypatch, running.info)
    yield running.info
    running.stop()


def connect(info: dict[str, Any], shop_spec: dict[str, str], preset: str) -> Shop:
    shop_info = next(s for s in info["shops"] if s["domain"] == shop_spec["domain"])
    company = next(c for c in info["qbo_companies"] if c["preset"] == preset)
    return shop_connected(shop_info, company, name=preset, iana_timezone=shop_spec["timezone"])


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def order(
    shop: Shop,
    lines: list[tuple[str, str, list[tuple[str, str, bool]]]],
    *,
    inclusive: bool = False,
    shipping: tuple[str, list[tuple[str, str, bool]]] | None = None,
) -> tuple[dict[str, Any], dict[str, Decimal]]:
    """An order through Shopify's orderCreate: lines of (sku, price, [(tax title, rate, channel
    liable)]), each rate on the line's net. Returns the order and the tax per title it carries."""

    def money(amount: Decimal) -> dict[str, Any]:
        return {"shopMoney": {"amount": str(amount), "currencyCode": shop.currency}}

    charged: dict[str, Decimal] = {}
    total = D(0)

    def tax_lines(price: Decimal, taxes: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
        nonlocal total
        whole = sum((D(rate) for _, rate, _ in taxes), D(0))
        net = price / (1 + whole) if inclusive else price
        out = []
        for title, rate, liable in taxes:
            amount = cents(net * D(rate))
            key = "channel" if liable else title
            charged[key] = charged.get(key, D(0)) + amount
            total += D(0) if inclusive else amount
            out.append({"title": title, "rate": rate, "priceSet": money(amount), "channelLiable": liable})
        return out

    items = []
    for sku, price, taxes in lines:
        total += D(price)
        items.append(
            {
                "title": f"Item {sku}",
                "sku": sku,
                "quantity": 1,
                "priceSet": money(D(price)),
                "taxLines": tax_lines(D(price), taxes),
            }
        )
    body: dict[str, Any] = {
        "currency": shop.currency,
        "financialStatus": "PAID",
        "taxesIncluded": inclusive,
        "lineItems": items,
    }
    if shipping:
        total += D(shipping[0])
        body["shippingLines"] = [
            {"title": "Standard", "priceSet": money(D(shipping[0])), "taxLines": tax_lines(D(shipping[0]), shipping[1])}
        ]
    body["transactions"] = [{"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money(total)}]
    data = shopify_client(shop).execute(CREATE, {"order": body})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    assert D(data["order"]["totalPriceSet"]["shopMoney"]["amount"]) == total
    return data["order"], charged


def balances(shop: Shop) -> dict[str, Decimal]:
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    return {a["Name"]: D(str(a["CurrentBalance"])) for a in qbo.query_all(qb, "select * from Account", "Account")}


def live(shop: Shop) -> dict[str, Any]:
    summary = setup_as_proposed(shop, start_date=timezone.localdate() - timezone.timedelta(days=2))
    assert SyncSettings.objects.get(shop=shop).is_live
    return summary


GST, HST, QST, PST = ("GST", "0.05", False), ("HST", "0.13", False), ("QST", "0.09975", False), ("PST", "0.07", False)


def test_a_canadian_shop_books_each_provinces_tax_into_its_own_account(world):
    shop = connect(world, CA_SHOP, "CA")
    placed = [
        order(shop, [("QC-1", "100.00", [GST, QST]), ("QC-2", "24.99", [GST, QST])], shipping=("10.00", [GST, QST])),
        order(shop, [("ON-1", "59.95", [HST])], shipping=("7.50", [HST])),
        order(shop, [("BC-1", "80.00", [GST, PST])], shipping=("9.00", [GST])),  # BC: no PST on shipping
        order(shop, [("AB-1", "45.00", [GST]), ("FOOD", "12.00", [])]),  # Alberta; basic groceries untaxed
        # A marketplace sale: the channel remits the tax; it is not the merchant's GST.
        order(shop, [("MKT-1", "40.00", [("GST", "0.05", True)])]),
    ]
    summary = live(shop)
    assert summary["tax_codes"]["created"] == 1  # GST + PST for British Columbia, on confirmation
    bc = next(r for r in TaxMapping.objects.filter(shop=shop) if r.label == "GST 5% + PST 7%")
    assert bc.created_by_app and bc.confirmed

    before = balances(shop)
    assert shop_sweep(shop_id=shop.pk).outcomes == {"written": len(placed)}
    after = balances(shop)
    charged: dict[str, Decimal] = {}
    for _, taxes in placed:
        for title, amount in taxes.items():
            charged[title] = charged.get(title, D(0)) + amount

    def moved(name: str) -> Decimal:
        return after[name] - before.get(name, D(0))

    assert moved("GST/HST Payable") == charged["GST"] + charged["HST"]
    assert moved("QST Payable") == charged["QST"]
    assert moved("PST Payable (BC)") == charged["PST"]
    assert moved("Sales Channel Tax Collected") == charged["channel"]
    received = sum((D(o["totalPriceSet"]["shopMoney"]["amount"]) for o, _ in placed), D(0))
    clearing = next(name for name in after if name.startswith("Manual") and "Clearing" in name)
    assert moved(clearing) == received

    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    for record in SyncedRecord.objects.filter(shop=shop, kind="SalesReceipt"):
        receipt = qbo.read(qb, "SalesReceipt", record.qbo_id)
        assert receipt["GlobalTaxCalculation"] == "TaxExcluded"
        assert all(
            line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
            for line in receipt["Line"]
            if line["DetailType"] == "SalesItemLineDetail"
        )
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched, report.differences
    assert not SyncIssue.objects.open().filter(shop=shop).exists()

    # The preview shows the Quebec order's tax rate by rate, and checks each against Shopify's.
    shown = preview.order_preview(shop=shop, order_gid=placed[0][0]["id"])
    assert shown.matches
    assert [(t.percent_text, t.amount) for t in shown.documents[0].taxes] == [
        ("5", charged_of(placed[0], "GST")),
        ("9.975", charged_of(placed[0], "QST")),
    ]
    assert {c.label for c in shown.checks} >= {"Tax at 5%", "Tax at 9.975%"}


def charged_of(placed: tuple[dict[str, Any], dict[str, Decimal]], title: str) -> Decimal:
    return placed[1][title]


def test_a_uk_shop_at_tax_inclusive_prices_books_shopifys_vat_and_a_refund_takes_it_back(world):
    shop = connect(world, GB_SHOP, "UK")
    vat, reduced, zero = ("GB VAT", "0.2", False), ("GB VAT", "0.05", False), ("GB VAT", "0", False)
    trap, taxes = order(shop, [("MUG", "100.95", [vat])], inclusive=True)  # 16.825 of VAT: Shopify says 16.83
    assert taxes["GB VAT"] == D("16.83")
    _mixed, mixed_taxes = order(
        shop,
        [("SEAT", "105.00", [reduced]), ("BOOK", "9.99", [zero]), ("TEE", "19.99", [vat])],
        inclusive=True,
        shipping=("4.80", [vat]),
    )
    live(shop)
    before = balances(shop)
    assert shop_sweep(shop_id=shop.pk).outcomes == {"written": 2}
    after = balances(shop)
    assert after["VAT Control"] - before["VAT Control"] == taxes["GB VAT"] + mixed_taxes["GB VAT"]

    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    record = SyncedRecord.objects.get(shop=shop, order_gid=trap["id"], kind="SalesReceipt")
    receipt = qbo.read(qb, "SalesReceipt", record.qbo_id)
    assert receipt["GlobalTaxCalculation"] == "TaxInclusive"
    assert D(str(receipt["TotalAmt"])) == D("100.95")
    assert D(str(receipt["TxnTaxDetail"]["TotalTax"])) == D("16.83")
    [line] = [line for line in receipt["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert (D(str(line["Amount"])), D(str(line["SalesItemLineDetail"]["TaxInclusiveAmt"]))) == (
        D("84.12"),
        D("100.95"),
    )

    # The mug comes back: the refund books its 16.83 of VAT back on the same code.
    placed = shopify_client(shop).execute(
        "query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { id } } transactions { id } } }",
        {"id": trap["id"]},
    )["order"]
    refund = {
        "orderId": trap["id"],
        "refundLineItems": [
            {"lineItemId": placed["lineItems"]["nodes"][0]["id"], "quantity": 1, "restockType": "NO_RESTOCK"}
        ],
        "transactions": [
            {
                "orderId": trap["id"],
                "parentId": placed["transactions"][0]["id"],
                "kind": "REFUND",
                "gateway": "manual",
                "amount": "100.95",
            }
        ],
    }
    data = shopify_client(shop).execute(REFUND, {"input": refund})["refundCreate"]
    assert not data["userErrors"], data["userErrors"]
    shop_sweep(shop_id=shop.pk)
    final = balances(shop)
    assert final["VAT Control"] - before["VAT Control"] == mixed_taxes["GB VAT"]
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched, report.differences
    assert (report.refunds_found, report.refunds_qbo) == (1, D("100.95"))


def test_a_ledger_refusal_names_the_tax_to_map(world):
    shop = connect(world, CA_SHOP, "CA")
    order(shop, [("QC-1", "100.00", [GST, QST])])
    live(shop)
    # A new province appears after go-live: its order waits for its tax code, plainly.
    placed, _ = order(shop, [("NS-1", "50.00", [("HST", "0.14", False)])])
    shop_sweep(shop_id=shop.pk)
    issue = SyncIssue.objects.open().get(shop=shop, source_id=placed["id"])
    assert issue.code == "tax_codes_unmapped" and "HST 14%" in issue.message
