"""A sandbox shop per country: its currency, time zone, tax style, Shopify Payments rates and locations.

``shop_spec("GB")`` is what ``manage.py sandbox --shop-country GB`` (and ``bin/demo --country GB``)
starts the Shopify emulator with; ``locations_for`` gives a new shop its two locations in its own
country. The United States profile is the emulator's long-standing default shop, unchanged.

Tax style: merchants in the United Kingdom and Australia show prices with VAT/GST included (Shopify's
"All prices include tax" setting, ``taxesIncluded``); in Canada and the United States prices exclude
tax and it is added at checkout.
"""

from __future__ import annotations

from typing import Any

COUNTRIES = ("US", "GB", "CA", "AU")

# Shopify Payments' rates are the "Shopify" plan's online and in-person card rates of the country
# (rate, fixed fee in the shop's currency); only their shape matters to the books: a fee per charge.
PROFILES: dict[str, dict[str, Any]] = {
    "US": {
        "domain": "demo-store.myshopify.com",
        "name": "Demo Store",
        "currency": "USD",
        "timezone": "America/New_York",
        "plan": "Shopify",
        "country": "US",
        "taxes_included": False,
        "presentment_currencies": ["CAD", "EUR", "GBP"],
    },
    "GB": {
        "domain": "demo-store-gb.myshopify.com",
        "name": "Demo Store UK",
        "currency": "GBP",
        "timezone": "Europe/London",
        "plan": "Shopify",
        "country": "GB",
        "taxes_included": True,
        "presentment_currencies": ["EUR", "USD"],
        "fee_rate": "0.017",
        "fee_fixed": "0.25",
        "pos_fee_rate": "0.015",
        "pos_fee_fixed": "0.00",
    },
    "CA": {
        "domain": "demo-store-ca.myshopify.com",
        "name": "Demo Store Canada",
        "currency": "CAD",
        "timezone": "America/Toronto",
        "plan": "Shopify",
        "country": "CA",
        "taxes_included": False,
        "presentment_currencies": ["USD", "EUR"],
        "fee_rate": "0.026",
        "fee_fixed": "0.30",
        "pos_fee_rate": "0.025",
        "pos_fee_fixed": "0.00",
    },
    "AU": {
        "domain": "demo-store-au.myshopify.com",
        "name": "Demo Store Australia",
        "currency": "AUD",
        "timezone": "Australia/Sydney",
        "plan": "Shopify",
        "country": "AU",
        "taxes_included": True,
        "presentment_currencies": ["USD", "NZD"],
        "fee_rate": "0.016",
        "fee_fixed": "0.30",
        "pos_fee_rate": "0.014",
        "pos_fee_fixed": "0.00",
    },
}

# The first location is where online orders ship from and refunds restock; the second is a shop
# that only sells in person (POS).
_LOCATIONS: dict[str, list[dict[str, Any]]] = {
    "US": [
        {"name": "Main Warehouse", "address1": "150 Elgin Street", "city": "Ottawa", "province": "New York",
         "province_code": "NY", "zip": "10001", "country": "United States", "country_code": "US"},
        {"name": "Downtown Store", "address1": "12 Market Street", "city": "Brooklyn", "province": "New York",
         "province_code": "NY", "zip": "11201", "country": "United States", "country_code": "US",
         "fulfills_online_orders": False},
    ],
    "GB": [
        {"name": "Main Warehouse", "address1": "4 Trafford Wharf Road", "city": "Manchester", "province": "England",
         "province_code": "ENG", "zip": "M17 1AB", "country": "United Kingdom", "country_code": "GB"},
        {"name": "Downtown Store", "address1": "22 Neal Street", "city": "London", "province": "England",
         "province_code": "ENG", "zip": "WC2H 9PS", "country": "United Kingdom", "country_code": "GB",
         "fulfills_online_orders": False},
    ],
    "CA": [
        {"name": "Main Warehouse", "address1": "150 Elgin Street", "city": "Ottawa", "province": "Ontario",
         "province_code": "ON", "zip": "K2P 1L4", "country": "Canada", "country_code": "CA"},
        {"name": "Downtown Store", "address1": "12 Queen Street West", "city": "Toronto", "province": "Ontario",
         "province_code": "ON", "zip": "M5H 2M5", "country": "Canada", "country_code": "CA",
         "fulfills_online_orders": False},
    ],
    "AU": [
        {"name": "Main Warehouse", "address1": "8 Dunning Avenue", "city": "Rosebery", "province": "New South Wales",
         "province_code": "NSW", "zip": "2018", "country": "Australia", "country_code": "AU"},
        {"name": "Downtown Store", "address1": "120 Pitt Street", "city": "Sydney", "province": "New South Wales",
         "province_code": "NSW", "zip": "2000", "country": "Australia", "country_code": "AU",
         "fulfills_online_orders": False},
    ],
}  # fmt: skip

_BILLING = {
    "US": ("150 Elgin Street", "New York", "New York", "NY", "10001", "United States"),
    "GB": ("4 Trafford Wharf Road", "Manchester", "England", "ENG", "M17 1AB", "United Kingdom"),
    "CA": ("150 Elgin Street", "Ottawa", "Ontario", "ON", "K2P 1L4", "Canada"),
    "AU": ("8 Dunning Avenue", "Rosebery", "New South Wales", "NSW", "2018", "Australia"),
}


def shop_spec(country: str) -> dict[str, Any]:
    """The emulator's shop configuration for a demo shop in ``country`` (US, GB, CA, AU)."""
    try:
        return {**PROFILES[country.upper()]}
    except KeyError:
        raise ValueError(f"no sandbox shop profile for {country!r}: one of {', '.join(COUNTRIES)}") from None


def locations_for(country: str) -> list[dict[str, Any]]:
    return [dict(loc) for loc in _LOCATIONS.get(country.upper(), _LOCATIONS["US"])]


def billing_address(country: str) -> dict[str, Any]:
    """The shop's own address (``Shop.billingAddress``): where the business is registered."""
    code = country.upper() if country.upper() in _BILLING else "US"
    address1, city, province, province_code, zip_code, name = _BILLING[code]
    return {
        "address1": address1,
        "city": city,
        "province": province,
        "provinceCode": province_code,
        "zip": zip_code,
        "country": name,
        "countryCodeV2": code,
    }
