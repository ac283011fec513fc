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
        assert summary["financial_status_at_creation"]["PAID"] >= 50
        again = seed_shop(
            base_url=base_url, shop=info["domain"], token=info["access_token"], orders=60, seed=3, anchor=ANCHOR
        )
        assert again["orders_created"] == 0 and again["orders_existing"] == 60
        shop = emu.store.shops[info["domain"]]
        results.append(
            sorted((o.source_identifier, str(o.total_price().shop), o.processed_at) for o in shop.orders.values())
        )
    assert results[0] == results[1]


def test_seeded_mix_covers_the_accounting_cases(make_emulator):
    emu, base_url = make_emulator(throttle=False)
    info = emu.describe()["shops"][0]
    summary = seed_shop(
        base_url=base_url, shop=info["domain"], token=info["access_token"], orders=200, seed=11, anchor=ANCHOR
    )
    assert set(summary["mix"]) == {
        "paid", "discount", "paypal", "manual", "pos", "presentment", "vat", "gift_card_sale", "gift_card_redeem",
        "test", "net_terms", "authorized", "refund_partial", "refund_full", "cancel",
    }  # fmt: skip
    orders = list(emu.store.shops[info["domain"]].orders.values())
    statuses = {o.financial_status() for o in orders}
    assert {"PAID", "PENDING", "AUTHORIZED", "REFUNDED", "PARTIALLY_REFUNDED"} <= statuses
    assert len({o.location_id for o in orders if o.source_name == "pos"}) == 2
    assert {o.presentment_currency for o in orders} > {"USD"}
    assert any(o.taxes_included for o in orders)
    assert any(len({t.title for li in o.line_items for t in li.tax_lines}) >= 2 for o in orders)  # multi-jurisdiction
    assert any(li.gift_card for o in orders for li in o.line_items)
    assert any(t.gateway == "gift_card" for o in orders for t in o.transactions)
    assert any(li.tip for o in orders for li in o.line_items)
    assert {t.gateway for o in orders for t in o.transactions} >= {"shopify_payments", "paypal", "manual", "cash"}
    assert any(o.test for o in orders) and any(o.cancelled_at for o in orders)
    assert any(o.discount_applications for o in orders)
    restocks = {r.restock_type for o in orders for rf in o.refunds for r in rf.line_items}
    assert {"RETURN", "NO_RESTOCK", "CANCEL"} <= restocks
    # most orders are plain paid ones a SalesReceipt represents
    plain = [o for o in orders if o.financial_status() == "PAID" and not o.refunds and o.presentment_currency == "USD"]
    assert len(plain) > len(orders) * 0.6
