"""The Products step: every Shopify variant and the QuickBooks item its sales book to.

The list reads only the database (fast at 10,000 variants); choosing an item is a server-side
search of the company's items, so no page carries a 10,000-option list. Saving answers
``{"next": url}``; a form with errors comes back with status 422 and what was entered."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.auth import ShopRequest, shop_required
from accounts.clients import shopify_client
from accounts.tokens import TokenRefreshFailed, TokenRevoked
from mappings import product_discovery, product_items, product_listing, product_matching, products, services
from mappings.catalog import Catalog
from mappings.models import ProductMapping, SetupStep
from mappings.product_forms import CreateMissingForm, ItemChoiceForm
from shopqb_app.integrations.quickbooks.errors import QBOError
from shopqb_app.integrations.shopify.errors import ShopifyError

UPSTREAM_ERRORS = (products.ProductsError, ShopifyError, QBOError, TokenRevoked, TokenRefreshFailed)
BULK_ACTIONS = {"create": "Create the missing items in QuickBooks", "map_all": "Map all unmatched to one item"}


def _who(request: ShopRequest) -> str:
    claims = request.session_claims
    return f"Shopify staff {claims.user_id}" if claims.user_id else "Shopify staff"


SAVED = {
    "create": "Saved: ShopQB will create the missing items.",
    "map_all": "Saved: the unmatched variants book to the item you chose.",
    "map": "Saved.",
}


def _list_state(params: QueryDict) -> str:
    """The merchant's search, filter and page on the list, as a query string (nothing else)."""
    kept = QueryDict(mutable=True)
    for key in ("q", "show", "page"):
        value = params.get(key, "")
        if isinstance(value, str) and value:
            kept[key] = value[:100]
    return kept.urlencode()


def _back(params: QueryDict, saved: str) -> str:
    """Back to the list where the merchant left it, saying what was saved."""
    state = _list_state(QueryDict(params.get("back", "")))
    return reverse("mappings:products") + f"?saved={saved}" + (f"&{state}" if state else "")


