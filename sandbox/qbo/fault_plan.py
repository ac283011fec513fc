"""Injected failures of the QBO emulator (the ``faults`` control): errors, hangs, latency, throttle storms.

Drawn from a seeded generator so a run can be repeated.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from . import faults
from .faults import QBOFault


class FaultPlan:
    """Injected failures, drawn from a seeded generator so a run can be repeated."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"faults-{seed}")
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.error_rate = 0.0
        self.error_statuses = [500, 503]
        self.latency = 0.0
        self.hang_rate = 0.0
        self.hang_seconds = 130.0
        self.storm = 0  # the next N API requests are throttled
        self.storm_status = 429  # or 403, as QBO has also answered ThrottleExceeded
        # requestid replay is not a permanent guarantee (duplicates reported despite the
        # same id, retention undocumented): on, a repeated requestid is processed again.
        self.ignore_request_ids = False
        self.realm: str | None = None  # None: every realm

    def configure(self, values: dict[str, Any]) -> None:
        with self.lock:
            for key in ("error_rate", "latency", "hang_rate", "hang_seconds"):
                if key in values:
                    setattr(self, key, float(values[key]))
            if "error_statuses" in values:
                self.error_statuses = [int(s) for s in values["error_statuses"]]
            if "storm" in values:
                self.storm = int(values["storm"])
            if "storm_status" in values:
                if int(values["storm_status"]) not in (403, 429):
                    raise QBOFault("2000", "Request could not be parsed", "storm_status must be 429 or 403")
                self.storm_status = int(values["storm_status"])
            if "ignore_request_ids" in values:
                self.ignore_request_ids = bool(values["ignore_request_ids"])
            if "realm" in values:
                self.realm = values["realm"]

    def state(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "error_statuses": self.error_statuses,
            "latency": self.latency,
            "hang_rate": self.hang_rate,
            "hang_seconds": self.hang_seconds,
            "storm": self.storm,
            "storm_status": self.storm_status,
            "ignore_request_ids": self.ignore_request_ids,
            "realm": self.realm,
        }

    def draw(self, realm: str) -> str | None:
        """What happens to this request: None, "storm", "hang" or an HTTP status as text."""
        with self.lock:
            if self.realm is not None and self.realm != realm:
                return None
            if self.storm > 0:
                self.storm -= 1
                return "storm"
            if self.hang_rate and self.rng.random() < self.hang_rate:
                return "hang"
            if self.error_rate and self.rng.random() < self.error_rate:
                return str(self.rng.choice(self.error_statuses))
            return None


class PlainFault(QBOFault):
    """A gateway answer that is not JSON (as a real 503 often is)."""

    def __init__(self, status: int, text: str):
        super().__init__(faults.UNAVAILABLE, text, text, status=status)
        self.text = text


def inject(plan: FaultPlan, realm_id: str, closing: threading.Event) -> None:
    """Applies the plan to one API request: waits, or raises the failure drawn for it."""
    outcome = plan.draw(realm_id)
    if plan.latency:
        closing.wait(plan.latency)
    if outcome is None:
        return
    if outcome == "storm":
        raise faults.throttled("The request limit was reached.  Try again later", plan.storm_status)
    if outcome == "hang":
        closing.wait(plan.hang_seconds)
        raise QBOFault(
            faults.UNAVAILABLE,
            "Gateway timeout",
            "The request timed out (sandbox hung request)",
            status=504,
            fault_type="SystemFault",
        )
    status = int(outcome)
    if status == 503:
        raise PlainFault(503, "Service Unavailable")
    raise QBOFault(
        faults.INTERNAL,
        "An application error has occurred while processing your request",
        "System Failure Error: sandbox injected failure",
        status=status,
        fault_type="SystemFault",
    )
