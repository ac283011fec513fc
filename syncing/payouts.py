"""Shopify Payments payouts in the books: each paid-out payout one Deposit into the bank."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import parse_payout
from syncing import ledger
from syncing.context import SyncContext, with_exchange_rates
from syncing.models import Outcome, SourceType, SyncIssue
from syncing.writing import document_write


def payouts_sync(ctx: SyncContext) -> list[Outcome]:
    """Each paid-out Shopify Payments payout as a Deposit into the bank (exactly once)."""
    outcomes: list[Outcome] = []
    if not ctx.rules.sync_payouts:
        return outcomes
    for raw in shopify_payouts(ctx.shopify):
        payout = parse_payout(raw)
        if payout.status != "PAID":
            continue  # scheduled or in transit: not in the bank yet
        day = payout.issued_at.astimezone(ZoneInfo(ctx.mapping.timezone)).date()
        if ctx.rules.start_date and day < ctx.rules.start_date:
            continue
        try:
            document = ledger.payout_deposit(payout, ctx.mapping)
        except ledger.LedgerError as exc:
            SyncIssue.objects.raise_for(
                shop=ctx.shop,
                code=exc.code,
                message=str(exc),
                source_type=SourceType.PAYOUT,
                source_id=payout.id,
                retryable=False,
            )
            outcomes.append(Outcome.FAILED)
            continue
        (document,) = with_exchange_rates([document], ctx.mapping, ctx.exchange_rate)
        outcomes.append(document_write(ctx, document))
    return outcomes
