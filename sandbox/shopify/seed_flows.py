"""The seed's money flows: one order per way money can move on a Shopify order (``seed_shop(money_flows=True)``).

Split tenders (card + gift card, card + PayPal), store credit, an invoice paid in two payments on
two days, a paid order edited to add an item and then paid, an edit removing an item with its
refund, cancellations with and without refund, an order with duties, and an order with more
refunds (11) and transactions (23) than an app's first page of them.

Each order is planned like the seed's other orders (``seeder.OrderPlan``, from its own random
stream so the regular mix keeps its figures), tagged ``seed-{flow}`` and identified by
``seed-{seed}-flow-{flow}``, so a second run creates only what is missing. Edits go through the
public ``orderEdit*`` mutations; duties have no public way in (orderCreate cannot set them), so
that flow uses the sandbox's ``/_sandbox/orders/create`` control and is skipped on a real store.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import requests

from sandbox.shopify.seeder import CREATED_FIELDS, Client, OrderPlan, SeedError, d, r2

# A T-shirt's customs code and origin: the duty on the duties order's first line is 10% of its total.
DUTY_HS_CODE, DUTY_ORIGIN, DUTY_RATE = "6109100010", "CN", Decimal("0.1")
MANY = 12  # sales on the many-refunds order; all but one are refunded one by one

ORDER_QUERY = (
    "query SeedFlowOrder($id: ID!) { order(id: $id) { "
    + CREATED_FIELDS
    + " totalOutstandingSet { shopMoney { amount } } } }"
)
MANUAL_PAYMENT = """
mutation SeedManualPayment($id: ID!) {
  orderCreateManualPayment(id: $id) { order { displayFinancialStatus } userErrors { field message code } }
}"""
CANCEL = """
mutation SeedFlowCancel($id: ID!, $refund: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: $refund, restock: true, notifyCustomer: false) {
    orderCancelUserErrors { field message }
  }
}"""
EDIT_BEGIN = """
mutation SeedEditBegin($id: ID!) {
  orderEditBegin(id: $id) { calculatedOrder { id lineItems(first: 10) { nodes { id quantity } } } userErrors { field message } }
}"""
EDIT_ADD = """
mutation SeedEditAdd($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity) { userErrors { field message } }
}"""
EDIT_SET_QUANTITY = """
mutation SeedEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: true) { userErrors { field message } }
}"""
EDIT_COMMIT = """
mutation SeedEditCommit($id: ID!) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: "seeded edit") { userErrors { field message } }
}"""
REFUND = """
mutation SeedFlowRefund($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}"""


class Flows:
    """Creates the money-flow orders of one seed in one shop (the duties one only in the sandbox)."""

    def __init__(self, client: Client, base_url: str, shop: str, catalog: dict[str, Any], ctx: dict[str, Any]):
        self.client, self.shop, self.catalog, self.ctx = client, shop, catalog, ctx
        self.sandbox = urlparse(base_url).hostname != shop
        self.controls = f"{base_url.rstrip('/')}/_sandbox"
        self.seed = ctx["seed"]

    def run(self, existing: set[str]) -> dict[str, int]:
        rng = random.Random(f"money-flows-{self.seed}")
        created: dict[str, int] = {}
        for flow, step in self.STEPS.items():
            plan = OrderPlan(rng, 0, "paid", self.catalog, self.ctx)  # drawn even when it exists: stable plans
            plan.input["sourceIdentifier"] = f"seed-{self.seed}-flow-{flow}"
            plan.input["tags"] = [f"shopqb-seed-{self.seed}", f"seed-{flow}"]
            if plan.input["sourceIdentifier"] in existing or (flow == "duties" and not self.sandbox):
                continue
            step(self, plan)
            created[flow] = 1
        return created

    # -- talking to the store ------------------------------------------------------------------

    def _create(self, plan: OrderPlan, transactions: list[dict[str, Any]]) -> dict[str, Any]:
        """orderCreate (one order), its total checked against the plan's."""
        plan.input["transactions"] = transactions
        result = self.client(
            "mutation SeedFlow($o: OrderCreateOrderInput!) { orderCreate(order: $o) {"
            f" order {{ {CREATED_FIELDS} }} userErrors {{ field message }} }} }}",
            {"o": plan.input},
        )["orderCreate"]
        if result["userErrors"]:
            raise SeedError(f"orderCreate {plan.input['sourceIdentifier']}: {result['userErrors']}")
        total = d(result["order"]["totalPriceSet"]["shopMoney"]["amount"])
        if total != plan.total:
            raise SeedError(f"orderCreate {plan.input['sourceIdentifier']}: total {total}, planned {plan.total}")
        return result["order"]  # type: ignore[no-any-return]

    def _control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{self.controls}/{path}", json={"shop": self.shop, **body}, timeout=60)
        if response.status_code != 200:
            raise SeedError(f"/_sandbox/{path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()  # type: ignore[no-any-return]

    def _edit(self, order: dict[str, Any], stage: Callable[[dict[str, Any]], None]) -> None:
        """An order edit session: begin, ``stage`` changes on the calculated order, commit."""
        begun = self.client(EDIT_BEGIN, {"id": order["id"]})["orderEditBegin"]
        if begun["userErrors"]:
            raise SeedError(f"orderEditBegin {order['name']}: {begun['userErrors']}")
        stage(begun["calculatedOrder"])
        committed = self.client(EDIT_COMMIT, {"id": begun["calculatedOrder"]["id"]})["orderEditCommit"]
        if committed["userErrors"]:
            raise SeedError(f"orderEditCommit {order['name']}: {committed['userErrors']}")

    def _stage(self, mutation: str, name: str, variables: dict[str, Any]) -> None:
        errors = self.client(mutation, variables)[name]["userErrors"]
        if errors:
            raise SeedError(f"{name}: {errors}")

    def _order(self, order_id: str) -> dict[str, Any]:
        return self.client(ORDER_QUERY, {"id": order_id})["order"]  # type: ignore[no-any-return]

    def _pay_the_rest(self, order: dict[str, Any]) -> None:
        result = self.client(MANUAL_PAYMENT, {"id": order["id"]})["orderCreateManualPayment"]
        if result["userErrors"]:
            raise SeedError(f"orderCreateManualPayment {order['name']}: {result['userErrors']}")

    def _refund_money(self, order: dict[str, Any], parent: dict[str, Any], amount: Decimal, note: str) -> None:
        tx = {"orderId": order["id"], "parentId": parent["id"], "kind": "REFUND", "gateway": parent["gateway"],
              "amount": str(amount)}  # fmt: skip
        result = self.client(REFUND, {"input": {"orderId": order["id"], "note": note, "transactions": [tx]}})
        if result["refundCreate"]["userErrors"]:
            raise SeedError(f"refundCreate {order['name']}: {result['refundCreate']['userErrors']}")

    def _cancel(self, order: dict[str, Any], refund: bool) -> None:
        result = self.client(CANCEL, {"id": order["id"], "refund": refund})
        if result["orderCancel"]["orderCancelUserErrors"]:
            raise SeedError(f"orderCancel {order['name']}: {result['orderCancel']['orderCancelUserErrors']}")

    def _sale(self, gateway: str, amount: Decimal, **extra: Any) -> dict[str, Any]:
        money = {"shopMoney": {"amount": str(amount), "currencyCode": self.ctx["currency"]}}
        return {"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": money, **extra}

    def _split(self, total: Decimal, first: str, second: str, share: str, **extra: Any) -> list[dict[str, Any]]:
        """Two tenders: ``share`` of the total by the first gateway, the rest by the second."""
        part = r2(total * d(share))
        return [self._sale(first, part, **extra), self._sale(second, total - part)]

    # -- the flows -----------------------------------------------------------------------------

    def split_gift_card(self, plan: OrderPlan) -> None:
        gift = {"giftCardId": f"gid://shopify/GiftCard/{self.seed}90"}
        self._create(plan, self._split(plan.total, "gift_card", "shopify_payments", "0.4", **gift))

    def split_paypal(self, plan: OrderPlan) -> None:
        self._create(plan, self._split(plan.total, "shopify_payments", "paypal", "0.5"))

    def store_credit(self, plan: OrderPlan) -> None:
        """Part store credit, part card: store credit is its own gateway, ``shopify_store_credit``."""
        self._create(plan, self._split(plan.total, "shopify_store_credit", "shopify_payments", "0.3"))

    def invoice_two_payments(self, plan: OrderPlan) -> None:
        """Net terms: a deposit by bank four days before the seed day, the rest by manual payment on it."""
        anchor: datetime = self.ctx["anchor"]
        plan.input["processedAt"] = _iso(anchor - timedelta(days=6))
        plan.input["poNumber"] = f"PO-{self.seed}-FLOW"
        deposit = self._sale("Bank Deposit", r2(plan.total / 2), processedAt=_iso(anchor - timedelta(days=4)))
        order = self._create(plan, [deposit])
        self._pay_the_rest(order)

    def edit_add_paid(self, plan: OrderPlan) -> None:
        """Paid, then one more unit of the first line's variant added by an edit, then the difference paid."""
        order = self._create(plan, [self._sale("shopify_payments", plan.total)])
        variant = plan.input["lineItems"][0]["variantId"]
        self._edit(order, lambda calc: self._stage(EDIT_ADD, "orderEditAddVariant",
                                                   {"id": calc["id"], "variantId": variant, "quantity": 1}))  # fmt: skip
        self._pay_the_rest(order)

    def edit_remove_refund(self, plan: OrderPlan) -> None:
        """Paid, then one unit of the first line removed by an edit, and what that owes refunded."""
        order = self._create(plan, [self._sale("shopify_payments", plan.total)])

        def remove_one(calc: dict[str, Any]) -> None:
            line = calc["lineItems"]["nodes"][0]
            variables = {"id": calc["id"], "lineItemId": line["id"], "quantity": line["quantity"] - 1}
            self._stage(EDIT_SET_QUANTITY, "orderEditSetQuantity", variables)

        self._edit(order, remove_one)
        owed = -d(self._order(order["id"])["totalOutstandingSet"]["shopMoney"]["amount"])
        self._refund_money(order, order["transactions"][0], owed, "item removed by an edit")

    def cancel_refund(self, plan: OrderPlan) -> None:
        self._cancel(self._create(plan, self._split(plan.total, "shopify_payments", "paypal", "0.6")), refund=True)

    def cancel_keep(self, plan: OrderPlan) -> None:
        self._cancel(self._create(plan, [self._sale("shopify_payments", plan.total)]), refund=False)

    def duties(self, plan: OrderPlan) -> None:
        """An import with a duty on its first line, paid by card with the duty included."""
        first = plan.input["lineItems"][0]
        unit = d(first["priceSet"]["shopMoney"]["amount"])
        duty = r2(unit * first["quantity"] * DUTY_RATE)
        plan.input["transactions"] = [self._sale("shopify_payments", plan.total + duty)]
        duties = [{"line": 0, "amount": str(duty), "harmonizedSystemCode": DUTY_HS_CODE,
                   "countryCodeOfOrigin": DUTY_ORIGIN}]  # fmt: skip
        created = self._control("orders/create", {"order": plan.input, "duties": duties})
        total = d(self._order(created["order"])["totalPriceSet"]["shopMoney"]["amount"])
        if total != plan.total + duty:
            raise SeedError(f"duties order {created['name']}: total {total}, planned {plan.total + duty}")

    def many_refunds(self, plan: OrderPlan) -> None:
        """Paid in twelve parts (card and gift card in turn), eleven of them refunded one refund each."""
        part = r2(plan.total / MANY)
        amounts = [part] * (MANY - 1) + [plan.total - part * (MANY - 1)]
        gateways = ["shopify_payments" if i % 2 == 0 else "gift_card" for i in range(MANY)]
        order = self._create(plan, [self._sale(g, a) for g, a in zip(gateways, amounts, strict=True)])
        for sale in order["transactions"][: MANY - 1]:
            self._refund_money(order, sale, d(sale["amountSet"]["shopMoney"]["amount"]), "partial refund")

    STEPS: dict[str, Callable[[Flows, OrderPlan], None]] = {
        "split_gift_card": split_gift_card,
        "split_paypal": split_paypal,
        "store_credit": store_credit,
        "invoice_two_payments": invoice_two_payments,
        "edit_add_paid": edit_add_paid,
        "edit_remove_refund": edit_remove_refund,
        "cancel_refund": cancel_refund,
        "cancel_keep": cancel_keep,
        "duties": duties,
        "many_refunds": many_refunds,
    }


FLOWS = tuple(Flows.STEPS)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
