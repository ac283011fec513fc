"""Seed a store with products and orders through public Admin GraphQL mutations only.

Works against the sandbox (``base_url`` = the sandbox's base URL, shops served
under ``/{shop}``) and against a real development store (``base_url`` =
``https://{shop}``). Deterministic for a seed (amounts, lines, gateways, kinds);
processedAt dates are days before the day the seed runs.

Idempotent: orders carry the tag ``shopqb-seed-{seed}`` and a sourceIdentifier
``seed-{seed}-{n}``; a second run only creates what is missing.

The shop's country (``Shop.billingAddress.countryCodeV2``) decides the taxes: a US shop gets
multi-jurisdiction sales tax (and the same orders for a seed as it always has); a shop in the
UK, Canada or Australia gets its country's VAT/GST/HST/PST/QST per line and per region, with
product tax overrides (reduced, zero or no tax), in the shop's own tax style (``taxesIncluded``).
Every order's total is computed here as Shopify computes it, and checked against the total the
store returns (a difference stops the seeding with ``SeedError``).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlparse

import requests

API_VERSION = "2025-04"
BATCH = 10  # orderCreate mutations per request (aliases)
CENT = Decimal("0.01")

CATALOG = [
    # title, sku, price, vendor, product type
    ("Merino Wool Beanie", "BEANIE-01", "24.00", "North Loom", "Hats"),
    ("Canvas Tote Bag", "TOTE-01", "18.50", "North Loom", "Bags"),
    ("Ceramic Pour-Over Set", "POUR-01", "42.00", "Kiln & Co", "Kitchen"),
    ("Organic Coffee Beans 1kg", "COFFEE-1KG", "29.90", "Kiln & Co", "Food"),
    ("Linen Apron", "APRON-01", "35.00", "North Loom", "Kitchen"),
    ("Leather Notebook", "NOTE-01", "16.75", "Paper Trail", "Stationery"),
    ("Fountain Pen", "PEN-01", "58.00", "Paper Trail", "Stationery"),
    ("Wool Socks (3 pack)", "SOCKS-3", "21.00", "North Loom", "Apparel"),
    ("Enamel Camp Mug", "MUG-01", "14.25", "Kiln & Co", "Kitchen"),
    ("Trail Map Poster", "POSTER-01", "12.30", "Paper Trail", "Prints"),
]
GIFT_CARD = ("Gift Card", "GIFT-CARD", "50.00", "Demo Store", "Gift Cards")

US_TAXES = [  # multi-jurisdiction, tax-exclusive
    [
        ("New York State Tax", "0.04"),
        ("New York City Tax", "0.045"),
        ("Metropolitan Commuter Transportation District", "0.00375"),
    ],
    [("California State Tax", "0.0725"), ("Los Angeles County Tax", "0.0225")],
    [("Texas State Tax", "0.0625"), ("Austin City Tax", "0.01"), ("Austin MTA Transit", "0.01")],
    [("Washington State Tax", "0.065"), ("Seattle City Tax", "0.0385")],
]
VAT = [("GB VAT", "0.2"), ("DE MwSt.", "0.19"), ("FR TVA", "0.2")]

# Outside the United States. Tax line titles and rates as Shopify writes them on the orders of a
# shop in that country: "GB VAT" (rate 0.2, or 0.05 on reduced-rate fuel), "GST", "HST", "QST" and
# "PST" in Canada (a Quebec or British Columbia line carries two; Shopify's own example is
# {"title": "GST", "rate": 0.05}: https://shopify.dev/docs/api/liquid/objects/tax_line, and merchants'
# orders show "GST" 0.05 + "QST" 0.09975 on one order:
# https://community.shopify.com/c/graphql-basics-and/critical-error-when-using-order-api-data-to-sum-tax-to-pay-in-a/td-p/1464677),
# "GST" in Australia. The catalog gains one product the UK taxes at the reduced rate: firewood
# for domestic heating (fuel and power for domestic use, 5%: HMRC VAT Notice 701/19).
LOGS = ("Kiln-Dried Hardwood Logs", "LOGS-01", "9.60", "Kiln & Co", "Fuel")
CATALOG_ABROAD = [*CATALOG, LOGS]


@dataclass(frozen=True)
class Region:
    """Where an order ships to: the tax lines Shopify puts on each taxable line and on shipping."""

    code: str
    weight: int
    lines: tuple[tuple[str, str], ...]
    shipping: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CountryTaxes:
    """A country's tax rules for the seeder: regions, product tax overrides, and presentment currencies.

    ``overrides``: SKU -> the rate that replaces the standard one (Shopify's product tax overrides),
    or None where no tax is charged at all (the line gets no tax line). ``other_kind`` replaces the
    US mix's tax-inclusive "vat" orders with the style the country does not use by default.
    """

    regions: tuple[Region, ...]
    overrides: dict[str, str | None]
    presentment: dict[str, Decimal]  # presentment currency -> units per unit of the shop currency
    other_kind: str
    pos_region: str


# Ontario HST 13%; Quebec GST 5% + QST 9.975%; British Columbia GST 5% + PST 7% (PST not on
# delivery); Alberta GST 5% only. Basic groceries (the coffee beans) are zero-rated: no tax line.
CA_TAXES = CountryTaxes(
    regions=(
        Region("ON", 40, (("HST", "0.13"),), (("HST", "0.13"),)),
        Region("QC", 20, (("GST", "0.05"), ("QST", "0.09975")), (("GST", "0.05"), ("QST", "0.09975"))),
        Region("BC", 25, (("GST", "0.05"), ("PST", "0.07")), (("GST", "0.05"),)),
        Region("AB", 15, (("GST", "0.05"),), (("GST", "0.05"),)),
    ),
    overrides={"COFFEE-1KG": None},
    presentment={"USD": Decimal("0.74"), "EUR": Decimal("0.68")},
    other_kind="export",  # shipped to the United States: no Canadian tax
    pos_region="ON",
)
# VAT 20% standard; 5% reduced on domestic fuel (the logs); 0% zero-rated on food (the coffee
# beans) and maps (the trail map), a "GB VAT" line at rate 0 (a product tax override of 0%).
# Shipping at the standard rate. Prices include VAT, except business (B2B) orders.
GB_TAXES = CountryTaxes(
    regions=(Region("GB", 1, (("GB VAT", "0.2"),), (("GB VAT", "0.2"),)),),
    overrides={"LOGS-01": "0.05", "COFFEE-1KG": "0", "POSTER-01": "0"},
    presentment={"EUR": Decimal("1.16"), "USD": Decimal("1.27")},
    other_kind="b2b_exclusive",
    pos_region="GB",
)
# GST 10%, prices include it; food is GST-free (no tax line on that line); shipping is taxed.
AU_TAXES = CountryTaxes(
    regions=(Region("NSW", 1, (("GST", "0.1"),), (("GST", "0.1"),)),),
    overrides={"COFFEE-1KG": None},
    presentment={"USD": Decimal("0.66"), "NZD": Decimal("1.09")},
    other_kind="b2b_exclusive",
    pos_region="NSW",
)
TAXES_BY_COUNTRY = {"CA": CA_TAXES, "GB": GB_TAXES, "AU": AU_TAXES}
FIRST = ["Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Iris", "Omar", "Lena", "Theo", "Ruth", "Kai"]
LAST = ["Nguyen", "Patel", "Garcia", "Smith", "Kowalski", "Okafor", "Rossi", "Kim", "Dubois", "Larsen"]

# (kind, weight): most orders are ones a plain SalesReceipt represents.
MIX = [
    ("paid", 50),
    ("discount", 10),
    ("paypal", 7),
    ("manual", 3),
    ("pos", 8),
    ("presentment", 5),
    ("vat", 4),
    ("gift_card_sale", 2),
    ("gift_card_redeem", 3),
    ("test", 2),
    ("net_terms", 4),
    ("authorized", 2),
    ("refund_partial", 3),  # paid, then one unit refunded (restocked or not)
    ("refund_full", 2),  # paid, then everything refunded, shipping included
    ("cancel", 2),  # paid, then cancelled with refund and restock
]
AFTERWARDS = ("refund_partial", "refund_full", "cancel")


def mix_for(country: str) -> list[tuple[str, int]]:
    """The kinds of orders a shop in ``country`` gets: the same mix everywhere, the "vat" orders
    (tax-inclusive in a US shop) becoming the country's other tax style."""
    taxes = TAXES_BY_COUNTRY.get(country)
    if taxes is None:
        return MIX
    return [(taxes.other_kind if kind == "vat" else kind, weight) for kind, weight in MIX]


def catalog_for(country: str) -> list[tuple[str, str, str, str, str]]:
    return CATALOG if country not in TAXES_BY_COUNTRY else CATALOG_ABROAD


class SeedError(RuntimeError):
    pass


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Client:
    endpoint: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)
    calls: int = 0

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        for _attempt in range(20):
            response = self.session.post(
                self.endpoint,
                json={"query": query, "variables": variables or {}},
                headers={"X-Shopify-Access-Token": self.token},
                timeout=60,
            )
            self.calls += 1
            if response.status_code == 429 or response.status_code >= 500:
                time.sleep(1)
                continue
            if response.status_code != 200:
                raise SeedError(f"HTTP {response.status_code}: {response.text[:300]}")
            body = response.json()
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                status = body.get("extensions", {}).get("cost", {}).get("throttleStatus", {})
                time.sleep(max(0.05, 100 / max(float(status.get("restoreRate") or 100), 1)))
                continue
            if errors:
                raise SeedError(f"GraphQL errors: {errors}")
            return body["data"]  # type: ignore[no-any-return]
        raise SeedError("gave up after repeated throttling")


