"""The embedded home page (the shop, its QuickBooks company and the sync at a glance)
and the merchant's sync actions; the load balancer's health check."""

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts import quickbooks_connect
from accounts.auth import ShopRequest, shop_required
from accounts.models import ComplianceRequest, QuickBooksConnection
from syncing import pending, retries
from syncing.dashboard import run_progress, shop_glance, shop_summary
from syncing.models import SyncIssue, SyncRun


def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    """Liveness for the load balancer: the process runs and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@require_GET
@shop_required
def home(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    context = {
        "shop": shop,
        "connection": QuickBooksConnection.objects.filter(shop=shop).first(),
        "connect_problem": quickbooks_connect.qbo_connect_outcome(shop=shop),
        "data_requests": ComplianceRequest.objects.filter(
            shop_domain=shop.domain, topic=ComplianceRequest.Topic.DATA_REQUEST
        ).exclude(export="")[:20],
        "sync": shop_summary(shop),
        "glance": shop_glance(shop),
    }
    return render(request, "syncing/home.html", context)


@require_POST
@shop_required
def sync_now(request: ShopRequest) -> JsonResponse:
    """The merchant asks for a pass now instead of waiting for the schedule."""
    shop = request.shop
    if shop.sync_paused:
        return JsonResponse({"error": f"Syncing is paused: {shop.paused_reason}"}, status=409)
    # The pass this one follows: the page watches for a newer one to start and finish.
    after = SyncRun.objects.filter(shop=shop).order_by("-pk").values_list("pk", flat=True).first()
    task_id = pending.enqueue_sweep(shop_id=shop.pk)
    return JsonResponse({"queued": task_id, "after": after or 0})


@require_GET
@shop_required
def sync_status(request: ShopRequest) -> JsonResponse:
    """What the overview polls while a pass runs: its counters so far, or how it ended."""
    return JsonResponse(run_progress(request.shop))


@require_POST
@shop_required
def issue_retry(request: ShopRequest, pk: int) -> JsonResponse:
    """Try the work behind one of this shop's issues again."""
    issue = SyncIssue.objects.filter(pk=pk, shop=request.shop).open().first()
    if issue is None:
        raise Http404("no such open issue")
    return JsonResponse({"queued": retries.issue_retry(issue=issue)})
