"""Each Shopify customer's own QuickBooks customer (syncing/customers.py), through the whole sync
over HTTP against both sandboxes: matched by email, by the Shopify customer id kept on it, or by
name, else created; never two for one buyer; never a change to a customer ShopQB did not create;
and every document of an order on the customer its sale was booked to, proven by the balances
QuickBooks reports (Customer.Balance, Invoice.Balance)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import compliance, customers, ledger
from syncing.context import context_open
from syncing.models import CustomerLink, OrderCustomer, PendingSync, SyncedRecord
from syncing.orders import order_plan, order_sync
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal

HOME = {"address1": "1 Main St", "city": "Springfield", "provinceCode": "IL", "zip": "62701", "countryCode": "US"}
OFFICE = {"address1": "9 Office Park", "address2": "Suite 4", "city": "Chicago", "provinceCode": "IL", "zip": "60601"}
MANUAL_PAYMENT = """mutation($id: ID!, $method: String) {
  orderCreateManualPayment(id: $id, paymentMethodName: $method) { userErrors { field message } } }"""
REFUND = """
mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }
"""


def per_customer(shop) -> None:
    SyncSettings.objects.filter(shop=shop).update(customer_mode=SyncSettings.CustomerMode.PER_CUSTOMER)


def sell(
    shop,
    *,
    email: str | None = "jane@example.com",
    first: str = "Jane",
    last: str = "Doe",
    phone: str | None = None,
    price: str = "40.00",
    paid: bool = True,
    source: str | None = None,
    addresses: bool = True,
    quantity: int = 1,
) -> str:
    """An order through Shopify's orderCreate; ``email`` None: a guest (no customer)."""
    money = {"shopMoney": {"amount": price, "currencyCode": "USD"}}
    total = {"shopMoney": {"amount": str(D(price) * quantity), "currencyCode": "USD"}}
    order: dict[str, Any] = {
        "currency": "USD",
        "financialStatus": "PAID" if paid else "PENDING",
        "lineItems": [{"title": "Mug", "sku": "MUG", "quantity": quantity, "priceSet": money}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": total}]
        if paid
        else [],
    }
    if email is not None:
        upsert = {"email": email, "firstName": first, "lastName": last}
        if phone:
            upsert["phone"] = phone
        order["customer"] = {"toUpsert": upsert}
    if source:
        order["sourceName"] = source
    if addresses:
        order["billingAddress"] = {**OFFICE, "countryCode": "US"}
        order["shippingAddress"] = HOME
    data = Store(shop).client.execute(Store.MUTATION, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return str(data["order"]["id"])


def customer_gid(shop, order_gid: str) -> str:
    return str(fetch_order(context_open(shop.pk).shopify, order_gid)["customer"]["id"])


def qb(shop):
    return context_open(shop.pk).qb


def all_customers(shop) -> list[dict[str, Any]]:
    return qbo.query_all(qb(shop), "select * from Customer where Active in (true, false)", "Customer")


def make_customer(shop, body: dict[str, Any]) -> dict[str, Any]:
    """A customer the merchant entered in QuickBooks themselves."""
    saved = qbo.call(lambda: qbo.entity_class("Customer").from_json(body).save(qb=qb(shop)))
    return qbo.read(qb(shop), "Customer", str(saved.Id))


def booked_to(shop, order_gid: str, kind: str) -> str:
    record = SyncedRecord.objects.get(shop=shop, order_gid=order_gid, kind=kind)
    document = qbo.read(qb(shop), kind, record.qbo_id)
    return str(document["CustomerRef"]["value"])


def balance(shop, entity: str, qbo_id: str) -> Decimal:
    return D(str(qbo.read(qb(shop), entity, qbo_id)["Balance"]))


def owed(shop, customer_id: str) -> Decimal:
    """What one customer owes, from the documents QuickBooks holds (its A/R subledger): invoices
    less payments and credit memos, and journal lines on A/R naming the customer. Across all
    customers it must be the A/R account's balance in the general ledger, or a document put
    receivables on one customer and took them off another."""
    client = qb(shop)
    receivable = {
        a["Id"]
        for a in qbo.query_all(client, "select * from Account", "Account")
        if a["AccountType"] == "Accounts Receivable"
    }
    by_customer: dict[str, Decimal] = {}

    def add(customer: str, amount: Decimal) -> None:
        by_customer[customer] = by_customer.get(customer, D(0)) + amount

    for entity, sign in (("Invoice", 1), ("Payment", -1), ("CreditMemo", -1)):
        for doc in qbo.query_all(client, f"select * from {entity}", entity):
            add(str(doc["CustomerRef"]["value"]), sign * D(str(doc["TotalAmt"])))
    for entry in qbo.query_all(client, "select * from JournalEntry", "JournalEntry"):
        for line in entry["Line"]:
            detail = line["JournalEntryLineDetail"]
            if detail["AccountRef"]["value"] in receivable:
                sign = 1 if detail["PostingType"] == "Debit" else -1
                add(str(detail["Entity"]["EntityRef"]["value"]), sign * D(str(line["Amount"])))
    in_ledger = sum(
        (
            D(str(a.get("CurrentBalance", 0)))
            for a in qbo.query_all(client, "select * from Account", "Account")
            if a["Id"] in receivable
        ),
        D(0),
    )
    assert sum(by_customer.values(), D(0)) == in_ledger, (by_customer, in_ledger)
    return by_customer.get(customer_id, D(0))


def generic_customer(shop) -> str:
    return context_open(shop.pk).mapping.customer.value


# --- created, with the buyer's details ----------------------------------------------------


def test_a_new_buyer_gets_a_customer_of_their_own_and_their_invoice_is_receivable_from_them(shop):
    per_customer(shop)
    gid = sell(shop, phone="+1 217 555 0100", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"

    link = CustomerLink.objects.get(shop=shop)
    assert (link.status, link.origin, link.email) == ("linked", "created", "jane@example.com")
    customer = qbo.read(qb(shop), "Customer", link.qbo_id)
    assert customer["DisplayName"] == "Jane Doe"
    assert (customer["GivenName"], customer["FamilyName"]) == ("Jane", "Doe")
    assert customer["PrimaryEmailAddr"]["Address"] == "jane@example.com"
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "+1 217 555 0100"
    assert customer["BillAddr"]["Line1"] == "9 Office Park" and customer["BillAddr"]["Line2"] == "Suite 4"
    assert customer["ShipAddr"]["City"] == "Springfield" and customer["ShipAddr"]["PostalCode"] == "62701"
    assert link.customer_gid in customer["Notes"] and link.customer_gid == customer_gid(shop, gid)

    invoice = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="Invoice")
    assert booked_to(shop, gid, "Invoice") == link.qbo_id != generic_customer(shop)
    assert owed(shop, link.qbo_id) == invoice.amount == D("40.00")
    # A second order of the same buyer: the same customer, nothing created or changed.
    again = sell(shop, price="10.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=again) == "written"
    assert booked_to(shop, again, "Invoice") == link.qbo_id
    assert owed(shop, link.qbo_id) == D("50.00")
    assert [c["DisplayName"] for c in all_customers(shop)].count("Jane Doe") == 1
    assert qbo.read(qb(shop), "Customer", link.qbo_id)["SyncToken"] == customer["SyncToken"]
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "unchanged"


def test_guest_checkouts_and_walk_ins_fall_back_to_the_generic_customer(shop):
    per_customer(shop)
    guest = sell(shop, email=None, addresses=False)
    walk_in = sell(shop, email=None, source="pos", addresses=False)
    before = len(all_customers(shop))
    for gid in (guest, walk_in):
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
        assert booked_to(shop, gid, "SalesReceipt") == generic_customer(shop)
    assert len(all_customers(shop)) == before and not CustomerLink.objects.exists()


def test_in_the_generic_mode_every_order_is_booked_to_the_generic_customer(shop):
    gid = sell(shop)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "SalesReceipt") == generic_customer(shop)
    assert not CustomerLink.objects.exists()
    assert OrderCustomer.objects.get(shop=shop, order_gid=gid).qbo_id == generic_customer(shop)


def test_the_preview_names_the_buyer_before_their_customer_exists_and_writes_nothing(shop):
    per_customer(shop)
    gid = sell(shop)
    ctx = context_open(shop.pk)
    order = parse_order(fetch_order(ctx.shopify, gid))
    # The order query asks for the buyer's details and stays under Shopify's single-query limit
    # (1000 points; the sandbox costs it as Shopify does and refuses a query above it).
    assert 0 < max(ctx.shopify.known_costs.values()) < 1000
    assert (order.customer_first_name, order.customer_last_name) == ("Jane", "Doe")
    assert order.billing_address is not None and order.billing_address.city == "Chicago"
    before = len(all_customers(shop))
    planned = order_plan(order, shop=shop, mapping=ctx.mapping, rules=ctx.rules).documents
    assert {d.customer for d in planned} == {
        ledger.Ref("", "Jane Doe (found or created in QuickBooks when the order is synced)")
    }
    assert len(all_customers(shop)) == before and not CustomerLink.objects.exists()

    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    planned = order_plan(order, shop=shop, mapping=ctx.mapping, rules=ctx.rules).documents
    assert {d.customer for d in planned} == {ledger.Ref(booked_to(shop, gid, "SalesReceipt"))}


# --- matched, never changed -----------------------------------------------------------------


def test_a_customer_with_the_buyers_email_is_reused_as_it_is(shop):
    theirs = make_customer(
        shop, {"DisplayName": "J. Doe (wholesale)", "PrimaryEmailAddr": {"Address": "jane@example.com"}}
    )
    per_customer(shop)
    gid = sell(shop)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"

    assert booked_to(shop, gid, "SalesReceipt") == theirs["Id"]
    assert CustomerLink.objects.get(shop=shop).origin == "email"
    assert qbo.read(qb(shop), "Customer", theirs["Id"]) == theirs, "a customer ShopQB did not create stays as it is"
    assert not [c for c in all_customers(shop) if c["DisplayName"] == "Jane Doe"]


def test_an_email_two_customers_share_is_not_guessed_between(shop):
    first = make_customer(shop, {"DisplayName": "Jane at work", "PrimaryEmailAddr": {"Address": "jane@example.com"}})
    second = make_customer(shop, {"DisplayName": "Jane at home", "PrimaryEmailAddr": {"Address": "jane@example.com"}})
    per_customer(shop)
    gid = sell(shop)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    customer = booked_to(shop, gid, "SalesReceipt")
    assert customer not in (first["Id"], second["Id"])
    assert qbo.read(qb(shop), "Customer", customer)["DisplayName"] == "Jane Doe"
    assert [qbo.read(qb(shop), "Customer", c["Id"]) for c in (first, second)] == [first, second]


def test_the_customer_shopqb_made_for_a_buyer_is_found_again_by_the_id_it_carries(shop):
    """ShopQB's own records are lost (a restore) and the buyer changed their email since: the
    Shopify customer id in the customer's Notes still finds it."""
    per_customer(shop)
    gid = sell(shop, email="jane.old@example.com")
    buyer = customer_gid(shop, gid)
    ours = make_customer(
        shop,
        {
            "DisplayName": "Jane Doe",
            "PrimaryEmailAddr": {"Address": "jane.new@example.com"},
            "Notes": f"Shopify customer {buyer}. Created by ShopQB for this customer's orders.",
        },
    )
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "SalesReceipt") == ours["Id"]
    assert CustomerLink.objects.get(shop=shop).origin == "gid"
    assert qbo.read(qb(shop), "Customer", ours["Id"]) == ours


def test_a_customer_of_the_same_name_is_reused_only_when_nothing_contradicts_the_buyer(shop):
    same_name = make_customer(shop, {"DisplayName": "Jane Doe"})
    per_customer(shop)
    gid = sell(shop)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "SalesReceipt") == same_name["Id"]
    assert CustomerLink.objects.get(shop=shop).origin == "name"
    assert qbo.read(qb(shop), "Customer", same_name["Id"]) == same_name


