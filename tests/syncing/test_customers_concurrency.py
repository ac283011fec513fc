"""Orders of one new buyer synced at the same moment by several workers make one QuickBooks
customer: the CustomerLink claim (a conditional UPDATE) lets one worker ask QuickBooks, the others
wait (their orders come back busy and are synced again). Threads need PostgreSQL: the test SQLite
database is in memory, one per connection (tests/syncing/test_customers.py has the same rule
worked through by hand on SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from syncing import customers
from syncing.models import CustomerLink, OrderCustomer, SyncedRecord
from syncing.orders import order_sync
from tests.syncing.test_customers import all_customers, booked_to, owed, per_customer, sell

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
def test_concurrent_orders_of_one_new_buyer_create_one_quickbooks_customer(shop, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("threads sharing the database need PostgreSQL (the test SQLite database is in memory)")
    per_customer(shop)
    orders = [sell(shop, price=price, paid=False) for price in ("10.00", "20.00", "30.00")]
    creates = []
    real = customers._save

    def slow_save(qb, body, request_id):
        creates.append(body["DisplayName"])
        threading.Event().wait(0.5)  # the other workers reach the claim meanwhile
        return real(qb, body, request_id)

    monkeypatch.setattr(customers, "_save", slow_save)
    gate = threading.Barrier(len(orders), timeout=20)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def worker(gid: str) -> None:
        try:
            gate.wait()
            outcomes[gid] = order_sync(shop_id=shop.pk, order_gid=gid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(gid,)) for gid in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(outcomes.values()) <= {"written", "busy"} and "written" in outcomes.values(), outcomes
    for gid, outcome in outcomes.items():
        if outcome == "busy":  # as the pending queue does: the order is synced again later
            assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"

    assert creates == ["Jane Doe"], "one worker asked QuickBooks to create the customer, once"
    assert [c["DisplayName"] for c in all_customers(shop)].count("Jane Doe") == 1
    jane = CustomerLink.objects.get(shop=shop).qbo_id
    assert {booked_to(shop, gid, "Invoice") for gid in orders} == {jane}
    assert OrderCustomer.objects.filter(shop=shop, qbo_id=jane).count() == 3
    assert SyncedRecord.objects.filter(shop=shop, kind="Invoice", status="synced").count() == 3
    assert owed(shop, jane) == sum(r.amount for r in SyncedRecord.objects.filter(shop=shop, kind="Invoice"))
