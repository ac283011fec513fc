"""The seeder creates products and orders through public mutations, deterministically."""

from datetime import UTC, datetime

from sandbox.shopify.seeder import seed_shop

ANCHOR = datetime(2026, 3, 1, tzinfo=UTC)


def test_seeder_creates_mostly_paid_orders_deterministically_and_idempotently(make_emulator):
    results = []
    for _ in range(2):
        emu, base_url = make_emulator(throttle=False)
        info = emu.describe()["shops"][0]
        summary = seed_shop(
            base_url=base_url, shop=info["domain"], token=info["access_token"], orders=60, seed=3, anchor=ANCHOR
        )
        assert summary["orders_created"] == 60
        assert summary["financial_status"]["PAID"] >= 50
        again = seed_shop(
            base_url=base_url, shop=info["domain"], token=info["access_token"], orders=60, seed=3, anchor=ANCHOR
        )
        assert again["orders_created"] == 0 and again["orders_existing"] == 60
        shop = emu.store.shops[info["domain"]]
        results.append(
            sorted((o.source_identifier, str(o.total_price().shop), o.processed_at) for o in shop.orders.values())
        )
    assert results[0] == results[1]
