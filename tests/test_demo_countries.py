"""`./bin/demo --country GB|CA|AU|US`: a shop and a QuickBooks company of that country, each country
in its own state directory, and `./bin/demo manage --country X` finding that country's demo."""

import json
import os
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox import demo

ROOT = Path(__file__).resolve().parent.parent


def run_demo(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite in the state dir
    return subprocess.run(
        [str(ROOT / "bin" / "demo"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_each_country_has_its_own_state_directory_and_the_us_keeps_dot_demo():
    assert demo.default_state_dir("US") == ROOT / ".demo"
    dirs = {demo.default_state_dir(c) for c in ("US", "GB", "CA", "AU")}
    assert len(dirs) == 4
    assert demo.default_state_dir("GB") == ROOT / ".demo" / "GB"
    assert demo.QBO_PRESETS == {"US": "US", "GB": "UK", "CA": "CA", "AU": "AU"}


def test_a_state_directory_refuses_another_countrys_demo(tmp_path):
    demo.claim_state_dir(tmp_path, "GB")
    demo.claim_state_dir(tmp_path, "GB")  # the same country again: fine
    with pytest.raises(SystemExit, match="holds the demo of GB, not CA"):
        demo.claim_state_dir(tmp_path, "CA")


def test_the_country_option_is_checked():
    with pytest.raises(SystemExit):
        demo.main(["--country", "FR", "--state-dir", "/nonexistent/never-created"])


def test_manage_finds_the_countrys_state_directory(tmp_path):
    result = run_demo("manage", "--country", "gb", "--state-dir", str(tmp_path), "check")
    assert result.returncode != 0
    assert f"no demo has run with {tmp_path}: start ./bin/demo --country GB first" in result.stderr
    result = run_demo("manage", "--state-dir", str(tmp_path), "--country=CA", "check")
    assert "start ./bin/demo --country CA first" in result.stderr
    unknown = run_demo("manage", "--country", "XX", "check")
    assert unknown.returncode == 2 and "unknown country 'XX'" in unknown.stderr


@pytest.mark.slow
def test_the_gb_demo_books_a_uk_vat_shop_and_reconciles(tmp_path):
    state = tmp_path / "demo-gb"
    result = run_demo("--once", "--country", "GB", "--state-dir", str(state), "--port", "8752", timeout=900)
    out = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-4000:]
    info = json.loads(out[0])
    assert info["shops"][0]["domain"] == "demo-store-gb.myshopify.com"
    assert info["qbo_companies"][0]["preset"] == "UK"
    shop_line = next(line for line in out if line.startswith("Shop: "))
    assert "the United Kingdom (GB, GBP)" in shop_line and "Sandbox Company UK" in shop_line
    assert out[-1].split()[-1] == "MATCH" and "GBP" in out[-1]
    assert (state / "country").read_text().strip() == "GB"


def setup_scanned(settings, monkeypatch, country, *, orders=40):
    """A demo shop of ``country`` seeded, connected and taken through the setup's proposals (what
    the demo does before its preview), with the Taxes page saved as proposed."""
    from accounts.clients import qbo_client, shopify_client
    from accounts.models import QuickBooksConnection
    from mappings import discovery, proposals
    from mappings.catalog import catalog_read
    from sandbox import setup
    from sandbox.runner import start_sandboxes
    from sandbox.shopify.countries import shop_spec
    from sandbox.shopify.seeder import seed_shop
    from tests.sandboxes import use_sandboxes

    sandboxes = start_sandboxes(
        shopify_options={"shops": [shop_spec(country)], "deliver_webhooks": False},
        qbo_options={"companies": [demo.QBO_PRESETS[country]]},
    )
    info = sandboxes.info
    use_sandboxes(settings, monkeypatch, info)
    shop = demo.connect_demo_shop(info)
    seed_shop(base_url=info["shopify"], shop=shop.domain, token=info["shops"][0]["access_token"], orders=orders, seed=7)
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    discovery.setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by=setup.BY, start_date=date(2000, 1, 1))
    result = setup.tax_proposals_confirm(shop=shop, qb=qb, catalog=catalog)
    return sandboxes, shop, result


def mapped(shop):
    from mappings.models import TaxMapping

    return {
        tuple(tuple(p) for p in row.pairs): (row.qbo_tax_code_name, row.confirmed)
        for row in TaxMapping.objects.filter(shop=shop)
    }


@pytest.mark.django_db
def test_the_gb_demo_saves_the_taxes_page_as_proposed(settings, monkeypatch):
    sandboxes, shop, result = setup_scanned(settings, monkeypatch, "GB")
    try:
        assert shop.currency == "GBP" and shop.qbo.country == "GB"
        codes = mapped(shop)
        assert codes[(("GB VAT", "0.2"),)] == ("20.0% S", True)
        assert codes[(("GB VAT", "0.05"),)] == ("5.0% R", True)
        assert codes[(("GB VAT", "0"),)] == ("0.0% Z", True)
        assert all(confirmed for _name, confirmed in codes.values())
        assert result["created"] == 0
    finally:
        sandboxes.stop()


@pytest.mark.django_db
def test_the_ca_demo_creates_the_combined_gst_pst_code_on_confirmation(settings, monkeypatch):
    sandboxes, shop, result = setup_scanned(settings, monkeypatch, "CA")
    try:
        codes = mapped(shop)
        assert codes[(("HST", "0.13"),)] == ("HST ON", True)
        assert codes[(("GST", "0.05"), ("QST", "0.09975"))] == ("GST/QST QC", True)
        # No code of the company holds both rates: the merchant's confirmation creates one.
        name, confirmed = codes[(("GST", "0.05"), ("PST", "0.07"))]
        assert confirmed and name == "GST 5% + PST 7%" and result["created"] == 1
        from mappings.models import TaxMapping

        row = TaxMapping.objects.get(shop=shop, qbo_tax_code_name=name)
        assert sorted(Decimal(percent) for _id, percent in row.code_rates) == [Decimal(5), Decimal(7)]
        assert row.created_by_app
    finally:
        sandboxes.stop()
