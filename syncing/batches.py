"""Many orders' new documents created through QuickBooks batch requests (backfills and sweeps).

A pass reads orders in chunks and writes each chunk's new documents up to 30 to a request
(shopqb_app/integrations/quickbooks/client.py ``batch_create``), instead of one request per
document. Exactly once holds as for a single write (syncing/writing.py):

- every record is claimed (conditional UPDATE) before its document goes into a batch;
- where a lookup is due (a later attempt, or a company that accepts duplicate numbers) the
  chunk's documents are looked up by DocNumber in one query per kind, before any create;
- the batch carries a requestid derived from its items' own stable request ids, so a resent
  batch is replayed; a batch whose answer is lost leaves each record failed, and the next pass
  finds each document again by its DocNumber (a later attempt always looks first);
- QuickBooks answers each item on its own: an item's fault fails that record alone (its issue,
  retried like any write), never its neighbours.

QuickBooks runs a batch's items one after another, but an item does not see what the items
before it created; a document that applies to another (a Payment to its Invoice) therefore goes
in a later wave, once the documents it needs are written.
Reference: https://blogs.intuit.com/2017/07/27/batch-operations-important
Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from shopqb_app.integrations import budget
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from syncing.context import SyncContext
from syncing.models import Outcome
from syncing.orders import OrderWrite, order_prepare, order_settled, worst
from syncing.writing import (
    REQUEST_ID_NAMESPACE,
    PreparedWrite,
    write_prepare,
    write_prepared,
    write_recorded,
    write_refused,
)

# How many orders a pass reads before writing them: a few full batches' worth of documents (most
# orders have one or two), held in memory at a time whatever the size of the store. Not longer: the
# listing re-reads each refunded order at Shopify's points rate, and the writes between two chunks
# give that bucket time to refill (longer chunks made the backfill bench sleep longer on Shopify).
ORDERS_PER_CHUNK = 60
DUPLICATE_NUMBER = "6140"
# A batch request counts against 40 a minute per company as well as its requests a minute: fewer
# documents than this go one request each, and the scarce batch requests carry full loads.
BATCH_MIN_ITEMS = 5
# Claimed creates are looked up (where due) this many at a time: one query per kind of document
# and 30 numbers, each a request of the company's minute.
LOOKUP_ITEMS = 2 * qbo.BATCH_MAX_ITEMS


@dataclass(frozen=True)
class _Claimed:
    """A claimed create waiting for its batch; ``key`` says whose outcome it is."""

    key: int
    ctx: SyncContext
    prepared: PreparedWrite

    @property
    def key_id(self) -> int:
        return int(self.prepared.record.pk)


def orders_write(ctx: SyncContext, raws: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Outcome]]:
    """Each order brought in line with Shopify, as ``orders.order_process`` does one, with the
    chunk's new documents created in batches. Returns each order with its outcome, in order.

    The orders are planned one after another while the documents already planned are sent, so
    that a batch goes as soon as the company's budget has one for it, not after the whole chunk.

    QuickBooks unreachable, throttling past the budget or refusing access is raised, as the single
    path raises it: the claimed records are left failed and the next pass takes them up."""
    orders = [parse_order(raw) for raw in raws]
    planned: list[OrderWrite | Outcome] = []

    def first_wave() -> Iterator[tuple[int, SyncContext, ledger.Document]]:
        for n, order in enumerate(orders):
            plan = order_prepare(ctx, order)
            planned.append(plan)
            if isinstance(plan, OrderWrite):
                yield from ((n, plan.ctx, doc) for doc in plan.documents if not doc.links_to)

    def later_wave() -> Iterator[tuple[int, SyncContext, ledger.Document]]:
        for n, plan in enumerate(planned):
            if isinstance(plan, OrderWrite):
                yield from ((n, plan.ctx, doc) for doc in plan.documents if doc.links_to)

    outcomes: dict[int, list[Outcome]] = {n: [] for n in range(len(orders))}
    # Documents that apply to another (a Payment to its Invoice) once those are written.
    for wave in (first_wave(), later_wave()):
        for n, outcome in documents_write(wave):
            outcomes[n].append(outcome)
    result = []
    for n, (raw, order, plan) in enumerate(zip(raws, orders, planned, strict=True)):
        outcome = plan if isinstance(plan, Outcome) else worst(outcomes[n])
        order_settled(ctx.shop, order, outcome)
        result.append((raw, outcome))
    return result


def documents_write(items: Iterable[tuple[int, SyncContext, ledger.Document]]) -> list[tuple[int, Outcome]]:
    """Write documents as ``writing.document_write`` does, the new ones through batch requests.
    ``items``: (a key for the caller, the context the document was planned in, the document),
    read as they come: what is ready is sent meanwhile (``_BatchWriter.pump``)."""
    writer = _BatchWriter()
    claims: list[_Claimed] = []  # every record this call claimed: each is settled or given back
    try:
        for key, ctx, document in items:
            prepared = write_prepare(ctx, document)  # fails its own record when it raises
            if isinstance(prepared, Outcome):
                writer.done.append((key, prepared))
                continue
            claimed = _Claimed(key, ctx, prepared)
            claims.append(claimed)
            if prepared.record.qbo_id:
                writer.settled.add(claimed.key_id)  # an update in place: on its own, settled by it
                writer.done.append((key, write_prepared(ctx, prepared)))
            else:
                writer.fresh.append(claimed)
                writer.pump()
        writer.finish()
    except qbo.QBOError as exc:
        # The company stopped answering: a claim whose request went out fails (retried by the next
        # pass, which looks the document up first); one not sent yet is given back untouched.
        for claimed in claims:
            if claimed.key_id in writer.settled:
                continue
            if claimed.key_id in writer.sent:
                writer.refused(claimed, exc)
            else:
                claimed.prepared.record.release()
        raise
    return writer.done


class _BatchWriter:
    """The outcomes of one ``documents_write``, and which claims are settled (synced or failed)."""

    def __init__(self) -> None:
        self.done: list[tuple[int, Outcome]] = []
        self.sent: set[int] = set()  # claims whose request went out (its answer may be lost)
        self.settled: set[int] = set()  # claims synced or failed
        self.fresh: list[_Claimed] = []  # claimed creates not looked up yet
        self.ready: list[_Claimed] = []  # creates to send (looked up where due)

    def pump(self) -> None:
        """While more documents are being prepared: a full batch goes when the company's budget
        has a batch request for it (the creates looked up then, if they were not yet); while the
        next batch request is not due, what is ready beyond a full batch goes one request each, on
        the requests a minute the batches leave unused, instead of waiting. Without a shared
        budget, full batches only."""
        pool = self.ready or self.fresh
        if not pool:
            return
        realm_id = str(pool[0].ctx.qb.company_id)
        batch_due = _budget_wait(realm_id, batch=True) <= 0
        full = qbo.BATCH_MAX_ITEMS
        if len(self.fresh) >= LOOKUP_ITEMS or (
            batch_due and len(self.ready) < full <= len(self.ready) + len(self.fresh)
        ):
            self.ready += self.looked_up(self.fresh)
            self.fresh = []
        while len(self.ready) >= full:
            if batch_due:
                self.send(self._take(full))
            elif len(self.ready) > full and _budget_wait(realm_id, batch=False) <= 0:
                self.send_single()
            else:
                return  # nothing due: prepare more meanwhile
            batch_due = _budget_wait(realm_id, batch=True) <= 0

    def finish(self) -> None:
        """Everything still to send: in batches while there are enough for one, and while more
        than a batch is left and the next batch request is not due, one request each; the last
        few one request each (looked up already)."""
        self.ready += self.looked_up(self.fresh)
        self.fresh = []
        while len(self.ready) >= BATCH_MIN_ITEMS:
            realm_id = str(self.ready[0].ctx.qb.company_id)
            if len(self.ready) > qbo.BATCH_MAX_ITEMS and _budget_wait(realm_id, batch=True) > 0:
                self.send_single()  # waits for its own request's token, if it must
            else:
                self.send(self._take(qbo.BATCH_MAX_ITEMS))
        while self.ready:
            self.send_single()

    def send_single(self) -> None:
        """The last create ready goes on a request of its own."""
        claimed = self.ready.pop()
        self.done.append((claimed.key, self.send_one(claimed)))

    def _take(self, count: int) -> list[_Claimed]:
        group, self.ready = self.ready[:count], self.ready[count:]
        return group

    def looked_up(self, creates: list[_Claimed]) -> list[_Claimed]:
        """The creates still to send once the ones due a lookup were looked for: one found (an
        earlier attempt's, whose answer was lost) is recovered; a number held by a document not
        ours fails that record (never touched); one query per kind of document and 30 numbers."""
        due = [c for c in creates if c.prepared.record.attempts > 1 or not c.ctx.refuses_duplicate_numbers]
        if not due:
            return creates
        found: dict[str, list[qbo.QBOObject]] = {}
        for entity in sorted({c.prepared.document.entity for c in due}):
            numbers = [c.prepared.document.doc_number for c in due if c.prepared.document.entity == entity]
            found[entity] = []
            for start in range(0, len(numbers), qbo.BATCH_MAX_ITEMS):
                page = numbers[start : start + qbo.BATCH_MAX_ITEMS]
                found[entity] += qbo.find_documents(due[0].ctx.qb, entity, page)
        due_ids = {c.key_id for c in due}
        to_send = []
        for claimed in creates:
            if claimed.key_id not in due_ids:
                to_send.append(claimed)
                continue
            document = claimed.prepared.document
            try:
                existing = qbo.owned_among(
                    found[document.entity], document.entity, document.doc_number, document.source_id
                )
            except qbo.DocNumberTaken as exc:
                self.done.append((claimed.key, self.refused(claimed, exc)))
                continue
            if existing is None:
                to_send.append(claimed)
            else:
                self.done.append(
                    (claimed.key, self.recorded(claimed, qbo.written_from_dict(existing), Outcome.RECOVERED))
                )
        return to_send

    def send(self, chunk: list[_Claimed]) -> None:
        """One batch request; each item's answer settles its own record."""
        items = [
            qbo.BatchCreate(bid=str(n), entity=c.prepared.document.entity, body=c.prepared.body)
            for n, c in enumerate(chunk)
        ]
        self.sent.update(c.key_id for c in chunk)
        answers = qbo.batch_create(chunk[0].ctx.qb, items, request_id=batch_request_id(chunk))
        for item, claimed in zip(items, chunk, strict=True):
            answer = answers[item.bid]
            if isinstance(answer, qbo.Written):
                outcome = self.recorded(claimed, answer, Outcome.WRITTEN)
            elif isinstance(answer, qbo.QBORejected) and answer.code == DUPLICATE_NUMBER:
                outcome = self.duplicate_number(claimed, answer)
            else:
                outcome = self.refused(claimed, answer)
            self.done.append((claimed.key, outcome))

    def send_one(self, claimed: _Claimed) -> Outcome:
        """One create on its own request, as a single write sends it (looked up already where
        due). QuickBooks unreachable or refusing access is raised: the pass stops."""
        self.settled.add(claimed.key_id)  # write_prepared settles it, whatever comes
        return write_prepared(claimed.ctx, claimed.prepared, looked_up=True)

    def duplicate_number(self, claimed: _Claimed, refusal: qbo.QBOError) -> Outcome:
        """The company refuses a second document with this number: ours from an earlier attempt
        (recovered), or someone else's (DocNumberTaken: never touched)."""
        document = claimed.prepared.document
        try:
            existing = qbo.find_owned_document(claimed.ctx.qb, document.entity, document.doc_number, document.source_id)
        except qbo.QBOError as exc:
            return self.refused(claimed, exc)
        if existing is None:
            return self.refused(claimed, refusal)
        return self.recorded(claimed, qbo.written_from_dict(existing), Outcome.RECOVERED)

    def recorded(self, claimed: _Claimed, written: qbo.Written, outcome: Outcome) -> Outcome:
        write_recorded(claimed.ctx, claimed.prepared, written)
        self.settled.add(claimed.key_id)
        return outcome

    def refused(self, claimed: _Claimed, exc: qbo.QBOError) -> Outcome:
        """One record failed with its issue, without stopping the others (``write_refused``
        raises for an unreachable company; one item's refusal never stops its neighbours)."""
        self.settled.add(claimed.key_id)
        try:
            return write_refused(claimed.ctx, claimed.prepared, exc)
        except qbo.QBOError:
            return Outcome.FAILED


def _budget_wait(realm_id: str, *, batch: bool) -> float:
    """Seconds until the company's shared budget has a request (a batch request) for us: 0.0 now
    or without a budget."""
    shared = budget.current()
    return shared.quickbooks_wait(realm_id, batch=batch) if shared is not None else 0.0


def batch_request_id(chunk: list[_Claimed]) -> str:
    """The same items in the same order make the same batch: a resent batch is replayed. 36
    characters, the most QuickBooks takes for a batch's requestid."""
    ids = "|".join(c.prepared.record.request_id for c in chunk)
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"batch|{ids}"))
