"""The Issues page: every open issue of the shop in plain language, newest first, and
"Retry all" for the failures that were only passing."""

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import ShopRequest, shop_required
from shopqb_app.text import counted
from syncing import retries
from syncing.issues_explained import issues_explain, transient_issues_retry_targets
from syncing.models import SyncIssue

ISSUES_PER_PAGE = 25


@require_GET
@shop_required
def issues(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    open_issues = SyncIssue.objects.open().filter(shop=shop).order_by("-updated_at", "-pk")
    page = Paginator(open_issues, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "shop": shop,
        "page": page,
        "entries": issues_explain(shop, page.object_list),
        "can_retry_all": bool(transient_issues_retry_targets(shop, limit=1)),
    }
    return render(request, "syncing/issues.html", context)


@require_POST
@shop_required
def issues_retry_all(request: ShopRequest) -> JsonResponse:
    """Queue the work behind every transient failure again, each order once."""
    with transaction.atomic():  # the ORM broker's tasks commit together with their queue rows
        queued = sum(retries.issue_retry(issue=issue) for issue in transient_issues_retry_targets(request.shop))
    # What the admin's toast says once the page is drawn again.
    message = f"Trying again: {counted(queued, 'failure')}." if queued else "Nothing to try again."
    return JsonResponse({"queued": queued, "message": message})
