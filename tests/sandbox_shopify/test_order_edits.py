"""Order editing through GraphQL: begin, stage (add a variant, set a quantity), commit."""

from .flows import amount, flow, place, sale
from .helpers import make_product

MONEY = "shopMoney { amount }"
CALC = f"""id originalOrder {{ id }} totalPriceSet {{ {MONEY} }} totalOutstandingSet {{ {MONEY} }}
  lineItems(first: 10) {{ nodes {{ id title quantity editableQuantityBeforeChanges }} }}
  addedLineItems(first: 10) {{ nodes {{ id quantity }} }}"""
BEGIN = f"mutation($id: ID!) {{ orderEditBegin(id: $id) {{ calculatedOrder {{ {CALC} }} userErrors {{ field message }} }} }}"
ADD = f"""mutation($id: ID!, $variant: ID!, $qty: Int!) {{ orderEditAddVariant(id: $id, variantId: $variant, quantity: $qty) {{
  calculatedLineItem {{ id quantity }} calculatedOrder {{ {CALC} }} userErrors {{ field message }} }} }}"""
SET = f"""mutation($id: ID!, $line: ID!, $qty: Int!) {{ orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $qty, restock: true) {{
  calculatedLineItem {{ id quantity }} calculatedOrder {{ {CALC} }} userErrors {{ field message }} }} }}"""
COMMIT = """mutation($id: ID!) { orderEditCommit(id: $id, notifyCustomer: false, staffNote: "phone") {
  order { id edited } userErrors { field message } } }"""


def test_adding_a_variant_is_staged_until_commit_and_then_is_owed(shop):
    _pid, variant, _ = make_product(shop)
    _pid, other, _ = make_product(shop, title="Cap", sku="CAP-1", price="5.00")
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    calc = shop.data(BEGIN, {"id": placed["id"]})["orderEditBegin"]["calculatedOrder"]
    assert calc["originalOrder"]["id"] == placed["id"]
    [existing] = calc["lineItems"]["nodes"]
    assert (existing["quantity"], existing["editableQuantityBeforeChanges"]) == (2, 2)

    staged = shop.data(ADD, {"id": calc["id"], "variant": other["id"], "qty": 2})["orderEditAddVariant"]
    assert staged["userErrors"] == [] and staged["calculatedLineItem"]["quantity"] == 2
    staged_calc = staged["calculatedOrder"]
    assert amount(staged_calc["totalPriceSet"]) == "33.0"  # 2 x 5.00 at the order's 10%
    assert amount(staged_calc["totalOutstandingSet"]) == "11.0"
    assert staged_calc["addedLineItems"]["nodes"] == [staged["calculatedLineItem"]]
    assert flow(shop, placed["id"])["edited"] is False  # nothing changes before the commit

    committed = shop.data(COMMIT, {"id": calc["id"]})["orderEditCommit"]
    assert committed["userErrors"] == [] and committed["order"]["edited"] is True
    after = flow(shop, placed["id"])
    assert after["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(after["totalOutstandingSet"]) == "11.0"
    assert [(li["title"], li["currentQuantity"]) for li in after["lineItems"]["nodes"]] == [("Mug", 2), ("Cap", 2)]
    again = shop.data(COMMIT, {"id": calc["id"]})["orderEditCommit"]
    assert again["order"] is None and again["userErrors"][0]["field"] == ["id"]


def test_lowering_a_quantity_owes_the_customer_a_refund(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    calc = shop.data(BEGIN, {"id": placed["id"]})["orderEditBegin"]["calculatedOrder"]
    line = calc["lineItems"]["nodes"][0]
    staged = shop.data(SET, {"id": calc["id"], "line": line["id"], "qty": 1})["orderEditSetQuantity"]
    assert staged["userErrors"] == [] and staged["calculatedLineItem"]["quantity"] == 1
    assert amount(staged["calculatedOrder"]["totalOutstandingSet"]) == "-11.0"
    shop.data(COMMIT, {"id": calc["id"]})
    after = flow(shop, placed["id"])
    assert after["lineItems"]["nodes"][0]["currentQuantity"] == 1
    assert (after["displayFinancialStatus"], amount(after["totalOutstandingSet"])) == ("PAID", "-11.0")


def test_edit_user_errors(shop):
    _pid, variant, _ = make_product(shop)
    placed = place(shop, variant["id"], [sale("shopify_payments", "22.00")])
    missing = shop.data(ADD, {"id": "gid://shopify/CalculatedOrder/1", "variant": variant["id"], "qty": 1})
    assert missing["orderEditAddVariant"]["userErrors"][0]["field"] == ["id"]
    calc = shop.data(BEGIN, {"id": placed["id"]})["orderEditBegin"]["calculatedOrder"]
    bad_line = shop.data(SET, {"id": calc["id"], "line": "gid://shopify/CalculatedLineItem/999999", "qty": 1})
    assert bad_line["orderEditSetQuantity"]["userErrors"][0]["field"] == ["lineItemId"]
    no_units = shop.data(ADD, {"id": calc["id"], "variant": variant["id"], "qty": 0})["orderEditAddVariant"]
    assert no_units["userErrors"][0]["field"] == ["quantity"] and no_units["calculatedLineItem"] is None
