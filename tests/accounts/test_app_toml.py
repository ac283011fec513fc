"""shopify.app.toml agrees with the code: scopes, API version, every handled topic, URLs."""

import tomllib
from pathlib import Path

import pytest

from syncing.webhooks import HANDLERS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "shopify.app.toml").read_text())


def test_embedded_with_managed_install():
    assert CONFIG["embedded"] is True
    assert CONFIG["access_scopes"]["use_legacy_install_flow"] is False


def test_scopes_and_api_version_match_the_settings():
    # The autouse fixture narrows SHOPIFY_SCOPES for other tests: read the module's values.
    from shopqb_app import settings as project

    assert CONFIG["access_scopes"]["scopes"].split(",") == project.SHOPIFY_SCOPES
    assert CONFIG["webhooks"]["api_version"] == project.SHOPIFY_API_VERSION


def test_every_handled_topic_is_subscribed_and_compliance_topics_are_there():
    subscribed, compliance = set(), set()
    for subscription in CONFIG["webhooks"]["subscriptions"]:
        assert subscription["uri"] == "/webhooks"
        subscribed |= set(subscription.get("topics", []))
        compliance |= set(subscription.get("compliance_topics", []))
    assert compliance == {"customers/data_request", "customers/redact", "shop/redact"}
    assert subscribed | compliance == set(HANDLERS)


@pytest.mark.django_db
def test_configured_paths_exist(client):
    assert client.post("/webhooks").status_code == 401  # reachable, and refuses unsigned bodies
    for url in CONFIG["auth"]["redirect_urls"]:
        assert url.endswith("/auth/callback")
