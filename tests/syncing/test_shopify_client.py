"""The Shopify transport against the emulator: throttling is waited out, errors are typed."""

import pytest

from shopqb_app.integrations.shopify.client import ShopifyClient, load_query
from shopqb_app.integrations.shopify.errors import ShopifyAuthError, ShopifyQueryError


@pytest.fixture
def client(sandboxes):
    info = sandboxes.info
    shop = info["shops"][0]
    return ShopifyClient(
        shop_domain=shop["domain"],
        access_token=shop["access_token"],
        admin_base=info["shopify"] + "/{shop}",
        api_version="2025-04",
    )


def test_a_throttled_query_waits_for_the_bucket_and_succeeds(client):
    slept = []
    client.sleep = slept.append
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 522,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 22, "restoreRate": 100},
            }
        },
    }
    real_post = client._post
    answers = iter([throttled, throttled])
    client._post = lambda payload: next(answers, None) or real_post(payload)
    data = client.execute(load_query("shop"))
    assert data["shop"]["name"]
    assert slept == [5.0, 5.0]  # (522 - 22) / 100 each time


def test_a_query_that_keeps_being_throttled_gives_up_as_unavailable(client):
    from shopqb_app.integrations.shopify.errors import ShopifyUnavailable

    client.sleep = lambda s: None
    client.max_throttle_wait = 10
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 500,
                "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 0, "restoreRate": 100},
            }
        },
    }
    client._post = lambda payload: throttled
    with pytest.raises(ShopifyUnavailable):
        client.execute(load_query("shop"))


def test_a_bad_token_is_an_auth_error(client):
    client.access_token = "shpat_wrong"
    with pytest.raises(ShopifyAuthError):
        client.execute(load_query("shop"))


def test_a_bad_query_is_a_query_error(client):
    with pytest.raises(ShopifyQueryError):
        client.execute("query { shop { noSuchField } }")


def test_cost_is_learned_per_query(client):
    client.execute(load_query("shop"))
    assert client.known_costs[load_query("shop")] >= 1
    assert client.available is not None and client.restore_rate
