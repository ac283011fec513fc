"""The state of an OAuth round trip (Shopify install, QuickBooks connect): one row, used once.

Both providers' callbacks come back through a browser anyone can drive, so a
callback counts only if its state matches a row we created, is fresh, and has not
been used before.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import OAuthState

OAUTH_STATE_TTL = timedelta(minutes=10)


class InvalidState(Exception):
    """An OAuth callback that does not belong to a round trip we started."""


def oauth_state_create(*, provider: str, shop_domain: str) -> OAuthState:
    return OAuthState.objects.create(provider=provider, shop_domain=shop_domain, state=secrets.token_urlsafe(32))


def oauth_state_consume(*, provider: str, state: str, cookie_state: str, shop_domain: str | None = None) -> OAuthState:
    """The callback's state must match the browser's cookie and a fresh, unused row: exactly once."""
    if not state or not cookie_state or not secrets.compare_digest(state.encode(), cookie_state.encode()):
        raise InvalidState("the sign-in did not start in this browser")
    filters = Q(provider=provider, state=state, consumed_at__isnull=True)
    filters &= Q(created_at__gte=timezone.now() - OAUTH_STATE_TTL)
    if shop_domain is not None:
        filters &= Q(shop_domain=shop_domain)
    if OAuthState.objects.filter(filters).update(consumed_at=timezone.now()) != 1:
        raise InvalidState("the sign-in has expired or was already completed")
    return OAuthState.objects.get(provider=provider, state=state)
