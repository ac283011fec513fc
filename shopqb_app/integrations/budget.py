"""One request budget per QuickBooks company and per Shopify shop, shared by every process and host.

QuickBooks limits each company (realm) and app to 500 requests a minute, 10 at once and 40 batch
requests a minute (and documents 10 a second); Shopify gives each app and shop a leaky bucket of
query-cost points that refills at the plan's restore rate. Every worker on every host draws from
one shared budget, so together they stay under those limits instead of finding them by 429s:

- a token bucket per company (per shop), with up to four lanes taken together in one atomic step:
  QuickBooks' requests per minute, per second, batches per minute and the backfill's share;
  Shopify's points and the backfill's share of them;
- concurrency slots per company, each with an expiry, so a worker that dies holding one loses
  it after the request timeout;
- a throttle that still comes (another app on the same company, a limit lowered for a while)
  empties the company's bucket and halves its refill for a minute;
- backfill work (``bulk_work()``) may use only a share of each rate: live orders always find
  budget, even while a 100,000-order import of the same company runs.

The state lives in a ``Store``: Redis (one Lua script per step, here) when ``REQUEST_BUDGET_REDIS_URL``
is set, otherwise the database (operations/budget_store.py: one conditional UPDATE per step). The
app picks one at startup (``configure``); this package imports no app. Without one, requests go
unbudgeted. A store that fails (the database or Redis down) lets the request through: the budget
must never stop a sync that QuickBooks itself would accept.

Clocks: the caller's ``time.time()``; hosts keep their clocks in step (NTP). A clock behind
another's never refills a bucket backwards (elapsed time below zero counts as zero).

Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles
Reference: https://blogs.intuit.com/2016/08/08/idg-concurrent-api-use-changes-coming-soon/
Reference: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

LANES = 4
# QuickBooks' lanes; Shopify uses POINTS and BULK.
MINUTE, SECOND, BATCH, BULK = range(LANES)
POINTS = MINUTE
# A bucket for a window limit leaves this much room for requests that took their token in
# order but reach the vendor a little out of step (network jitter).
WINDOW_SLACK_SECONDS = 0.05
# How long an idle company's state is kept in Redis.
REDIS_TTL_MS = 3_600_000


class BudgetExhausted(Exception):
    """No budget within the wait allowed: try the work again later (a throttle, not a failure)."""


@dataclass(frozen=True)
class Bucket:
    """One lane: holds at most ``capacity`` tokens, refilled at ``rate`` a second. A lane with no
    capacity is unused."""

    capacity: float
    rate: float


UNUSED = Bucket(0.0, 0.0)
Shape = tuple[Bucket, Bucket, Bucket, Bucket]


def window_bucket(limit: int, seconds: float) -> Bucket:
    """A lane that lets at most ``limit`` requests through in any ``seconds`` (a sliding window, as
    QuickBooks counts): a small burst, then a steady rate, with burst + rate x window <= limit."""
    if limit <= 0:
        return UNUSED
    burst = float(max(1, limit // 50))
    return Bucket(burst, max(limit - burst, 1.0) / (seconds + WINDOW_SLACK_SECONDS))


@dataclass
class LaneState:
    """A company's bucket as stored: tokens per lane when last touched (``stamp``), and the slower
    refill (``slow_factor`` of the rate) a throttle set until ``slow_until``."""

    tokens: list[float]
    stamp: float
    slow_until: float = 0.0
    slow_factor: float = 1.0

    @classmethod
    def full(cls, shape: Shape, now: float) -> LaneState:
        return cls([b.capacity for b in shape], now)

    def refilled(self, shape: Shape, now: float) -> list[float]:
        return [
            min(b.capacity, t + b.rate * self.effective_seconds(now)) for b, t in zip(shape, self.tokens, strict=True)
        ]

    def effective_seconds(self, now: float) -> float:
        elapsed = max(0.0, now - self.stamp)
        slowed = max(0.0, min(now, self.slow_until) - self.stamp)
        return elapsed - (1.0 - self.slow_factor) * slowed

    def wait_for(self, shape: Shape, costs: Sequence[float], now: float) -> float:
        """Seconds until every lane holds its cost (0: now)."""
        factor = self.slow_factor if now < self.slow_until else 1.0
        wait = 0.0
        for bucket, tokens, cost in zip(shape, self.refilled(shape, now), costs, strict=True):
            # A lane the request takes nothing from is never waited on, even in debt (a query that
            # cost more than it took leaves a lane below zero; an unused lane never refills).
            if cost > 0 and cost > tokens:
                rate = bucket.rate * factor
                wait = max(wait, (cost - tokens) / rate if rate > 0 else 3600.0)
        return wait


class Store(Protocol):
    """Where the budget lives. Every method is one atomic step, safe against any number of
    processes on any number of hosts."""

    def take(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        """Take ``costs`` from the lanes if every lane holds its cost now: 0.0. Otherwise take
        nothing and answer how many seconds until it would."""
        ...

    def give(
        self, key: str, shape: Shape, amounts: Sequence[float], at_most: Sequence[float | None], now: float
    ) -> None:
        """Add ``amounts`` (negative: take more) to the lanes, none above ``at_most``."""
        ...

    def slow(self, key: str, shape: Shape, factor: float, until: float, now: float) -> None:
        """A throttle came: empty the lanes and refill at ``factor`` of the rate until ``until``."""
        ...

    def wait(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        """How many seconds until ``take`` would find ``costs`` in every lane (0.0: now), taking
        nothing: a hint for a caller with other work to do meanwhile, never a reservation."""
        ...

    def slot_take(self, key: str, limit: int, holder: str, expires: float, now: float) -> bool:
        """One of ``limit`` slots for ``holder`` until ``expires``, if one is free (or expired)."""
        ...

    def slot_release(self, key: str, holder: str) -> None: ...


@dataclass(frozen=True)
class QuickBooksLimits:
    """QuickBooks' published limits per company and app (0 turns a lane off)."""

    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batches_per_minute: int = 40
    # The share of each rate backfill work may use; the rest stays for live orders.
    bulk_share: float = 0.8
    # How long a request waits for budget before the work is retried later.
    max_wait: float = 30.0
    # After a throttle: the refill slows to this share of the rate for so long (QBO asks for 60 s).
    throttle_seconds: float = 60.0
    throttle_factor: float = 0.5

    def shape(self, *, bulk: bool) -> Shape:
        minute = window_bucket(self.per_minute, 60.0)
        return (
            minute,
            window_bucket(self.per_second, 1.0),
            window_bucket(self.batches_per_minute, 60.0),
            _share(minute, self.bulk_share) if bulk else UNUSED,
        )


