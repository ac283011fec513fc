"""The sync's answers to what happens below it (accounts' signals)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from accounts.models import Shop
from mappings.models import SyncSettings
from syncing.models import SyncIssue
from syncing.pending import enqueue_sweep

log = logging.getLogger(__name__)

# Issues a working connection makes stale: QuickBooks refused our token.
AUTH_CODES = ("qbo_auth",)


def on_quickbooks_connected(sender: Any, *, shop: Shop, **_: Any) -> None:  # noqa: ARG001
    """After a reconnect: the stale authentication issues resolve and, for a live shop, a pass
    starts by itself (what failed while QuickBooks refused us is written now)."""
    resolved = SyncIssue.objects.open().filter(shop=shop, code__in=AUTH_CODES).resolve()
    if resolved:
        log.info("%s: %d authentication issue(s) resolved by the reconnect", shop.domain, resolved)
    if SyncSettings.objects.filter(shop=shop, live_at__isnull=False).exists() and not shop.sync_paused:
        transaction.on_commit(lambda: enqueue_sweep(shop_id=shop.pk))
