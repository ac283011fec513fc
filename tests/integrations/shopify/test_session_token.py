"""App Bridge session tokens: what session_token_decode accepts and what it refuses."""

import time

import pytest

from shopqb_app.integrations.shopify.errors import InvalidSessionToken
from shopqb_app.integrations.shopify.session_token import session_token_decode
from tests.factories import API_SECRET, session_token

pytestmark = pytest.mark.usefixtures("app_settings")

SHOP = "alpha-goods.myshopify.com"


def test_decode_returns_the_shop_from_dest():
    claims = session_token_decode(session_token(SHOP))
    assert claims.shop_domain == SHOP
    assert claims.user_id == "42"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        session_token(SHOP, lifetime=-60),  # expired beyond the 10 s leeway
        session_token(SHOP, aud="someone-elses-app"),
        session_token(SHOP, secret="wrong-secret-" + API_SECRET),
        session_token(SHOP, dest="https://bravo-wares.myshopify.com"),  # iss != dest
        session_token(SHOP, iss="https://evil.example.com/admin", dest="https://evil.example.com"),
        session_token(SHOP, nbf=int(time.time()) + 120),  # not yet valid
    ],
    ids=["empty", "garbage", "expired", "wrong-aud", "bad-signature", "dest-mismatch", "not-a-shop", "future-nbf"],
)
def test_decode_refuses(token):
    with pytest.raises(InvalidSessionToken):
        session_token_decode(token)


def signed_without(claim, token):
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    del claims[claim]
    return jwt.encode(claims, API_SECRET, algorithm="HS256")


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_decode_refuses_a_token_without_a_time_claim(claim):
    """ShopifyAPI checks these only when present: without ``exp`` a token would never expire."""
    with pytest.raises(InvalidSessionToken):
        session_token_decode(signed_without(claim, session_token(SHOP)))


@pytest.mark.parametrize("lifetime", [61, 3600, 10 * 365 * 86400])
def test_decode_refuses_a_token_that_lives_longer_than_a_minute(lifetime):
    with pytest.raises(InvalidSessionToken, match="lifetime"):
        session_token_decode(session_token(SHOP, lifetime=lifetime))


def test_decode_accepts_app_bridges_one_minute_and_says_when_it_was_issued():
    now = int(time.time())
    claims = session_token_decode(session_token(SHOP, lifetime=60, now=now))
    assert claims.issued_at.timestamp() == now


def test_decode_refuses_alg_none():
    import jwt

    token = jwt.encode({"dest": f"https://{SHOP}"}, key=None, algorithm="none")
    with pytest.raises(InvalidSessionToken):
        session_token_decode(token)