def test_a_name_taken_by_someone_else_gets_the_next_name_of_the_series(shop):
    """Another John Smith (another email), and an inactive one QuickBooks still reserves the name
    for (6240): neither is touched; the buyer's customer gets the deterministic suffix."""
    other = make_customer(shop, {"DisplayName": "John Smith", "PrimaryEmailAddr": {"Address": "john@elsewhere.com"}})
    per_customer(shop)
    gid = sell(shop, email="john@example.com", first="John", last="Smith")
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    legacy = customer_gid(shop, gid).rsplit("/", 1)[-1]
    mine = qbo.read(qb(shop), "Customer", booked_to(shop, gid, "SalesReceipt"))
    assert mine["DisplayName"] == f"John Smith (Shopify {legacy})"
    assert qbo.read(qb(shop), "Customer", other["Id"]) == other

    # QuickBooks itself refuses the name (an inactive customer, not answered by queries).
    inactive = make_customer(shop, {"DisplayName": "Ann Lee", "Active": False})
    second = sell(shop, email="ann@example.com", first="Ann", last="Lee")
    assert order_sync(shop_id=shop.pk, order_gid=second) == "written"
    legacy = customer_gid(shop, second).rsplit("/", 1)[-1]
    made = qbo.read(qb(shop), "Customer", booked_to(shop, second, "SalesReceipt"))
    assert made["DisplayName"] == f"Ann Lee (Shopify {legacy})"
    assert qbo.read(qb(shop), "Customer", inactive["Id"]) == inactive


