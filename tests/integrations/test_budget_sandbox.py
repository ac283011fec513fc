"""Workers sharing one company's request budget against the QuickBooks sandbox with its limits on:
real HTTP, real threads (each with its own client, as two worker processes would have), the
database and the Redis store. They wait for budget instead of meeting 429s."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
import requests

from operations.budget_store import DatabaseStore
from sandbox.qbo.emulator import QBOEmulator
from sandbox.runner import serve_in_thread
from shopqb_app.integrations import budget
from shopqb_app.integrations.quickbooks import client as qbo
from tests.integrations.test_budget import redis_store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qbo_sandbox() -> Any:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    # Five requests a second and two at once (QuickBooks documents 10 and 10: smaller here, so a
    # few seconds of traffic crosses them), every request answered after 300 ms (so three workers
    # would have three in flight).
    emulator = QBOEmulator(requests_per_second=5, max_concurrent=2)
    server = serve_in_thread(emulator)
    emulator.set_base_url(server.base_url)
    requests.post(f"{server.base_url}/_sandbox/qbo/faults", json={"latency": 0.3}, timeout=5).raise_for_status()
    yield emulator, server.base_url
    emulator.close()
    server.stop()


@pytest.fixture(params=["database", "redis"])
def shared_budget(request) -> Any:
    store = DatabaseStore() if request.param == "database" else redis_store()
    shared = budget.Budget(
        store, quickbooks=budget.QuickBooksLimits(per_minute=500, per_second=5, concurrent=2, max_wait=20.0)
    )
    before = budget.current()
    budget.configure(shared)
    yield shared
    budget.configure(before)


def client_for(emulator: QBOEmulator, base_url: str) -> qbo.QuickBooks:
    info = emulator.describe()
    company = info["companies"][0]
    settings = qbo.QBOSettings(
        client_id=info["app"]["client_id"],
        client_secret=info["app"]["client_secret"],
        redirect_uri="http://127.0.0.1:9/qbo/callback",
        environment=f"{base_url}/.well-known/openid_configuration",
        api_base=f"{base_url}/v3",
        timeout=10,
    )
    return qbo.connect(settings, realm_id=company["realm_id"], access_token=company["access_token"])


def statuses_seen() -> tuple[list[tuple[float, int]], Any]:
    seen: list[tuple[float, int]] = []
    lock = threading.Lock()

    def observe(realm_id: str, status: int, throttled: bool) -> None:
        with lock:
            seen.append((time.monotonic(), status))

    qbo.request_observers.append(observe)
    return seen, observe


def test_three_workers_share_the_budget_and_meet_no_throttle(qbo_sandbox, shared_budget):
    emulator, base_url = qbo_sandbox
    seen, observer = statuses_seen()
    errors: list[BaseException] = []

    def worker() -> None:
        qb = client_for(emulator, base_url)  # each worker its own client, as in its own process
        try:
            for _ in range(8):
                qbo.read(qb, "Account", "1")
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker) for _ in range(3)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        qbo.request_observers.remove(observer)
    assert errors == []
    statuses = [status for _, status in seen]
    assert statuses.count(429) == 0
    assert statuses == [200] * 24
    # 24 requests, two at a time for 300 ms each: paced, not refused.
    assert elapsed >= 24 / 2 * 0.3 * 0.9


def test_without_the_budget_the_same_traffic_is_throttled(qbo_sandbox):
    """The control: the same two workers' requests, sent without a budget (and without the client's
    retries, which wait out a 429), meet the sandbox's 429s: the test above proves the budget, not
    a lenient sandbox."""
    emulator, base_url = qbo_sandbox
    company = emulator.describe()["companies"][0]
    url = f"{base_url}/v3/company/{company['realm_id']}/account/1"
    headers = {"Authorization": f"Bearer {company['access_token']}", "Accept": "application/json"}
    statuses: list[int] = []

    def worker() -> None:
        with requests.Session() as session:
            for _ in range(6):
                statuses.append(session.get(url, headers=headers, params={"minorversion": 75}, timeout=10).status_code)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 18
    assert 429 in statuses


def test_a_throttle_that_still_comes_shrinks_the_company_budget(qbo_sandbox, shared_budget):
    emulator, base_url = qbo_sandbox
    qb = client_for(emulator, base_url)
    realm = qb.company_id
    # Another app on the same company (or a lowered limit): QuickBooks throttles the next request
    # with a 403 ThrottleExceeded, which the client does not retry.
    requests.post(
        f"{base_url}/_sandbox/qbo/{realm}/throttle", json={"requests": 1, "status": 403}, timeout=5
    ).raise_for_status()
    with pytest.raises(qbo.QBOUnavailable):
        qbo.read(qb, "Account", "1")
    # The bucket is empty and refills at half the rate: the next token is about 2 x 1/rate away.
    shape = shared_budget.quickbooks.shape(bulk=False)
    wait = shared_budget.store.take(f"qbo:{realm}", shape, [1.0, 1.0, 0.0, 0.0], time.time())
    assert wait > 1.5 / shape[budget.SECOND].rate