def _page(request: ShopRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    shop = request.shop
    rules = services.settings_for(shop=shop)
    back = request.POST.get("back") or request.GET.get("back", "")
    context.update(shop=shop, rules=rules, step_label=SetupStep.PRODUCTS.label, back=back)
    return render(request, template, context, status=status)


def _unavailable(request: ShopRequest, exc: Exception) -> HttpResponse:
    if request.method == "POST":
        return JsonResponse({"error": str(exc)}, status=409)
    return _page(request, "mappings/unavailable.html", message=str(exc))


@require_http_methods(["GET", "POST"])
@shop_required
def products_page(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    action = request.POST.get("action")
    if action == "done":
        services.step_done(shop=shop, step=SetupStep.PRODUCTS)
        return JsonResponse({"next": reverse("mappings:setup") + f"?saved={SetupStep.PRODUCTS.value}"})
    if action == "find":
        return _find(request)
    if request.method == "POST":
        return JsonResponse({"error": "Unknown action."}, status=400)
    params = request.GET
    return _page(
        request,
        "mappings/products.html",
        listing=product_listing.products_listing(
            shop=shop, q=params.get("q", ""), show=params.get("show", ""), page=params.get("page")
        ),
        counts=product_listing.products_counts(shop=shop),
        finding=product_discovery.products_find_status(shop=shop, task_id=params.get("finding", "")),
        found=_number(params.get("found")),
        matched=_number(params.get("matched")),
        saved=SAVED.get(params.get("saved", ""), ""),
        here=_list_state(params),
        show_choices=product_listing.SHOW_CHOICES,
    )


def _find(request: ShopRequest) -> JsonResponse:
    """The "Find products" button: at once for a small shop; a big one continues in the background."""
    shop = request.shop
    try:
        catalog = products.products_catalog(shop=shop)
        started = product_discovery.products_find(shop=shop, shopify=shopify_client(shop), catalog=catalog)
    except UPSTREAM_ERRORS as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    found = f"finding={started.task_id}" if started.task_id else f"found={started.discovered.seen}"
    matched = f"&matched={started.matched.total}" if started.matched else ""
    return JsonResponse({"next": f"{reverse('mappings:products')}?{found}{matched}"})


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_http_methods(["GET", "POST"])
@shop_required
def products_bulk(request: ShopRequest) -> HttpResponse:
    """The two bulk actions: create an item for every unmatched variant, or map them all to one."""
    shop = request.shop
    action = request.POST.get("action") or request.GET.get("action", "create")
    if action not in BULK_ACTIONS:
        raise Http404("no such action")
    try:
        catalog = products.products_catalog(shop=shop)
    except products.ProductsError as exc:
        return _unavailable(request, exc)
    if action == "create":
        return _bulk_create(request, catalog)
    form = ItemChoiceForm(request.POST or None, catalog=catalog)
    if request.method == "POST" and form.is_valid():
        item = form.cleaned_data["item"]
        product_matching.products_map_unmatched_to(shop=shop, item_id=item.id, item_name=item.name, by=_who(request))
        return JsonResponse({"next": _back(request.POST, "map_all")})
    q = request.GET.get("q", "")
    return _page(
        request,
        "mappings/products_bulk.html",
        status=422 if form.errors else 200,
        action=action,
        title=BULK_ACTIONS[action],
        form=form,
        q=q,
        items=product_listing.items_search(catalog=catalog, q=q),
        counts=product_listing.products_counts(shop=shop),
    )


def _bulk_create(request: ShopRequest, catalog: Catalog) -> HttpResponse:
    shop = request.shop
    rules = services.settings_for(shop=shop)
    form = CreateMissingForm(request.POST or None, catalog=catalog, start_date=rules.start_date)
    form_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        inventory = form.inventory
        try:
            product_items.products_create_missing(
                shop=shop,
                catalog=catalog,
                by=_who(request),
                kind=form.cleaned_data["kind"],
                inventory=inventory,
                shopify=shopify_client(shop) if inventory else None,
                qb=products.quickbooks_for(shop=shop) if rules.is_live else None,
            )
        except UPSTREAM_ERRORS as exc:
            form_errors.append(str(exc))
        else:
            return JsonResponse({"next": _back(request.POST, "create")})
    return _page(
        request,
        "mappings/products_bulk.html",
        status=422 if form.errors or form_errors else 200,
        action="create",
        title=BULK_ACTIONS["create"],
        form=form,
        form_errors=form_errors,
        counts=product_listing.products_counts(shop=shop),
        income=product_listing.income_account_label(shop=shop),
    )


@require_http_methods(["GET", "POST"])
@shop_required
def product_map(request: ShopRequest, pk: int) -> HttpResponse:
    """One variant's item: search the company's items and choose one, create one, or none."""
    shop = request.shop
    row = get_object_or_404(ProductMapping, shop=shop, pk=pk)
    try:
        catalog = products.products_catalog(shop=shop)
        form = ItemChoiceForm(request.POST or None, catalog=catalog)
        action = request.POST.get("action", "map")
        if request.method == "POST" and action in ("create", "unmap"):
            _map_otherwise(request, row, catalog, action)
            return JsonResponse({"next": _back(request.POST, "map")})
        if request.method == "POST" and form.is_valid():
            product_matching.product_map(shop=shop, pk=row.pk, item=form.cleaned_data["item"], by=_who(request))
            return JsonResponse({"next": _back(request.POST, "map")})
    except UPSTREAM_ERRORS as exc:
        return _unavailable(request, exc)
    q = request.GET.get("q", "")
    return _page(
        request,
        "mappings/product_map.html",
        status=422 if form.errors else 200,
        row=row,
        form=form,
        q=q,
        items=product_listing.items_search(catalog=catalog, q=q, like=row.title),
    )


def _map_otherwise(request: ShopRequest, row: ProductMapping, catalog: Catalog, action: str) -> None:
    shop, by = request.shop, _who(request)
    if row.qbo_item_id or row.create_spec or action == "unmap":
        product_matching.product_map(shop=shop, pk=row.pk, item=None, by=by)
    if action == "unmap":
        return
    rules = services.settings_for(shop=shop)
    qb = products.quickbooks_for(shop=shop) if rules.is_live else None
    product_items.products_create_missing(shop=shop, catalog=catalog, by=by, pks=[row.pk], qb=qb)
