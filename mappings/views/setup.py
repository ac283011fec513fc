"""The setup's pages: an overview of the steps, then one form per step. After go-live the same
pages are the settings. Every view takes its shop from the session token (``shop_required``);
saving answers ``{"next": url}``, a form with errors comes back with status 422 and what was
entered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import quickbooks_connect, tokens
from accounts.auth import ShopRequest, shop_required
from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import discovery, forms, go_live, proposals, services
from mappings import taxes as tax_setup
from mappings.catalog import Catalog, catalog_read
from mappings.history import history_entries
from mappings.models import AccountRoleMapping, DimensionMapping, GatewayMapping, SetupStep, TaxMapping, tax_key_digest
from mappings.progress import setup_steps
from shopqb_app.integrations.quickbooks.errors import QBOError
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.text import counted

log = logging.getLogger(__name__)


class NotConnected(Exception):
    pass


def _who(request: ShopRequest) -> str:
    claims = request.session_claims
    return f"Shopify staff {claims.user_id}" if claims.user_id else "Shopify staff"


def _catalog(shop: Shop, *, fresh: bool = False) -> Catalog:
    connection = QuickBooksConnection.objects.filter(shop=shop, status=QuickBooksConnection.Status.CONNECTED).first()
    if connection is None:
        raise NotConnected("Connect QuickBooks first: the choices come from your QuickBooks company.")
    return catalog_read(shop=shop, qb=qbo_client(connection), fresh=fresh)


def _page(request: ShopRequest, template: str, step: SetupStep, status: int = 200, **context: Any) -> HttpResponse:
    shop = request.shop
    context.update(shop=shop, rules=services.settings_for(shop=shop), step=step, step_label=step.label)
    return render(request, template, context, status=status)


def _saved(request: ShopRequest, step: SetupStep) -> JsonResponse:
    services.step_done(shop=request.shop, step=step)
    return JsonResponse({"next": reverse("mappings:setup") + f"?saved={step.value}"})


CatalogView = Callable[[ShopRequest, Catalog], HttpResponse]


def _with_catalog(step: SetupStep) -> Callable[[CatalogView], Callable[[ShopRequest], HttpResponse]]:
    """Pages whose choices come from QuickBooks: when it cannot be read, the step's own page says
    so plainly (under the step's heading, so the merchant knows which step it was)."""

    def decorate(view: CatalogView) -> Callable[[ShopRequest], HttpResponse]:
        @wraps(view)
        def wrapper(request: ShopRequest) -> HttpResponse:
            try:
                return view(request, _catalog(request.shop))
            except (NotConnected, QBOError) as exc:
                message = str(exc) if isinstance(exc, NotConnected) else f"QuickBooks could not be read: {exc}"
                status = 409 if request.method == "POST" else 200
                return _page(request, "mappings/unavailable.html", step, status=status, message=message)

        return wrapper

    return decorate


@require_http_methods(["GET"])
@shop_required
def overview(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    saved = SetupStep(request.GET["saved"]).label if request.GET.get("saved") in SetupStep.values else ""
    return _page(
        request,
        "mappings/overview.html",
        SetupStep.CONNECT,
        steps=setup_steps(shop=shop),
        missing=go_live.setup_missing(shop=shop),
        saved=f"Saved: {saved}." if saved else "",
    )


def _company_refresh(shop: Shop) -> None:
    """The company's currency facts, read again: the merchant may have turned multicurrency on
    since connecting. Best effort: the scan goes on with what is stored."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or connection.status != QuickBooksConnection.Status.CONNECTED:
        return
    try:
        quickbooks_connect.qbo_company_refresh(connection=connection)
    except (tokens.TokenRevoked, tokens.TokenRefreshFailed, QBOError) as exc:
        log.warning("could not read the QuickBooks company of %s again: %s", shop.domain, exc)


@require_POST
@shop_required
def scan(request: ShopRequest) -> HttpResponse:
    """Read the shop's orders for gateways, tax rates, locations and channels to map."""
    shop = request.shop
    try:
        _company_refresh(shop)
        catalog = _catalog(shop)
        proposals.mapping_propose(shop=shop, catalog=catalog)
        result = discovery.setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog)
    except (NotConnected, QBOError, ShopifyError) as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    # From a step's page the merchant stays on it, now with what the scan found.
    back = request.GET.get("next", "")
    if back.startswith("/setup/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return JsonResponse({"next": back, "message": f"Read {counted(result.orders, 'order')}."})
    return JsonResponse({"next": reverse("mappings:setup") + f"?scanned={result.orders}"})


@require_http_methods(["GET", "POST"])
@shop_required
@_with_catalog(SetupStep.WHAT_TO_SYNC)
def what_to_sync(request: ShopRequest, catalog: Catalog) -> HttpResponse:  # noqa: ARG001
    shop = request.shop
    rules = services.settings_for(shop=shop)
    form = forms.WhatToSyncForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.settings_save(shop=shop, values=values, by=_who(request), section=SetupStep.WHAT_TO_SYNC)
        return _saved(request, SetupStep.WHAT_TO_SYNC)
    return _page(request, "mappings/form.html", SetupStep.WHAT_TO_SYNC, status=422 if form.errors else 200, form=form)


@require_http_methods(["GET", "POST"])
@shop_required
@_with_catalog(SetupStep.ACCOUNTS)
def accounts(request: ShopRequest, catalog: Catalog) -> HttpResponse:
    shop = request.shop
    proposals.mapping_propose(shop=shop, catalog=catalog)
    mapped = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    currency = services.shop_foreign_currency(shop=shop)
    form = forms.AccountsForm(request.POST or None, catalog=catalog, mapped=mapped, currency=currency)
    if request.method == "POST" and form.is_valid():
        services.roles_save(shop=shop, choices=form.choices, by=_who(request))
        return _saved(request, SetupStep.ACCOUNTS)
    proposed = [m.role for m in mapped.values() if not m.confirmed]
    return _page(
        request,
        "mappings/form.html",
        SetupStep.ACCOUNTS,
        status=422 if form.errors else 200,
        form=form,
        intro="Choose where each kind of money goes in your books. ShopQB proposed the ones marked; "
        "nothing is created in QuickBooks until you go live.",
        proposed=proposed,
    )


@require_http_methods(["GET", "POST"])
@shop_required
@_with_catalog(SetupStep.GATEWAYS)
def gateways(request: ShopRequest, catalog: Catalog) -> HttpResponse:
    shop = request.shop
    proposals.mapping_propose(shop=shop, catalog=catalog)
    rows = list(GatewayMapping.objects.filter(shop=shop))
    currency = services.shop_foreign_currency(shop=shop)
    form = forms.GatewaysForm(request.POST or None, catalog=catalog, gateways=rows, currency=currency)
    if request.method == "POST" and form.is_valid():
        services.gateways_save(shop=shop, choices=form.choices, by=_who(request))
        return _saved(request, SetupStep.GATEWAYS)
    return _page(
        request,
        "mappings/form.html",
        SetupStep.GATEWAYS,
        status=422 if form.errors else 200,
        form=form,
        intro="Money taken through each payment gateway is deposited to a clearing account until the "
        "gateway pays it out.",
        scan_button=True,
    )


@require_http_methods(["GET", "POST"])
@shop_required
@_with_catalog(SetupStep.TAXES)
def taxes(request: ShopRequest, catalog: Catalog) -> HttpResponse:
    shop = request.shop
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if not tax_setup.us_company(shop):
        return _taxes_outside_us(request, catalog, connection)
    mapped = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    form = forms.TaxCodesForm(request.POST or None, catalog=catalog, mapped=mapped)
    if request.method == "POST" and form.is_valid():
        services.roles_save(shop=shop, choices=form.choices, by=_who(request), section=SetupStep.TAXES)
        return _saved(request, SetupStep.TAXES)
    return _page(
        request,
        "mappings/taxes.html",
        SetupStep.TAXES,
        status=422 if form.errors else 200,
        form=form,
        connection=connection,
        tax_lines=TaxMapping.objects.filter(shop=shop).exclude(key_digest=tax_key_digest(())),
        scan_button=True,
    )


def _taxes_outside_us(request: ShopRequest, catalog: Catalog, connection: QuickBooksConnection | None) -> HttpResponse:
    """VAT and GST companies: a code per combination of Shopify tax lines, of exactly its rates."""
    shop = request.shop
    if request.method == "POST" and "create" in request.GET:
        return _tax_code_create(request, connection)
    if request.method == "GET" and tax_setup.taxes_unresolved(shop=shop):
        # The merchant may just have added the missing rate or code in QuickBooks: read it again.
        catalog = _catalog(shop, fresh=True)
    tax_setup.propose_tax_codes(shop=shop, catalog=catalog)
    rows = sorted(TaxMapping.objects.filter(shop=shop), key=lambda r: (r.untaxed, r.label.lower()))
    form = forms.TaxKeysForm(request.POST or None, catalog=catalog, rows=rows)
    if request.method == "POST" and form.is_valid():
        tax_setup.taxes_save(shop=shop, choices=form.choices, by=_who(request))
        return _saved(request, SetupStep.TAXES)
    return _page(
        request,
        "mappings/taxes.html",
        SetupStep.TAXES,
        status=422 if form.errors else 200,
        form=form,
        connection=connection,
        country=tax_setup.country_name(connection.country if connection else ""),
        outside_us=True,
        scan_button=True,
    )


def _tax_code_create(request: ShopRequest, connection: QuickBooksConnection | None) -> JsonResponse:
    """The merchant confirmed creating the code ShopQB proposed for one key (TaxService)."""
    row_id = request.GET.get("create", "")
    if not row_id.isdigit() or not TaxMapping.objects.filter(shop=request.shop, pk=int(row_id)).exists():
        return JsonResponse({"error": "That tax line is not one of this shop's."}, status=404)
    if connection is None:
        return JsonResponse({"error": "Connect QuickBooks first."}, status=409)
    # Read afresh: the merchant may just have added a rate in QuickBooks.
    catalog = _catalog(request.shop, fresh=True)
    try:
        row = tax_setup.tax_code_create(
            shop=request.shop, qb=qbo_client(connection), catalog=catalog, row_id=int(row_id), by=_who(request)
        )
    except tax_setup.TaxCodeNotCreated as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except QBOError as exc:
        return JsonResponse({"error": f"QuickBooks did not create the tax code: {exc}"}, status=409)
    return JsonResponse(
        {
            "next": reverse("mappings:taxes"),
            "message": f"Created “{row.qbo_tax_code_name}” in QuickBooks; it books {row.label}.",
        }
    )


@require_http_methods(["GET", "POST"])
@shop_required
@_with_catalog(SetupStep.LOCATIONS)
def locations(request: ShopRequest, catalog: Catalog) -> HttpResponse:
    shop = request.shop
    rows = list(DimensionMapping.objects.filter(shop=shop))
    form = forms.DimensionsForm(request.POST or None, catalog=catalog, rows=rows)
    if request.method == "POST" and form.is_valid():
        services.dimensions_save(shop=shop, choices=form.choices, by=_who(request))
        return _saved(request, SetupStep.LOCATIONS)
    return _page(
        request,
        "mappings/form.html",
        SetupStep.LOCATIONS,
        status=422 if form.errors else 200,
        form=form,
        intro="Optionally tag every document from a Shopify location or sales channel with a QuickBooks "
        "class and/or location, to report sales by store or channel.",
        scan_button=True,
    )


@require_http_methods(["GET", "POST"])
@shop_required
def filters(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    rules = services.settings_for(shop=shop)
    rows = DimensionMapping.objects.filter(shop=shop)
    initial = {f: getattr(rules, f) for f in services.FILTER_FIELDS}
    initial["only_tags"] = ", ".join(rules.only_tags)
    initial["exclude_tags"] = ", ".join(rules.exclude_tags)
    form = forms.FiltersForm(
        request.POST or None,
        initial=initial,
        locations=list(rows.filter(kind=DimensionMapping.Kind.LOCATION)),
        channels=list(rows.filter(kind=DimensionMapping.Kind.CHANNEL)),
    )
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in services.FILTER_FIELDS}
        services.settings_save(shop=shop, values=values, by=_who(request), section=SetupStep.FILTERS)
        return _saved(request, SetupStep.FILTERS)
    return _page(
        request,
        "mappings/form.html",
        SetupStep.FILTERS,
        status=422 if form.errors else 200,
        form=form,
        intro="Every order a filter keeps out is recorded with the reason and listed on the Orders page, "
        "never silently dropped.",
    )


@require_http_methods(["GET"])
@shop_required
def history(request: ShopRequest) -> HttpResponse:
    entries = history_entries(shop=request.shop)
    return _page(request, "mappings/history.html", SetupStep.CONNECT, entries=entries, title="Changes")
