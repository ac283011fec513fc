"""The reconciliation centre's exports: CSV rows of the reconciliation per day and of every document
ShopQB wrote for a date range (read from its own records, streamed: a large shop has many); one
JSON object per day and plain text lines for ``manage.py shopqb reconcile``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Shop
from syncing.models import SyncedRecord
from syncing.reconcile_days import FIGURE_LABELS, FIGURES, Centre, DayRow

# A cell a spreadsheet would run as a formula is written as text (OWASP "CSV injection").
# Reference: https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATUS_WORDS = {"match": "matches", "explained": "explained", "difference": "unexplained difference"}


def text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def days_rows(centre: Centre) -> Iterator[list[str]]:
    """One row per day: each figure in Shopify, in QuickBooks and the difference, the day's status
    and what explains its differences."""
    header = ["Day", "Currency"]
    for f in FIGURES:
        label = FIGURE_LABELS[f]
        header += [f"{label} in Shopify", f"{label} in QuickBooks", f"{label} difference"]
    yield [*header, "Status", "Explanations"]
    for row in centre.rows:
        cells = [row.day.isoformat(), centre.currency]
        difference = row.difference
        for f in FIGURES:
            cells += [money(row.shopify[f]), money(row.qbo[f]), money(difference[f])]
        explanations = "; ".join(e.what for e in row.explanations)
        yield [*cells, STATUS_WORDS[row.status], text(explanations)]


def documents_rows(*, shop: Shop, start: date, end: date) -> Iterator[list[str]]:
    """Every document ShopQB wrote (or tried to) dated in the range, oldest first."""
    yield ["Order", "Document kind", "Number", "QuickBooks Id", "Date", "Amount", "Currency", "Status"]
    records = (
        SyncedRecord.objects.filter(shop=shop, txn_date__gte=start, txn_date__lte=end)
        .order_by("txn_date", "pk")
        .values_list(
            "source_name", "source_id", "kind", "doc_number", "qbo_id", "txn_date", "amount", "currency", "status"
        )
    )
    for name, source_id, kind, number, qbo_id, day, amount, currency, status in records.iterator(chunk_size=2000):
        yield [
            text(name or source_id),
            kind,
            text(number),
            qbo_id,
            day.isoformat() if day else "",
            money(amount),
            currency,
            status,
        ]


def filename(what: str, shop: Shop, start: date | None, end: date) -> str:
    """``shopqb-reconciliation-demo-store-2026-03-01-to-2026-03-31.csv``"""
    handle = shop.domain.removesuffix(".myshopify.com")
    since = start.isoformat() if start else "start"
    return f"shopqb-{what}-{handle}-{since}-to-{end.isoformat()}.csv"


def day_as_json(row: DayRow, currency: str) -> dict[str, Any]:
    """A day for scripts (money as strings, "100.95"): Shopify's and QuickBooks' totals, the
    differences, what is left unexplained, and what explains them."""

    def figures(values: dict[str, Decimal]) -> dict[str, str]:
        return {f: money(values[f]) for f in FIGURES}

    return {
        "day": row.day.isoformat(),
        "currency": currency,
        "shopify": figures(row.shopify),
        "quickbooks": figures(row.qbo),
        "difference": figures(row.difference),
        "unexplained": figures(row.unexplained),
        "status": row.status,
        "explanations": [
            {
                "cause": e.cause,
                "what": e.what,
                "explains": e.explains,
                "order": e.order_name,
                "amounts": {f: money(a) for f, a in e.amounts.items()},
            }
            for e in row.explanations
        ],
    }


def centre_lines(centre: Centre) -> list[str]:
    """The reconciliation per day as plain text: each figure as Shopify / QuickBooks, then what
    explains each difference."""
    head = "".join(f"{FIGURE_LABELS[f]:>24}" for f in FIGURES)
    lines = [f"{'Day':<12}{head}  Status", f"{'':<12}" + f"{'Shopify / QuickBooks':>24}" * len(FIGURES)]
    totals = centre.totals
    for row in [*centre.rows, totals]:
        day = "Total" if row is totals else row.day.isoformat()
        cells = "".join(f"{f'{row.shopify[f]:,.2f} / {row.qbo[f]:,.2f}':>24}" for f in FIGURES)
        lines.append(f"{day:<12}{cells}  {STATUS_WORDS[row.status]}")
        for e in row.explanations:
            lines.append(f"    {'explained' if e.explains else 'to decide':<10} {e.what}")
    lines.append(f"Amounts in {centre.currency}.")
    return lines
