"""What the Orders page shows: every order the app knows, what became of it in QuickBooks,
and links to its documents there and to the order in the Shopify admin. Selectors: they read
and never write.

An order is known through its records (one per QuickBooks document, or one saying why it
was skipped), a row in the queue, or an open issue that kept it out of the books before any
record was made (the ledger refused it, Shopify no longer has it). Newest first: a Shopify
order id grows with every order, so a longer id, then a larger one, is a newer order.

A page never groups every order of the shop. Each source is read in that order from where
the page starts (keyset: the last order of the page before), grouped per order and cut
after one page, with what the filters need pushed into the query: records walk the
``synced_record_order_key`` index, only between the first and the last order that has a
record of the status or the dates asked for. The candidates' own rows then give each its
exact status, which the status filter checks. So a page costs about what it shows, on the
first page as on the thousandth (BENCHMARKS.md: 100,000 orders).

An order's date is that of its first document in QuickBooks (the order's date in the shop's
time zone); an order with none yet (skipped, waiting, refused) has no date, and a date
filter leaves it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min, Q, QuerySet
from django.db.models.functions import Length

from accounts.models import QuickBooksConnection, Shop
from syncing.issue_texts import issue_text
from syncing.models import PendingSync, SourceType, SyncedRecord, SyncIssue

PAGE_SIZE = 50
ORDER_GID_PREFIX = "gid://shopify/Order/"
ORDER_NUMBER = re.compile(r"#?(\d{1,20})")
Status = SyncedRecord.Status


class OrderState(StrEnum):
    """An order's status in the merchant's words; the first that applies wins, in this order."""

    FAILED = "failed"
    WAITING = "waiting"
    IN_QUICKBOOKS = "in_quickbooks"
    VOIDED = "voided"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    OrderState.IN_QUICKBOOKS: "In QuickBooks",
    OrderState.WAITING: "Waiting",
    OrderState.FAILED: "Failed",
    OrderState.SKIPPED: "Skipped",
    OrderState.VOIDED: "Cancelled: voided in QuickBooks",
}

# QuickBooks' own words for the documents, and the page of its web app that opens each one.
# Reference: https://github.com/LedgerSync/ledger_sync-quickbooks_online/blob/master/lib/ledger_sync/quickbooks_online/dashboard_url_helper.rb
DOCUMENT_KINDS = {
    "SalesReceipt": ("Sales receipt", "salesreceipt"),
    "Invoice": ("Invoice", "invoice"),
    "Payment": ("Payment", "recvpayment"),
    "RefundReceipt": ("Refund receipt", "refundreceipt"),
    "CreditMemo": ("Credit memo", "creditmemo"),
    "Deposit": ("Deposit", "deposit"),
}
SALE_KINDS = ("SalesReceipt", "Invoice")


@dataclass(frozen=True)
class OrderFilters:
    q: str = ""
    state: OrderState | None = None
    start: date | None = None
    end: date | None = None

    @property
    def any(self) -> bool:
        return bool(self.q or self.state or self.start or self.end)

    @property
    def number(self) -> str:
        """The order number searched for ('' when the search is part of a name)."""
        match = ORDER_NUMBER.fullmatch(self.q.strip())
        return match.group(1) if match else ""


@dataclass(frozen=True)
class Document:
    kind: str  # the QBO entity, e.g. SalesReceipt
    label: str  # "Sales receipt"
    number: str
    amount: Decimal | None
    currency: str
    voided: bool
    url: str


@dataclass(frozen=True)
class OrderRow:
    gid: str
    name: str
    day: date | None
    state: OrderState
    reason: str  # why it is skipped, failed or waiting, in plain words ('' when in QuickBooks)
    detail: str  # what Shopify or QuickBooks said, for "Details" ('' when nothing more)
    total: Decimal | None
    currency: str
    documents: list[Document]
    shopify_url: str


@dataclass(frozen=True)
class OrdersPage:
    rows: list[OrderRow]
    filters: OrderFilters
    newer: str  # where the page of newer orders ends ('' on the first page)
    older: str  # where the page of older orders starts ('' on the last page)


def orders_page(*, shop: Shop, filters: OrderFilters, after: str = "", before: str = "") -> OrdersPage:
    """One page of the shop's orders, newest first: those older than the order ``after``, or
    the page just newer than the order ``before`` (the pager's two directions)."""
    backwards = bool(before) and not after
    start = before if backwards else after
    sources = _sources(shop, filters)
    found: list[_Known] = []
    position, exhausted = start, False
    while len(found) <= PAGE_SIZE and not exhausted:
        gids, exhausted = _candidates(sources, position, backwards, PAGE_SIZE + 1)
        if not gids:
            break
        known = _known(shop, gids)
        found += [known[gid] for gid in gids if _matches(known[gid], filters)]
        position = gids[-1]
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    if backwards:
        found.reverse()
    realm_id = QuickBooksConnection.objects.filter(shop=shop).values_list("realm_id", flat=True).first() or ""
    rows = [_row(shop, realm_id, order) for order in found]
    first, last = (rows[0].gid, rows[-1].gid) if rows else ("", "")
    newer = first if (more if backwards else bool(start)) else ""
    older = last if (backwards or more) else ""
    return OrdersPage(rows=rows, filters=filters, newer=newer, older=older)


def qbo_document_url(*, kind: str, txn_id: str, realm_id: str) -> str:
    """Where the merchant opens a document in their QuickBooks company ('' for a kind it has no page for)."""
    if kind not in DOCUMENT_KINDS or not txn_id or not settings.QBO_DOCUMENT_URL:
        return ""
    page = DOCUMENT_KINDS[kind][1]
    return settings.QBO_DOCUMENT_URL.format(page=page, entity=kind, txn_id=txn_id, realm_id=realm_id)


def shopify_order_url(*, shop: Shop, order_gid: str) -> str:
    """The order's page in the shop's Shopify admin."""
    legacy_id = _legacy_id(order_gid)
    if not legacy_id or not settings.SHOPIFY_ADMIN_ORDER_URL:
        return ""
    handle = shop.domain.removesuffix(".myshopify.com")
    return settings.SHOPIFY_ADMIN_ORDER_URL.format(shop=shop.domain, handle=handle, order_id=legacy_id)


# --- candidates: each source in page order, grouped per order, one page at most ---------------

# What a record's status adds to its order's; the HAVING clauses below are the status rules of
# OrderState (failed, then waiting, then in QuickBooks, then voided, else skipped) per source.
_COUNTS = {
    "failed": f"SUM(CASE WHEN status = '{Status.FAILED}' THEN 1 ELSE 0 END)",
    "waiting": f"SUM(CASE WHEN status IN ('{Status.PENDING}', '{Status.WRITING}') THEN 1 ELSE 0 END)",
    "synced": f"SUM(CASE WHEN status = '{Status.SYNCED}' THEN 1 ELSE 0 END)",
    "voided": f"SUM(CASE WHEN status IN ('{Status.VOIDED}', '{Status.DELETED}') THEN 1 ELSE 0 END)",
}
_RECORDS_HAVING = {
    OrderState.FAILED: "{failed} > 0",
    OrderState.WAITING: "{failed} = 0 AND {waiting} > 0",
    OrderState.IN_QUICKBOOKS: "{failed} = 0 AND {waiting} = 0 AND {synced} > 0",
    OrderState.VOIDED: "{failed} = 0 AND {waiting} = 0 AND {synced} = 0 AND {voided} > 0",
    OrderState.SKIPPED: "{failed} = 0 AND {waiting} = 0 AND {synced} = 0 AND {voided} = 0",
}
# A queued order is waiting, one the ledger refused has failed, unless its records say worse.
_QUEUED_CAN_BE = (OrderState.WAITING,)
_REFUSED_CAN_BE = (OrderState.FAILED,)


@dataclass
class _Source:
    """One table's rows of a shop's orders, narrowed to those that may match the filters."""

    table: str
    column: str
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    having: str = ""
    having_params: list[Any] = field(default_factory=list)
    # Instead of a query: the few orders a search by order number found.
    gids: list[str] | None = None


def _candidates(sources: list[_Source], position: str, backwards: bool, wanted: int) -> tuple[list[str], bool]:
    """The next ``wanted`` orders past ``position`` that may match, in page order, and whether
    there are no more. The first ``wanted`` of all sources together are among the first
    ``wanted`` of each."""
    results = [_source_keys(source, position, backwards, wanted) for source in sources]
    merged = sorted({gid for gids in results for gid in gids}, key=_key, reverse=not backwards)
    exhausted = len(merged) <= wanted and all(len(gids) < wanted for gids in results)
    return merged[:wanted], exhausted


def _sources(shop: Shop, filters: OrderFilters) -> list[_Source]:
    number, words = filters.number, filters.q.strip()
    if number:
        return [_Source("", "", gids=_numbered(shop, number))]
    quote = connection.ops.quote_name
    records = _Source(quote(SyncedRecord._meta.db_table), "order_gid", ["shop_id = %s", "order_gid <> ''"], [shop.pk])
    having = [_RECORDS_HAVING[filters.state].format(**_COUNTS)] if filters.state else []
    if words:
        # An order one of whose records' names has the words (a refund's has a name of its
        # own). Checked per order on the walk, like the status: a join with the names would
        # be faster only when the planner guesses their number right.
        escaped = re.sub(r"([\\%_])", r"\\\1", words)
        having.append("MAX(CASE WHEN UPPER(source_name) LIKE UPPER(%s) ESCAPE '\\' THEN 1 ELSE 0 END) = 1")
        records.having_params.append(f"%{escaped}%")
    for bound, sign in ((filters.start, ">="), (filters.end, "<=")):
        if bound:
            having.append(f"MIN(txn_date) {sign} %s")
            records.having_params.append(bound)
    records.having = " AND ".join(having)
    span = _records_span(shop, filters)
    if span is not None:
        # The walk starts and stops at the first and the last order that can match (the
        # status and txn_date indexes find them), not at the newest and the oldest.
        records.where.append(
            "(LENGTH(order_gid), order_gid) >= (%s, %s) AND (LENGTH(order_gid), order_gid) <= (%s, %s)"
        )
        records.params += [len(span[0]), span[0], len(span[1]), span[1]]
    sources = [] if span == _NOTHING else [records]
    if words or filters.start or filters.end:
        return sources  # only records have a name and a date
    if filters.state is None or filters.state in _QUEUED_CAN_BE:
        sources.append(_Source(quote(PendingSync._meta.db_table), "order_gid", ["shop_id = %s"], [shop.pk]))
    if filters.state is None or filters.state in _REFUSED_CAN_BE:
        where = ["shop_id = %s", "source_type = %s", "resolved_at IS NULL", "record_id IS NULL"]
        sources.append(_Source(quote(SyncIssue._meta.db_table), "source_id", where, [shop.pk, SourceType.ORDER]))
    return sources


# The record statuses an order in that state has at least one of (in QuickBooks: nearly every
# order has a synced record, so knowing where they are does not shorten the walk).
_STATE_NEEDS = {
    OrderState.FAILED: [Status.FAILED],
    OrderState.WAITING: [Status.PENDING, Status.WRITING],
    OrderState.VOIDED: [Status.VOIDED, Status.DELETED],
    OrderState.SKIPPED: [Status.SKIPPED],
}
_NOTHING = ("", "")


def _records_span(shop: Shop, filters: OrderFilters) -> tuple[str, str] | None:
    """The first and the last order whose records can match the state and date filters:
    ``_NOTHING`` when none can, None when the filters do not narrow the records."""
    span: tuple[str, str] | None = None
    records = SyncedRecord.objects.filter(shop=shop)
    narrowing = []
    if filters.state in _STATE_NEEDS:
        narrowing.append(records.filter(status__in=_STATE_NEEDS[filters.state]))
    if filters.start or filters.end:
        # An order dated in the range has a record dated in it (its first).
        dated = records.exclude(txn_date=None)
        dated = dated.filter(txn_date__gte=filters.start) if filters.start else dated
        narrowing.append(dated.filter(txn_date__lte=filters.end) if filters.end else dated)
    for candidates in narrowing:
        ends = _span(candidates)
        if ends is None:
            return _NOTHING
        if span is not None:
            ends = max(span[0], ends[0], key=_key), min(span[1], ends[1], key=_key)
            if _key(ends[0]) > _key(ends[1]):
                return _NOTHING
        span = ends
    return span


def _numbered(shop: Shop, number: str) -> list[str]:
    """The orders named with that number (with or without its '#'), and the order of that id."""
    named = SyncedRecord.objects.filter(shop=shop, source_name__in=["#" + number, number]).exclude(order_gid="")
    return sorted({*named.values_list("order_gid", flat=True), ORDER_GID_PREFIX + number}, key=_key, reverse=True)


def _span(records: QuerySet[SyncedRecord]) -> tuple[str, str] | None:
    """The oldest and the newest order among these records (None: there are none). Grouped by
    length, which a shop's ids share but for a few changes of digits: no sort of every row."""
    by_length = records.exclude(order_gid="").values(length=Length("order_gid"))
    ends = sorted(
        by_length.annotate(oldest=Min("order_gid"), newest=Max("order_gid")).values_list("length", "oldest", "newest")
    )
    return (ends[0][1], ends[-1][2]) if ends else None


def _source_keys(source: _Source, position: str, backwards: bool, limit: int) -> list[str]:
    if source.gids is not None:
        ahead = [g for g in source.gids if not position or _beyond(g, position, backwards)]
        return sorted(ahead, key=_key, reverse=not backwards)[:limit]
    column, order = source.column, "ASC" if backwards else "DESC"
    where, params = list(source.where), list(source.params)
    if position:
        # A row-value comparison: PostgreSQL seeks the index to it instead of scanning.
        where.append(f"(LENGTH({column}), {column}) {'>' if backwards else '<'} (%s, %s)")
        params += [len(position), position]
    sql = (
        f"SELECT {column} FROM {source.table} WHERE {' AND '.join(where)}"  # noqa: S608 (names and SQL are ours)
        f" GROUP BY LENGTH({column}), {column}"
        + (f" HAVING {source.having}" if source.having else "")
        + f" ORDER BY LENGTH({column}) {order}, {column} {order} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *source.having_params, limit])
        return [gid for (gid,) in cursor.fetchall()]


def _key(gid: str) -> tuple[int, str]:
    return len(gid), gid


def _beyond(gid: str, position: str, backwards: bool) -> bool:
    return _key(gid) > _key(position) if backwards else _key(gid) < _key(position)


# --- each candidate as it is: its records, its place in the queue, its open issues -----------


@dataclass
class _Known:
    gid: str
    records: list[SyncedRecord] = field(default_factory=list)
    queued: bool = False
    issues: list[SyncIssue] = field(default_factory=list)

    @property
    def refused(self) -> list[SyncIssue]:
        """Open issues that kept the order out of the books before any record was made."""
        return [issue for issue in self.issues if issue.record is None and issue.source_type == SourceType.ORDER]

    @property
    def state(self) -> OrderState:
        statuses = {record.status for record in self.records}
        if Status.FAILED in statuses or self.refused:
            return OrderState.FAILED
        if self.queued or statuses & {Status.PENDING, Status.WRITING}:
            return OrderState.WAITING
        if Status.SYNCED in statuses:
            return OrderState.IN_QUICKBOOKS
        if statuses & {Status.VOIDED, Status.DELETED}:
            return OrderState.VOIDED
        return OrderState.SKIPPED

    @property
    def name(self) -> str:
        names = [r.source_name for r in self.records if r.source_type == SourceType.ORDER and r.source_name]
        return names[0] if names else f"Order {_legacy_id(self.gid) or self.gid}"

    @property
    def day(self) -> date | None:
        days = [record.txn_date for record in self.records if record.txn_date is not None]
        return min(days) if days else None


def _known(shop: Shop, gids: list[str]) -> dict[str, _Known]:
    known = {gid: _Known(gid) for gid in gids}
    # The lengths let the query use synced_record_order_key (its second column).
    records = SyncedRecord.objects.alias(gid_length=Length("order_gid")).filter(
        shop=shop, gid_length__in={len(gid) for gid in gids}, order_gid__in=gids
    )
    for row in records.order_by("pk"):
        known[row.order_gid].records.append(row)
    for gid in PendingSync.objects.filter(shop=shop, order_gid__in=gids).values_list("order_gid", flat=True):
        known[gid].queued = True
    by_pk = {record.pk: record for order in known.values() for record in order.records}
    issues = SyncIssue.objects.open().filter(
        Q(source_type=SourceType.ORDER, source_id__in=gids) | Q(record_id__in=by_pk), shop=shop
    )
    for issue in issues.order_by("-updated_at"):
        record = by_pk.get(issue.record_id) if issue.record_id else None
        if issue.record_id and record is None:
            continue  # a record of another order (an issue names its source, the record its order)
        issue.record = record
        known[record.order_gid if record is not None else issue.source_id].issues.append(issue)
    return known


def _matches(order: _Known, filters: OrderFilters) -> bool:
    """The checks the queries could only narrow: the status of all the order's rows together,
    and the date of its first document."""
    if not (order.records or order.queued or order.issues):
        return False  # an order number nobody knows
    if filters.state is not None and order.state != filters.state:
        return False
    day = order.day
    if (filters.start or filters.end) and day is None:
        return False
    if filters.start and day is not None and day < filters.start:
        return False
    return not (filters.end and day is not None and day > filters.end)


def _row(shop: Shop, realm_id: str, order: _Known) -> OrderRow:
    sale = next((r for r in order.records if r.kind in SALE_KINDS and r.amount is not None), None)
    state = order.state
    reason, detail = _reason(state, order)
    return OrderRow(
        gid=order.gid,
        name=order.name,
        day=order.day,
        state=state,
        reason=reason,
        detail=detail,
        total=sale.amount if sale else None,
        currency=sale.currency if sale else shop.currency,
        documents=[_document(r, realm_id) for r in order.records if r.qbo_id and r.status != Status.DELETED],
        shopify_url=shopify_order_url(shop=shop, order_gid=order.gid),
    )


def _document(record: SyncedRecord, realm_id: str) -> Document:
    return Document(
        kind=record.kind,
        label=DOCUMENT_KINDS.get(record.kind, (record.kind, ""))[0],
        number=record.doc_number,
        amount=record.amount,
        currency=record.currency,
        voided=record.status == Status.VOIDED,
        url=qbo_document_url(kind=record.kind, txn_id=record.qbo_id, realm_id=realm_id),
    )


def _reason(state: OrderState, order: _Known) -> tuple[str, str]:
    """The plain reason for a status (syncing/issue_texts.py words it for the Issues page too),
    and what Shopify or QuickBooks said, for "Details"."""
    if state == OrderState.SKIPPED:
        skipped = [r.last_error for r in order.records if r.status == Status.SKIPPED and r.last_error]
        return (skipped[0] if skipped else "kept out of the books by your rules"), ""
    if state == OrderState.FAILED:
        for issue in order.issues:
            if issue.record is None or issue.record.status == Status.FAILED:
                raw = issue.record.last_error if issue.record is not None else ""
                return issue_text(issue.code, issue.detail).title, raw or issue.message
        failed = next((r for r in order.records if r.status == Status.FAILED), None)
        return issue_text("qbo_rejected").title, failed.last_error if failed else ""
    if state == OrderState.WAITING:
        linked = next((i for i in order.issues if i.code == "waiting_for_linked_document"), None)
        if linked is not None:
            return issue_text(linked.code).title, ""
        if any(r.status == Status.WRITING for r in order.records):
            return "being written to QuickBooks now", ""
        return "in the queue for the next sync", ""
    return "", ""


def _legacy_id(order_gid: str) -> str:
    return order_gid.removeprefix(ORDER_GID_PREFIX) if order_gid.startswith(ORDER_GID_PREFIX) else ""
