"""QuickBooks requests and throttles per company, counted across every process.

``TimeoutQuickBooks`` tells its observers of every answer QuickBooks gives
(shopqb_app/integrations/quickbooks/client.py); this module is the observer the app registers
(operations/apps.py). Counts are added to one row per company and day with an UPDATE of
``F() + n``, so web processes and workers on any host add to the same figures.

A request can be sent inside a caller's transaction: the count waits in the process until that
transaction commits (``transaction.on_commit``), so the counter row is never locked for the length
of someone else's transaction and a rolled-back transaction cannot take the count with it.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from operations.models import QuickBooksRequestCount

log = logging.getLogger(__name__)

_lock = threading.Lock()
# (realm id, UTC day) -> [requests, throttled] not written yet.
_pending: dict[tuple[str, date], list[int]] = {}


def quickbooks_request_seen(realm_id: str, status: int, throttled: bool) -> None:  # noqa: ARG001
    """One answer from QuickBooks' API for ``realm_id``. Never raises: counting must not break a sync."""
    try:
        day = timezone.now().date()
        with _lock:
            counts = _pending.setdefault((realm_id, day), [0, 0])
            counts[0] += 1
            counts[1] += int(throttled)
        transaction.on_commit(counts_flush)
    except Exception:  # the database may be unusable here (a test without one, a broken connection)
        log.debug("QuickBooks request count kept for later", exc_info=True)


def counts_flush() -> None:
    """Add the counts this process holds to the shared rows; what cannot be written stays pending."""
    with _lock:
        pending = list(_pending.items())
        _pending.clear()
    for (realm_id, day), (requests, throttled) in pending:
        try:
            _add(realm_id, day, requests, throttled)
        except Exception:
            log.debug("QuickBooks request count not written yet", exc_info=True)
            with _lock:
                counts = _pending.setdefault((realm_id, day), [0, 0])
                counts[0] += requests
                counts[1] += throttled


def counts_discard() -> None:
    """Forget the counts not written yet (tests: a rolled-back test's counts would otherwise be
    written by the next test's flush)."""
    with _lock:
        _pending.clear()


def _add(realm_id: str, day: date, requests: int, throttled: int) -> None:
    rows = QuickBooksRequestCount.objects.filter(realm_id=realm_id, day=day)
    increment = {"requests": F("requests") + requests, "throttled": F("throttled") + throttled}
    if rows.update(**increment):
        return
    try:
        with transaction.atomic():
            QuickBooksRequestCount.objects.create(realm_id=realm_id, day=day, requests=requests, throttled=throttled)
    except IntegrityError:  # another process created the day's row first
        rows.update(**increment)
