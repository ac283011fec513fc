"""What every piece of sync work starts from: a shop ready to sync and its clients.

A ``SyncContext`` is opened per task: the shop (refused when paused, uninstalled
or not connected), its Shopify and QuickBooks clients (accounts/clients.py: they
renew their tokens on a 401), the mapping snapshot the ledger books with, and the
merchant's sync rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from accounts import tokens
from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings.models import SyncSettings
from mappings.snapshot import mapping_snapshot
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.client import ShopifyClient
from syncing import ledger


def claim_lease() -> timedelta:
    """How long a claim on a record or a queued order holds.

    Longer than a task may live (django-q2 kills it at Q_CLUSTER["timeout"]), so a
    claim that old belongs to a dead worker; shorter than the broker's redelivery
    (Q_CLUSTER["retry"]), so the redelivered task finds the claim expired and
    finishes the work instead of seeing it busy (checked at startup: syncing/checks.py).
    """
    return timedelta(seconds=settings.SYNC_CLAIM_LEASE_SECONDS)


# The company's exchange rate for a currency on a day (home units per unit).
ExchangeRates = Callable[[str, date], Decimal]


def with_exchange_rates(
    documents: list[ledger.Document], mapping: ledger.Mapping, rates: ExchangeRates | None
) -> list[ledger.Document]:
    """Documents in a foreign currency carry the company's rate for their date."""
    if rates is None or not mapping.home_currency:
        return documents
    return [
        doc if doc.currency == mapping.home_currency else replace(doc, exchange_rate=rates(doc.currency, doc.txn_date))
        for doc in documents
    ]


class ShopNotReady(Exception):
    """Paused, uninstalled, not connected to QuickBooks or not live yet: nothing is synced."""


@dataclass
class SyncContext:
    shop: Shop
    connection: QuickBooksConnection
    shopify: ShopifyClient
    qb: qbo.QuickBooks
    mapping: ledger.Mapping
    rules: SyncSettings
    # The company refuses a second document with the same DocNumber (6140): a first
    # attempt may then create without looking first. Read once per context.
    refuses_duplicate_numbers: bool = False
    exchange_rate: ExchangeRates = field(init=False)

    def __post_init__(self) -> None:
        self.exchange_rate = exchange_rates(self.qb)


def exchange_rates(qb: qbo.QuickBooks) -> ExchangeRates:
    """The company's rate for a currency on a day (home units per unit), each read once. A rate
    QuickBooks refuses to give (no rate for that currency) refuses the document that needs it,
    not the whole pass: the order gets an issue saying so."""
    known: dict[tuple[str, date], Decimal] = {}

    def rate(currency: str, day: date) -> Decimal:
        if (currency, day) not in known:
            try:
                known[(currency, day)] = qbo.exchange_rate(qb, currency, day)
            except qbo.QBORejected as exc:
                raise ledger.LedgerError(
                    "exchange_rate_missing",
                    f"QuickBooks has no exchange rate for {currency} on {day:%d %b %Y} ({exc}); add it in QuickBooks "
                    "(Settings, Currencies), then retry. Nothing was written.",
                ) from exc
        return known[(currency, day)]

    return rate


def context_open(shop_id: int) -> SyncContext:
    shop = Shop.objects.get(pk=shop_id)
    if shop.uninstalled_at is not None:
        raise ShopNotReady(f"{shop.domain} is uninstalled")
    if shop.sync_paused:
        raise ShopNotReady(f"{shop.domain} is paused: {shop.paused_reason}")
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None:
        raise ShopNotReady(f"{shop.domain} is not connected to QuickBooks")
    try:
        qb = qbo_client(connection)
        shopify = shopify_client(shop)
    except tokens.TokenRevoked as exc:
        raise ShopNotReady(str(exc)) from exc
    except tokens.TokenRefreshFailed as exc:
        # Nothing changed; the next sweep (or the task's retry) tries again.
        raise ShopNotReady(f"token refresh failed for {shop.domain}, will retry: {exc}") from exc
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    if not rules.is_live:
        # Nothing is written before the merchant goes live (the setup's last step).
        raise ShopNotReady(f"{shop.domain} has not finished setup (not live yet)")
    try:
        refuses_duplicate_numbers = qbo.refuses_duplicate_doc_numbers(qb)
    except qbo.QBOAuthError as exc:
        if connection.status == QuickBooksConnection.Status.CONNECTED:
            raise
        # The renewal after a 401 was refused: the connection is marked and the shop paused.
        raise ShopNotReady(str(exc)) from exc
    mapping = mapping_snapshot(shop=shop, connection=connection)
    return SyncContext(
        shop=shop,
        connection=connection,
        shopify=shopify,
        qb=qb,
        mapping=mapping,
        rules=rules,
        refuses_duplicate_numbers=refuses_duplicate_numbers,
    )