@dataclass(frozen=True)
class ShopifyLimits:
    """Shopify's bucket before a shop's first answer says its own (Standard plan: 100 points/s;
    the bucket's size is taken from ``maximumAvailable`` once seen)."""

    capacity: float = 2000.0
    restore_rate: float = 100.0
    bulk_share: float = 0.8
    max_wait: float = 60.0

    def shape(self, *, capacity: float | None, rate: float | None, bulk: bool) -> Shape:
        points = Bucket(capacity or self.capacity, rate or self.restore_rate)
        return (points, UNUSED, UNUSED, _share(points, self.bulk_share) if bulk else UNUSED)


def _share(bucket: Bucket, share: float) -> Bucket:
    if not bucket.capacity:
        return UNUSED  # no limit to share
    return Bucket(max(1.0, bucket.capacity * share), bucket.rate * share)


_bulk: contextvars.ContextVar[bool] = contextvars.ContextVar("request_budget_bulk", default=False)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Requests sent inside are backfill work: they use at most the bulk share of each rate."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def is_bulk() -> bool:
    return _bulk.get()


class Budget:
    """The shared budget, as the vendor clients use it."""

    def __init__(
        self,
        store: Store,
        *,
        quickbooks: QuickBooksLimits | None = None,
        shopify: ShopifyLimits | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.quickbooks = quickbooks or QuickBooksLimits()
        self.shopify = shopify or ShopifyLimits()
        self.clock = clock
        self.sleep = sleep

    # --- QuickBooks ---

    @contextmanager
    def quickbooks_request(self, realm_id: str, *, batch: bool = False, hold_seconds: float = 65.0) -> Iterator[None]:
        """Around one HTTP request to a company: waits for a token (and a batch token for a batch
        request) and a concurrency slot, held until the answer (or ``hold_seconds``, past the
        request's timeout, if this process dies). Raises BudgetExhausted after ``max_wait``."""
        limits = self.quickbooks
        shape = limits.shape(bulk=is_bulk())  # the bulk lane is in use for backfill work only
        # A token from each lane in use (a lane turned off, capacity 0, would never hold one).
        wanted = (1.0, 1.0, 1.0 if batch else 0.0, 1.0)
        costs = [cost if lane.capacity else 0.0 for lane, cost in zip(shape, wanted, strict=True)]
        deadline = self.clock() + limits.max_wait
        self._take(f"qbo:{realm_id}", shape, costs, deadline, what=f"QuickBooks company {realm_id}")
        holder = self._slot(f"qbo:{realm_id}:slots", limits.concurrent, hold_seconds, deadline, realm_id)
        try:
            yield
        finally:
            if holder:
                self._guarded(lambda: self.store.slot_release(f"qbo:{realm_id}:slots", holder))

    def quickbooks_wait(self, realm_id: str, *, batch: bool = False) -> float:
        """Seconds until a request to the company would find its tokens, taking nothing (0.0: now,
        or the store cannot say); with ``batch``, until the company's batch lane has one for a
        batch request (the lanes every request shares refill within a fraction of a second, and
        requests on their own must not keep a due batch request waiting). A backfill sends
        documents on their own while its next batch request is not due, instead of sleeping."""
        limits = self.quickbooks
        shape = limits.shape(bulk=is_bulk())
        wanted = (0.0, 0.0, 1.0, 0.0) if batch else (1.0, 1.0, 0.0, 1.0)
        costs = [cost if lane.capacity else 0.0 for lane, cost in zip(shape, wanted, strict=True)]
        now = self.clock()
        wait = self._guarded(lambda: self.store.wait(f"qbo:{realm_id}", shape, costs, now))
        return float(wait or 0.0)

    def quickbooks_throttled(self, realm_id: str) -> None:
        """QuickBooks throttled a request anyway: shrink the company's budget for a while."""
        limits, now = self.quickbooks, self.clock()
        log.warning(
            "QuickBooks throttled company %s: its request budget shrinks for %.0f s", realm_id, limits.throttle_seconds
        )
        self._guarded(
            lambda: self.store.slow(
                f"qbo:{realm_id}", limits.shape(bulk=True), limits.throttle_factor, now + limits.throttle_seconds, now
            )
        )

    # --- Shopify ---

    def shopify_take(
        self, shop: str, cost: float, *, capacity: float | None = None, rate: float | None = None
    ) -> float:
        """Wait until the shop's shared bucket holds ``cost`` points and take them (never more than
        the bucket can hold). Returns the points taken, for ``shopify_settle``."""
        bulk = is_bulk()
        shape = self.shopify.shape(capacity=capacity, rate=rate, bulk=bulk)
        cost = max(1.0, min(float(cost), shape[POINTS].capacity))
        # Never more than a lane can hold: a query dearer than the backfill's share of the bucket
        # would otherwise wait forever (it takes the whole share instead).
        costs = [cost, 0.0, 0.0, min(cost, shape[BULK].capacity) if bulk else 0.0]
        deadline = self.clock() + self.shopify.max_wait
        self._take(f"shopify:{shop}", shape, costs, deadline, what=f"Shopify shop {shop}")
        return cost

    def shopify_settle(
        self,
        shop: str,
        *,
        taken: float,
        actual: float | None,
        available: float | None,
        capacity: float | None = None,
        rate: float | None = None,
    ) -> None:
        """After Shopify's answer: give back what the query did not cost (``actual``; None when it
        did not run, a throttle) and never believe in more points than Shopify says are left
        (``available``, its throttleStatus.currentlyAvailable)."""
        bulk = is_bulk()
        shape = self.shopify.shape(capacity=capacity, rate=rate, bulk=bulk)
        back = taken - (actual or 0.0)
        amounts = [back, 0.0, 0.0, back if bulk else 0.0]
        self._guarded(
            lambda: self.store.give(f"shopify:{shop}", shape, amounts, [available, None, None, None], self.clock())
        )

    # --- the waiting ---

    def _take(self, key: str, shape: Shape, costs: Sequence[float], deadline: float, *, what: str) -> None:
        while True:
            now = self.clock()
            wait = self._guarded(lambda now=now: self.store.take(key, shape, costs, now))  # type: ignore[misc]
            if not wait:  # taken, or the store is down (the request goes unbudgeted)
                return
            if now + wait > deadline:
                raise BudgetExhausted(
                    f"the request budget of {what} is spent for the next {wait:.1f} s "
                    f"(asked {list(costs)} of lanes {[(b.capacity, b.rate) for b in shape]})"
                )
            # A little jitter, so the processes that waited together do not all come back at once.
            self.sleep(wait + random.uniform(0.0, 0.01))

    def _slot(self, key: str, limit: int, hold_seconds: float, deadline: float, realm_id: str) -> str:
        if limit <= 0:
            return ""
        holder = uuid.uuid4().hex
        pause = 0.02
        while True:
            now = self.clock()
            taken = self._guarded(lambda now=now: self.store.slot_take(key, limit, holder, now + hold_seconds, now))  # type: ignore[misc]
            if taken is None:
                return ""  # the store is down: unbudgeted
            if taken:
                return holder
            if now + pause > deadline:
                raise BudgetExhausted(f"{limit} requests to QuickBooks company {realm_id} are already running")
            self.sleep(pause + random.uniform(0.0, pause))
            pause = min(pause * 2, 0.25)

    def _guarded(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except BudgetExhausted:
            raise
        except Exception:
            log.warning("request budget store failed: the request goes unbudgeted", exc_info=True)
            return None


_budget: Budget | None = None


def configure(budget: Budget | None) -> None:
    """Set the process's budget (the app does it at startup); None turns budgeting off."""
    global _budget
    _budget = budget


def current() -> Budget | None:
    return _budget


# --- Redis ---

# KEYS[1]: the company's hash. ARGV: now, then capacity, rate, cost for each lane.
# Answers "0" when taken, else the seconds to wait (a string: Redis makes Lua numbers integers).
_REFILL = """
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 't0', 't1', 't2', 't3', 'stamp', 'su', 'f')
local stamp = tonumber(h[5]) or now
local su = tonumber(h[6]) or 0
local f = tonumber(h[7]) or 1
local elapsed = math.max(0, now - stamp)
local slowed = math.max(0, math.min(now, su) - stamp)
local eff = elapsed - (1 - f) * slowed
local factor = 1
if now < su then factor = f end
local tokens = {}
for i = 0, 3 do
  local cap = tonumber(ARGV[2 + i * 3])
  local rate = tonumber(ARGV[3 + i * 3])
  local t = tonumber(h[i + 1]) or cap
  tokens[i + 1] = math.min(cap, t + rate * eff)
end
local function num(x) return string.format('%.17g', x) end
local function store(t)
  redis.call('HSET', KEYS[1], 't0', num(t[1]), 't1', num(t[2]), 't2', num(t[3]), 't3', num(t[4]),
             'stamp', num(math.max(stamp, now)), 'su', num(su), 'f', num(f))
  redis.call('PEXPIRE', KEYS[1], TTL_MS)
end
""".replace("TTL_MS", str(REDIS_TTL_MS))

_TAKE = (
    _REFILL
    + """
local wait = 0
for i = 0, 3 do
  local rate = tonumber(ARGV[3 + i * 3]) * factor
  local cost = tonumber(ARGV[4 + i * 3])
  if cost > 0 and cost > tokens[i + 1] then
    local w = 3600
    if rate > 0 then w = (cost - tokens[i + 1]) / rate end
    if w > wait then wait = w end
  end
end
-- at least a millisecond: a wait shorter than the clock's resolution would never end
if wait > 0 then return num(math.max(wait, 0.001)) end
for i = 0, 3 do tokens[i + 1] = tokens[i + 1] - tonumber(ARGV[4 + i * 3]) end
store(tokens)
return '0'
"""
)

# ARGV: now, capacity, rate, amount for each lane, then at_most per lane ('' for none).
_GIVE = (
    _REFILL
    + """
for i = 0, 3 do
  local cap = tonumber(ARGV[2 + i * 3])
  local t = math.min(cap, tokens[i + 1] + tonumber(ARGV[4 + i * 3]))
  local most = tonumber(ARGV[14 + i])
  if most ~= nil then t = math.min(t, most) end
  tokens[i + 1] = t
end
store(tokens)
return '0'
"""
)

# ARGV: now, capacity, rate, (unused) for each lane, then factor, until.
_SLOW = (
    _REFILL
    + """
f = tonumber(ARGV[14])
su = tonumber(ARGV[15])
stamp = now
for i = 0, 3 do tokens[i + 1] = math.min(tokens[i + 1], 0) end
store(tokens)
return '0'
"""
)

# KEYS[1]: the company's sorted set of holders, scored by expiry. ARGV: now, limit, holder, expires.
_SLOT_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('PEXPIRE', KEYS[1], TTL_MS)
return 1
""".replace("TTL_MS", str(REDIS_TTL_MS))


class RedisStore:
    """The budget in Redis: each step is one Lua script, so it is atomic across every client.
    Reference: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/"""

    def __init__(self, url: str, *, prefix: str = "shopqb:budget:") -> None:
        import redis  # only deployments with Redis need the package

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._take = self.client.register_script(_TAKE)
        self._give = self.client.register_script(_GIVE)
        self._slow = self.client.register_script(_SLOW)
        self._slot_take = self.client.register_script(_SLOT_TAKE)

    @staticmethod
    def _lanes(shape: Shape, values: Sequence[float]) -> list[str]:
        args: list[str] = []
        for bucket, value in zip(shape, values, strict=True):
            args += [repr(float(bucket.capacity)), repr(float(bucket.rate)), repr(float(value))]
        return args

    def take(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        answer = self._take(keys=[self.prefix + key], args=[repr(now), *self._lanes(shape, costs)])
        return float(answer)

    def give(
        self, key: str, shape: Shape, amounts: Sequence[float], at_most: Sequence[float | None], now: float
    ) -> None:
        most = ["" if value is None else repr(float(value)) for value in at_most]
        self._give(keys=[self.prefix + key], args=[repr(now), *self._lanes(shape, amounts), *most])

    def slow(self, key: str, shape: Shape, factor: float, until: float, now: float) -> None:
        lanes = self._lanes(shape, [0.0] * LANES)
        self._slow(keys=[self.prefix + key], args=[repr(now), *lanes, repr(float(factor)), repr(float(until))])

    def wait(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        fields = self.client.hmget(self.prefix + key, ["t0", "t1", "t2", "t3", "stamp", "su", "f"])
        if fields[4] is None:
            return 0.0  # a company not seen yet has a full bucket
        tokens = [b.capacity if v is None else float(v) for v, b in zip(fields[:LANES], shape, strict=True)]
        slow_until = 0.0 if fields[5] is None else float(fields[5])
        slow_factor = 1.0 if fields[6] is None else float(fields[6])
        return LaneState(tokens, float(fields[4]), slow_until, slow_factor).wait_for(shape, costs, now)

    def slot_take(self, key: str, limit: int, holder: str, expires: float, now: float) -> bool:
        return bool(self._slot_take(keys=[self.prefix + key], args=[repr(now), limit, holder, repr(expires)]))

    def slot_release(self, key: str, holder: str) -> None:
        self.client.zrem(self.prefix + key, holder)

    def reset(self, key: str) -> None:
        """Forget a company's state (tests, support)."""
        self.client.delete(self.prefix + key)
