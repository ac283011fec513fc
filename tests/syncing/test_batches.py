"""Backfills write new documents through QuickBooks batch requests (syncing/batches.py): fewer
requests, each item settled on its own, and exactly once through lost answers and forgotten
request ids; the listing streams, a chunk of orders at a time."""

import json
from contextlib import contextmanager
from unittest import mock

import pytest
import requests

from operations.budget_store import DatabaseStore
from shopqb_app.integrations import budget
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.bulk import assemble_orders
from syncing import batches, runs
from syncing.context import context_open
from syncing.models import Outcome, SyncedRecord, SyncIssue
from syncing.runs import shop_sweep
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)


def receipts(shop):
    return qbo.query_all(context_open(shop.pk).qb, "select * from SalesReceipt", "SalesReceipt")


def realm(shop):
    return shop.qbo.realm_id


def batch_count(sandboxes, shop) -> int:
    """Batch requests the QuickBooks sandbox counted for the company in its last minute."""
    return len(sandboxes.qbo.limits.batches.get(realm(shop), ()))


def custom_transaction_numbers(shop, *, on: bool) -> None:
    qb = context_open(shop.pk).qb
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    token = qb.get(url)["Preferences"]["SyncToken"]
    qb.post(url, json.dumps({"SyncToken": token, "SalesFormsPrefs": {"CustomTxnNumbers": on}}))


def sandbox_faults(sandboxes, **values) -> None:
    requests.post(sandboxes.info["qbo"] + "/_sandbox/qbo/faults", json=values, timeout=10).raise_for_status()


@pytest.fixture(autouse=True)
def no_shared_budget():
    """These tests are about batches, not the shared request budget (tested on its own): the
    sandbox's own limits still hold."""
    shared = budget.current()
    budget.configure(None)
    yield
    budget.configure(shared)


@pytest.fixture
def orders(shop):
    return [Store(shop).order(lines=[("A", 1, f"{10 + n}.00")]) for n in range(35)]


def test_a_backfill_writes_its_orders_through_batch_requests(shop, sandboxes, orders):
    singles = []
    real_create = qbo.create

    def create(*args, **kwargs):
        singles.append(args[1])
        return real_create(*args, **kwargs)

    with mock.patch.object(qbo, "create", side_effect=create):
        result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("written") == 35
    # 35 receipts in two batches (30 + 5), none created on its own.
    assert batch_count(sandboxes, shop) == 2 and singles == []
    assert len(receipts(shop)) == 35
    synced = SyncedRecord.objects.filter(shop=shop, kind="SalesReceipt", status=SyncedRecord.Status.SYNCED)
    assert synced.count() == 35 and all(r.qbo_id for r in synced)
    again = shop_sweep(shop_id=shop.pk, full=True)
    assert again.outcomes.get("unchanged") == 35 and batch_count(sandboxes, shop) == 2
    assert len(receipts(shop)) == 35


class RecordingBudget:
    """A shared budget that lets everything through and notes what each QuickBooks request took."""

    def __init__(self) -> None:
        self.quickbooks: list[bool] = []  # per request: whether it took a batch token

    @contextmanager
    def quickbooks_request(self, realm_id, *, batch=False, hold_seconds=65.0):
        self.quickbooks.append(batch)
        yield

    def quickbooks_wait(self, realm_id, *, batch=False) -> float:
        return 0.0

    def quickbooks_throttled(self, realm_id) -> None:
        raise AssertionError("no request was throttled")

    def shopify_take(self, *args, **kwargs):
        return None

    def shopify_settle(self, *args, **kwargs) -> None:
        pass


def test_each_batch_request_takes_a_batch_token_from_the_shared_budget(shop, sandboxes, orders):
    recording = RecordingBudget()
    budget.configure(recording)
    shop_sweep(shop_id=shop.pk, full=True)
    assert recording.quickbooks.count(True) == batch_count(sandboxes, shop) == 2


