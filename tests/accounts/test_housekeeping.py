"""Expired OAuth states are purged on a schedule: both providers, fresh ones and shown outcomes kept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import housekeeping, oauth_state, quickbooks_connect
from accounts.models import OAuthState

pytestmark = pytest.mark.django_db

SHOPIFY, QUICKBOOKS = OAuthState.Provider.SHOPIFY, OAuthState.Provider.QUICKBOOKS


def state(name, provider, shop, minutes_ago, *, consumed=False, outcome=""):
    created = timezone.now() - timedelta(minutes=minutes_ago)
    return OAuthState.objects.create(
        provider=provider,
        shop_domain=shop.domain,
        state=name,
        created_at=created,
        started_at=created if provider == QUICKBOOKS else None,
        consumed_at=created + timedelta(minutes=1) if consumed else None,
        outcome=outcome,
    )


def test_purge_deletes_expired_states_of_both_providers_and_keeps_the_rest(shop_a, shop_b):
    state("install-fresh", SHOPIFY, shop_a, 2)
    state("install-abandoned", SHOPIFY, shop_a, 11)
    state("install-done", SHOPIFY, shop_b, 30, consumed=True)
    state("connect-fresh", QUICKBOOKS, shop_a, 5)
    state("connect-abandoned", QUICKBOOKS, shop_b, 11)
    state("connect-failed-lately", QUICKBOOKS, shop_a, 30, consumed=True, outcome="QuickBooks was not connected.")
    state("connect-failed-long-ago", QUICKBOOKS, shop_b, 90, consumed=True, outcome="QuickBooks was not connected.")

    assert housekeeping.purge_expired_oauth_states() == 4

    assert set(OAuthState.objects.values_list("state", flat=True)) == {
        "install-fresh",
        "connect-fresh",
        "connect-failed-lately",
    }
    # The home page still explains the failed connect.
    assert quickbooks_connect.qbo_connect_outcome(shop=shop_a).state == "connect-failed-lately"
    assert housekeeping.purge_expired_oauth_states() == 0


def test_a_purged_install_state_was_useless_already(shop_a):
    """Past its lifetime a state cannot be consumed: deleting it loses nothing."""
    old = state("install-old", SHOPIFY, shop_a, 11)
    with pytest.raises(oauth_state.InvalidState):
        oauth_state.oauth_state_consume(provider=SHOPIFY, state=old.state, cookie_state=old.state)
