"""Times on the merchant's pages are in the shop's own time zone, with the zone shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.accounts.factories import make_connection
from tests.factories import session_token

pytestmark = pytest.mark.django_db


def home_page(client, shop) -> str:
    return client.get("/", {"id_token": session_token(shop.domain)}).content.decode()


def test_the_home_page_shows_times_in_the_shops_zone(client, shop_a):
    shop_a.iana_timezone = "America/New_York"
    shop_a.save()
    make_connection(shop_a, company_name="Alpha Books Ltd", connected_at=datetime(2026, 7, 1, 16, 5, tzinfo=UTC))
    assert "1 Jul 2026, 12:05 EDT" in home_page(client, shop_a)  # 16:05 UTC, four hours behind in July


def test_an_unknown_zone_falls_back_to_utc(client, shop_a):
    shop_a.iana_timezone = "Mars/Olympus_Mons"
    shop_a.save()
    make_connection(shop_a, company_name="Alpha Books Ltd", connected_at=datetime(2026, 7, 1, 16, 5, tzinfo=UTC))
    assert "1 Jul 2026, 16:05 UTC" in home_page(client, shop_a)