def test_an_item_fault_fails_only_its_document(shop, sandboxes, orders):
    """QuickBooks refuses one item of a batch (a customer it does not have): that order fails with
    its issue, to be retried; its neighbours in the same batch are written."""
    real_batch = qbo.batch_create
    refused_for = []

    def one_bad_item(qb, items, *, request_id):
        bad = items[1]
        refused_for.append(bad.body["DocNumber"])
        items[1] = qbo.BatchCreate(bad.bid, bad.entity, {**bad.body, "CustomerRef": {"value": "987654"}})
        return real_batch(qb, items, request_id=request_id)

    with mock.patch.object(qbo, "batch_create", side_effect=one_bad_item):
        result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("failed") == 2 and result.outcomes.get("written") == 33  # one per batch
    failed = SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.FAILED)
    assert sorted(r.doc_number for r in failed) == sorted(refused_for)
    issues = SyncIssue.objects.open().filter(shop=shop, code="qbo_rejected")
    assert {i.source_id for i in issues} == {r.source_id for r in failed}
    assert all(i.retryable for i in issues)
    assert len(receipts(shop)) == 33
    # Retried like any write: the next pass writes them.
    retried = shop_sweep(shop_id=shop.pk, full=True)
    assert retried.outcomes.get("written") == 2 and len(receipts(shop)) == 35


@pytest.mark.parametrize("forget_request_ids", [False, True], ids=["requestid kept", "requestid forgotten"])
@pytest.mark.parametrize("refuses", [False, True], ids=["duplicates accepted", "duplicates refused"])
def test_a_lost_batch_answer_books_nothing_twice(shop, sandboxes, orders, refuses, forget_request_ids):
    """QuickBooks wrote the batch but the answer never came: the pass stops with the records
    failed; the next one finds each document by its number (even when QuickBooks would process
    the same requestid again) and creates nothing twice."""
    custom_transaction_numbers(shop, on=refuses)
    if forget_request_ids:
        sandbox_faults(sandboxes, ignore_request_ids=True)
    real_batch = qbo.batch_create
    lost = []

    def written_then_lost(qb, items, *, request_id):
        answers = real_batch(qb, items, request_id=request_id)
        if not lost:  # the first batch of the pass: 30 receipts written, the answer lost
            lost.extend(item.body["DocNumber"] for item in items)
            raise qbo.QBOUnavailable("connection reset after the batch was processed")
        return answers

    with mock.patch.object(qbo, "batch_create", side_effect=written_then_lost):
        with pytest.raises(qbo.QBOUnavailable):
            shop_sweep(shop_id=shop.pk, full=True)
    assert len(lost) == 30
    # The 30 sent fail (whether they were written is unknown); the 5 not yet sent were never
    # claimed (the batch went as soon as it was full) or are given back untouched; no claim is
    # left held.
    assert SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.FAILED).count() == 30
    others = SyncedRecord.objects.filter(shop=shop).exclude(status=SyncedRecord.Status.FAILED)
    assert all(r.status == SyncedRecord.Status.PENDING and r.attempts == 0 for r in others)
    assert SyncedRecord.objects.filter(shop=shop, status=SyncedRecord.Status.WRITING).count() == 0
    result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("recovered") == 30 and result.outcomes.get("written") == 5
    numbers = [r["DocNumber"] for r in receipts(shop)]
    assert len(numbers) == 35 and len(set(numbers)) == 35
    assert shop_sweep(shop_id=shop.pk, full=True).outcomes.get("unchanged") == 35


def partly_paid(store: Store, *, total: str, paid: str) -> None:
    money = {"shopMoney": {"amount": paid, "currencyCode": "USD"}}
    order = {
        "currency": "USD",
        "financialStatus": "PARTIALLY_PAID",
        "lineItems": [
            {
                "title": "Item A",
                "sku": "A",
                "quantity": 1,
                "priceSet": {"shopMoney": {"amount": total, "currencyCode": "USD"}},
            }
        ],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "manual", "amountSet": money}],
    }
    created = store.client.execute(Store.MUTATION, {"order": order})["orderCreate"]
    assert not created["userErrors"], created["userErrors"]


def test_a_payment_goes_in_a_later_wave_than_its_invoice(shop, sandboxes):
    """An item of a batch does not see what the items before it created: a Payment is sent once its
    Invoice is written, in a later batch."""
    store = Store(shop)
    store.order(lines=[("A", 1, "20.00")], financial_status="PENDING")
    for _ in range(6):  # partly paid when first booked: an Invoice and a Payment on it
        partly_paid(store, total="20.00", paid="5.00")
    sent = []
    real_batch = qbo.batch_create

    def record(qb, items, *, request_id):
        sent.append([item.entity for item in items])
        return real_batch(qb, items, request_id=request_id)

    with mock.patch.object(qbo, "batch_create", side_effect=record):
        shop_sweep(shop_id=shop.pk, full=True)
    assert sent == [["Invoice"] * 7, ["Payment"] * 6]
    payments = SyncedRecord.objects.filter(shop=shop, kind="Payment", status=SyncedRecord.Status.SYNCED)
    assert payments.count() == 6
    qb = context_open(shop.pk).qb
    invoices = {r.order_gid: r.qbo_id for r in SyncedRecord.objects.filter(shop=shop, kind="Invoice")}
    for payment in payments:
        lines = qbo.read(qb, "Payment", payment.qbo_id)["Line"]
        assert lines[0]["LinkedTxn"][0]["TxnId"] == invoices[payment.order_gid]