def endpoint_for(base_url: str, shop: str) -> str:
    base = base_url.rstrip("/")
    if urlparse(base).hostname == shop:
        return f"{base}/admin/api/{API_VERSION}/graphql.json"
    return f"{base}/{shop}/admin/api/{API_VERSION}/graphql.json"


SHOP_QUERY = """
query SeedShop {
  shop { currencyCode taxesIncluded billingAddress { countryCodeV2 } }
  locations(first: 10) { nodes { id name } }
}"""

PRODUCTS_QUERY = """
query SeedProducts($query: String) {
  products(first: 50, query: $query) {
    nodes { id title isGiftCard variants(first: 5) { nodes { id sku price } } }
  }
}"""

PRODUCT_CREATE = """
mutation SeedProductCreate($product: ProductCreateInput) {
  productCreate(product: $product) { product { id } userErrors { field message } }
}"""

VARIANTS_CREATE = """
mutation SeedVariants($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $productId, variants: $variants, strategy: REMOVE_STANDALONE_VARIANT) {
    productVariants { id sku price }
    userErrors { field message }
  }
}"""

EXISTING_ORDERS = """
query SeedExisting($query: String, $after: String) {
  orders(first: 250, after: $after, query: $query, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes { id sourceIdentifier }
  }
}"""


