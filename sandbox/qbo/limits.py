"""Per-realm request limits of the QBO emulator: requests and batches per minute, requests in flight."""

from __future__ import annotations

import threading
from collections import deque

from . import faults


class Limits:
    """Per-realm request accounting: requests and batches per minute, requests in flight."""

    def __init__(self, per_minute: int, concurrent: int, batch_per_minute: int, per_second: int | None = None):
        self.per_minute = per_minute
        self.per_second = per_second
        self.concurrent = concurrent
        self.batch_per_minute = batch_per_minute
        self.lock = threading.Lock()
        self.recent: dict[str, deque[float]] = {}
        self.batches: dict[str, deque[float]] = {}
        self.in_flight: dict[str, int] = {}

    def enter(self, realm: str, now: float, *, batch: bool) -> None:
        with self.lock:
            recent = self.recent.setdefault(realm, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                raise faults.throttled(
                    f"The request limit of {self.per_minute} requests per minute for this "
                    "realm was exceeded. Wait 60 seconds and retry."
                )
            if self.per_second is not None and sum(1 for t in recent if t > now - 1) >= self.per_second:
                raise faults.throttled(f"More than {self.per_second} requests in one second for this realm.")
            if self.in_flight.get(realm, 0) >= self.concurrent:
                raise faults.throttled(f"More than {self.concurrent} concurrent requests for this realm.")
            if batch:
                batches = self.batches.setdefault(realm, deque())
                while batches and batches[0] <= now - 60:
                    batches.popleft()
                if len(batches) >= self.batch_per_minute:
                    raise faults.throttled(
                        f"The limit of {self.batch_per_minute} batch requests per minute for this realm was exceeded."
                    )
                batches.append(now)
            recent.append(now)
            self.in_flight[realm] = self.in_flight.get(realm, 0) + 1

    def leave(self, realm: str) -> None:
        with self.lock:
            self.in_flight[realm] -= 1
