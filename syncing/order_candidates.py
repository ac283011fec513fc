"""The Orders page's paging: each source (records, the queue, open issues) read newest first from
where the page starts, grouped per order and cut after one page (see syncing/orders_page.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max, Min, QuerySet
from django.db.models.functions import Length

from accounts.models import Shop
from syncing.models import PendingSync, SourceType, SyncedRecord, SyncIssue
from syncing.order_states import ORDER_GID_PREFIX, OrderFilters, OrderState, Status

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


def page_candidates(sources: list[_Source], position: str, backwards: bool, wanted: int) -> tuple[list[str], bool]:
    """The next ``wanted`` orders past ``position`` that may match, in page order, and whether
    there are no more. The first ``wanted`` of all sources together are among the first
    ``wanted`` of each."""
    results = [_source_keys(source, position, backwards, wanted) for source in sources]
    merged = sorted({gid for gids in results for gid in gids}, key=_key, reverse=not backwards)
    exhausted = len(merged) <= wanted and all(len(gids) < wanted for gids in results)
    return merged[:wanted], exhausted


def order_sources(shop: Shop, filters: OrderFilters) -> list[_Source]:
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