def _ensure_catalog(
    client: Client, locations: list[dict[str, Any]], catalog: list[tuple[str, str, str, str, str]] = CATALOG
) -> dict[str, dict[str, Any]]:
    existing = client(PRODUCTS_QUERY, {"query": "tag:shopqb-seed"})["products"]["nodes"]
    by_sku = {v["sku"]: {**v, "title": p["title"]} for p in existing for v in p["variants"]["nodes"] if v["sku"]}
    for title, sku, price, vendor, product_type in [*catalog, GIFT_CARD]:
        if sku in by_sku:
            continue
        gift = sku == GIFT_CARD[1]
        product = {"title": title, "vendor": vendor, "productType": product_type, "tags": ["shopqb-seed"]}
        if gift:
            product["giftCard"] = True
        created = client(PRODUCT_CREATE, {"product": product})["productCreate"]
        if created["userErrors"]:
            raise SeedError(f"productCreate: {created['userErrors']}")
        variant: dict[str, Any] = {"price": price, "inventoryItem": {"sku": sku, "tracked": not gift}}
        if not gift:
            variant["inventoryQuantities"] = [{"locationId": loc["id"], "availableQuantity": 500} for loc in locations]
        result = client(VARIANTS_CREATE, {"productId": created["product"]["id"], "variants": [variant]})[
            "productVariantsBulkCreate"
        ]
        if result["userErrors"]:
            raise SeedError(f"productVariantsBulkCreate: {result['userErrors']}")
        by_sku[sku] = {**result["productVariants"][0], "title": title}
    return by_sku


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": str(amount), "currencyCode": currency}


