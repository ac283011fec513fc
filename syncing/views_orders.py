"""The embedded Orders page: every order ShopQB knows, what became of it in QuickBooks, with
search, filters and pages (syncing/orders_page.py reads them)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.auth import ShopRequest, shop_required
from syncing.order_states import OrderFilters, OrderState
from syncing.orders_page import orders_page

STATUS_CHOICES = [("", "All"), *((state.value, state.label) for state in OrderState)]


class OrderFilterForm(forms.Form):
    q = forms.CharField(label="Order number", required=False, max_length=64, strip=True)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # The pager's place: older than this order, or the page just newer than it.
    after = forms.CharField(label="Page", required=False, max_length=128)
    before = forms.CharField(label="Page", required=False, max_length=128)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data


@require_GET
@shop_required
def orders(request: ShopRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    form.is_valid()  # a field in error is left out of the filters and shown with its message
    data = form.cleaned_data
    filters = OrderFilters(
        q=data.get("q") or "",
        state=OrderState(data["status"]) if data.get("status") else None,
        start=data.get("start"),
        end=data.get("end"),
    )
    after, before = data.get("after") or "", data.get("before") or ""
    page = orders_page(shop=request.shop, filters=filters, after=after, before=before)
    context = {"shop": request.shop, "form": form, "page": page, "query": _query(filters)}
    return render(request, "syncing/orders.html", context)


def _query(filters: OrderFilters) -> str:
    """The filters as a query string, for the pager's links."""
    state = filters.state.value if filters.state else ""
    values = {"q": filters.q, "status": state, "start": filters.start or "", "end": filters.end or ""}
    return urlencode({key: value for key, value in values.items() if value})
