"""The emulator driven by python-quickbooks and intuit-oauth exactly as the app drives QBO."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks.exceptions import AuthorizationException, QuickbooksException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.base import CustomerMemo, LinkedTxn, Ref
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.journalentry import JournalEntry, JournalEntryLine, JournalEntryLineDetail
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.tax import TxnTaxDetail
from quickbooks.objects.taxcode import TaxCode

from .helpers import custom_numbers


def ref(obj) -> Ref:
    r = Ref()
    r.value = obj.Id
    return r


def value_ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def item_line(item, qty: str, price: str, tax_code: str | None = None, amount: str | None = None) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = Decimal(amount) if amount else Decimal(qty) * Decimal(price)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item)
    line.SalesItemLineDetail.Qty = Decimal(qty)
    line.SalesItemLineDetail.UnitPrice = Decimal(price)
    if tax_code:
        line.SalesItemLineDetail.TaxCodeRef = value_ref(tax_code)
    return line


def find_item(qb, sku: str) -> Item:
    return Item.query(f"select *, Sku from Item where Sku = '{sku}'", qb=qb)[0]


def test_company_info_preferences_and_chart_of_accounts(sandbox):
    qb = sandbox.client()
    info = CompanyInfo.get(sandbox.company()["realm_id"], qb=qb)
    assert info.Country == "US"
    prefs = Preferences.get(qb=qb)
    assert prefs.CurrencyPrefs.HomeCurrency.value == "USD"
    names = {a.Name: a.AccountType for a in Account.all(qb=qb, max_results=1000)}
    assert names["Undeposited Funds"] == "Other Current Asset"
    assert names["Checking"] == "Bank"
    assert names["Sales of Product Income"] == "Income"
    assert names["Shipping Income"] == "Income"
    assert names["Sales Tax Payable"] == "Other Current Liability"
    assert names["Cost of Goods Sold"] == "Cost of Goods Sold"
    assert names["Inventory Asset"] == "Other Current Asset"
    assert [a.Name for a in Account.filter(AccountType="Bank", qb=qb)] == ["Checking", "Savings"]
    assert {c.Name for c in TaxCode.all(qb=qb)} >= {"TAX", "NON", "California"}


def test_sales_receipt_with_requestid_is_written_once_and_decrements_stock(sandbox):
    qb = sandbox.client()
    shirt = find_item(qb, "TSHIRT-CLASSIC")
    assert shirt.QtyOnHand == Decimal("100")
    receipt = SalesReceipt()
    receipt.DocNumber = "1001"
    receipt.TxnDate = "2026-11-20"
    receipt.Line = [item_line(shirt, "2", "25.00", "TAX")]
    receipt.TxnTaxDetail = TxnTaxDetail()
    receipt.TxnTaxDetail.TotalTax = Decimal("4.38")
    receipt.CustomerMemo = CustomerMemo()
    receipt.CustomerMemo.value = "Thanks"
    saved = receipt.save(qb=qb, request_id="order-1001-receipt")
    assert saved.TotalAmt == Decimal("54.38")
    assert saved.TxnTaxDetail.TotalTax == Decimal("4.38")
    assert saved.SyncToken == "0"
    again = SalesReceipt()
    again.DocNumber = "1001"
    again.Line = [item_line(shirt, "2", "25.00", "TAX")]
    replay = again.save(qb=qb, request_id="order-1001-receipt")
    assert replay.Id == saved.Id
    assert len(SalesReceipt.filter(DocNumber="1001", qb=qb)) == 1
    assert find_item(qb, "TSHIRT-CLASSIC").QtyOnHand == Decimal("98")
    fetched = SalesReceipt.get(saved.Id, qb=qb)
    assert fetched.TotalAmt == Decimal("54.38")
    assert fetched.DepositToAccountRef.name == "Undeposited Funds"


def test_us_tax_is_computed_from_the_tax_code_without_override(sandbox):
    qb = sandbox.client()
    shirt = find_item(qb, "TSHIRT-CLASSIC")
    receipt = SalesReceipt()
    receipt.Line = [item_line(shirt, "3", "25.00", "TAX"), item_line(shirt, "1", "10.00", "NON")]
    saved = receipt.save(qb=qb)
    # California 7.25 + county 1 + district 0.5 = 8.75% of the 75.00 taxable: 5.44 + 0.75 + 0.38
    assert saved.TxnTaxDetail.TotalTax == Decimal("6.57")
    assert saved.TotalAmt == Decimal("91.57")


def test_sparse_update_checks_sync_token(sandbox):
    qb = sandbox.client()
    customer = Customer()
    customer.DisplayName = "Jane Doe"
    saved = customer.save(qb=qb)
    update = Customer()
    update.Id = saved.Id
    update.SyncToken = saved.SyncToken
    update.sparse = True
    update.Notes = "VIP"
    updated = update.save(qb=qb)
    assert updated.SyncToken == "1"
    assert updated.DisplayName == "Jane Doe"
    assert updated.Notes == "VIP"
    stale = Customer()
    stale.Id = saved.Id
    stale.SyncToken = "0"
    stale.sparse = True
    stale.Notes = "late"
    with pytest.raises(QuickbooksException) as excinfo:
        stale.save(qb=qb)
    assert excinfo.value.error_code == 5010
    assert Customer.get(saved.Id, qb=qb).Notes == "VIP"


def test_invoice_then_payment_closes_the_balance(sandbox):
    qb = sandbox.client()
    customer = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)[0]
    mug = find_item(qb, "MUG-11OZ")
    invoice = Invoice()
    invoice.CustomerRef = ref(customer)
    invoice.Line = [item_line(mug, "4", "12.50", "NON")]
    saved = invoice.save(qb=qb, request_id="inv-1")
    assert saved.TotalAmt == Decimal("50.00")
    assert saved.Balance == Decimal("50.00")
    payment = Payment()
    payment.CustomerRef = ref(customer)
    payment.TotalAmt = Decimal("50.00")
    line = PaymentLine()
    line.Amount = Decimal("50.00")
    link = LinkedTxn()
    link.TxnId = saved.Id
    link.TxnType = "Invoice"
    line.LinkedTxn = [link]
    payment.Line = [line]
    paid = payment.save(qb=qb, request_id="pay-1")
    assert paid.UnappliedAmt == Decimal("0.00")
    assert Invoice.get(saved.Id, qb=qb).Balance == Decimal("0.00")
    assert find_item(qb, "MUG-11OZ").QtyOnHand == Decimal("46")


def test_refund_receipt_restocks(sandbox):
    qb = sandbox.client()
    shirt = find_item(qb, "TSHIRT-CLASSIC")
    checking = Account.filter(Name="Checking", qb=qb)[0]
    refund = RefundReceipt()
    refund.DepositToAccountRef = ref(checking)
    refund.Line = [item_line(shirt, "1", "25.00", "NON")]
    saved = refund.save(qb=qb)
    assert saved.TotalAmt == Decimal("25.00")
    assert find_item(qb, "TSHIRT-CLASSIC").QtyOnHand == Decimal("101")


def test_deposit_of_undeposited_receipt_with_fee_line(sandbox):
    qb = sandbox.client()
    sales = Item.filter(Name="Sales", qb=qb)[0]
    receipt = SalesReceipt()
    receipt.Line = [item_line(sales, "1", "100.00", "NON")]
    receipt = receipt.save(qb=qb)
    checking = Account.filter(Name="Checking", qb=qb)[0]
    fees = Account.filter(Name="Merchant Fees", qb=qb)[0]
    deposit = Deposit()
    deposit.DepositToAccountRef = ref(checking)
    linked = DepositLine()
    linked.Amount = Decimal("100.00")
    link = LinkedTxn()
    link.TxnId = receipt.Id
    link.TxnType = "SalesReceipt"
    linked.LinkedTxn = [link]
    fee = DepositLine()
    fee.Amount = Decimal("-3.20")
    fee.DepositLineDetail = DepositLineDetail()
    fee.DepositLineDetail.AccountRef = ref(fees)
    deposit.Line = [linked, fee]
    saved = deposit.save(qb=qb, request_id="payout-1")
    assert saved.TotalAmt == Decimal("96.80")


def test_journal_entry_must_balance(sandbox):
    qb = sandbox.client()
    checking = Account.filter(Name="Checking", qb=qb)[0]
    fees = Account.filter(Name="Bank Charges", qb=qb)[0]

    def line(account, posting, amount):
        jl = JournalEntryLine()
        jl.Amount = Decimal(amount)
        jl.JournalEntryLineDetail = JournalEntryLineDetail()
        jl.JournalEntryLineDetail.PostingType = posting
        jl.JournalEntryLineDetail.AccountRef = ref(account)
        return jl

    entry = JournalEntry()
    entry.Line = [line(fees, "Debit", "5.00"), line(checking, "Credit", "5.00")]
    assert entry.save(qb=qb).TotalAmt == Decimal("5.00")
    unbalanced = JournalEntry()
    unbalanced.Line = [line(fees, "Debit", "5.00"), line(checking, "Credit", "4.99")]
    with pytest.raises(QuickbooksException) as excinfo:
        unbalanced.save(qb=qb)
    assert excinfo.value.error_code == 6000


def test_queries_count_order_paging_and_last_updated(sandbox):
    qb = sandbox.client()
    for n in range(5):
        customer = Customer()
        customer.DisplayName = f"Query Customer {n}"
        customer.save(qb=qb)
    assert Customer.count("DisplayName like 'Query Customer%'", qb=qb) == 5
    page = Customer.where(
        "DisplayName like 'Query%'", order_by="DisplayName desc", start_position=2, max_results=2, qb=qb
    )
    assert [c.DisplayName for c in page] == ["Query Customer 3", "Query Customer 2"]
    chosen = Customer.choose(["Query Customer 1", "Query Customer 4"], field="DisplayName", qb=qb)
    assert sorted(c.DisplayName for c in chosen) == ["Query Customer 1", "Query Customer 4"]
    recent = Customer.where("Metadata.LastUpdatedTime > '2026-06-01T00:00:00-07:00'", qb=qb)
    assert len(recent) == 5
    assert Customer.where("Metadata.LastUpdatedTime < '2026-06-01T00:00:00-07:00'", qb=qb)


def test_strict_knob_rotates_and_superseded_token_is_invalid_grant(make_sandbox):
    from intuitlib.exceptions import AuthClientError

    sandbox = make_sandbox(rotate_refresh_tokens=True)
    auth = sandbox.auth_client()
    first = auth.refresh_token
    auth.refresh()
    assert auth.refresh_token != first
    assert auth.expires_in == 3600
    stale = sandbox.auth_client()
    with pytest.raises(AuthClientError) as excinfo:
        stale.refresh(refresh_token=first)
    assert excinfo.value.status_code == 400
    assert b"invalid_grant" in excinfo.value.content
    # The new access token works with python-quickbooks.
    qb = sandbox.client()
    qb.session.access_token = auth.access_token
    qb.session.token = {"access_token": auth.access_token, "token_type": "Bearer"}
    assert Item.filter(Name="Shipping", qb=qb)


def test_expired_access_token_is_401(sandbox):
    qb = sandbox.client()
    realm = sandbox.company()["realm_id"]
    assert sandbox.control(f"{realm}/expire-tokens").status_code == 200
    with pytest.raises(AuthorizationException) as excinfo:
        Item.all(qb=qb)
    assert "003200" in excinfo.value.detail


def test_amount_must_equal_qty_times_price(sandbox):
    qb = sandbox.client()
    shirt = find_item(qb, "TSHIRT-CLASSIC")
    receipt = SalesReceipt()
    receipt.Line = [item_line(shirt, "2", "25.00", "TAX", amount="49.99")]
    with pytest.raises(QuickbooksException) as excinfo:
        receipt.save(qb=qb)
    assert excinfo.value.error_code == 6070


def test_duplicate_doc_number_is_6140(sandbox):
    custom_numbers(sandbox)
    qb = sandbox.client()
    sales = Item.filter(Name="Sales", qb=qb)[0]
    for attempt in range(2):
        receipt = SalesReceipt()
        receipt.DocNumber = "DUP-1"
        receipt.Line = [item_line(sales, "1", "5.00", "NON")]
        if attempt == 0:
            receipt.save(qb=qb)
        else:
            with pytest.raises(QuickbooksException) as excinfo:
                receipt.save(qb=qb)
            assert excinfo.value.error_code == 6140


def test_duplicate_name_is_6240(sandbox):
    qb = sandbox.client()
    customer = Customer()
    customer.DisplayName = "Walk-in Customer"
    with pytest.raises(QuickbooksException) as excinfo:
        customer.save(qb=qb)
    assert excinfo.value.error_code == 6240


def test_validation_exception_for_unknown_reference(sandbox):
    qb = sandbox.client()
    receipt = SalesReceipt()
    line = SalesItemLine()
    line.Amount = Decimal("5")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = value_ref("9999")
    receipt.Line = [line]
    with pytest.raises(ValidationException) as excinfo:
        receipt.save(qb=qb)
    assert excinfo.value.error_code == 2500


def test_read_modify_full_update_round_trip(sandbox):
    """What QBO answers can be sent back as a full update, as apps do after a read."""
    qb = sandbox.client("CA")
    hst = TaxCode.filter(Name="HST ON", qb=qb)[0]
    customer = Customer.filter(DisplayName="Walk-in Customer", qb=qb)[0]
    invoice = Invoice()
    invoice.CustomerRef = ref(customer)
    invoice.Line = [item_line(find_item(qb, "MUG-11OZ"), "2", "12.50", hst.Id)]
    invoice.Deposit = Decimal("5.00")
    saved = invoice.save(qb=qb)
    assert saved.TotalAmt == Decimal("28.25")
    assert saved.Balance == Decimal("23.25")
    fetched = Invoice.get(saved.Id, qb=qb)
    fetched.PrivateNote = "checked"
    updated = fetched.save(qb=qb)
    assert updated.SyncToken == "1"
    assert updated.TotalAmt == Decimal("28.25")
    assert updated.PrivateNote == "checked"
    item = find_item(qb, "TSHIRT-CLASSIC")
    item.Description = "Heavy cotton"
    assert item.save(qb=qb).Description == "Heavy cotton"
    again = Customer.get(customer.Id, qb=qb)
    again.Notes = "regular"
    assert again.save(qb=qb).SyncToken == "1"


def test_a_line_with_only_an_amount_is_accepted_despite_python_quickbooks_zero_defaults(sandbox):
    qb = sandbox.client("UK")
    standard = TaxCode.filter(Name="20.0% S", qb=qb)[0]
    receipt = SalesReceipt()
    receipt.GlobalTaxCalculation = "TaxInclusive"
    line = SalesItemLine()
    line.Amount = Decimal("10.00")  # Qty, UnitPrice and TaxInclusiveAmt go out as 0
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(Item.filter(Name="Sales", qb=qb)[0])
    line.SalesItemLineDetail.TaxCodeRef = value_ref(standard.Id)
    receipt.Line = [line]
    saved = receipt.save(qb=qb)
    assert saved.TotalAmt == Decimal("12.00")
    with_qty = SalesReceipt()
    line.SalesItemLineDetail.Qty = Decimal("3")
    with_qty.Line = [line]
    saved = with_qty.save(qb=qb)
    assert saved.Line[0].SalesItemLineDetail["UnitPrice"] == Decimal("3.3333333")