def _bag(shop_amount: Decimal, shop_currency: str, pres: tuple[Decimal, str] | None = None) -> dict[str, Any]:
    bag = {"shopMoney": _money(shop_amount, shop_currency)}
    if pres is not None:
        bag["presentmentMoney"] = _money(pres[0], pres[1])
    return bag


def _tax(base: Decimal, rate_: Decimal, taxes: list[tuple[str, Decimal]], inclusive: bool) -> Decimal:
    """One tax line's amount on ``base``, rounded per line as Shopify does: added on top of an
    exclusive price, or the share of an inclusive price (of all the line's rates together)."""
    if not inclusive:
        return r2(base * rate_)
    if len(taxes) == 1:
        return r2(base - base / (1 + rate_))
    return r2(base * rate_ / (1 + sum((r for _t, r in taxes), Decimal(0))))


class OrderPlan:
    """One order's input, with its total computed exactly as Shopify does.

    Every draw from ``rng`` happens in a fixed order, so a seed always plans the same orders.
    """

    def __init__(self, rng: random.Random, n: int, kind: str, catalog: dict[str, Any], ctx: dict[str, Any]) -> None:
        self.kind = kind
        self.n = n
        self.cur = ctx["currency"]
        abroad: CountryTaxes | None = ctx.get("taxes")
        self.abroad = abroad
        if abroad is None:
            fx = {"CAD": Decimal("1.35"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}
            self.pres_cur = rng.choice(["CAD", "EUR", "GBP"]) if kind == "presentment" else None
            self.inclusive = kind == "vat"
        else:
            fx = abroad.presentment
            self.pres_cur = rng.choice(sorted(fx)) if kind == "presentment" else None
            self.inclusive = bool(ctx.get("taxes_included")) and kind != abroad.other_kind
        self.rate = fx[self.pres_cur] if self.pres_cur else None
        products = [catalog[sku] for _t, sku, *_ in ctx.get("catalog", CATALOG)]
        count = rng.choice([1, 1, 1, 2, 2, 3, 4])
        chosen = rng.sample(products, count)
        lines = []
        if kind == "gift_card_sale":
            chosen = []
            lines.append({"variant": catalog[GIFT_CARD[1]], "qty": 1, "unit": d(GIFT_CARD[2]), "gift": True})
        for v in chosen:
            lines.append({"variant": v, "qty": rng.choice([1, 1, 1, 2, 3]), "unit": d(v["price"]), "gift": False})
        self.pct = Decimal(rng.choice([10, 15, 20])) if kind == "discount" else None
        self.pos = kind == "pos"
        shipping = None
        if not self.pos and kind not in ("gift_card_sale",) and rng.random() < 0.8:
            shipping = d(rng.choice(["4.99", "7.50", "12.00"]))
        self.region: Region | None = None
        if abroad is None:
            taxes = [(t, d(r)) for t, r in rng.choice(US_TAXES)] if not self.inclusive else [rng.choice(VAT)]
            self.taxes = [(t, d(r)) for t, r in taxes]
        else:
            by_code = {region.code: region for region in abroad.regions}
            drawn = rng.choices(abroad.regions, [region.weight for region in abroad.regions])[0]
            self.region = by_code[abroad.pos_region] if self.pos else drawn
            if kind == abroad.other_kind and abroad.other_kind == "export":
                self.region = None  # shipped abroad: no tax of the shop's country
            self.taxes = [(t, d(r)) for t, r in self.region.lines] if self.region else []
        tip = d(rng.choice(["1.00", "2.50", "5.00"])) if self.pos and rng.random() < 0.4 else None

        self.total = Decimal(0)
        self.pres_total = Decimal(0)
        line_inputs = [self._line_input(li) for li in lines]
        if tip:
            line_inputs.append(
                {
                    "title": "Tip",
                    "quantity": 1,
                    "priceSet": _bag(tip, self.cur),
                    "taxable": False,
                    "requiresShipping": False,
                }
            )
            self.total += tip
        shipping_inputs = [self._shipping_input(shipping)] if shipping else []
        self.input = self._order_input(rng, ctx, line_inputs, shipping_inputs)

    def _pres(self, amount: Decimal) -> tuple[Decimal, str] | None:
        return (r2(amount * self.rate), self.pres_cur) if self.rate and self.pres_cur else None

    def _tax_input(self, title: str, rate_: Decimal, amount: Decimal, p_amount: Decimal | None) -> dict[str, Any]:
        pres = (p_amount, self.pres_cur) if self.rate and p_amount is not None and self.pres_cur else None
        return {"title": title, "rate": str(rate_), "priceSet": _bag(amount, self.cur, pres)}

    def _line_input(self, li: dict[str, Any]) -> dict[str, Any]:
        """A line with its taxes (in both currencies); adds its total to the order's."""
        rate, pct, inclusive = self.rate, self.pct, self.inclusive
        gross = li["unit"] * li["qty"]
        disc = r2(gross * pct / 100) if pct and not li["gift"] else Decimal(0)
        base = gross - disc
        tax_inputs = []
        tax_sum = Decimal(0)
        pres_tax_sum = Decimal(0)
        if not li["gift"]:
            taxes = self._line_taxes(li["variant"].get("sku"))
            for title, rate_ in taxes:
                amount = _tax(base, rate_, taxes, inclusive)
                p_amount = None
                if rate:
                    pbase = r2(li["unit"] * rate) * li["qty"] - (
                        r2(r2(li["unit"] * rate) * li["qty"] * pct / 100) if pct else 0
                    )
                    p_amount = _tax(pbase, rate_, taxes, inclusive)
                    pres_tax_sum += p_amount
                tax_inputs.append(self._tax_input(title, rate_, amount, p_amount))
                tax_sum += amount
        self.total += base + (Decimal(0) if inclusive else tax_sum)
        if rate:
            pgross = r2(li["unit"] * rate) * li["qty"]
            pdisc = r2(pgross * pct / 100) if pct and not li["gift"] else Decimal(0)
            self.pres_total += pgross - pdisc + (Decimal(0) if inclusive else pres_tax_sum)
        item = {
            "variantId": li["variant"]["id"],
            "quantity": li["qty"],
            "priceSet": _bag(li["unit"], self.cur, self._pres(li["unit"])),
            "taxLines": tax_inputs,
        }
        if li["gift"]:
            item["giftCard"] = True
        return item

    def _region_tags(self) -> list[str]:
        """Outside the US, where the order ships to (its tax region), as a tag."""
        if self.abroad is None:
            return []
        return [f"ship-to-{self.region.code}" if self.region else "ship-to-US"]  # exports go to the US

    def _line_taxes(self, sku: str | None) -> list[tuple[str, Decimal]]:
        """The tax lines Shopify puts on a product line: the region's, or the product's override."""
        if self.abroad is None or self.region is None or sku not in self.abroad.overrides:
            return self.taxes
        override = self.abroad.overrides[sku]
        return [] if override is None else [(self.region.lines[0][0], d(override))]

    def _shipping_taxes(self) -> list[tuple[str, Decimal]]:
        """US: the state's rate only; elsewhere the region's shipping taxes (BC: GST, no PST)."""
        if self.abroad is None:
            return self.taxes[:1]
        return [(t, d(r)) for t, r in self.region.shipping] if self.region else []

    def _shipping_input(self, shipping: Decimal) -> dict[str, Any]:
        """Standard shipping with its taxes; adds its total to the order's."""
        rate, inclusive = self.rate, self.inclusive
        tax_inputs = []
        taxes = self._shipping_taxes()
        tax_sum = Decimal(0)
        pres_tax_sum = Decimal(0)
        ps = r2(shipping * rate) if rate else Decimal(0)
        for title, rate_ in taxes:
            amount = _tax(shipping, rate_, taxes, inclusive)
            p_amount = None
            if rate:
                p_amount = _tax(ps, rate_, taxes, inclusive)
                pres_tax_sum += p_amount
            tax_inputs.append(self._tax_input(title, rate_, amount, p_amount))
            tax_sum += amount
        if rate:
            self.pres_total += ps + (Decimal(0) if inclusive else pres_tax_sum)
        self.total += shipping + (Decimal(0) if inclusive else tax_sum)
        return {
            "title": "Standard Shipping",
            "code": "STANDARD",
            "source": "shopify",
            "priceSet": _bag(shipping, self.cur, self._pres(shipping)),
            "taxLines": tax_inputs,
        }

    def _order_input(
        self,
        rng: random.Random,
        ctx: dict[str, Any],
        line_inputs: list[dict[str, Any]],
        shipping_inputs: list[dict[str, Any]],
    ) -> dict[str, Any]:
        kind, n, seed = self.kind, self.n, ctx["seed"]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{rng.randint(1, 40)}@example.com"
        days_ago = rng.uniform(0.05, 30)
        processed = ctx["anchor"] - timedelta(days=days_ago)
        order: dict[str, Any] = {
            "currency": self.cur,
            "lineItems": line_inputs,
            "shippingLines": shipping_inputs,
            "taxesIncluded": self.inclusive,
            "processedAt": processed.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sourceName": "pos" if self.pos else "web",
            "sourceIdentifier": f"seed-{seed}-{n}",
            "tags": [f"shopqb-seed-{seed}", f"seed-{kind}", *self._region_tags()],
            "test": kind == "test",
            "customer": {"toUpsert": {"email": email, "firstName": first, "lastName": last}},
            "email": email,
        }
        if self.rate:
            order["presentmentCurrency"] = self.pres_cur
        if self.pct:
            pct = self.pct
            order["discountCode"] = {"itemPercentageDiscountCode": {"code": f"SAVE{pct}", "percentage": float(pct)}}
        if kind in AFTERWARDS:
            order["tags"].append("seed-paid")
        if kind == "net_terms":
            order["financialStatus"] = "PENDING"
            order["tags"].append("net-30")
            order["poNumber"] = f"PO-{seed}-{n}"
        tx = self._transactions(rng, ctx)
        if tx:
            order["transactions"] = tx
        return order

    def _transactions(self, rng: random.Random, ctx: dict[str, Any]) -> list[dict[str, Any]]:
        """How the order was paid: by kind (none for net terms)."""
        kind, total, cur = self.kind, self.total, self.cur
        gateway = {"paypal": "paypal", "manual": "manual"}.get(kind, "shopify_payments")
        pres_amount = (self.pres_total, self.pres_cur) if self.rate and self.pres_cur else None
        if kind == "net_terms":
            return []
        if kind == "authorized":
            return [
                {
                    "kind": "AUTHORIZATION",
                    "status": "SUCCESS",
                    "gateway": gateway,
                    "amountSet": _bag(total, cur, pres_amount),
                }
            ]
        if kind == "gift_card_redeem":
            part = min(r2(total * d(rng.choice(["0.3", "0.5", "1"]))), total)
            tx = [
                {
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "gift_card",
                    "giftCardId": f"gid://shopify/GiftCard/{ctx['seed']}{self.n}",
                    "amountSet": _bag(part, cur),
                }
            ]
            if total - part > 0:
                tx.append(
                    {
                        "kind": "SALE",
                        "status": "SUCCESS",
                        "gateway": "shopify_payments",
                        "amountSet": _bag(total - part, cur),
                    }
                )
            return tx
        if self.pos:
            location = ctx["locations"][self.n % len(ctx["locations"])]
            pos_gateway = rng.choice(["shopify_payments", "cash"])
            return [
                {
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": pos_gateway,
                    "locationId": location["id"],
                    "amountSet": _bag(total, cur),
                }
            ]
        return [
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": gateway,
                "amountSet": _bag(total, cur, pres_amount),
                "test": kind == "test",
            }
        ]


