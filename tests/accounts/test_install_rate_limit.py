"""Anyone can start an install and each start writes a state row: limited per client and per shop."""

import pytest

from accounts import ratelimit
from accounts.models import OAuthState

pytestmark = pytest.mark.django_db


def install(client, shop, **extra):
    return client.get("/auth/install", {"shop": shop}, **extra)


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter's clock (only its own: the cache keeps real time), 100 s into a window."""

    class Clock:
        now = 600 * 2_900_000 + 100.0

        @classmethod
        def time(cls):
            return cls.now

    monkeypatch.setattr(ratelimit, "time", Clock)
    return Clock


def test_one_address_gets_429_with_retry_after_and_no_row(client, settings, clock):
    settings.INSTALL_RATE_LIMIT_PER_IP = 3
    for n in range(3):
        assert install(client, f"shop-{n}.myshopify.com", REMOTE_ADDR="198.51.100.7").status_code == 302
    response = install(client, "shop-9.myshopify.com", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert response["Retry-After"] == "500"  # the rest of the window
    assert b"Too many install attempts" in response.content
    assert OAuthState.objects.count() == 3
    assert not OAuthState.objects.filter(shop_domain="shop-9.myshopify.com").exists()
    # Someone else is not held up, and the address may try again in the next window.
    assert install(client, "shop-9.myshopify.com", REMOTE_ADDR="198.51.100.8").status_code == 302
    clock.now += 500
    assert install(client, "shop-10.myshopify.com", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_invalid_shops_count_against_the_address_too(client, settings, clock):
    settings.INSTALL_RATE_LIMIT_PER_IP = 2
    for _ in range(2):
        assert install(client, "evil.example.com", REMOTE_ADDR="198.51.100.7").status_code == 400
    assert install(client, "fine.myshopify.com", REMOTE_ADDR="198.51.100.7").status_code == 429
    assert OAuthState.objects.count() == 0


def test_one_shop_gets_429_from_any_address(client, settings, clock):
    settings.INSTALL_RATE_LIMIT_PER_SHOP = 2
    for n in range(2):
        assert install(client, "target.myshopify.com", REMOTE_ADDR=f"203.0.113.{n}").status_code == 302
    response = install(client, "target.myshopify.com", REMOTE_ADDR="203.0.113.99")
    assert response.status_code == 429 and response["Retry-After"] == "500"
    assert OAuthState.objects.filter(shop_domain="target.myshopify.com").count() == 2
    assert install(client, "other.myshopify.com", REMOTE_ADDR="203.0.113.99").status_code == 302


def test_behind_a_proxy_the_proxys_own_forwarded_entry_counts(client, settings, clock):
    """Earlier X-Forwarded-For entries are the client's to invent: changing them gains nothing."""
    settings.BEHIND_PROXY = True
    settings.INSTALL_RATE_LIMIT_PER_IP = 2
    for n in range(2):
        forwarded = f"10.0.0.{n}, 198.51.100.7"
        assert install(client, f"s{n}.myshopify.com", HTTP_X_FORWARDED_FOR=forwarded).status_code == 302
    assert install(client, "s9.myshopify.com", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7").status_code == 429
    # The proxy's address (REMOTE_ADDR, the same for everyone) is not what is counted.
    assert install(client, "s9.myshopify.com", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(rf, settings):
    settings.BEHIND_PROXY = False
    request = rf.get("/auth/install", HTTP_X_FORWARDED_FOR="10.1.1.1", REMOTE_ADDR="198.51.100.7")
    assert ratelimit.client_address(request) == "198.51.100.7"


def test_ipv6_clients_count_per_64_block(rf, settings):
    settings.BEHIND_PROXY = False
    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert ratelimit.client_address(one) == ratelimit.client_address(other) == "2001:db8:1:2::/64"
