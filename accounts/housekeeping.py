"""Periodic clean-up of rows that stop meaning anything after a while (run by django-q2)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import OAuthState
from accounts.oauth_state import OAUTH_STATE_TTL

log = logging.getLogger(__name__)

# quickbooks_connect.qbo_connect_outcome shows a failed QuickBooks connect on the home page for an hour.
QBO_OUTCOME_SHOWN_FOR = timedelta(hours=1)


def purge_expired_oauth_states() -> int:
    """Delete OAuth states past their lifetime (Shopify install and QuickBooks connect).

    Anyone can start an install, so these rows would otherwise grow without bound. A
    state older than ``OAUTH_STATE_TTL`` can no longer be started or consumed; only a
    finished QuickBooks round trip is kept while its outcome is still shown.
    """
    now = timezone.now()
    still_shown = Q(
        provider=OAuthState.Provider.QUICKBOOKS,
        consumed_at__isnull=False,
        created_at__gte=now - QBO_OUTCOME_SHOWN_FOR,
    )
    deleted = OAuthState.objects.filter(created_at__lt=now - OAUTH_STATE_TTL).exclude(still_shown).delete()[0]
    if deleted:
        log.info("purged %d expired OAuth states", deleted)
    return deleted
