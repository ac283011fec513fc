"""`manage.py sandbox`: the JSON contract line, and `sandbox seed` against the running sandbox."""

import json
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_line_is_the_contract_and_seed_finds_the_running_sandbox(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--shopify-port",
            "0",
            "--qbo-port",
            "0",
            "--state-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) >= {"shopify", "qbo", "app", "shops", "qbo_companies"}
        assert set(info["app"]) >= {"api_key", "api_secret"}
        shop = info["shops"][0]
        assert shop["domain"].endswith(".myshopify.com") and shop["access_token"]
        company = info["qbo_companies"][0]
        assert {"realm_id", "access_token", "refresh_token", "country"} <= set(company)
        for url in (info["shopify"], info["qbo"]):
            assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert requests.get(info["qbo"] + "/.well-known/openid_configuration", timeout=5).status_code == 200

        port = info["shopify"].rsplit(":", 1)[1]
        seeded = subprocess.run(
            [sys.executable, "manage.py", "sandbox", "seed", "--shopify-port", port, "--orders", "5", "--seed", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert json.loads(seeded.stdout.strip().splitlines()[-1])["orders_created"] == 5
        count = requests.post(
            f"{info['shopify']}/{shop['domain']}/admin/api/2025-04/graphql.json",
            json={"query": "{ orders(first: 50) { nodes { id } } }"},
            headers={"X-Shopify-Access-Token": shop["access_token"]},
            timeout=5,
        ).json()["data"]["orders"]["nodes"]
        assert len(count) == 5
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_shop_in_another_country_with_its_quickbooks_company(tmp_path):
    """`--shop-country GB --qbo-companies UK`: what `bin/demo --country GB` starts."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "sandbox", "--shopify-port", "0", "--qbo-port", "0"),
            *("--state-dir", str(tmp_path), "--shop-country", "gb", "--qbo-companies", "UK"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        [shop] = info["shops"]
        assert shop["domain"] == "demo-store-gb.myshopify.com"
        [company] = info["qbo_companies"]
        assert (company["country"], company["currency"]) == ("GB", "GBP")
        data = requests.post(
            f"{info['shopify']}/{shop['domain']}/admin/api/2025-04/graphql.json",
            json={
                "query": "{ shop { currencyCode ianaTimezone taxesIncluded billingAddress { countryCodeV2 } }"
                " locations(first: 5) { nodes { address { countryCode } } } }"
            },
            headers={"X-Shopify-Access-Token": shop["access_token"]},
            timeout=5,
        ).json()["data"]
        assert data["shop"] == {
            "currencyCode": "GBP",
            "ianaTimezone": "Europe/London",
            "taxesIncluded": True,
            "billingAddress": {"countryCodeV2": "GB"},
        }
        assert {n["address"]["countryCode"] for n in data["locations"]["nodes"]} == {"GB"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
