"""The alert banner on every embedded page (templates/operations/banner.html, included by
templates/accounts/base.html): the shop's open alerts, each with a link to the page that fixes it."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from operations.alerts import fix_path
from operations.models import Alert, AlertKind

register = template.Library()

# Alerts the page itself already explains at the top: the overview has its own "reconnect" and
# "paused" banners, with the button that fixes them.
SHOWN_BY_PAGE = {"home": {AlertKind.SHOP_PAUSED}}
CRITICAL = {AlertKind.SHOP_PAUSED, AlertKind.SWEEP_STALE}


@register.inclusion_tag("operations/_alerts.html", takes_context=True)
def alert_banner(context: template.Context) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    shop = getattr(request, "shop", None) if request is not None else None
    if shop is None:
        return {"alerts": []}
    match = request.resolver_match if request is not None else None
    page = match.view_name if match else ""
    hidden = SHOWN_BY_PAGE.get(page, set())
    shown = []
    for alert in Alert.objects.filter(shop=shop, resolved_at__isnull=True).order_by("opened_at"):
        if alert.kind in hidden:
            continue
        href = fix_path(alert.fix_url_name)
        shown.append(
            {
                "alert": alert,
                "critical": alert.kind in CRITICAL,
                # No link to the page the merchant is on.
                "href": "" if request is not None and href == request.path else href,
            }
        )
    return {"alerts": shown}
