"""The last steps of the setup: preview an order, test-sync one for real, go live.

They sit here, above mappings/, because they run the sync itself (syncing/preview.py,
syncing/trial_sync.py); they look like the other setup pages (templates/mappings/setup_base.html)
and take their shop from the session token like every embedded view.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.auth import ShopRequest, shop_required
from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from mappings import go_live, products
from mappings import services as mapping_services
from mappings.discovery import SAMPLE_KINDS
from mappings.models import SetupStep
from syncing import pending, preview, trial_sync
from syncing.models import SyncedRecord


class OrderPickForm(forms.Form):
    """One order: a representative one the setup's scan found, or any the merchant names."""

    sample = forms.ChoiceField(label="A typical order of your store", required=False)
    order = forms.CharField(
        label="Or any order",
        required=False,
        max_length=80,
        help_text="Its number, like #1001, or its Shopify ID.",
        widget=forms.TextInput(attrs={"placeholder": "#1001", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, samples: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(gid, SAMPLE_KINDS.get(kind, kind)) for kind, gid in samples.items()]
        cast(forms.ChoiceField, self.fields["sample"]).choices = [
            ("", "Choose one" if choices else "None found yet"),
            *choices,
        ]
        self.fields["order"].widget.attrs["aria-describedby"] = "id_order-help"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("order") or "").strip() and not data.get("sample"):
            raise forms.ValidationError("Pick an order, or type its number.")
        return data

    @property
    def reference(self) -> str:
        return str(self.cleaned_data.get("order") or "").strip() or str(self.cleaned_data["sample"])


def _who(request: ShopRequest) -> str:
    claims = request.session_claims
    return f"Shopify staff {claims.user_id}" if claims.user_id else "Shopify staff"


def _page(request: ShopRequest, template: str, step: SetupStep, status: int = 200, **context: Any) -> HttpResponse:
    rules = mapping_services.settings_for(shop=request.shop)
    context.update(shop=request.shop, rules=rules, step=step, step_label=step.label)
    return render(request, template, context, status=status)


def _picked(request: ShopRequest) -> QueryDict | None:
    """The picker's fields if the merchant sent any (a page load also carries its id_token)."""
    data = request.POST if request.method == "POST" else request.GET
    return data if ("sample" in data or "order" in data) else None


@require_GET
@shop_required
def setup_preview(request: ShopRequest) -> HttpResponse:
    """The QuickBooks documents an order would become, next to the order; nothing is written."""
    shop = request.shop
    picker = OrderPickForm(_picked(request), samples=mapping_services.settings_for(shop=shop).sample_orders)
    shown, problem = None, ""
    if picker.is_bound and picker.is_valid():
        try:
            gid = preview.order_gid_for(shop=shop, reference=picker.reference)
            shown = preview.order_preview(shop=shop, order_gid=gid)
        except preview.PreviewUnavailable as exc:
            problem = str(exc)
        if shown is not None and not shown.cannot_book:
            mapping_services.step_done(shop=shop, step=SetupStep.PREVIEW)
    status = 422 if picker.errors else 200
    return _page(
        request, "syncing/preview.html", SetupStep.PREVIEW, status, picker=picker, preview=shown, problem=problem
    )


@require_http_methods(["GET", "POST"])
@shop_required
def setup_test_sync(request: ShopRequest) -> HttpResponse:
    """One order written to QuickBooks for real, read back and compared; then keep or remove it."""
    shop = request.shop
    action = request.POST.get("action", "write")
    if request.method == "POST" and action in ("keep", "remove"):
        return _test_sync_settle(request, action, request.POST.get("order_gid", ""))
    picker = OrderPickForm(_picked(request), samples=mapping_services.settings_for(shop=shop).sample_orders)
    removed = request.GET.get("removed", "")
    context: dict[str, Any] = {
        "picker": picker,
        "to_create": trial_sync.materialize_plan(shop=shop),
        "blockers": trial_sync.order_test_sync_blockers(shop=shop),
        "removed": removed if removed.isdigit() else "",
    }
    if request.method == "GET" or not picker.is_valid():
        return _page(request, "syncing/test_sync.html", SetupStep.TEST_SYNC, 422 if picker.errors else 200, **context)
    try:
        gid = preview.order_gid_for(shop=shop, reference=picker.reference)
        result = trial_sync.order_test_sync(shop=shop, order_gid=gid)
    except trial_sync.TestSyncRefused as exc:
        return _page(request, "syncing/test_sync.html", SetupStep.TEST_SYNC, 422, refused=exc.reasons, **context)
    except preview.PreviewUnavailable as exc:
        return _page(request, "syncing/test_sync.html", SetupStep.TEST_SYNC, 422, refused=[str(exc)], **context)
    if result.ok:
        mapping_services.step_done(shop=shop, step=SetupStep.TEST_SYNC)
    context.update(result=result, to_create=[])
    return _page(request, "syncing/test_sync.html", SetupStep.TEST_SYNC, **context)


def _test_sync_settle(request: ShopRequest, action: str, order_gid: str) -> JsonResponse:
    """Keep the test sync's documents (they are the order's booking from now on) or remove them."""
    shop = request.shop
    written = SyncedRecord.objects.filter(shop=shop, order_gid=order_gid, status=SyncedRecord.Status.SYNCED)
    if not order_gid or not written.exclude(qbo_id="").exists():
        return JsonResponse({"error": "ShopQB wrote no document for that order."}, status=404)
    if action == "keep":
        return JsonResponse({"next": reverse("mappings:setup") + f"?saved={SetupStep.TEST_SYNC.value}"})
    try:
        removed = trial_sync.order_test_sync_undo(shop=shop, order_gid=order_gid)
    except trial_sync.TestSyncRefused as exc:
        return JsonResponse({"error": " ".join(exc.reasons)}, status=409)
    except preview.PreviewUnavailable as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"next": reverse("setup_test_sync") + f"?removed={removed}"})


@require_POST
@shop_required
def setup_go_live(request: ShopRequest) -> JsonResponse:
    """Create what was confirmed, go live, and queue the import of the orders since the start date."""
    shop, by = request.shop, _who(request)
    missing = go_live.setup_missing(shop=shop)
    if missing:
        return JsonResponse({"error": "Not ready to go live. " + " ".join(missing), "missing": missing}, status=409)
    was_live = mapping_services.settings_for(shop=shop).is_live
    try:
        qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
        # Creates the accounts, the customer and the items first, the products' items included.
        go_live.setup_go_live(shop=shop, qb=qb, by=by)
    except go_live.GoLiveRefused as exc:
        return JsonResponse(
            {"error": "Not ready to go live. " + " ".join(exc.missing), "missing": exc.missing}, status=409
        )
    except products.ProductsError as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except preview.VENDOR_ERRORS as exc:
        # What was created stays and is found again by name: going live again is safe.
        return JsonResponse({"error": f"QuickBooks could not be reached; try again. ({exc})"}, status=503)
    if not was_live:
        pending.enqueue_sweep(shop_id=shop.pk, full=True)
    return JsonResponse({"next": reverse("mappings:setup")})
