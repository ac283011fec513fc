"""The pages for what happened to ShopQB's documents in QuickBooks: "Changes in QuickBooks" (a
person changed or deleted one: re-post ours, accept theirs, or ignore) and "Remove what ShopQB
posted" (the undo of a date range, its audit, and the re-sync afterwards)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import ShopRequest, shop_required
from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import drift, undo
from syncing.context import ShopNotReady
from syncing.models import SyncedRecord, UndoRun

RUNS_SHOWN = 10


class UndoRangeForm(forms.Form):
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="To")
    everything = forms.BooleanField(required=False, label="Everything ShopQB posted")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if not data.get("everything") and since is None:
            raise forms.ValidationError("Choose the first day, or everything.")
        if isinstance(since, date) and isinstance(until, date) and until < since:
            raise forms.ValidationError("The last day is before the first.")
        if data.get("everything"):
            data["since"] = data["until"] = None
        return data


@require_GET
@shop_required
def drift_page(request: ShopRequest) -> HttpResponse:
    return render(request, "syncing/drift.html", {"shop": request.shop, "records": drift.drifted(request.shop)})


@require_POST
@shop_required
def drift_choose(request: ShopRequest, pk: int, choice: str) -> JsonResponse:
    record = SyncedRecord.objects.filter(pk=pk, shop=request.shop).exclude(qbo_drift="").first()
    if record is None:
        raise Http404("no such changed document")
    try:
        message = drift.drift_resolve(shop=request.shop, record=record, choice=choice)
    except (drift.DriftRefused, ShopNotReady) as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    return JsonResponse({"message": message})


@require_GET
@shop_required
def undo_page(request: ShopRequest) -> HttpResponse:
    """The range to remove; once chosen, what would be removed (read back from QuickBooks now),
    the totals and the confirmation; and the undos so far."""
    shop = request.shop
    form = UndoRangeForm(request.GET if request.GET.keys() & {"since", "until", "everything"} else None)
    plan, problem = None, ""
    if form.is_bound and form.is_valid() and (connection := QuickBooksConnection.objects.filter(shop=shop).first()):
        try:
            plan = undo.undo_plan(
                shop, qbo_client(connection), since=form.cleaned_data["since"], until=form.cleaned_data["until"]
            )
        except qbo.QBOError as exc:
            problem = f"QuickBooks could not be read: {exc}"
    context = {
        "shop": shop,
        "form": form,
        "plan": plan,
        "problem": problem,
        "unfinished": undo.unfinished(shop),
        "runs": UndoRun.objects.filter(shop=shop).prefetch_related("entries")[:RUNS_SHOWN],
    }
    return render(request, "syncing/undo.html", context)


@require_POST
@shop_required
def undo_confirm(request: ShopRequest) -> JsonResponse:
    """Start the removal of the range as QuickBooks has it now (listed again, never taken from the page)."""
    shop = request.shop
    form = UndoRangeForm(request.POST)
    if not form.is_valid():
        # As the page says them: each field's by its label, then the form's own.
        errors = [
            f"{form[name].label}: {e}" for name, found in form.errors.items() if name in form.fields for e in found
        ]
        errors += [str(e) for e in form.non_field_errors()]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None:
        return JsonResponse({"error": "Connect QuickBooks first."}, status=400)
    try:
        run = undo.undo_start(
            shop=shop,
            qb=qbo_client(connection),
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
            by=f"Shopify user {request.session_claims.user_id}",
        )
    except (undo.UndoRefused, qbo.QBOError) as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    message = f"Removing {run.entries.count()} documents from QuickBooks; this page shows how it goes."
    return JsonResponse({"next": reverse("undo") + f"#undo-{run.pk}", "message": message})


@require_POST
@shop_required
def undo_continue(request: ShopRequest, pk: int) -> JsonResponse:
    run = UndoRun.objects.filter(pk=pk, shop=request.shop).exclude(status=UndoRun.Status.DONE).first()
    if run is None:
        return JsonResponse({"message": "That undo has finished."})
    with transaction.atomic():
        UndoRun.objects.filter(pk=run.pk).update(status=UndoRun.Status.RUNNING, error="")
        undo.undo_enqueue(run)
    return JsonResponse({"message": "Continuing the removal."})


@require_POST
@shop_required
def undo_resync(request: ShopRequest, pk: int) -> JsonResponse:
    run = UndoRun.objects.filter(pk=pk, shop=request.shop, status=UndoRun.Status.DONE).first()
    if run is None:
        raise Http404("no such finished undo")
    count = undo.undo_resync(run)
    if not count:
        return JsonResponse({"message": "Those documents are being synced again already."})
    return JsonResponse({"message": f"Syncing {count} documents again with your mapping as it is now."})