def test_the_name_series_is_the_same_on_every_attempt_and_never_has_a_colon():
    buyer = customers.Buyer(
        gid="gid://shopify/Customer/77",
        name="Acme: Shipping\tDept",
        first_name="",
        last_name="",
        email="",
        phone="",
        billing=None,
        shipping=None,
        currency="USD",
    )
    series = customers.name_series(buyer)
    assert series == customers.name_series(buyer)
    assert series[:3] == [
        "Acme - Shipping Dept",
        "Acme - Shipping Dept (Shopify 77)",
        "Acme - Shipping Dept (Shopify 77-2)",
    ]
    assert len(set(series)) == customers.NAME_SERIES and not any(":" in name for name in series)


# --- one customer, however the work is split -------------------------------------------------


def test_a_buyer_whose_customer_another_worker_is_making_waits_then_shares_it(shop):
    per_customer(shop)
    first, second = sell(shop), sell(shop, price="15.00")
    buyer = customer_gid(shop, first)
    link = CustomerLink.objects.create(shop=shop, customer_gid=buyer)
    assert link.claim(lease=customers.claim_lease())  # another worker, making the customer right now

    assert order_sync(shop_id=shop.pk, order_gid=second) == "busy"
    assert not SyncedRecord.objects.filter(shop=shop, order_gid=second).exists()
    assert PendingSync.objects.filter(shop=shop, order_gid=second).exists(), "asked again, never dropped"
    assert not OrderCustomer.objects.filter(shop=shop, order_gid=second).exists()

    CustomerLink.objects.filter(pk=link.pk).update(status=CustomerLink.Status.PENDING, claimed_at=None)
    assert order_sync(shop_id=shop.pk, order_gid=first) == "written"
    assert order_sync(shop_id=shop.pk, order_gid=second) == "written"
    assert booked_to(shop, first, "SalesReceipt") == booked_to(shop, second, "SalesReceipt")
    assert [c["DisplayName"] for c in all_customers(shop)].count("Jane Doe") == 1


