"""The seeder's money flows: one order per flow, read back through GraphQL as the app reads it."""

from datetime import UTC, datetime

from sandbox.shopify import countries
from sandbox.shopify.seed_flows import FLOWS, Flows
from sandbox.shopify.seeder import seed_shop

from .conftest import Shop

ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)
MONEY = "shopMoney { amount }"
FLOW_ORDERS = f"""query($query: String) {{ orders(first: 5, query: $query) {{ nodes {{
  name tags displayFinancialStatus paymentGatewayNames cancelledAt edited
  totalPriceSet {{ {MONEY} }} totalOutstandingSet {{ {MONEY} }} netPaymentSet {{ {MONEY} }}
  originalTotalDutiesSet {{ {MONEY} }}
  lineItems(first: 10) {{ nodes {{ quantity currentQuantity duties {{ harmonizedSystemCode countryCodeOfOrigin }} }} }}
  transactions {{ kind gateway processedAt amountSet {{ {MONEY} }} }}
  refunds {{ id }} }} }} }}"""


def seeded(make_emulator, spec=None, **options):
    emu, base_url = make_emulator(throttle=False, max_query_cost=None, **({"shops": [spec]} if spec else {}))
    info = emu.describe()["shops"][0]
    args = {"base_url": base_url, "shop": info["domain"], "token": info["access_token"], "seed": 5, "anchor": ANCHOR}
    summary = seed_shop(orders=5, money_flows=True, **args, **options)
    return emu, Shop(base_url, info["domain"], info["access_token"]), summary, args


def flow_order(shop, flow):
    [found] = shop.data(FLOW_ORDERS, {"query": f"tag:seed-{flow}"})["orders"]["nodes"]
    return found


def gateways(found, kind="SALE"):
    return [t["gateway"] for t in found["transactions"] if t["kind"] == kind]


def test_money_flows_seed_one_order_per_flow_as_shopify_shapes_them(make_emulator):
    emu, shop, summary, args = seeded(make_emulator)
    assert summary["money_flows"] == dict.fromkeys(FLOWS, 1)
    assert summary["orders_created"] == 5  # the regular orders are the same as without the flows

    split = flow_order(shop, "split_gift_card")
    assert (split["paymentGatewayNames"], split["displayFinancialStatus"]) == (
        ["gift_card", "shopify_payments"],
        "PAID",
    )
    assert flow_order(shop, "split_paypal")["paymentGatewayNames"] == ["shopify_payments", "paypal"]
    credit = flow_order(shop, "store_credit")
    assert credit["paymentGatewayNames"] == ["shopify_store_credit", "shopify_payments"]
    assert credit["totalOutstandingSet"]["shopMoney"]["amount"] == "0.0"

    invoice = flow_order(shop, "invoice_two_payments")
    assert invoice["displayFinancialStatus"] == "PAID" and gateways(invoice) == ["Bank Deposit", "manual"]
    deposit, rest = invoice["transactions"]
    assert deposit["processedAt"][:10] < rest["processedAt"][:10]

    added = flow_order(shop, "edit_add_paid")
    assert added["edited"] and added["displayFinancialStatus"] == "PAID"
    assert gateways(added) == ["shopify_payments", "manual"]
    assert added["lineItems"]["nodes"][-1]["quantity"] == 1

    removed = flow_order(shop, "edit_remove_refund")
    assert removed["edited"] and removed["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert len(removed["refunds"]) == 1 and removed["totalOutstandingSet"]["shopMoney"]["amount"] == "0.0"

    cancelled = flow_order(shop, "cancel_refund")
    assert cancelled["cancelledAt"] and cancelled["displayFinancialStatus"] == "REFUNDED"
    assert sorted(gateways(cancelled, "REFUND")) == ["paypal", "shopify_payments"]
    kept = flow_order(shop, "cancel_keep")
    assert kept["cancelledAt"] and kept["displayFinancialStatus"] == "PAID" and kept["refunds"] == []

    duties = flow_order(shop, "duties")
    assert duties["displayFinancialStatus"] == "PAID" and duties["originalTotalDutiesSet"] is not None
    assert duties["lineItems"]["nodes"][0]["duties"] == [
        {"harmonizedSystemCode": "6109100010", "countryCodeOfOrigin": "CN"}
    ]

    many = flow_order(shop, "many_refunds")
    assert len(many["refunds"]) == 11 and len(many["transactions"]) == 23
    assert set(gateways(many)) == {"shopify_payments", "gift_card"}

    again = seed_shop(orders=5, money_flows=True, **args)
    assert again["money_flows"] == {} and again["orders_created"] == 0
    assert len(emu.store.shops[args["shop"]].orders) == 5 + len(FLOWS)


def test_money_flows_are_deterministic_and_off_by_default(make_emulator):
    totals = []
    for _ in range(2):
        emu, _shop, _summary, args = seeded(make_emulator)
        orders = emu.store.shops[args["shop"]].orders.values()
        totals.append(sorted((o.source_identifier, str(o.current_total().shop)) for o in orders))
    assert totals[0] == totals[1]

    emu, base_url = make_emulator(throttle=False)
    info = emu.describe()["shops"][0]
    plain = seed_shop(
        base_url=base_url, shop=info["domain"], token=info["access_token"], orders=5, seed=5, anchor=ANCHOR
    )
    assert "money_flows" not in plain
    assert not any("flow" in (o.source_identifier or "") for o in emu.store.shops[info["domain"]].orders.values())


def test_money_flows_in_a_tax_inclusive_shop(make_emulator):
    _emu, shop, summary, _args = seeded(make_emulator, countries.shop_spec("GB"))
    assert summary["money_flows"] == dict.fromkeys(FLOWS, 1)
    assert flow_order(shop, "edit_add_paid")["displayFinancialStatus"] == "PAID"
    assert flow_order(shop, "edit_remove_refund")["totalOutstandingSet"]["shopMoney"]["amount"] == "0.0"


def test_money_flows_skip_duties_on_a_real_store():
    flows = Flows(None, "https://real.myshopify.com", "real.myshopify.com", {}, {"seed": 1})
    assert flows.sandbox is False
    sandbox = Flows(None, "http://127.0.0.1:8000", "demo-store.myshopify.com", {}, {"seed": 1})
    assert sandbox.sandbox is True
