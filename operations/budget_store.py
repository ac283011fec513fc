"""The request budget in the database, when no Redis is configured: works on SQLite and PostgreSQL.

Each step is one statement: a conditional UPDATE that refills the company's bucket to now and takes
the tokens only if every lane holds its cost (SQL evaluates every SET and the WHERE on the row as it
was, and PostgreSQL re-checks the WHERE on the newest row after waiting for a concurrent update),
so workers on any host never take the same token twice. A slot is taken by an UPDATE of one free
(or expired) slot row that re-checks it is still free. The math is the one in
shopqb_app/integrations/budget.py (``LaneState``); numbers are written into the statement as float
literals (never text from outside), the key is a parameter.

Reference: https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
Reference: https://www.sqlite.org/lang_update.html

A request sent inside a caller's transaction takes its token in that transaction: the row stays
locked until it commits. The sync engine calls QuickBooks outside transactions (it claims first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.db import connection
from django.db.models import Q, Subquery

from operations.budget_models import RequestBudget, RequestSlot
from shopqb_app.integrations.budget import LANES, LaneState, Shape


def _num(value: float) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return repr(number)


class DatabaseStore:
    def __init__(self) -> None:
        self._slots_made: set[tuple[str, int]] = set()

    # --- the bucket ---

    def take(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        for _ in range(2):
            refilled = self._refilled(shape, now)
            sets = [f"t{i} = {refilled[i]} - {_num(costs[i])}" for i in range(LANES)]
            holds = [f"{refilled[i]} >= {_num(costs[i])}" for i in range(LANES) if costs[i] > 0]
            if self._update(key, [*sets, self._stamp(now)], holds):
                return 0.0
            state = self._state(key)
            if state is None:
                self._create(key, shape, now)
                continue
            return max(state.wait_for(shape, costs, now), 0.001)
        return 0.001  # created a moment ago by someone else and already spent: look again

    def wait(self, key: str, shape: Shape, costs: Sequence[float], now: float) -> float:
        state = self._state(key)
        return 0.0 if state is None else state.wait_for(shape, costs, now)  # none yet: a full bucket

    def give(
        self, key: str, shape: Shape, amounts: Sequence[float], at_most: Sequence[float | None], now: float
    ) -> None:
        refilled = self._refilled(shape, now)
        least = self._least
        sets = []
        for i in range(LANES):
            value = f"{least}({_num(shape[i].capacity)}, {refilled[i]} + {_num(amounts[i])})"
            if at_most[i] is not None:
                value = f"{least}({value}, {_num(at_most[i])})"  # type: ignore[arg-type]
            sets.append(f"t{i} = {value}")
        if not self._update(key, [*sets, self._stamp(now)], []):
            self._create(key, shape, now)
            self._update(key, [*sets, self._stamp(now)], [])

    def slow(self, key: str, shape: Shape, factor: float, until: float, now: float) -> None:
        refilled = self._refilled(shape, now)
        sets = [f"t{i} = {self._least}({refilled[i]}, 0.0)" for i in range(LANES)]
        sets += [self._stamp(now), f"slow_until = {_num(until)}", f"slow_factor = {_num(factor)}"]
        if not self._update(key, sets, []):
            self._create(key, shape, now)
            self._update(key, sets, [])

    def _refilled(self, shape: Shape, now: float) -> list[str]:
        greatest, least, t = self._greatest, self._least, _num(now)
        effective = (
            f"({greatest}(0.0, {t} - stamp) - (1.0 - slow_factor) * {greatest}(0.0, {least}({t}, slow_until) - stamp))"
        )
        return [
            f"{least}({_num(bucket.capacity)}, t{i} + {_num(bucket.rate)} * {effective})"
            for i, bucket in enumerate(shape)
        ]

    def _stamp(self, now: float) -> str:
        return f"stamp = {self._greatest}(stamp, {_num(now)})"

    def _update(self, key: str, sets: list[str], holds: list[str]) -> int:
        table = RequestBudget._meta.db_table
        where = " AND ".join(["key = %s", *holds])
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}", [key])  # noqa: S608 (numbers only)
            return int(cursor.rowcount)

    def _state(self, key: str) -> LaneState | None:
        row = (
            RequestBudget.objects.filter(key=key)
            .values_list("t0", "t1", "t2", "t3", "stamp", "slow_until", "slow_factor")
            .first()
        )
        if row is None:
            return None
        return LaneState(list(row[:LANES]), row[4], row[5], row[6])

    def _create(self, key: str, shape: Shape, now: float) -> None:
        """A full bucket for a company seen for the first time (unless another process made it)."""
        full = LaneState.full(shape, now)
        row = RequestBudget(key=key, stamp=now, **{f"t{i}": tokens for i, tokens in enumerate(full.tokens)})
        RequestBudget.objects.bulk_create([row], ignore_conflicts=True)

    @property
    def _greatest(self) -> str:
        return "GREATEST" if connection.vendor == "postgresql" else "MAX"

    @property
    def _least(self) -> str:
        return "LEAST" if connection.vendor == "postgresql" else "MIN"

    # --- the slots ---

    def slot_take(self, key: str, limit: int, holder: str, expires: float, now: float) -> bool:
        if (key, limit) not in self._slots_made:
            RequestSlot.objects.bulk_create([RequestSlot(key=key, slot=n) for n in range(limit)], ignore_conflicts=True)
            self._slots_made.add((key, limit))
        free = Q(holder="") | Q(expires__lt=now)
        for _ in range(3):
            # One statement when a slot is free (every request pays it): update a free slot picked
            # by the subquery, re-checking it is still free. Only when none was taken, look why.
            candidate = RequestSlot.objects.filter(free, key=key, slot__lt=limit).order_by("?").values("pk")[:1]
            if RequestSlot.objects.filter(free, pk=Subquery(candidate)).update(holder=holder, expires=expires):
                return True
            if candidate.exists():
                continue  # another worker took the slot picked between the look and the update
            if RequestSlot.objects.filter(key=key).exists():
                return False
            # The rows this process made are gone (deleted, or rolled back with a transaction):
            # make them again rather than count a company with no rows as full.
            RequestSlot.objects.bulk_create([RequestSlot(key=key, slot=n) for n in range(limit)], ignore_conflicts=True)
        return False

    def slot_release(self, key: str, holder: str) -> None:
        RequestSlot.objects.filter(key=key, holder=holder).update(holder="", expires=0.0)


def budget_configure() -> None:
    """Give the vendor clients the budget the settings ask for (at startup, in every process)."""
    from django.conf import settings

    from shopqb_app.integrations import budget

    kind = settings.REQUEST_BUDGET
    if kind == "off":
        budget.configure(None)
        return
    store: budget.Store = budget.RedisStore(settings.REQUEST_BUDGET_REDIS_URL) if kind == "redis" else DatabaseStore()
    budget.configure(
        budget.Budget(
            store,
            quickbooks=budget.QuickBooksLimits(
                per_minute=settings.QBO_REQUESTS_PER_MINUTE,
                per_second=settings.QBO_REQUESTS_PER_SECOND,
                concurrent=settings.QBO_CONCURRENT_REQUESTS,
                batches_per_minute=settings.QBO_BATCHES_PER_MINUTE,
                bulk_share=settings.REQUEST_BUDGET_BULK_SHARE,
                max_wait=settings.REQUEST_BUDGET_MAX_WAIT,
            ),
            shopify=budget.ShopifyLimits(bulk_share=settings.REQUEST_BUDGET_BULK_SHARE),
        )
    )