def test_what_is_left_after_the_full_batches_goes_one_request_each_without_a_second_lookup(shop, sandboxes):
    """33 receipts: a batch of 30, then 3 on their own. The company accepts duplicate numbers, so
    every create was looked up (one query for the chunk) before any went out: none again."""
    total = qbo.BATCH_MAX_ITEMS + batches.BATCH_MIN_ITEMS - 2
    for n in range(total):
        Store(shop).order(lines=[("A", 1, f"{10 + n}.00")])
    singles, lookups = [], []
    real_create, real_find = qbo.create, qbo.find_owned_document

    def create(*args, **kwargs):
        singles.append(args[1])
        return real_create(*args, **kwargs)

    def find(*args, **kwargs):
        lookups.append(args[1])
        return real_find(*args, **kwargs)

    with (
        mock.patch.object(qbo, "create", side_effect=create),
        mock.patch.object(qbo, "find_owned_document", side_effect=find),
    ):
        result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("written") == total
    assert batch_count(sandboxes, shop) == 1 and singles == ["SalesReceipt"] * (total - qbo.BATCH_MAX_ITEMS)
    assert lookups == []
    synced = SyncedRecord.objects.filter(shop=shop, kind="SalesReceipt", status=SyncedRecord.Status.SYNCED)
    assert synced.count() == total and len(receipts(shop)) == total


def test_a_few_documents_go_one_request_each(shop, sandboxes):
    """A batch request is one of 40 a minute: too few documents for one are sent on their own."""
    for n in range(batches.BATCH_MIN_ITEMS - 1):
        Store(shop).order(lines=[("A", 1, f"{10 + n}.00")])
    result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("written") == batches.BATCH_MIN_ITEMS - 1
    assert batch_count(sandboxes, shop) == 0 and len(receipts(shop)) == batches.BATCH_MIN_ITEMS - 1


def test_the_backfill_holds_one_chunk_of_orders_at_a_time(shop, sandboxes):
    """The listing is read as it streams: no more than a chunk of orders is read ahead of the
    writes, whatever the number of orders (a generator that counts, not a timing)."""
    total = 10 * batches.ORDERS_PER_CHUNK + 7
    read = 0
    written = 0
    read_ahead = []

    def listing(client, *, search):
        nonlocal read
        for n in range(total):
            read += 1
            yield {"id": f"gid://shopify/Order/{900000 + n}", "updatedAt": "2024-01-01T00:00:00Z"}

    def write(ctx, raws):
        nonlocal written
        read_ahead.append(read - written)
        written += len(raws)
        return [(raw, Outcome.SKIPPED) for raw in raws]

    with mock.patch.object(runs, "all_orders", side_effect=listing):
        with mock.patch.object(batches, "orders_write", side_effect=write):
            result = shop_sweep(shop_id=shop.pk, full=True)
    assert written == total and result.outcomes.get("skipped") == total
    assert len(read_ahead) == 11 and max(read_ahead) <= batches.ORDERS_PER_CHUNK


def test_bulk_lines_become_orders_as_they_are_read():
    """An order is handed on as soon as the next order's line arrives: the file is never held."""
    consumed = 0

    def lines():
        nonlocal consumed
        for n in range(1000):
            consumed += 1
            yield {"id": f"gid://shopify/Order/{n}"}
            consumed += 1
            yield {"__parentId": f"gid://shopify/Order/{n}", "__typename": "LineItem", "sku": "A"}

    stream = assemble_orders(lines())
    first = next(stream)
    assert first["id"] == "gid://shopify/Order/0" and first["lineItems"]["nodes"] == [{"sku": "A"}]
    assert consumed == 3
    assert sum(1 for _ in stream) == 999


