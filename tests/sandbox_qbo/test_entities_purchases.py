"""Bills, bill payments, purchases, purchase orders, transfers, credit card payments and estimates:
QBO's rules for each, and what each posts to the general ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandbox.qbo import schema

from .conftest import fault_of
from .helpers import ok, one


@pytest.fixture
def us(make_sandbox):
    return make_sandbox(companies=["US"])


def account(sandbox, name: str) -> str:
    return one(sandbox, f"select * from Account where Name = '{name}'")["Id"]


def vendor(sandbox) -> str:
    return one(sandbox, "select * from Vendor where DisplayName = 'Books by Bessie'")["Id"]


def balances(sandbox) -> dict[str, Decimal]:
    """Each account's balance as QBO shows it, by name; the ledger must balance."""
    ledger = sandbox.emulator.companies[sandbox.company()["realm_id"]].trial_balance()
    assert ledger["Balanced"], ledger
    return {row["Name"]: Decimal(row["Balance"]) for row in ledger["Accounts"]}


def expense_line(account_id: str, amount: str) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id}},
    }


def bill(sandbox, amount: str = "200.00") -> dict[str, Any]:
    body = {"VendorRef": {"value": vendor(sandbox)}, "Line": [expense_line(account(sandbox, "Bank Charges"), amount)]}
    return ok(sandbox.post("bill", body))["Bill"]


def bill_payment(sandbox, bill_id: str, amount: str, total: str | None = None) -> Any:
    return sandbox.post(
        "billpayment",
        {
            "VendorRef": {"value": vendor(sandbox)},
            "PayType": "Check",
            "TotalAmt": total or amount,
            "CheckPayment": {"BankAccountRef": {"value": account(sandbox, "Checking")}},
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}],
        },
    )


