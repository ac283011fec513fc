"""The Reconciliation page: per day of a date range, Shopify against what QuickBooks holds, what
explains each difference, each payout's chain to the bank, a chart, and CSV exports.

Reading QuickBooks for a range takes a while, so the page never reads it while it loads: it shows
the figures last read for the range (and when), and "Read again" reads them (syncing/reconcile_centre.py).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import ShopRequest, shop_required
from shopqb_app.integrations.quickbooks.errors import QBOError
from shopqb_app.integrations.shopify.errors import ShopifyError
from syncing.context import ShopNotReady
from syncing.reconcile_centre import centre_cached, centre_refresh
from syncing.reconcile_days import FIGURE_LABELS, FIGURES, Centre, DayRow
from syncing.reconcile_exports import days_rows, documents_rows, filename

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366


class RangeForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days >= MAX_DAYS:
                self.add_error("start", f"Choose at most {MAX_DAYS} days.")
        return data

    def range(self) -> tuple[date, date]:
        """The chosen days, else the last 30 days (today in the shop's time zone, set by shop_required)."""
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        return start, end


@require_GET
@shop_required
def reconciliation(request: ShopRequest) -> HttpResponse:
    form = RangeForm(request.GET)
    start, end = form.range()
    centre = centre_cached(shop_id=request.shop.pk, start=start, end=end)
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    context = {
        "shop": request.shop,
        "form": form,
        "start": start,
        "end": end,
        "query": query,
        "centre": centre,
        "figures": [FIGURE_LABELS[f] for f in FIGURES],
        "table": (table := [_row(row) for row in centre.rows] if centre else []),
        "explained_days": [row for row in table if row["explanations"]],
        "total": _row(centre.totals) if centre else None,
        "chart": _chart(centre, start, end) if centre else None,
        "days_filename": filename("reconciliation", request.shop, start, end),
        "documents_filename": filename("documents", request.shop, start, end),
    }
    return render(request, "syncing/reconcile.html", context)


@require_POST
@shop_required
def reconciliation_refresh(request: ShopRequest) -> JsonResponse:
    """Read the range from Shopify and QuickBooks now; the page then loads itself again."""
    start, end = RangeForm(request.GET).range()
    centre = _read(request, start, end)
    if isinstance(centre, JsonResponse):
        return centre
    off = sum(row.status == "difference" for row in centre.days.values())
    message = (
        "Read from QuickBooks: everything matches or is explained."
        if not off
        else (f"Read from QuickBooks: {off} day{'s' if off != 1 else ''} with a difference.")
    )
    return JsonResponse({"message": message})


@require_GET
@shop_required
def reconciliation_days_csv(request: ShopRequest) -> HttpResponse:
    """The reconciliation per day: the figures last read for the range (read now if never read)."""
    start, end = RangeForm(request.GET).range()
    centre = centre_cached(shop_id=request.shop.pk, start=start, end=end) or _read(request, start, end)
    if isinstance(centre, JsonResponse):
        return centre
    return _csv(days_rows(centre), filename("reconciliation", request.shop, start, end))


@require_GET
@shop_required
def reconciliation_documents_csv(request: ShopRequest) -> HttpResponse:
    start, end = RangeForm(request.GET).range()
    rows = documents_rows(shop=request.shop, start=start, end=end)
    return _csv(rows, filename("documents", request.shop, start, end))


def _read(request: ShopRequest, start: date, end: date) -> Centre | JsonResponse:
    """The range read from Shopify and QuickBooks now, or the answer saying why it cannot be."""
    try:
        return centre_refresh(shop_id=request.shop.pk, start=start, end=end)
    except ShopNotReady as exc:
        return JsonResponse({"error": f"ShopQB cannot read the books now: {exc}."}, status=409)
    except (QBOError, ShopifyError) as exc:
        log.warning("reconciliation of %s failed: %s", request.shop.domain, exc)
        return JsonResponse({"error": f"Reading the books failed; try again in a minute ({exc})."}, status=502)


def _row(row: DayRow) -> dict[str, object]:
    """A day as the page shows it: each figure in Shopify, in QuickBooks, and the difference."""
    difference, unexplained = row.difference, row.unexplained
    cells = [
        {
            "label": FIGURE_LABELS[f],
            "shopify": row.shopify[f],
            "qbo": row.qbo[f],
            "difference": difference[f],
            "unexplained": unexplained[f],
        }
        for f in FIGURES
    ]
    to_decide = any(not e.explains for e in row.explanations)
    return {
        "day": row.day,
        "cells": cells,
        "status": row.status,
        "explanations": row.explanations,
        "to_decide": to_decide,
    }


class _Echo:
    """csv.writer writes each row to this and gets it back, for a streamed response."""

    def write(self, value: str) -> str:
        return value


def _csv(rows: Iterable[list[str]], name: str) -> HttpResponse:
    # Reference: https://docs.djangoproject.com/en/5.2/howto/outputting-csv/#streaming-large-csv-files
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # shop_required types its views as returning HttpResponse; a streamed response goes through it
    # alike (it only adds headers).
    return cast(HttpResponse, response)


def _chart(centre: Centre, start: date, end: date) -> dict[str, object]:
    """Sales less refunds per day of the range, in Shopify and in QuickBooks (for Chart.js)."""
    labels, shopify, quickbooks = [], [], []
    day = start
    while day <= end:
        row = centre.days.get(day)
        labels.append(day.strftime("%d %b"))
        net = (row.shopify["sales"] - row.shopify["refunds"], row.qbo["sales"] - row.qbo["refunds"]) if row else None
        shopify.append(str(net[0] if net else Decimal("0.00")))
        quickbooks.append(str(net[1] if net else Decimal("0.00")))
        day += timedelta(days=1)
    return {
        "labels": labels,
        "shopify": shopify,
        "quickbooks": quickbooks,
        "currency": centre.currency,
        "refresh": reverse("reconcile"),
    }
