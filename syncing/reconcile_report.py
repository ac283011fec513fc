"""The reconciliation as text (the demo, ``manage.py shopqb reconcile``) and as JSON."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from shopqb_app.text import counted
from syncing.reconcile import Reconciliation
from syncing.reconcile_explained import ZERO, AccountCheck


def report_lines(report: Reconciliation) -> list[str]:
    """The reconciliation as plain text, per day then totals. Amounts are in the shop's currency;
    where QuickBooks keeps its books in another one, a last column gives QuickBooks' own
    home-currency equivalent of the documents."""
    cur, home = report.currency, report.home_currency
    extra = f"{'QuickBooks ' + home:>18}" if report.foreign else ""
    lines = [f"{'Day':<12}{'Orders':>8}{'Shopify':>14}{'QuickBooks':>14}{'Diff':>10}{extra}"]
    for day in sorted(report.days):
        t = report.days[day]
        extra = f"{t.qbo_home:>18,.2f}" if report.foreign else ""
        lines.append(
            f"{day.isoformat():<12}{t.orders:>8}{t.shopify:>14,.2f}{t.qbo:>14,.2f}{t.difference:>10,.2f}{extra}"
        )
    extra = f"{report.qbo_home_total:>18,.2f}" if report.foreign else ""
    lines.append(
        f"{'Total':<12}{report.expected_documents:>8}{report.shopify_total:>14,.2f}{report.qbo_total:>14,.2f}"
        f"{report.qbo_total - report.shopify_total:>10,.2f}{extra}  {cur}"
    )
    refunds_home = f" ({report.refunds_qbo_home:,.2f} {home})" if report.foreign else ""
    lines.append(
        f"Refunds: {report.refunds_expected} in Shopify for {report.refunds_shopify:,.2f}, "
        f"{report.refunds_found} in QuickBooks for {report.refunds_qbo:,.2f}{refunds_home}  {cur}"
    )
    payouts_home = f" ({report.payouts_qbo_home:,.2f} {home})" if report.foreign else ""
    lines.append(
        f"Payouts: {report.payouts_expected} paid out for {report.payouts_shopify:,.2f}, "
        f"{report.payouts_found} deposits in QuickBooks for {report.payouts_qbo:,.2f}{payouts_home}  {cur}"
    )
    if report.foreign:
        lines.append(
            f"Compared in {cur}, the shop's currency; QuickBooks keeps its books in {home} "
            f"(the {home} column is QuickBooks' own conversion, at each document's exchange rate)."
        )
        if report.home_unknown:
            lines.append(f"  {counted(report.home_unknown, 'document')} without a {home} total in QuickBooks")
    by_reason: dict[str, int] = defaultdict(int)
    for difference in report.differences:
        by_reason[difference.reason] += 1
    for reason, count in sorted(by_reason.items()):
        lines.append(f"  {counted(count, 'order')}: {reason}")
    if report.accounts:
        lines.extend(account_lines(report.accounts))
    return lines


def report_as_json(report: Reconciliation) -> dict[str, Any]:
    """The reconciliation as JSON-ready data (money as strings, "100.95"): the shop-currency
    comparison, and QuickBooks' home-currency equivalents under ``home``."""

    def money(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {
        "matched": report.matched,
        "currency": report.currency,
        "home_currency": report.home_currency,
        "orders_seen": report.orders_seen,
        "skipped": report.skipped,
        "sales": {
            "expected": report.expected_documents,
            "found": report.found_documents,
            "shopify": money(report.shopify_total),
            "quickbooks": money(report.qbo_total),
            "quickbooks_home": money(report.qbo_home_total),
        },
        "refunds": {
            "expected": report.refunds_expected,
            "found": report.refunds_found,
            "shopify": money(report.refunds_shopify),
            "quickbooks": money(report.refunds_qbo),
            "quickbooks_home": money(report.refunds_qbo_home),
        },
        "payouts": {
            "expected": report.payouts_expected,
            "found": report.payouts_found,
            "shopify": money(report.payouts_shopify),
            "quickbooks": money(report.payouts_qbo),
            "quickbooks_home": money(report.payouts_qbo_home),
        },
        "home_unknown": report.home_unknown,
        "days": [
            {
                "day": day.isoformat(),
                "orders": t.orders,
                "shopify": money(t.shopify),
                "quickbooks": money(t.qbo),
                "quickbooks_home": money(t.qbo_home),
                "difference": money(t.difference),
            }
            for day, t in sorted(report.days.items())
        ],
        "accounts": [
            {
                "label": c.label,
                "account_id": c.account.value,
                "account": c.account.name,
                "compared": c.compared,
                "quickbooks": money(c.qbo),
                "shopify": money(c.shopify),
                "difference": money(c.difference),
                "unexplained": money(c.unexplained),
                "status": verdict(c),
                "shopify_figure": c.note,
                "explanations": [
                    {"what": e.what, "amount": money(e.amount), "explains": e.explains, "source_id": e.source_id}
                    for e in c.explanations
                ],
            }
            for c in report.accounts
        ],
        "differences": [
            {
                "source_type": d.source_type,
                "source_id": d.source_id,
                "name": d.name,
                "shopify": money(d.shopify),
                "quickbooks": money(d.qbo),
                "reason": d.reason,
            }
            for d in report.differences
        ],
    }


def account_lines(checks: list[AccountCheck]) -> list[str]:
    """The accounts part as plain text: each account's QuickBooks balance, Shopify's figure, the
    difference and what it comes to; then the documents explaining it."""
    lines = [f"{'Account':<38}{'QuickBooks':>14}{'Shopify':>14}{'Diff':>10}"]
    for check in checks:
        shopify = f"{check.shopify:>14,.2f}" if check.shopify is not None else f"{'-':>14}"
        difference = f"{check.difference:>10,.2f}" if check.compared else f"{'':>10}"
        lines.append(f"{check.account.name[:37]:<38}{check.qbo:>14,.2f}{shopify}{difference}  {verdict(check)}")
        lines.append(f"    {check.label}; Shopify: {check.note}")
        for e in check.explanations:
            lines.append(f"    {'explained' if e.explains else 'unexplained':<11} {e.amount:>10,.2f}  {e.what}")
        rest = check.unexplained - sum((e.amount for e in check.explanations if not e.explains), ZERO)
        if rest:
            lines.append(f"    {'unexplained':<11} {rest:>10,.2f}  no document found for it")
    return lines


def verdict(check: AccountCheck) -> str:
    if not check.compared:
        return "not compared"
    if not check.difference:
        return "MATCH"
    return "EXPLAINED" if not check.unexplained else "DIFFERENCE"