def test_a_bill_credits_accounts_payable_and_its_payments_settle_it(us):
    before = balances(us)
    created = bill(us)
    assert created["TotalAmt"] == 200 and created["Balance"] == 200
    assert created["APAccountRef"]["value"] == account(us, "Accounts Payable (A/P)")
    after_bill = balances(us)
    assert after_bill["Accounts Payable (A/P)"] - before["Accounts Payable (A/P)"] == Decimal("200.00")
    assert after_bill["Bank Charges"] - before["Bank Charges"] == Decimal("200.00")

    assert ok(us.get(f"vendor/{vendor(us)}"))["Vendor"]["Balance"] == 200  # what its open bills owe
    payment = ok(bill_payment(us, created["Id"], "150.00"))["BillPayment"]
    assert one(us, f"select * from Vendor where Id = '{vendor(us)}'")["Balance"] == 50
    paid = ok(us.get(f"bill/{created['Id']}"))["Bill"]
    assert paid["Balance"] == 50
    assert paid["SyncToken"] != created["SyncToken"]  # paying a bill moves its SyncToken, as with invoices
    assert paid["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "BillPayment"}]
    after_payment = balances(us)
    assert after_payment["Accounts Payable (A/P)"] - before["Accounts Payable (A/P)"] == Decimal("50.00")
    assert before["Checking"] - after_payment["Checking"] == Decimal("150.00")

    # More than the bill still owes is refused; so is deleting a bill with payments applied.
    assert fault_of(bill_payment(us, created["Id"], "60.00"))["code"] == "6000"
    deleted = us.post("bill", {"Id": created["Id"], "SyncToken": paid["SyncToken"]}, operation="delete")
    assert fault_of(deleted)["code"] == "6000"

    voided = ok(
        us.post(
            "billpayment",
            {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
            operation="update",
            include="void",
        )
    )["BillPayment"]
    assert voided["TotalAmt"] == 0 and "Voided" in voided["PrivateNote"]
    assert ok(us.get(f"bill/{created['Id']}"))["Bill"]["Balance"] == 200
    assert balances(us)["Checking"] == before["Checking"]


def test_bill_and_bill_payment_rules(us):
    bank_charges = account(us, "Bank Charges")
    no_vendor = us.post("bill", {"Line": [expense_line(bank_charges, "10")]})
    assert fault_of(no_vendor)["code"] == "2020"
    to_receivables = us.post(
        "bill",
        {"VendorRef": {"value": vendor(us)}, "Line": [expense_line(account(us, "Accounts Receivable (A/R)"), "10")]},
    )
    assert fault_of(to_receivables)["code"] == "6000"
    sales_line = {
        "Amount": "10",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    assert fault_of(us.post("bill", {"VendorRef": {"value": vendor(us)}, "Line": [sales_line]}))["code"] == "2030"
    created = bill(us, "40.00")
    # The lines may not apply more than the payment's total (6070), and a check is paid from a bank account.
    assert fault_of(bill_payment(us, created["Id"], "40.00", total="30.00"))["code"] == "6070"
    from_card = us.post(
        "billpayment",
        {
            "VendorRef": {"value": vendor(us)},
            "PayType": "Check",
            "TotalAmt": "40",
            "CheckPayment": {"BankAccountRef": {"value": account(us, "Visa Credit Card")}},
            "Line": [{"Amount": "40", "LinkedTxn": [{"TxnId": created["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert fault_of(from_card)["code"] == "6000"
    other_vendor = one(us, "select * from Vendor where DisplayName = 'Norton Lumber and Building Materials'")["Id"]
    wrong_vendor = us.post(
        "billpayment",
        {
            "VendorRef": {"value": other_vendor},
            "PayType": "Check",
            "TotalAmt": "40",
            "CheckPayment": {"BankAccountRef": {"value": account(us, "Checking")}},
            "Line": [{"Amount": "40", "LinkedTxn": [{"TxnId": created["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert fault_of(wrong_vendor)["code"] == "6000"
    # A term sets the due date.
    net_30 = one(us, "select * from Term where Name = 'Net 30'")["Id"]
    dated = ok(
        us.post(
            "bill",
            {
                "VendorRef": {"value": vendor(us)},
                "TxnDate": "2026-03-01",
                "SalesTermRef": {"value": net_30},
                "Line": [expense_line(account(us, "Bank Charges"), "5")],
            },
        )
    )["Bill"]
    assert dated["DueDate"] == "2026-03-31"


def test_a_purchase_credits_the_account_it_is_paid_from(us):
    before = balances(us)
    cash = {
        "PaymentType": "Cash",
        "AccountRef": {"value": account(us, "Checking")},
        "Line": [expense_line(account(us, "Shipping and Delivery"), "30.00")],
    }
    assert ok(us.post("purchase", cash))["Purchase"]["TotalAmt"] == 30
    card = {
        "PaymentType": "CreditCard",
        "AccountRef": {"value": account(us, "Visa Credit Card")},
        "Line": [expense_line(account(us, "Shipping and Delivery"), "12.00")],
    }
    ok(us.post("purchase", card))
    ok(us.post("purchase", {**card, "Credit": True, "Line": [expense_line(account(us, "Shipping and Delivery"), "2")]}))
    after = balances(us)
    assert before["Checking"] - after["Checking"] == Decimal("30.00")
    assert after["Visa Credit Card"] - before["Visa Credit Card"] == Decimal("10.00")  # a liability: owed more
    assert after["Shipping and Delivery"] - before["Shipping and Delivery"] == Decimal("40.00")

    check_from_card = us.post("purchase", {**cash, "PaymentType": "Check", "AccountRef": card["AccountRef"]})
    assert fault_of(check_from_card)["code"] == "6000"
    assert fault_of(us.post("purchase", {**cash, "Credit": True}))["code"] == "6000"
    assert fault_of(us.post("purchase", {**cash, "PaymentType": None}))["code"] == "2020"
    taxed = us.post("purchase", {**cash, "TxnTaxDetail": {"TotalTax": "2.40"}})
    assert fault_of(taxed)["code"] == "6000"  # purchase tax is not emulated: refused, not ignored


def test_buying_an_inventory_item_raises_its_stock_and_its_asset_account(us):
    mug = one(us, "select *, Sku from Item where Sku = 'MUG-11OZ'")
    before = balances(us)
    line = {
        "Amount": "40.00",
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": mug["Id"]}, "Qty": 10, "UnitPrice": 4},
    }
    body = {"VendorRef": {"value": vendor(us)}, "Line": [line]}
    created = ok(us.post("bill", body))["Bill"]
    assert ok(us.get(f"item/{mug['Id']}"))["Item"]["QtyOnHand"] == mug["QtyOnHand"] + 10
    after = balances(us)
    assert after["Inventory Asset"] - before["Inventory Asset"] == Decimal("40.00")
    assert after["Opening Balance Equity"] == before["Opening Balance Equity"]  # bought stock is not opening stock
    early = us.post("bill", {**body, "TxnDate": "2025-12-31"})  # the mug is tracked from 2026-01-01
    assert fault_of(early)["code"] == "6270"
    mismatch = {**line, "Amount": "41.00"}
    assert fault_of(us.post("bill", {**body, "Line": [mismatch]}))["code"] == "6070"
    ok(us.post("bill", {"Id": created["Id"], "SyncToken": created["SyncToken"]}, operation="delete"))
    assert ok(us.get(f"item/{mug['Id']}"))["Item"]["QtyOnHand"] == mug["QtyOnHand"]
    assert balances(us)["Inventory Asset"] == before["Inventory Asset"]


def test_transfers_and_credit_card_payments_move_money_between_balance_sheet_accounts(us):
    checking, savings, card = account(us, "Checking"), account(us, "Savings"), account(us, "Visa Credit Card")
    before = balances(us)
    transfer = {"Amount": "100", "FromAccountRef": {"value": checking}, "ToAccountRef": {"value": savings}}
    created = ok(us.post("transfer", transfer))["Transfer"]
    assert created["Amount"] == 100
    payment = {"Amount": "25", "BankAccountRef": {"value": checking}, "CreditCardAccountRef": {"value": card}}
    answer = ok(us.post("creditcardpayment", payment))
    assert "CreditCardPaymentTxn" in answer  # the JSON name python-quickbooks reads
    after = balances(us)
    assert before["Checking"] - after["Checking"] == Decimal("125.00")
    assert after["Savings"] - before["Savings"] == Decimal("100.00")
    assert before["Visa Credit Card"] - after["Visa Credit Card"] == Decimal("25.00")
    listed = ok(us.query("select * from CreditCardPayment"))["QueryResponse"]
    assert [p["Amount"] for p in listed["CreditCardPaymentTxn"]] == [25]

    same = us.post("transfer", {**transfer, "ToAccountRef": {"value": checking}})
    assert fault_of(same)["code"] == "6000"
    to_income = us.post("transfer", {**transfer, "ToAccountRef": {"value": account(us, "Services")}})
    assert fault_of(to_income)["code"] == "6000"
    assert fault_of(us.post("transfer", {**transfer, "Amount": "0"}))["code"] == "6000"
    wrong_card = us.post("creditcardpayment", {**payment, "CreditCardAccountRef": {"value": savings}})
    assert fault_of(wrong_card)["code"] == "6000"
    updated = ok(us.post("transfer", {**created, "Amount": "101"}))["Transfer"]
    assert updated["Amount"] == 101 and updated["SyncToken"] == "1"
    assert fault_of(us.post("transfer", {**created, "Amount": "102"}))["code"] == "5010"


def test_purchase_orders_and_estimates_post_nothing(us):
    before = balances(us)
    mug = one(us, "select *, Sku from Item where Sku = 'MUG-11OZ'")
    order = {
        "VendorRef": {"value": vendor(us)},
        "Line": [
            {
                "Amount": "40",
                "DetailType": "ItemBasedExpenseLineDetail",
                "ItemBasedExpenseLineDetail": {"ItemRef": {"value": mug["Id"]}, "Qty": 10, "UnitPrice": 4},
            }
        ],
    }
    created = ok(us.post("purchaseorder", order))["PurchaseOrder"]
    assert created["TotalAmt"] == 40 and created["POStatus"] == "Open"
    customer = one(us, "select * from Customer where DisplayName = 'Walk-in Customer'")["Id"]
    estimate = {
        "CustomerRef": {"value": customer},
        "Line": [
            {
                "Amount": "35",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": mug["Id"]}, "TaxCodeRef": {"value": "NON"}},
            }
        ],
    }
    made = ok(us.post("estimate", estimate))["Estimate"]
    assert made["TotalAmt"] == 35 and made["TxnStatus"] == "Pending"
    assert fault_of(us.post("estimate", {"Line": estimate["Line"]}))["code"] == "2020"  # a customer is required
    assert balances(us) == before
    assert ok(us.get(f"item/{mug['Id']}"))["Item"]["QtyOnHand"] == mug["QtyOnHand"]


def test_a_foreign_bill_gets_a_foreign_accounts_payable_and_its_payment_realises_the_rate_difference(make_sandbox):
    multi = make_sandbox(companies=["US"], multicurrency=True)
    supplier = ok(multi.post("vendor", {"DisplayName": "Euro Supplies", "CurrencyRef": {"value": "EUR"}}))["Vendor"]
    body = {
        "VendorRef": {"value": supplier["Id"]},
        "CurrencyRef": {"value": "EUR"},
        "ExchangeRate": "1.10",
        "Line": [expense_line(account(multi, "Bank Charges"), "100.00")],
    }
    created = ok(multi.post("bill", body))["Bill"]
    ap_eur = one(multi, "select * from Account where Name = 'Accounts Payable (A/P) - EUR'")
    assert created["APAccountRef"]["value"] == ap_eur["Id"] and created["HomeTotalAmt"] == 110
    home_bill = {**body, "VendorRef": {"value": vendor(multi)}}
    assert fault_of(multi.post("bill", home_bill))["code"] == "6000"  # a vendor of another currency
    before = balances(multi)
    payment = {
        "VendorRef": {"value": supplier["Id"]},
        "CurrencyRef": {"value": "EUR"},
        "ExchangeRate": "1.20",
        "PayType": "Check",
        "TotalAmt": "100.00",
        "CheckPayment": {"BankAccountRef": {"value": account(multi, "Checking")}},
        "Line": [{"Amount": "100.00", "LinkedTxn": [{"TxnId": created["Id"], "TxnType": "Bill"}]}],
    }
    ok(multi.post("billpayment", payment))
    after = balances(multi)
    assert after["Accounts Payable (A/P) - EUR"] == 0  # in euros: settled
    assert before["Checking"] - after["Checking"] == Decimal("120.00")  # home amount paid
    assert after["Exchange Gain or Loss"] - before["Exchange Gain or Loss"] == Decimal("10.00")  # a realised loss


def test_what_the_new_entities_answer_is_in_the_xsd(us):
    """Every answer of the purchase-side entities passes the same XSD field check as a request."""
    created = bill(us)
    answers = {
        "Bill": created,
        "BillPayment": ok(bill_payment(us, created["Id"], "10.00"))["BillPayment"],
        "Purchase": ok(
            us.post(
                "purchase",
                {
                    "PaymentType": "Check",
                    "AccountRef": {"value": account(us, "Checking")},
                    "Line": [expense_line(account(us, "Bank Charges"), "3")],
                },
            )
        )["Purchase"],
        "Transfer": ok(
            us.post(
                "transfer",
                {
                    "Amount": "1",
                    "FromAccountRef": {"value": account(us, "Checking")},
                    "ToAccountRef": {"value": account(us, "Savings")},
                },
            )
        )["Transfer"],
        "CreditCardPayment": ok(
            us.post(
                "creditcardpayment",
                {
                    "Amount": "1",
                    "BankAccountRef": {"value": account(us, "Checking")},
                    "CreditCardAccountRef": {"value": account(us, "Visa Credit Card")},
                },
            )
        )["CreditCardPaymentTxn"],
        "Vendor": ok(us.get(f"vendor/{vendor(us)}"))["Vendor"],
        "Term": one(us, "select * from Term where Name = 'Net 30'"),
    }
    for entity, answer in answers.items():
        schema.check_entity(entity, answer)