def _existing(client: Client, seed: int) -> set[str]:
    found: set[str] = set()
    after = None
    while True:
        page = client(EXISTING_ORDERS, {"query": f"tag:shopqb-seed-{seed}", "after": after})["orders"]
        found.update(n["sourceIdentifier"] for n in page["nodes"] if n["sourceIdentifier"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


CREATED_FIELDS = (
    "id name displayFinancialStatus totalPriceSet { shopMoney { amount } }"
    " lineItems(first: 10) { nodes { id quantity originalUnitPriceSet { shopMoney { amount } }"
    " taxLines { priceSet { shopMoney { amount } } } } }"
    " transactions { id kind gateway amountSet { shopMoney { amount } } }"
)

REFUND = """
mutation SeedRefund($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}"""

CANCEL = """
mutation SeedCancel($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true, notifyCustomer: false) {
    orderCancelUserErrors { field message }
  }
}"""


def _afterwards(client: Client, plan: OrderPlan, created: dict[str, Any], location_id: str | None) -> None:
    """Refund or cancel a paid order the way a merchant would, through the public mutations."""
    if plan.kind == "cancel":
        errors = client(CANCEL, {"id": created["id"]})["orderCancel"]["orderCancelUserErrors"]
        if errors:
            raise SeedError(f"orderCancel {created['name']}: {errors}")
        return
    sale = next(t for t in created["transactions"] if t["kind"] == "SALE")
    if plan.kind == "refund_full":
        lines = [
            {"lineItemId": li["id"], "quantity": li["quantity"], "restockType": "NO_RESTOCK"}
            for li in created["lineItems"]["nodes"]
        ]
        amount = d(sale["amountSet"]["shopMoney"]["amount"])
        refund = {"refundLineItems": lines, "shipping": {"fullRefund": True}}
    else:
        li = created["lineItems"]["nodes"][0]
        unit = d(li["originalUnitPriceSet"]["shopMoney"]["amount"])
        tax = sum((d(t["priceSet"]["shopMoney"]["amount"]) for t in li["taxLines"]), Decimal(0))
        # Tax-inclusive prices already hold the tax the customer gets back.
        amount = unit if plan.inclusive else unit + r2(tax / li["quantity"])
        restock = plan.n % 2 == 0
        item = {"lineItemId": li["id"], "quantity": 1, "restockType": "RETURN" if restock else "NO_RESTOCK"}
        if restock and location_id:
            item["locationId"] = location_id
        refund = {"refundLineItems": [item]}
    refund["orderId"] = created["id"]
    refund["note"] = "seeded refund"
    refund["transactions"] = [
        {
            "orderId": created["id"],
            "parentId": sale["id"],
            "kind": "REFUND",
            "gateway": sale["gateway"],
            "amount": str(amount),
        }
    ]
    errors = client(REFUND, {"input": refund})["refundCreate"]["userErrors"]
    if errors:
        raise SeedError(f"refundCreate {created['name']}: {errors}")


def _create_orders(client: Client, plans: list[OrderPlan]) -> list[dict[str, Any]]:
    var_defs = ", ".join(f"$o{i}: OrderCreateOrderInput!" for i in range(len(plans)))
    body = "\n".join(
        f"  c{i}: orderCreate(order: $o{i}) {{ order {{ {CREATED_FIELDS} }} userErrors {{ field message }} }}"
        for i in range(len(plans))
    )
    query = f"mutation SeedOrders({var_defs}) {{\n{body}\n}}"
    data = client(query, {f"o{i}": p.input for i, p in enumerate(plans)})
    out = []
    for i, plan in enumerate(plans):
        result = data[f"c{i}"]
        if result["userErrors"]:
            raise SeedError(f"orderCreate {plan.input['sourceIdentifier']}: {result['userErrors']}")
        # The seeder charged what it computed: the store must have computed the same total, or the
        # order would be left part-paid or overpaid.
        total = d(result["order"]["totalPriceSet"]["shopMoney"]["amount"])
        if total != plan.total:
            raise SeedError(
                f"orderCreate {plan.input['sourceIdentifier']}: the store's total {total} is not the"
                f" seeder's {plan.total}"
            )
        out.append(result["order"])
    return out


def seed_shop(
    *,
    base_url: str,
    shop: str,
    token: str,
    orders: int,
    seed: int,
    anchor: datetime | None = None,
    money_flows: bool = False,
) -> dict[str, Any]:
    """Seeds ``orders`` orders of the mix; ``money_flows`` adds one order per money flow (``seed_flows``).

    Off by default, so the demo's figures stay what they were until it is turned on.
    """
    client = Client(endpoint_for(base_url, shop), token)
    started = time.monotonic()
    info = client(SHOP_QUERY)
    currency = info["shop"]["currencyCode"]
    country = (info["shop"].get("billingAddress") or {}).get("countryCodeV2") or "US"
    locations = info["locations"]["nodes"]
    catalog = _ensure_catalog(client, locations, catalog_for(country))
    rng = random.Random(seed)
    anchor = anchor or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    ctx = {
        "currency": currency,
        "seed": seed,
        "anchor": anchor,
        "locations": locations,
        "taxes": TAXES_BY_COUNTRY.get(country),
        "taxes_included": bool(info["shop"].get("taxesIncluded")),
        "catalog": catalog_for(country),
    }
    kinds, weights = zip(*mix_for(country), strict=True)
    plans = []
    for n in range(orders):
        kind = rng.choices(kinds, weights)[0] if n >= 5 else "paid"  # the first orders are always plain paid ones
        plans.append(OrderPlan(rng, n, kind, catalog, ctx))
    existing = _existing(client, seed)
    todo = [p for p in plans if p.input["sourceIdentifier"] not in existing]
    created: list[dict[str, Any]] = []
    main = next(
        (loc["id"] for loc in locations if loc["name"] == "Main Warehouse"), locations[0]["id"] if locations else None
    )
    afterwards = 0
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        results = _create_orders(client, batch)
        for plan, result in zip(batch, results, strict=True):
            if plan.kind in AFTERWARDS:
                _afterwards(client, plan, result, main)
                afterwards += 1
        created.extend(results)
    flows: dict[str, int] | None = None
    if money_flows:
        from sandbox.shopify.seed_flows import Flows  # imported here: seed_flows builds on this module

        flows = Flows(client, base_url, shop, catalog, ctx).run(existing)
    statuses: dict[str, int] = {}
    for o in created:
        statuses[o["displayFinancialStatus"]] = statuses.get(o["displayFinancialStatus"], 0) + 1
    mix: dict[str, int] = {}
    for p in plans:
        mix[p.kind] = mix.get(p.kind, 0) + 1
    summary = {
        "shop": shop,
        "country": country,
        "currency": currency,
        "seed": seed,
        "products": len(catalog),
        "orders_planned": len(plans),
        "orders_created": len(created),
        "orders_existing": len(plans) - len(todo),
        "financial_status_at_creation": statuses,
        "refunded_or_cancelled": afterwards,
        "mix": mix,
        "requests": client.calls,
        "seconds": round(time.monotonic() - started, 2),
    }
    if flows is not None:
        summary["money_flows"] = flows
    return summary
