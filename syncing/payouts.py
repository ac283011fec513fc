"""Shopify Payments payouts in the books: each paid-out payout one Deposit into the bank (one
JournalEntry for a withdrawal), its balance transactions each on their own account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from shopqb_app.integrations.shopify.balances import balance_transaction_nodes
from shopqb_app.integrations.shopify.client import ShopifyClient
from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import parse_datetime
from shopqb_app.integrations.shopify.payouts import Payout, parse_payout
from syncing import ledger
from syncing.context import SyncContext, with_exchange_rates
from syncing.models import Outcome, SourceType, SyncedRecord, SyncIssue
from syncing.writing import document_write

TRANSACTIONS_PAGE = 100


def paid_payouts(client: ShopifyClient) -> Iterator[Payout]:
    """Every payout that reached the bank, with the balance transactions it paid out."""
    for raw in _paid(client):
        yield payout_read(client, raw)


def _paid(client: ShopifyClient) -> Iterator[dict[str, Any]]:
    """The payouts with status PAID: scheduled, in transit or failed ones are not in the bank."""
    return (raw for raw in shopify_payouts(client) if raw.get("status") == "PAID")


def payout_read(client: ShopifyClient, raw: dict[str, Any]) -> Payout:
    """The payout with every balance transaction it paid out, read page by page."""
    number = str(raw.get("legacyResourceId") or str(raw["id"]).rsplit("/", 1)[-1])
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsAccount#field-balancetransactions
    # (the search filter ``payments_transfer_id`` is the payout's legacy id)
    nodes = balance_transaction_nodes(client, f"payments_transfer_id:{number}", TRANSACTIONS_PAGE)
    return parse_payout(raw, nodes)


def payouts_sync(ctx: SyncContext) -> list[Outcome]:
    """Each paid-out Shopify Payments payout in QuickBooks, exactly once.

    A paid-out payout never changes: one already booked with the mapping as it is now is not read
    again (its balance transactions cost a query per payout, every pass); after a mapping change it
    is, and its document updated if the new mapping books it differently.
    """
    outcomes: list[Outcome] = []
    if not ctx.rules.sync_payouts:
        return outcomes
    payouts = SyncedRecord.objects.filter(shop=ctx.shop, source_type=SourceType.PAYOUT)
    booked = set(
        payouts.filter(status=SyncedRecord.Status.SYNCED, mapping_version=ctx.mapping.version).values_list(
            "source_id", flat=True
        )
    )
    # Removed by the merchant's undo (syncing/undo.py): written again only when they re-sync those
    # dates, so there is nothing to read for it until then.
    booked |= set(
        payouts.filter(status__in=[SyncedRecord.Status.VOIDED, SyncedRecord.Status.DELETED]).values_list(
            "source_id", flat=True
        )
    )
    for raw in _paid(ctx.shopify):
        day = parse_datetime(raw["issuedAt"]).astimezone(ZoneInfo(ctx.mapping.timezone)).date()
        if ctx.rules.start_date and day < ctx.rules.start_date:
            continue
        if str(raw["id"]) in booked:
            outcomes.append(Outcome.UNCHANGED)
            continue
        outcomes.append(_payout_book(ctx, payout_read(ctx.shopify, raw)))
    return outcomes


def _payout_book(ctx: SyncContext, payout: Payout) -> Outcome:
    try:
        document = ledger.payout_deposit(payout, ctx.mapping)
    except ledger.LedgerError as exc:
        SyncIssue.objects.refused(shop=ctx.shop, refusal=exc, source_type=SourceType.PAYOUT, source_id=payout.id)
        return Outcome.FAILED
    (document,) = with_exchange_rates([document], ctx.mapping, ctx.exchange_rate)
    outcome = document_write(ctx, document)
    if outcome == Outcome.UNCHANGED:
        # Checked against this mapping: the next pass need not read it again.
        SyncedRecord.objects.filter(
            shop=ctx.shop, source_type=document.source_type, source_id=document.source_id, kind=document.entity
        ).update(mapping_version=ctx.mapping.version)
    return outcome
