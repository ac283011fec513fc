"""The demo's and the benchmarks' shop goes through the merchant's setup, not around it: the
same services the setup pages call, with every proposal accepted, the shop's orders read for
gateways and taxes, a real preview of a sample order, then go-live.

Outside the US the Taxes page is saved as proposed too (each combination of Shopify tax lines
mapped to the company's code with exactly its rates), and where the company has no such code
(British Columbia's GST 5% + PST 7% on one line) the merchant's confirmation creates it through
QuickBooks' TaxService, as the page's button does."""

from __future__ import annotations

from datetime import date
from typing import Any

from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import discovery, go_live, proposals, taxes
from mappings import services as mapping_services
from mappings.catalog import Catalog, catalog_read
from mappings.models import SetupStep, SyncSettings, TaxMapping
from syncing.preview import order_preview

BY = "ShopQB demo (every proposal accepted)"


def setup_as_proposed(shop: Shop, *, start_date: date = date(2000, 1, 1)) -> dict[str, Any]:
    """Take the shop through setup to go-live; a live shop is left as it is."""
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    if rules.is_live:
        return {"live": True, "created": 0}
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    mapping_services.settings_save(shop=shop, values={"start_date": start_date}, by=BY, section=SetupStep.WHAT_TO_SYNC)
    scan = discovery.setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by=BY, start_date=start_date)
    tax_codes = tax_proposals_confirm(shop=shop, qb=qb, catalog=catalog)
    previewed = 0
    for gid in dict.fromkeys(scan.samples.values()):
        preview = order_preview(shop=shop, order_gid=gid)
        if not (preview.matches or preview.skip_reason):
            raise SystemExit(f"the preview of {preview.order.name} does not match Shopify: {preview.cannot_book}")
        previewed += 1
    if previewed:
        mapping_services.step_done(shop=shop, step=SetupStep.PREVIEW)
    created = go_live.setup_go_live(shop=shop, qb=qb, by=BY)
    return {
        "live": True,
        "orders_scanned": scan.orders,
        "tax_codes": tax_codes,
        "previewed": previewed,
        "created": len(created),
    }


def tax_proposals_confirm(*, shop: Shop, qb: Any, catalog: Catalog) -> dict[str, int]:
    """The Taxes page saved as proposed, then each code the company lacks created on the
    merchant's confirmation (a US company has nothing to map here: automated sales tax)."""
    if taxes.us_company(shop):
        return {}
    accepted = taxes.tax_proposals_accept(shop=shop, by=BY)
    created = 0
    for row in TaxMapping.objects.filter(shop=shop, confirmed=False, qbo_tax_code_id="").exclude(create_spec={}):
        taxes.tax_code_create(shop=shop, qb=qb, catalog=catalog, row_id=row.pk, by=BY)
        created += 1
    return {"accepted": accepted, "created": created}
