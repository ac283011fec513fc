"""The Summaries page (posting mode "summary"): each payout's or day's summary with the orders it
holds, its documents in QuickBooks, and the same CSV that is attached to it there."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.auth import ShopRequest, shop_required
from accounts.models import QuickBooksConnection
from syncing.models import SourceType, SyncedRecord
from syncing.order_states import Document
from syncing.orders_page import document_shown
from syncing.summary import summary_csv
from syncing.summary_models import Summary, SummaryEntry

SUMMARIES_PER_PAGE = 20
# A summary's documents as the merchant reads them: its sales, then its refunds, then the journal
# entries of its tenders (syncing/ledger/summary.py numbers them S, R and J).
KIND_ORDER = {"SalesReceipt": 0, "RefundReceipt": 1, "JournalEntry": 2}


@require_GET
@shop_required
def summaries(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    page = Paginator(Summary.objects.filter(shop=shop).order_by("-txn_date", "-pk"), SUMMARIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    keys = [s.key for s in page.object_list]
    entries: dict[str, list[SummaryEntry]] = {key: [] for key in keys}
    for entry in SummaryEntry.objects.filter(shop=shop, summary_key__in=keys).order_by("txn_date", "order_name"):
        entries[entry.summary_key].append(entry)
    documents: dict[str, list[Document]] = {key: [] for key in keys}
    # A summary document's source id is "<summary key>|<group>" (syncing/ledger/summary.py): only
    # this page's summaries' documents are read, not every summary the shop ever had.
    of_page = Q(pk__in=[])
    for key in keys:
        of_page |= Q(source_id__startswith=f"{key}|")
    realm_id = QuickBooksConnection.objects.filter(shop=shop).values_list("realm_id", flat=True).first() or ""
    records = SyncedRecord.objects.filter(of_page, shop=shop, source_type=SourceType.SUMMARY)
    for record in sorted(records, key=lambda r: (KIND_ORDER.get(r.kind, len(KIND_ORDER)), r.doc_number)):
        documents[record.source_id.split("|", 1)[0]].append(document_shown(record, realm_id))
    rows = [(s, entries[s.key], documents[s.key]) for s in page.object_list]
    waiting = SummaryEntry.objects.filter(shop=shop, summary_key="").count()
    return render(request, "syncing/summaries.html", {"shop": shop, "page": page, "rows": rows, "waiting": waiting})


@require_GET
@shop_required
def summary_orders_csv(request: ShopRequest, pk: int) -> HttpResponse:
    summary = Summary.objects.filter(shop=request.shop, pk=pk).first()
    if summary is None:
        raise Http404("no such summary")
    entries = SummaryEntry.objects.filter(shop=request.shop, summary_key=summary.key).order_by("txn_date", "order_name")
    response = HttpResponse(summary_csv(entries), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="shopqb-{summary.key.replace(":", "-").replace("/", "-")}.csv"'
    )
    return response