def test_a_worker_that_died_after_creating_the_customer_leaves_no_second_one(shop, monkeypatch):
    per_customer(shop)
    gid = sell(shop)
    real = customers._save

    def create_then_die(qb_client, body, request_id):
        real(qb_client, body, request_id)
        raise SystemExit("worker killed after QuickBooks created the customer")

    monkeypatch.setattr(customers, "_save", create_then_die)
    with pytest.raises(SystemExit):
        order_sync(shop_id=shop.pk, order_gid=gid)
    monkeypatch.setattr(customers, "_save", real)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "busy"  # the dead worker's claim still holds
    CustomerLink.objects.update(claimed_at=CustomerLink.objects.get().claimed_at - 2 * customers.claim_lease())

    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert [c["DisplayName"] for c in all_customers(shop)].count("Jane Doe") == 1
    assert CustomerLink.objects.get().origin == "gid"


# --- every document of an order on one customer ------------------------------------------------


def test_an_invoice_its_payment_and_its_refund_are_all_on_the_buyers_customer(shop):
    per_customer(shop)
    gid = sell(shop, price="40.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    jane = CustomerLink.objects.get(shop=shop).qbo_id
    invoice = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="Invoice")
    assert owed(shop, jane) == D("40.00")

    client = Store(shop).client
    paid = client.execute(MANUAL_PAYMENT, {"id": gid, "method": "Cash"})["orderCreateManualPayment"]
    assert paid["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "Payment") == jane
    assert balance(shop, "Invoice", invoice.qbo_id) == 0 and owed(shop, jane) == 0

    sale = next(t for t in fetch_order(client, gid)["transactions"] if t["kind"] == "SALE")
    refund = {
        "orderId": gid,
        "transactions": [
            {"orderId": gid, "parentId": sale["id"], "kind": "REFUND", "gateway": sale["gateway"], "amount": "15.00"}
        ],
    }
    made = client.execute(REFUND, {"input": refund})["refundCreate"]
    assert made["userErrors"] == [], made
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    refunds = SyncedRecord.objects.filter(shop=shop, order_gid=gid, source_type="refund")
    assert refunds.exists()
    for record in refunds:
        document = qbo.read(qb(shop), record.kind, record.qbo_id)
        named = {str(document["CustomerRef"]["value"])} if "CustomerRef" in document else set()
        named |= {
            str(line["JournalEntryLineDetail"]["Entity"]["EntityRef"]["value"])
            for line in document.get("Line", [])
            if "Entity" in line.get("JournalEntryLineDetail", {})
        }
        assert named == {jane}, (record.kind, document)
    assert owed(shop, jane) == 0, "nothing is left receivable from the buyer"
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "unchanged"


def test_an_edit_and_the_money_paid_back_for_it_are_on_the_buyers_customer(shop, sandboxes):
    """An item removed after the sale: a credit memo for the buyer, and the refund that pays the
    credit out is a journal entry whose A/R line names the same customer (tenders.py)."""
    per_customer(shop)
    gid = sell(shop, price="10.00", quantity=2)  # two mugs; one is taken off by an order edit
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    jane = CustomerLink.objects.get(shop=shop).qbo_id
    item = fetch_order(context_open(shop.pk).shopify, gid)["lineItems"]["nodes"][0]
    edited = requests.post(
        sandboxes.info["shopify"] + "/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": gid, "set_quantity": [{"lineItemId": item["id"], "quantity": 1}]},
        timeout=5,
    )
    assert edited.status_code == 200, edited.text
    paid_back = {
        "orderId": gid,
        "transactions": [{"orderId": gid, "kind": "REFUND", "gateway": "shopify_payments", "amount": "10.00"}],
    }
    made = Store(shop).client.execute(REFUND, {"input": paid_back})["refundCreate"]
    assert made["userErrors"] == [], made
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"

    kinds = sorted(SyncedRecord.objects.filter(shop=shop, order_gid=gid).values_list("source_type", "kind"))
    assert kinds == [("edit", "CreditMemo"), ("order", "SalesReceipt"), ("refund", "JournalEntry")]
    assert booked_to(shop, gid, "CreditMemo") == booked_to(shop, gid, "SalesReceipt") == jane
    entry = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="JournalEntry")
    lines = qbo.read(qb(shop), "JournalEntry", entry.qbo_id)["Line"]
    named = [
        line["JournalEntryLineDetail"]["Entity"]["EntityRef"]["value"]
        for line in lines
        if "Entity" in line["JournalEntryLineDetail"]
    ]
    assert named and set(named) == {jane}
    assert owed(shop, jane) == 0, "the credit memo's credit was paid out: the buyer owes and is owed nothing"
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "unchanged"


