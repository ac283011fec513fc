"""Pages a person opens in a browser: the sandbox's index and an order's page in the admin (where the
app's Orders page links)."""

from __future__ import annotations

import requests

from tests.sandbox_shopify.helpers import make_product, paid_order


def test_root_lists_the_shops_admin_frames_and_controls(make_emulator):
    emu, base_url = make_emulator(throttle=False, app_url="http://127.0.0.1:9")

    page = requests.get(f"{base_url}/", timeout=10)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "Shopify store sandbox" in html
    for shop in emu.describe()["shops"]:
        assert shop["domain"] in html
        assert f"href='{base_url}/{shop['domain']}/admin/apps/{emu.api_key}/'" in html
    assert f"href='{base_url}/_sandbox/state'" in html
    assert "/_sandbox/payouts/run" in html


def test_order_page_shows_name_date_lines_totals_and_status(emulator, shop):
    emu, base_url = emulator
    _, variant, _ = make_product(shop, title="Espresso Cup", sku="CUP-7", price="1250.00")
    order = paid_order(shop, variant["id"], qty=2, price="1250.00", tax_rate="0.1", shipping="5.00")
    order_id = order["id"].rsplit("/", 1)[1]

    page = requests.get(f"{base_url}/{shop.domain}/admin/orders/{order_id}", timeout=10)

    assert page.status_code == 200, page.text
    html = page.text
    stored = emu.store.shops[shop.domain].orders[int(order_id)]
    assert f"Order {stored.name}" in html
    assert stored.processed_at.isoformat()[:10] in html
    assert "Espresso Cup" in html
    assert "CUP-7" in html
    assert "2,500.00 USD" in html  # the line: 2 x 1,250.00
    assert "2,755.50 USD" in html  # total: (2,500.00 + 5.00) + 10% tax
    assert "Paid" in html


def test_order_page_404s_for_unknown_orders_and_shops(emulator, shop):
    _, base_url = emulator
    assert requests.get(f"{base_url}/{shop.domain}/admin/orders/999999", timeout=10).status_code == 404
    assert requests.get(f"{base_url}/{shop.domain}/admin/orders/not-a-number", timeout=10).status_code == 404
    assert requests.get(f"{base_url}/nowhere.myshopify.com/admin/orders/1", timeout=10).status_code == 404


def test_favicon_answers_no_content(emulator):
    _, base_url = emulator
    response = requests.get(f"{base_url}/favicon.ico", timeout=10)
    assert response.status_code == 204
    assert response.content == b""