def test_the_sandbox_holds_a_batch_requestid_to_36_characters_and_bids_to_10(shop, sandboxes):
    qb = context_open(shop.pk).qb
    url = f"{qb.api_url}/company/{qb.company_id}/batch"
    query = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Account maxresults 1"}]}
    assert qb.post(url, json.dumps(query), request_id="r" * 36)["BatchItemResponse"][0]["bId"] == "1"
    with pytest.raises(Exception, match="36 characters"):
        qbo.call(lambda: qb.post(url, json.dumps(query), request_id="r" * 37))
    long_bid = {"BatchItemRequest": [{"bId": "b" * 11, "Query": "select * from Account maxresults 1"}]}
    with pytest.raises(Exception, match="10 characters"):
        qbo.call(lambda: qb.post(url, json.dumps(long_bid), request_id="s" * 36))
    # Without a requestid a bId may be longer.
    assert qb.post(url, json.dumps(long_bid))["BatchItemResponse"][0]["bId"] == "b" * 11


class BatchDueAfter(RecordingBudget):
    """Lets every request through, but says the next batch request is not due until ``after``
    documents went on requests of their own (``singles``), as a company's batch lane between two
    tokens."""

    def __init__(self, singles: list[str], after: int) -> None:
        super().__init__()
        self.singles, self.after = singles, after

    def quickbooks_wait(self, realm_id, *, batch=False) -> float:
        return 1.5 if batch and len(self.singles) < self.after else 0.0


def count_requests(shop):
    singles, lookups = [], []
    real_create, real_find = qbo.create, qbo.find_documents

    def create(*args, **kwargs):
        singles.append(args[1])
        return real_create(*args, **kwargs)

    def find(*args, **kwargs):
        lookups.append(args[1])
        return real_find(*args, **kwargs)

    patches = (
        mock.patch.object(qbo, "create", side_effect=create),
        mock.patch.object(qbo, "find_documents", side_effect=find),
    )
    return singles, lookups, patches


def test_while_the_next_batch_request_is_not_due_what_is_ready_beyond_a_batch_goes_on_its_own(
    shop, sandboxes, monkeypatch
):
    """65 receipts in one chunk (of 100 orders): 60 are claimed and looked up (two queries) while the company's
    batch lane has no token: three go one request each until it has, then a batch of 30; the
    next 3 make another batch full (looked up then), and the last two go on their own. Each
    receipt once."""
    monkeypatch.setattr(batches, "ORDERS_PER_CHUNK", 100)
    for n in range(65):
        Store(shop).order(lines=[("A", 1, f"{10 + n}.00")])
    singles, lookups, (p1, p2) = count_requests(shop)
    shared = BatchDueAfter(singles, after=3)
    budget.configure(shared)
    with p1, p2:
        result = shop_sweep(shop_id=shop.pk, full=True)
    assert result.outcomes.get("written") == 65
    assert singles == ["SalesReceipt"] * 5 and batch_count(sandboxes, shop) == 2
    assert shared.quickbooks.count(True) == 2
    assert lookups == ["SalesReceipt"] * 4  # 60 numbers in two queries, then 3, then 2
    numbers = [r["DocNumber"] for r in receipts(shop)]
    assert len(numbers) == 65 and len(set(numbers)) == 65


def test_a_backfill_on_the_shared_budget_at_quickbooks_limits_is_never_throttled(shop, sandboxes, monkeypatch):
    """The same on the real budget (database store) against the sandbox's own limits: whatever mix
    of batches and single creates the budget's timing gives, none is refused with a 429 and none
    is written twice."""
    monkeypatch.setattr(batches, "ORDERS_PER_CHUNK", 100)
    for n in range(70):
        Store(shop).order(lines=[("A", 1, f"{10 + n}.00")])
    budget.configure(budget.Budget(DatabaseStore()))
    seen: list[int] = []

    def observe(realm_id, status, throttled):
        seen.append(429 if throttled else status)

    qbo.request_observers.append(observe)
    try:
        result = shop_sweep(shop_id=shop.pk, full=True)
    finally:
        qbo.request_observers.remove(observe)
    assert result.outcomes.get("written") == 70
    assert 429 not in seen
    # At least one batch; how many more depends on how fast the chunk is planned against the batch
    # lane's refill (which documents go on their own meanwhile is tested above with a set budget).
    assert batch_count(sandboxes, shop) >= 1
    numbers = [r["DocNumber"] for r in receipts(shop)]
    assert len(numbers) == 70 and len(set(numbers)) == 70
