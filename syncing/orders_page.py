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

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Length

from accounts.models import QuickBooksConnection, Shop
from syncing.issue_texts import issue_text
from syncing.models import PendingSync, SourceType, SyncedRecord, SyncIssue
from syncing.order_candidates import order_sources, page_candidates
from syncing.order_states import (
    DOCUMENT_KINDS,
    ORDER_GID_PREFIX,
    PAGE_SIZE,
    SALE_KINDS,
    Document,
    OrderFilters,
    OrderRow,
    OrdersPage,
    OrderState,
    Status,
)


def orders_page(*, shop: Shop, filters: OrderFilters, after: str = "", before: str = "") -> OrdersPage:
    """One page of the shop's orders, newest first: those older than the order ``after``, or
    the page just newer than the order ``before`` (the pager's two directions)."""
    backwards = bool(before) and not after
    start = before if backwards else after
    sources = order_sources(shop, filters)
    found: list[_Known] = []
    position, exhausted = start, False
    while len(found) <= PAGE_SIZE and not exhausted:
        gids, exhausted = page_candidates(sources, position, backwards, PAGE_SIZE + 1)
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
        documents=[document_shown(r, realm_id) for r in order.records if r.qbo_id and r.status != Status.DELETED],
        shopify_url=shopify_order_url(shop=shop, order_gid=order.gid),
    )


def document_shown(record: SyncedRecord, realm_id: str) -> Document:
    """A document as the merchant's pages show it: its kind in words, its number, its amount and a
    link into QuickBooks (the Orders page, the Summaries page)."""
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
