"""The shared request budget's stores: the same story told against the database and Redis.

Time is a number the tests move (every store step takes ``now``), so a minute of traffic from
two workers is simulated in a moment and checked window by window.
"""

from __future__ import annotations

import heapq
import os
import uuid
from collections.abc import Iterator
from unittest import mock

import pytest

from operations.budget_store import DatabaseStore
from shopqb_app.integrations import budget
from shopqb_app.integrations.budget import BATCH, BULK, MINUTE, SECOND, QuickBooksLimits, ShopifyLimits

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T0 = 1_800_000_000.0

pytestmark = pytest.mark.django_db


def redis_store() -> budget.RedisStore:
    try:
        import redis
    except ImportError:
        pytest.skip("the redis package is not installed")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    # A prefix of its own per test: nothing is left over from another run.
    return budget.RedisStore(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")


@pytest.fixture(params=["database", "redis"])
def store(request) -> Iterator[budget.Store]:
    if request.param == "database":
        yield DatabaseStore()
    else:
        yield redis_store()


def costs(*lanes: int) -> list[float]:
    return [1.0 if lane in lanes else 0.0 for lane in range(budget.LANES)]


def in_any_window(times: list[float], seconds: float) -> int:
    """The most events in any half-open window (t - seconds, t], as QuickBooks counts them."""
    times, most, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def two_workers(store: budget.Store, shape: budget.Shape, lane_costs: list[float], seconds: float) -> list[float]:
    """Two workers asking as fast as the store lets them for ``seconds``: when each got a token."""
    taken: list[float] = []
    queue = [(T0, 0), (T0 + 0.0001, 1)]
    while queue:
        now, worker = heapq.heappop(queue)
        if now > T0 + seconds:
            continue
        wait = store.take("qbo:shared", shape, lane_costs, now)
        if wait == 0:
            taken.append(now)
            heapq.heappush(queue, (now + 0.001, worker))  # the next request right away
        else:
            assert wait > 0
            heapq.heappush(queue, (now + wait, worker))
    return taken


def test_two_workers_never_exceed_a_minute_or_a_second_and_use_nearly_all_of_it(store):
    limits = QuickBooksLimits()  # 500 a minute, 10 a second
    taken = two_workers(store, limits.shape(bulk=False), costs(MINUTE, SECOND), 180.0)
    assert in_any_window(taken, 60.0) <= 500
    assert in_any_window(taken, 1.0) <= 10
    # Close to the ceiling: 500 a minute for three minutes, less the slack kept for jitter.
    assert len(taken) >= 0.97 * 1500


def test_batch_requests_also_keep_to_their_own_limit(store):
    limits = QuickBooksLimits(batches_per_minute=40)
    taken = two_workers(store, limits.shape(bulk=False), costs(MINUTE, SECOND, BATCH), 120.0)
    assert in_any_window(taken, 60.0) <= 40
    assert len(taken) >= 75


def test_a_throttle_empties_the_bucket_and_halves_the_refill_for_a_while(store):
    limits = QuickBooksLimits(per_second=0)
    shape = limits.shape(bulk=False)
    rate = shape[MINUTE].rate
    assert store.take("qbo:r", shape, costs(MINUTE), T0) == 0
    store.slow("qbo:r", shape, 0.5, T0 + 60, T0)
    wait = store.take("qbo:r", shape, costs(MINUTE), T0)
    assert wait == pytest.approx(1 / (rate * 0.5), rel=0.01)
    # Slowed: a minute gives half the usual tokens (the burst included).
    slowed = two_workers_from(store, shape, T0, 60.0)
    assert slowed == pytest.approx(rate * 0.5 * 60, abs=2)
    # Then the usual rate again.
    after = two_workers_from(store, shape, T0 + 60.0, 60.0)
    assert after == pytest.approx(rate * 60, abs=2)


def two_workers_from(store: budget.Store, shape: budget.Shape, start: float, seconds: float) -> int:
    count, now = 0, start
    while now < start + seconds:
        wait = store.take("qbo:r", shape, costs(MINUTE), now)
        if wait == 0:
            count += 1
        now += wait or 0.0001
    return count


def test_backfill_uses_its_share_and_live_requests_still_find_tokens(store):
    limits = QuickBooksLimits(per_second=0, bulk_share=0.8)
    bulk_shape = limits.shape(bulk=True)
    live_shape = limits.shape(bulk=False)
    # The backfill asks as fast as it can for a minute: it gets at most its share of the rate.
    now, backfill = T0, 0
    while now < T0 + 60:
        wait = store.take("qbo:r", bulk_shape, costs(MINUTE, BULK), now)
        backfill += wait == 0
        now += wait or 0.0001
    assert backfill <= 0.8 * 500 + 10
    # Meanwhile the shared lane kept filling: a live request takes a token at once.
    assert store.take("qbo:r", live_shape, costs(MINUTE), now) == 0
    # And the backfill is still held to its share.
    assert store.take("qbo:r", bulk_shape, costs(MINUTE, BULK), now) > 0


def test_shopify_points_are_given_back_and_never_above_what_shopify_says(store):
    shape = ShopifyLimits().shape(capacity=1000, rate=50, bulk=False)
    assert store.take("shopify:s", shape, [600.0, 0, 0, 0], T0) == 0
    # The query cost 100 of the 600 taken; Shopify says 350 are left (another app? no: our
    # other workers' queries it counted before us).
    store.give("shopify:s", shape, [500.0, 0, 0, 0], [350.0, None, None, None], T0)
    assert store.take("shopify:s", shape, [351.0, 0, 0, 0], T0) == pytest.approx(1 / 50, rel=0.01)
    assert store.take("shopify:s", shape, [350.0, 0, 0, 0], T0) == 0


def test_a_slot_held_by_a_worker_that_died_expires(store):
    assert store.slot_take("qbo:r:slots", 2, "a", T0 + 65, T0)
    assert store.slot_take("qbo:r:slots", 2, "b", T0 + 65, T0)
    assert not store.slot_take("qbo:r:slots", 2, "c", T0 + 65, T0 + 1)
    store.slot_release("qbo:r:slots", "a")
    assert store.slot_take("qbo:r:slots", 2, "c", T0 + 66, T0 + 1)
    # "b" died without giving its slot back: after its expiry the slot is free again.
    assert not store.slot_take("qbo:r:slots", 2, "d", T0 + 100, T0 + 64)
    assert store.slot_take("qbo:r:slots", 2, "d", T0 + 130, T0 + 65.5)
    assert not store.slot_take("qbo:r:slots", 2, "e", T0 + 130, T0 + 65.5)


def test_companies_have_budgets_of_their_own(store):
    shape = QuickBooksLimits(per_minute=60, per_second=0).shape(bulk=False)
    assert store.take("qbo:one", shape, costs(MINUTE), T0) == 0
    assert store.take("qbo:one", shape, costs(MINUTE), T0) > 0
    assert store.take("qbo:two", shape, costs(MINUTE), T0) == 0


def test_the_budget_waits_then_gives_up_with_a_retry_later_error(store):
    clock = [T0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    shared = budget.Budget(
        store,
        quickbooks=QuickBooksLimits(per_minute=60, per_second=0, max_wait=5.0),
        clock=lambda: clock[0],
        sleep=sleep,
    )
    with shared.quickbooks_request("r"):
        pass
    with shared.quickbooks_request("r"):  # the burst is spent: waits about a second for the next token
        pass
    assert 0.9 < sum(slept) < 1.2
    # A throttle halves the refill and empties the bucket: the next token is 2 s away, within 5 s...
    shared.quickbooks_throttled("r")
    with shared.quickbooks_request("r"):
        pass
    # ...but a wait longer than max_wait is not waited out: the work is retried later.
    slept.clear()
    shared.quickbooks = QuickBooksLimits(per_minute=60, per_second=0, max_wait=0.5)
    with pytest.raises(budget.BudgetExhausted), shared.quickbooks_request("r"):
        pass
    assert slept == []


def test_a_store_that_fails_lets_requests_through():
    class Broken:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("store down")

            return fail

    shared = budget.Budget(Broken())  # type: ignore[arg-type]
    with shared.quickbooks_request("r"):
        pass
    assert shared.shopify_take("shop", 50) == 50


def test_the_database_store_costs_a_request_three_statements_and_a_shopify_query_two(django_assert_num_queries):
    """The budget sits on every request's path: once a company's rows exist, a QuickBooks request
    is one UPDATE for its token, one for its slot and one to give the slot back; a Shopify query
    one UPDATE to take its points and one to settle them."""
    clock = [T0]
    shared = budget.Budget(DatabaseStore(), clock=lambda: clock[0])
    with shared.quickbooks_request("r"):  # the first request makes the company's rows
        pass
    taken = shared.shopify_take("s", 50)
    clock[0] += 1.0  # the next tokens are there: no waiting
    with django_assert_num_queries(3), shared.quickbooks_request("r"):
        pass
    with django_assert_num_queries(2):
        taken = shared.shopify_take("s", 50)
        shared.shopify_settle("s", taken=taken, actual=10.0, available=1500.0)


def test_a_limit_of_zero_turns_its_lane_off(store):
    """0 turns a lane off (QuickBooksLimits): requests, batch requests included, never wait on it."""
    shared = budget.Budget(
        store,
        quickbooks=QuickBooksLimits(per_minute=0, per_second=0, batches_per_minute=0, concurrent=0, max_wait=0.5),
        clock=lambda: T0,
        sleep=lambda seconds: pytest.fail(f"waited {seconds} s on a lane that is off"),
    )
    for _ in range(3):
        with shared.quickbooks_request("off", batch=True):
            pass
        with budget.bulk_work(), shared.quickbooks_request("off", batch=True):
            pass


def test_a_lane_in_debt_never_holds_up_a_request_that_takes_nothing_from_it(store):
    """A backfill query that cost more than it took leaves its share lane below zero; a live query
    of the same shop takes nothing from that lane, so it waits only for the points it needs."""
    limits = ShopifyLimits()
    bulk = limits.shape(capacity=1000, rate=50, bulk=True)
    live = limits.shape(capacity=1000, rate=50, bulk=False)
    assert store.take("shopify:s", bulk, [100.0, 0, 0, 100.0], T0) == 0
    store.give("shopify:s", bulk, [-800.0, 0, 0, -800.0], [None, None, None, None], T0)  # cost 900
    # The share lane (800 points) is 100 in debt; 100 points are left and 100 asked: at once.
    assert store.take("shopify:s", live, [100.0, 0, 0, 0], T0) == 0
    # 10 more asked: a fifth of a second at 50 points a second, not an hour.
    assert store.take("shopify:s", live, [10.0, 0, 0, 0], T0) == pytest.approx(10 / 50, rel=0.01)


def test_the_wait_a_caller_is_told_takes_nothing_and_matches_the_take(store):
    """``wait`` says how long until ``take`` would succeed (a backfill sends documents on their
    own meanwhile) without spending anything; a company not seen yet has a full bucket."""
    shape = QuickBooksLimits(per_minute=500, per_second=0, batches_per_minute=40).shape(bulk=False)
    batch = costs(MINUTE, BATCH)
    assert store.wait("qbo:w", shape, batch, T0) == 0.0
    assert store.take("qbo:w", shape, batch, T0) == 0  # the batch lane's burst of one
    told = store.wait("qbo:w", shape, batch, T0)
    assert told == pytest.approx(store.take("qbo:w", shape, batch, T0), abs=0.002) and told > 1.0
    # Asking again and again takes nothing: a single request still finds its token, and the batch
    # request is due when it was said to be.
    for _ in range(5):
        assert store.wait("qbo:w", shape, batch, T0 + 0.5) == pytest.approx(told - 0.5, abs=0.002)
    assert store.wait("qbo:w", shape, costs(MINUTE), T0) == 0.0
    assert store.take("qbo:w", shape, batch, T0 + told + 0.001) == 0


def test_the_budget_tells_a_batch_request_s_wait_in_the_backfill_share():
    clock = [T0]
    shared = budget.Budget(
        DatabaseStore(), quickbooks=QuickBooksLimits(per_minute=500, per_second=10), clock=lambda: clock[0]
    )
    assert shared.quickbooks_wait("r", batch=True) == 0.0
    with budget.bulk_work(), shared.quickbooks_request("r", batch=True):
        pass
    clock[0] += 0.2  # past the per-second lane's next token
    with budget.bulk_work():
        assert shared.quickbooks_wait("r", batch=True) > 1.0  # 39 a minute after the burst of one
        assert shared.quickbooks_wait("r") == 0.0
    # A batch request is due once its own lane has a token, even while requests on their own have
    # just spent the lanes every request shares (they refill within a fraction of a second).
    clock[0] += 60.0
    with shared.quickbooks_request("r"):
        pass
    assert shared.quickbooks_wait("r") > 0.0 and shared.quickbooks_wait("r", batch=True) == 0.0
    # A store that cannot say lets the caller go on (the take itself still waits for its token).
    broken = budget.Budget(mock.Mock(wait=mock.Mock(side_effect=RuntimeError("down"))))
    assert broken.quickbooks_wait("r", batch=True) == 0.0