def test_an_order_booked_before_the_switch_keeps_the_generic_customer_for_its_payment(shop):
    gid = sell(shop, price="30.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    generic = generic_customer(shop)
    assert booked_to(shop, gid, "Invoice") == generic
    # Booked before orders had their customer fixed (an upgrade): no binding row at all.
    OrderCustomer.objects.filter(shop=shop).delete()

    per_customer(shop)
    paid = Store(shop).client.execute(MANUAL_PAYMENT, {"id": gid, "method": "Cash"})["orderCreateManualPayment"]
    assert paid["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "Payment") == generic
    invoice = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="Invoice")
    assert balance(shop, "Invoice", invoice.qbo_id) == 0
    assert not CustomerLink.objects.exists(), "no customer was made for an order already booked"

    later = sell(shop, price="12.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=later) == "written"
    jane = CustomerLink.objects.get(shop=shop).qbo_id
    assert booked_to(shop, later, "Invoice") == jane != generic
    assert owed(shop, jane) == D("12.00")


def test_switching_back_to_one_customer_keeps_each_buyers_orders_on_their_own(shop):
    per_customer(shop)
    gid = sell(shop, price="25.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    jane = CustomerLink.objects.get(shop=shop).qbo_id
    SyncSettings.objects.filter(shop=shop).update(customer_mode=SyncSettings.CustomerMode.GENERIC)
    paid = Store(shop).client.execute(MANUAL_PAYMENT, {"id": gid, "method": "Cash"})["orderCreateManualPayment"]
    assert paid["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    assert booked_to(shop, gid, "Payment") == jane
    assert owed(shop, jane) == 0


# --- customers/redact ---------------------------------------------------------------------------


def test_a_redaction_erases_shopqbs_copy_and_leaves_the_quickbooks_customer_to_the_merchant(shop):
    per_customer(shop)
    gid = sell(shop, phone="+1 217 555 0100")
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    link = CustomerLink.objects.get(shop=shop)
    customer = qbo.read(qb(shop), "Customer", link.qbo_id)
    legacy = link.customer_gid.rsplit("/", 1)[-1]

    exported = compliance.customer_data_request(
        shop_domain=shop.domain, webhook_id="w-export", payload={"customer": {"id": int(legacy)}}
    )
    assert "jane@example.com" in exported.export
    done = compliance.customer_redact(
        shop_domain=shop.domain, webhook_id="w-redact", payload={"customer": {"id": int(legacy)}}
    )
    assert "erased 1 customer details" in done.summary
    link.refresh_from_db()
    assert (link.name, link.email, link.phone, link.display_name) == ("", "", "", "")
    assert link.qbo_id == customer["Id"] and link.status == "linked"
    assert qbo.read(qb(shop), "Customer", link.qbo_id) == customer, "the QuickBooks customer is the merchant's"
    assert not OrderCustomer.objects.filter(qbo_name__icontains="Jane").exists()

    later = sell(shop, price="5.00")
    assert order_sync(shop_id=shop.pk, order_gid=later) == "written"
    assert booked_to(shop, later, "SalesReceipt") == customer["Id"]


def test_the_worked_example_of_docs_accounting(shop):
    """docs/accounting.md, "Customers": the table, row by row."""
    by_hand = make_customer(shop, {"DisplayName": "Jane Doe", "PrimaryEmailAddr": {"Address": "jane@other.com"}})
    per_customer(shop)
    first = sell(shop, price="40.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=first) == "written"
    jane = booked_to(shop, first, "Invoice")
    legacy = customer_gid(shop, first).rsplit("/", 1)[-1]
    assert qbo.read(qb(shop), "Customer", jane)["DisplayName"] == f"Jane Doe (Shopify {legacy})"
    assert owed(shop, jane) == D("40.00")

    second = sell(shop, price="10.00", paid=False)
    assert order_sync(shop_id=shop.pk, order_gid=second) == "written"
    assert booked_to(shop, second, "Invoice") == jane and owed(shop, jane) == D("50.00")

    client = Store(shop).client
    paid = client.execute(MANUAL_PAYMENT, {"id": first, "method": "Cash"})["orderCreateManualPayment"]
    assert paid["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=first) == "written"
    payment = SyncedRecord.objects.get(shop=shop, order_gid=first, kind="Payment")
    assert payment.doc_number == "S1001-P1" and booked_to(shop, first, "Payment") == jane
    invoice = SyncedRecord.objects.get(shop=shop, order_gid=first, kind="Invoice")
    assert balance(shop, "Invoice", invoice.qbo_id) == 0 and owed(shop, jane) == D("10.00")

    guest = sell(shop, email=None, addresses=False)
    assert order_sync(shop_id=shop.pk, order_gid=guest) == "written"
    assert booked_to(shop, guest, "SalesReceipt") == generic_customer(shop)

    sale = next(t for t in fetch_order(client, first)["transactions"] if t["kind"] == "SALE")
    refund = {
        "orderId": first,
        "transactions": [
            {"orderId": first, "parentId": sale["id"], "kind": "REFUND", "gateway": sale["gateway"], "amount": "15.00"}
        ],
    }
    assert client.execute(REFUND, {"input": refund})["refundCreate"]["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=first) == "written"
    receipt = SyncedRecord.objects.get(shop=shop, order_gid=first, kind="RefundReceipt")
    assert receipt.doc_number == "R1001-1" and booked_to(shop, first, "RefundReceipt") == jane
    assert owed(shop, jane) == D("10.00")
    assert qbo.read(qb(shop), "Customer", by_hand["Id"]) == by_hand


def test_a_name_a_vendor_holds_is_not_taken_and_the_vendor_is_left_alone(shop):
    """Customers, vendors and employees share one list of names in QuickBooks (6240)."""
    vendor = qbo.call(lambda: qbo.entity_class("Vendor").from_json({"DisplayName": "Bo Chen"}).save(qb=qb(shop)))
    before = qbo.read(qb(shop), "Vendor", str(vendor.Id))
    per_customer(shop)
    gid = sell(shop, email="bo@example.com", first="Bo", last="Chen")
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    legacy = customer_gid(shop, gid).rsplit("/", 1)[-1]
    made = qbo.read(qb(shop), "Customer", booked_to(shop, gid, "SalesReceipt"))
    assert made["DisplayName"] == f"Bo Chen (Shopify {legacy})"
    assert qbo.read(qb(shop), "Vendor", str(vendor.Id)) == before
