"""Outside the US (VAT, GST/HST/PST/QST): the QuickBooks tax code that books each combination of
Shopify tax lines found together on an order line (its key), and the code for lines Shopify
charged no tax on.

A code books a key only when its sales rates are exactly the key's rates (percent = Shopify's rate
x 100, compared as Decimals), the rule the ledger enforces (syncing/ledger/taxes.py): British
Columbia's GST 5% + PST 7% on one line needs one code holding both rates. Where the company has no
such code, ShopQB proposes creating it through QuickBooks' TaxService from the company's own rates,
and creates it only when the merchant confirms on the Taxes page.

Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales
Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxservice
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import QuickBooksConnection, Shop
from mappings.catalog import Catalog, QBOObject, QBOTaxRate, catalog_forget
from mappings.history import change_record, snapshot_of
from mappings.models import SetupStep, TaxMapping, tax_key_digest
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.parse import Order, TaxLine
from syncing import ledger
from syncing.ledger import taxes as ledger_taxes

# One line's Shopify tax lines as the ledger maps them (syncing.ledger.tax_key).
TaxKey = ledger.TaxKey
HUNDRED = Decimal(100)
UNTAXED = "lines Shopify charged no tax on"
# QuickBooks' names for codes that book no tax, by what they mean on a VAT/GST return.
EXEMPT_RE = re.compile(r"exempt|input taxed|\binp\b", re.IGNORECASE)
OUT_OF_SCOPE_RE = re.compile(r"scope|no vat|not reportable|\bn-t\b|non-taxable", re.IGNORECASE)
CODE_NAME_LENGTH = 100
COUNTRY_NAMES = {"CA": "Canada", "GB": "the United Kingdom", "AU": "Australia", "IE": "Ireland", "IN": "India"}


class TaxCodeNotCreated(Exception):
    """The proposed code could not be created; the message says why, for the merchant."""


def us_company(shop: Shop) -> bool:
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    return connection is None or (connection.country or "US") == "US"


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


# --- keys and rates --------------------------------------------------------------------------


def line_tax_key(tax_lines: tuple[TaxLine, ...]) -> TaxKey:
    """The key one line books by: its tax lines together, without those the sales channel owes
    (Shopify's channelLiable: the marketplace remits that tax, not the merchant)."""
    return ledger.tax_key((t.title, t.rate) for t in tax_lines if not t.channel_liable)


def order_tax_keys(order: Order) -> set[TaxKey]:
    """Every key an order's product and shipping lines use (the empty key: a line without tax)."""
    keys = {line_tax_key(li.tax_lines) for li in order.line_items}
    keys |= {line_tax_key(sl.tax_lines) for sl in order.shipping_lines if sl.original_price.shop.amount}
    return keys


def row_key(row: TaxMapping) -> ledger.TaxKey:
    return tuple((str(title), str(rate)) for title, rate in row.pairs)


def key_label(key: ledger.TaxKey) -> str:
    """("GST", "0.05"), ("PST", "0.07") -> “GST 5% + PST 7%”, as the ledger names it."""
    return ledger_taxes.describe(key) if key else ""


def percent_text(percent: Decimal) -> str:
    return f"{format(percent.normalize(), 'f')}%"


def rates_text(rates: Sequence[tuple[str, Decimal]]) -> str:
    """A code's rates as the merchant reads them: “13%”, “5% + 9.975%”, “no tax”."""
    return " + ".join(percent_text(percent) for _, percent in rates) or "no tax"


def code_fits(key: ledger.TaxKey, rates: Sequence[tuple[str, Decimal]]) -> bool:
    """Whether a code with these sales rates books exactly the tax of ``key``: each of the key's
    rates is one of the code's, and the code charges no other. A 0% line needs no rate (an exempt
    code books it), and the empty key (no tax) takes only a code that charges none. The ledger's
    own rule, so a code chosen here is never refused there."""
    return ledger_taxes.rate_ids(key, rates) is not None


def code_kind(code: QBOObject) -> str:
    """What a code that charges no tax is: zero-rated, exempt or out of scope ("" if it charges)."""
    if any(percent for _, percent in code.rates):
        return ""
    if code.rates:
        return "zero-rated"
    words = f"{code.name} {code.description}"
    if EXEMPT_RE.search(words):
        return "exempt"
    if OUT_OF_SCOPE_RE.search(words):
        return "out of scope"
    return "no tax"


KIND_PHRASES = {
    "zero-rated": "a zero-rated code",
    "exempt": "an exempt code",
    "out of scope": "an out-of-scope code",
}


def code_label(code: QBOObject) -> str:
    """A code in a select: its name, then its rates (“GST/QST QC — 5% + 9.975%”, “0.0% Z — 0%,
    zero-rated”, “No VAT — no tax, out of scope”)."""
    kind = code_kind(code)
    if not kind:
        return f"{code.name} — {rates_text(code.rates)}"
    if kind == "zero-rated":
        return f"{code.name} — {rates_text(code.rates)}, zero-rated"
    return f"{code.name} — no tax" + ("" if kind == "no tax" else f", {kind}")


def mismatch_message(code: QBOObject, key: ledger.TaxKey) -> str:
    """“HST ON” is 13%; Shopify charged GST 5% + PST 7% on these lines."""
    what = rates_text(code.rates) if any(p for _, p in code.rates) else "no tax"
    verb = "charges no tax" if what == "no tax" else f"is {what}"
    charged = f"Shopify charged {key_label(key)} on these lines" if key else "Shopify charged no tax on these lines"
    return f"“{code.name}” {verb}; {charged}."


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _preference(code: QBOObject, key: ledger.TaxKey) -> tuple[int, int, int, str]:
    """Lower is better. For a 0% key, a code that states a 0% rate (zero-rated) before one without
    rates (exempt, out of scope). Then a code named like Shopify's tax (“GST” for GST, “HST ON”
    for HST), then one sharing a word with it, then one rate per Shopify tax."""
    zero_key = not any(Decimal(rate) for _, rate in key)
    stated = 1 if zero_key and not code.rates else 0
    titles = [_words(title) for title, _ in key]
    if any(t and t <= _words(code.name) for t in titles):
        named = 0
    elif any(t & _words(f"{code.name} {code.description}") for t in titles):
        named = 1
    else:
        named = 2
    return stated, named, abs(len(code.rates) - len(key)), code.name.lower()


def propose_code(key: ledger.TaxKey, catalog: Catalog) -> QBOObject | None:
    """The company's code that books exactly ``key``, preferring one named like it; none if no
    code has those rates. For lines without tax: a zero-rated code where the company has one,
    else exempt, else out of scope."""
    codes = [c for c in catalog.sales_tax_codes() if code_fits(key, c.rates)]
    if not codes:
        return None
    if not key:
        order = {"zero-rated": 0, "exempt": 1, "out of scope": 2, "no tax": 3}
        return min(codes, key=lambda c: (order.get(code_kind(c), 4), c.name.lower()))
    return min(codes, key=lambda c: _preference(c, key))


def _sales_rate_ids(catalog: Catalog) -> set[str]:
    return {rate_id for code in catalog.tax_codes if code.for_sales for rate_id, _ in code.rates}


def rate_for(title: str, percent: Decimal, catalog: Catalog) -> QBOTaxRate | None:
    """The company's sales tax rate of ``percent`` for one Shopify tax, by name if several."""
    sales = _sales_rate_ids(catalog)
    candidates = [r for r in catalog.tax_rates if r.percent == percent and r.id in sales]
    if not candidates:
        return None
    wanted = _words(title)
    return min(candidates, key=lambda r: (0 if wanted & _words(r.name) else 1, r.name.lower()))


def creation_plan(key: ledger.TaxKey, catalog: Catalog) -> tuple[dict[str, Any], list[list[str]], list[str]]:
    """What creating a code for ``key`` would take: the TaxService request (referencing the
    company's existing rates by TaxRateId), the rates the code will have, and the Shopify taxes
    the company has no rate for (then nothing can be created from its rates)."""
    details: list[dict[str, str]] = []
    rates: list[list[str]] = []
    missing: list[str] = []
    for title, rate in key:
        percent = Decimal(rate) * HUNDRED
        if percent == 0:
            continue  # a 0% part of a line needs no rate on its code
        found = rate_for(title, percent, catalog)
        if found is None:
            missing.append(f"{title} {percent_text(percent)}")
            continue
        details.append({"TaxRateId": found.id, "TaxApplicableOn": "Sales"})
        rates.append([found.id, str(found.percent)])
    if missing or not details:
        return {}, [], missing
    name = key_label(key)[:CODE_NAME_LENGTH]
    return {"TaxCode": name, "TaxRateDetails": details}, rates, []


# --- proposals and the merchant's choices ----------------------------------------------------


def untaxed_row(shop: Shop) -> TaxMapping:
    """The row for lines without Shopify tax (every shop outside the US needs its code)."""
    # get_or_create: two pages opened at once must not both add it (one row per key and shop).
    row, _ = TaxMapping.objects.get_or_create(
        shop=shop, key_digest=tax_key_digest(()), defaults={"pairs": [], "title": "", "rate": Decimal(0)}
    )
    return row


def _code_values(code: QBOObject) -> dict[str, Any]:
    return {
        "qbo_tax_code_id": code.id,
        "qbo_tax_code_name": code.name,
        "code_rates": [[rate_id, str(percent)] for rate_id, percent in code.rates],
        "create_spec": {},
    }


def propose_tax_codes(*, shop: Shop, catalog: Catalog) -> int:
    """Give every key the merchant has not decided on a proposal (unconfirmed): the company's
    code with exactly its rates, or, where there is none, a code to create from the company's
    rates on the merchant's confirmation. Never a code whose rates differ. Reads only; returns
    how many keys got a code proposed. Nothing to do for US companies (automated sales tax)."""
    if us_company(shop):
        return 0
    untaxed_row(shop)
    proposed = 0
    for row in TaxMapping.objects.filter(shop=shop, confirmed=False):
        key = row_key(row)
        code = propose_code(key, catalog)
        if code is not None:
            values = _code_values(code)
            proposed += 1
        else:
            spec, rates, _missing = creation_plan(key, catalog) if key else ({}, [], [])
            values = {"qbo_tax_code_id": "", "qbo_tax_code_name": "", "code_rates": rates, "create_spec": spec}
        if any(getattr(row, field) != value for field, value in values.items()):
            TaxMapping.objects.filter(pk=row.pk).update(**values)
    return proposed


def taxes_unresolved(*, shop: Shop) -> bool:
    """Whether a key the orders use has neither a code nor one to create (its rates are missing
    from the company): the merchant has something to add in QuickBooks first."""
    return (
        TaxMapping.objects.filter(shop=shop, confirmed=False, qbo_tax_code_id="", create_spec={}, orders_seen__gt=0)
        .exclude(key_digest=tax_key_digest(()))
        .exists()
    )


def tax_row_label(row: TaxMapping) -> str:
    """A key as the Taxes page names it: “Shopify's GST 5% + PST 7%”, or the lines without tax."""
    return "Lines Shopify charged no tax on" if row.untaxed else f"Shopify's {row.label}"


def _change_key(row: TaxMapping) -> str:
    # The history's key for one row: "tax:" and the row as the page names it.
    return f"tax:{tax_row_label(row)}"


def taxes_save(*, shop: Shop, choices: dict[int, QBOObject | None], by: str) -> int:
    """Save the merchant's code for each key (by row id; None: no code yet), confirmed; versioned
    like every mapping change. The codes were checked by the form (``code_fits``)."""
    with transaction.atomic():
        rows = {r.pk: r for r in TaxMapping.objects.select_for_update().filter(shop=shop, pk__in=choices)}
        before = {_change_key(r): snapshot_of(r) for r in rows.values()}
        for pk, code in choices.items():
            if pk not in rows:
                continue
            if code is None:
                values: dict[str, Any] = {"qbo_tax_code_id": "", "qbo_tax_code_name": "", "confirmed": False}
            else:
                values = {**_code_values(code), "confirmed": True, "created_by_app": False}
            TaxMapping.objects.filter(pk=pk).update(**values)
        after = {_change_key(r): snapshot_of(r) for r in TaxMapping.objects.filter(shop=shop, pk__in=rows)}
        return change_record(shop=shop, section=SetupStep.TAXES, by=by, before=before, after=after)


def tax_proposals_accept(*, shop: Shop, by: str) -> int:
    """Save every proposed code as it is: what a merchant does by pressing Save on the Taxes page
    without changing anything (the demo, support). Keys without a code stay open."""
    rows = TaxMapping.objects.filter(shop=shop, confirmed=False).exclude(qbo_tax_code_id="")
    choices: dict[int, QBOObject | None] = {
        r.pk: QBOObject(
            id=r.qbo_tax_code_id,
            name=r.qbo_tax_code_name,
            rates=tuple((str(i), Decimal(str(p))) for i, p in r.code_rates),
        )
        for r in rows
    }
    return taxes_save(shop=shop, choices=choices, by=by)


def _created_id(saved: Any) -> str:
    """The new code's id in TaxService's answer ({"TaxCode", "TaxCodeId", "TaxRateDetails"})."""
    found = getattr(saved, "TaxCodeId", None)
    wrapped = getattr(saved, "TaxService", None)
    if not found and isinstance(wrapped, dict):
        found = wrapped.get("TaxCodeId")
    return str(found or "")


def _code_rates(code: dict[str, Any], rates: Iterable[QBOTaxRate]) -> list[list[str]]:
    percent = {r.id: r.percent for r in rates}
    return [
        [rate_id, str(percent.get(rate_id, ""))]
        for rate_id in (
            str((d.get("TaxRateRef") or {}).get("value") or "")
            for d in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        )
    ]


def tax_code_create(*, shop: Shop, qb: qbo.QuickBooks, catalog: Catalog, row_id: int, by: str) -> TaxMapping:
    """Create the code proposed for one key through QuickBooks' TaxService (the merchant pressed
    its button), then map the key to it, confirmed and versioned. A code of that name already in
    QuickBooks (an earlier attempt whose answer was lost) is used if its rates fit; nothing is
    created twice. Refused with a plain reason otherwise."""
    row = TaxMapping.objects.filter(shop=shop, pk=row_id).first()
    if row is None:
        raise TaxCodeNotCreated("That tax line is not one of this shop's.")
    key = row_key(row)
    spec, _rates, missing = creation_plan(key, catalog) if key else ({}, [], [])
    if missing:
        raise TaxCodeNotCreated(
            f"Your QuickBooks company has no sales tax rate for {', '.join(missing)}: add it in QuickBooks "
            "(Taxes, Sales tax settings), then open this page again."
        )
    if not spec:
        raise TaxCodeNotCreated(f"There is nothing to create for {row.label}: choose one of your codes.")
    name = str(spec["TaxCode"])
    found = qbo.find_by(qb, "TaxCode", "Name", name)
    if found:
        code_id = str(found[0]["Id"])
    else:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxservice
        # POST taxservice/taxcode {"TaxCode": name, "TaxRateDetails": [{"TaxRateId", "TaxApplicableOn"}]}
        # answers {"TaxCode", "TaxCodeId", "TaxRateDetails"}.
        service = qbo.entity_class("TaxService")()
        service.TaxCode = name
        for detail in spec["TaxRateDetails"]:
            part = qbo.entity_class("TaxRateDetails")()
            part.TaxRateId = detail["TaxRateId"]
            part.TaxApplicableOn = detail["TaxApplicableOn"]
            service.TaxRateDetails.append(part)
        saved = qbo.call(lambda: service.save(qb=qb))
        code_id = _created_id(saved)
        if not code_id:
            raise TaxCodeNotCreated("QuickBooks did not say which tax code it created; nothing was mapped.")
    code = qbo.read(qb, "TaxCode", code_id)
    code_rates = _code_rates(code, catalog.tax_rates)
    made = QBOObject(
        id=code_id,
        name=str(code.get("Name") or name),
        rates=tuple((i, Decimal(p)) for i, p in code_rates if p),
    )
    if len(made.rates) != len(code_rates) or not code_fits(key, made.rates):
        raise TaxCodeNotCreated(
            f"QuickBooks has a tax code named “{made.name}” that is {rates_text(made.rates)}, not {row.label}; "
            "rename it in QuickBooks or choose a code."
        )
    catalog_forget(shop=shop)
    with transaction.atomic():
        before = {_change_key(row): snapshot_of(row)}
        TaxMapping.objects.filter(pk=row.pk).update(**_code_values(made), confirmed=True, created_by_app=not found)
        row.refresh_from_db()
        change_record(
            shop=shop, section=SetupStep.TAXES, by=by, before=before, after={_change_key(row): snapshot_of(row)}
        )
    return row


# --- what the ledger and go-live read ---------------------------------------------------------


def _tax_code(row: TaxMapping, *, planned: bool) -> ledger.TaxCode | None:
    rates = tuple((str(rate_id), Decimal(str(percent))) for rate_id, percent in row.code_rates)
    if row.qbo_tax_code_id and (row.confirmed or planned):
        return ledger.TaxCode(ledger.Ref(row.qbo_tax_code_id, row.qbo_tax_code_name), rates)
    if planned and row.create_spec:
        name = row.create_spec.get("TaxCode") or row.label
        return ledger.TaxCode(ledger.Ref("", f"{name} (created when you confirm it)"), rates)
    return None


def tax_snapshot(*, shop: Shop, planned: bool) -> tuple[dict[ledger.TaxKey, ledger.TaxCode], ledger.TaxCode | None]:
    """The code for each key and the code for lines without tax, as the ledger books them (each
    code with its rates: TaxRate id, percent). Only what the merchant saved, unless ``planned``
    (a preview before go-live: proposals too, and codes still to create by name, without an id)."""
    codes: dict[ledger.TaxKey, ledger.TaxCode] = {}
    untaxed: ledger.TaxCode | None = None
    for row in TaxMapping.objects.filter(shop=shop):
        code = _tax_code(row, planned=planned)
        if code is None:
            continue
        if row.untaxed:
            untaxed = code
        else:
            codes[row_key(row)] = code
    return codes, untaxed


def _needed(row: TaxMapping) -> bool:
    """A key the shop's orders use (or lines without tax, which every shop has: tips, gift cards,
    rounding); a key no scanned order uses no longer needs a code."""
    return row.untaxed or row.orders_seen > 0


def tax_missing(*, shop: Shop) -> list[str]:
    """What the Taxes step still needs before go-live, one plain sentence each (US companies:
    nothing here; their two codes are roles)."""
    if us_company(shop):
        return []
    missing = []
    rows = sorted(TaxMapping.objects.filter(shop=shop), key=lambda r: (r.untaxed, r.label.lower()))
    if not any(r.untaxed for r in rows):
        missing.append(f"Choose the QuickBooks tax code for {UNTAXED} (Taxes).")
    for row in rows:
        if not _needed(row) or (row.qbo_tax_code_id and row.confirmed):
            continue
        what = UNTAXED if row.untaxed else f"“{row.label}”"
        if row.qbo_tax_code_id:
            missing.append(f"Confirm the QuickBooks tax code proposed for {what} (Taxes).")
        elif row.create_spec:
            missing.append(f"Create or choose the QuickBooks tax code for {what} (Taxes).")
        else:
            missing.append(f"Choose the QuickBooks tax code for {what} (Taxes).")
    return missing
