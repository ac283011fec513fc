"""Documents ShopQB wrote that a person changed or deleted in QuickBooks, found through
QuickBooks' change data capture (CDC) and marked on their SyncedRecord (``qbo_drift``).

Once per sweep (``drift_check``), QuickBooks is asked what changed since the shop's last check:
one request for every kind of document ShopQB writes. A document of ours that comes back deleted
is marked "deleted"; one whose SyncToken is no longer the one we stored (every write of ours
stores the token QuickBooks answered) is marked "changed". From then on the sync leaves it alone
(``SyncedRecord.drift_holds``, checked by syncing/writing.py) until the merchant chooses what to
do (syncing/drift.py): a person's work is never silently overwritten or re-created.

Intuit's rules for CDC: changes of the last 30 days only, at most 1,000 objects in one answer,
deleted objects come back with ``status: "Deleted"`` and their Id.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import F
from django.utils import timezone

from accounts.models import Shop
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.models import QboChangeCheck, QboDrift, SyncedRecord, SyncIssue

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=30)  # QuickBooks keeps 30 days of changes
LOOKBACK_MARGIN = timedelta(hours=1)  # asked a little inside it, so clocks never push it past
OVERLAP = timedelta(minutes=2)  # each check re-reads the end of the last one: nothing falls between
MAX_OBJECTS = 1000  # per answer, across every entity asked for
# Every kind of document the sync writes (syncing/ledger): the ones the check asks about.
DOCUMENT_KINDS = ("SalesReceipt", "RefundReceipt", "Invoice", "Payment", "CreditMemo", "Deposit", "JournalEntry")
# Records whose document ShopQB holds as written: a record being written (its new SyncToken not
# stored yet) or removed by an undo is not a person's doing.
WATCHED = (SyncedRecord.Status.SYNCED, SyncedRecord.Status.FAILED)
DRIFT_CODE = "qbo_changed_by_someone"


@dataclass
class DriftCheck:
    """What one check found: documents newly marked changed or deleted."""

    since: datetime | None = None
    changed: list[SyncedRecord] = field(default_factory=list)
    deleted: list[SyncedRecord] = field(default_factory=list)


def changed_by_person(record: SyncedRecord, doc: dict[str, Any]) -> bool:
    """Whether the document as QuickBooks has it now is no longer the version ShopQB wrote.

    Every write of ours stores the SyncToken QuickBooks answered, so another token is someone
    else's write, with one exception: applying, voiding or deleting a payment moves an invoice's
    SyncToken too (its Balance and LinkedTxn change), whoever records the payment. An invoice
    whose token moved counts as changed only when what ShopQB wrote on it differs: its number,
    date or total. (A person's edit of an invoice's memo alone is not caught.)
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
    """
    if str(doc.get("SyncToken", "")) == record.qbo_sync_token:
        return False
    if record.kind != "Invoice":
        return True
    same_number = str(doc.get("DocNumber") or "") == record.doc_number
    same_date = str(doc.get("TxnDate") or "") == (record.txn_date.isoformat() if record.txn_date else "")
    same_total = record.amount is None or Decimal(str(doc.get("TotalAmt", "0"))) == record.amount
    return not (same_number and same_date and same_total)


def drift_check_in_pass(shop: Shop, qb: qbo.QuickBooks) -> DriftCheck | None:
    """The check as a sweep runs it, before it writes anything. QuickBooks refusing the question
    (not unreachable: that stops the pass like any other call) does not stop the books being kept:
    an issue says so until a check succeeds."""
    try:
        found = drift_check(shop, qb)
    except qbo.QBORejected as exc:
        log.warning("checking %s for changes made in QuickBooks failed: %s", shop.domain, exc)
        SyncIssue.objects.raise_for(
            shop=shop,
            code="qbo_change_check_failed",
            message=f"ShopQB could not ask QuickBooks which of its documents people changed: {exc}",
            retryable=False,
        )
        return None
    SyncIssue.objects.filter(shop=shop, code="qbo_change_check_failed").resolve()
    return found


def drift_check(shop: Shop, qb: qbo.QuickBooks) -> DriftCheck:
    """Ask QuickBooks what changed since the last check and mark our documents a person changed
    or deleted. Cheap when nothing changed: one request. Raises qbo.QBOError when QuickBooks
    cannot answer; the watermark then stays where it was and the next pass asks again."""
    # Runs every sweep: the database returns the few kinds, not a row per document.
    written = SyncedRecord.objects.filter(shop=shop, kind__in=DOCUMENT_KINDS).exclude(qbo_id="")
    kinds = sorted(set(written.order_by().values_list("kind", flat=True).distinct()))
    last = QboChangeCheck.objects.filter(shop=shop).first()
    found = DriftCheck()
    if not kinds:
        # Nothing of ours in QuickBooks yet: nothing to watch; the first write starts the window.
        _watermark(shop, timezone.now(), found)
        return found
    found.since = _since(shop, last)
    objects, answered_at = _changes(qb, kinds, found.since)
    # Records are read after QuickBooks answered: a write of ours that QuickBooks saw has its
    # SyncToken stored by now, or is still WRITING (and not watched).
    records = {
        (r.kind, r.qbo_id): r
        for r in SyncedRecord.objects.filter(
            shop=shop, status__in=WATCHED, kind__in=kinds, qbo_id__in={str(o.get("Id")) for _, o in objects}
        )
    }
    for kind, doc in objects:
        record = records.get((kind, str(doc.get("Id"))))
        if record is not None:
            _mark(record, doc, found)
    _watermark(shop, answered_at, found)
    return found


def _since(shop: Shop, last: QboChangeCheck | None) -> datetime:
    """Where the check starts: just before the last one ended, or (the first time) the shop's first
    write; never further back than QuickBooks keeps changes. A gap (syncing stopped for more than
    30 days) is said in an issue: changes made then cannot be seen any more."""
    earliest = timezone.now() - LOOKBACK + LOOKBACK_MARGIN
    if last is not None:
        since = last.checked_through - OVERLAP
    else:
        first = (
            SyncedRecord.objects.filter(shop=shop, synced_at__isnull=False)
            .order_by("synced_at")
            .values_list("synced_at", flat=True)
            .first()
        )
        since = (first or timezone.now()) - OVERLAP
    if since < earliest:
        if last is not None:
            SyncIssue.objects.raise_for(
                shop=shop,
                code="qbo_changes_unchecked",
                message=(
                    f"QuickBooks was last checked for changes people made to ShopQB's documents on "
                    f"{last.checked_through:%d %b %Y}; QuickBooks only tells the last 30 days, so changes "
                    "made before that cannot be found. Compare with the reconciliation."
                ),
                retryable=False,
            )
        since = earliest
    return since


def _changes(
    qb: qbo.QuickBooks, kinds: list[str], since: datetime
) -> tuple[list[tuple[str, dict[str, Any]]], datetime]:
    """Every object of ``kinds`` changed since ``since`` (kind, object), and QuickBooks' clock at
    the answer. One request for all kinds; an answer at the 1,000-object cap is asked again kind by
    kind, each from the last change it returned on, until an answer is under the cap."""
    objects, answered_at = _cdc(qb, kinds, since)
    if len(objects) < MAX_OBJECTS:
        return objects, answered_at
    everything: list[tuple[str, dict[str, Any]]] = []
    for kind in kinds:
        start = since
        while True:
            page, answered_at = _cdc(qb, [kind], start)
            everything.extend(page)
            if len(page) < MAX_OBJECTS:
                break
            # Unconfirmed: that a capped answer holds the oldest changes (the sandbox's order).
            newest = max(_updated(doc) for _, doc in page)
            if newest <= start:
                raise qbo.QBOUnavailable(f"more than {MAX_OBJECTS} {kind} changes at {start.isoformat()}")
            start = newest
    return everything, answered_at


def _cdc(qb: qbo.QuickBooks, kinds: list[str], since: datetime) -> tuple[list[tuple[str, dict[str, Any]]], datetime]:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
    query = urlencode({"entities": ",".join(kinds), "changedSince": since.isoformat(timespec="seconds")})
    url = f"{qb.api_url}/company/{qb.company_id}/cdc?{query}"
    answer = qbo.call(lambda: qb.get(url))
    objects: list[tuple[str, dict[str, Any]]] = []
    for response in answer.get("CDCResponse") or []:
        for group in response.get("QueryResponse") or []:
            for kind in kinds:
                objects.extend((kind, doc) for doc in group.get(kind) or [])
    stamp = answer.get("time")
    answered_at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else timezone.now()
    return objects, answered_at


def _updated(doc: dict[str, Any]) -> datetime:
    stamp = str((doc.get("MetaData") or {}).get("LastUpdatedTime") or "")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.min.replace(tzinfo=UTC)


def _mark(record: SyncedRecord, doc: dict[str, Any], found: DriftCheck) -> None:
    """Mark one record from what QuickBooks says of its document; the same news seen twice (the
    windows overlap) is marked once. Conditional on the record as read: a write that stored a new
    SyncToken meanwhile wins."""
    deleted = str(doc.get("status", "")).lower() == "deleted"
    token = "" if deleted else str(doc.get("SyncToken", ""))
    if deleted:
        if record.qbo_drift == QboDrift.DELETED:
            return
        drift = QboDrift.DELETED
    else:
        if not changed_by_person(record, doc):
            return
        if record.qbo_drift == QboDrift.CHANGED and record.qbo_drift_sync_token == token:
            return
        drift = QboDrift.CHANGED
    now = timezone.now()
    marked = SyncedRecord.objects.filter(
        pk=record.pk, status__in=WATCHED, qbo_id=record.qbo_id, qbo_sync_token=record.qbo_sync_token
    ).update(
        qbo_drift=drift, qbo_drift_seen_at=now, qbo_drift_resolution="", qbo_drift_sync_token=token, updated_at=now
    )
    if not marked:
        return
    record.qbo_drift, record.qbo_drift_seen_at, record.qbo_drift_resolution = drift, now, ""
    record.qbo_drift_sync_token = token
    (found.deleted if deleted else found.changed).append(record)
    what = "deleted" if deleted else "changed"
    SyncIssue.objects.raise_for(
        shop=record.shop,
        code=DRIFT_CODE,
        message=(
            f"{record.kind} {record.doc_number} ({record.source_name or record.source_id}) was {what} in QuickBooks "
            "by someone other than ShopQB. ShopQB leaves it as it is: choose on the Changes in QuickBooks page "
            "whether to post ShopQB's version again, keep QuickBooks' version, or ignore it."
        ),
        source_type=record.source_type,
        source_id=record.source_id,
        record=record,
        retryable=False,
        detail={"kind": record.kind, "qbo_id": record.qbo_id, "drift": what},
    )


def _watermark(shop: Shop, answered_at: datetime, found: DriftCheck) -> None:
    check, created = QboChangeCheck.objects.get_or_create(
        shop=shop,
        defaults={"checked_through": answered_at, "changed": len(found.changed), "deleted": len(found.deleted)},
    )
    if not created:
        QboChangeCheck.objects.filter(pk=check.pk).update(
            checked_through=max(answered_at, check.checked_through),
            checked_at=timezone.now(),
            changed=F("changed") + len(found.changed),
            deleted=F("deleted") + len(found.deleted),
        )
