"""Installed shops and their QuickBooks connections, with live-looking tokens."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop


def make_shop(domain: str, **fields) -> Shop:
    defaults = {
        "name": domain.split(".")[0].title(),
        "installed_at": timezone.now() - timedelta(days=1),
        "access_token": f"shpat_{domain}_access",
        "access_token_expires_at": timezone.now() + timedelta(hours=1),
        "refresh_token": f"shprt_{domain}_refresh",
        "refresh_token_expires_at": timezone.now() + timedelta(days=90),
        "scopes": "read_orders,read_products",
    }
    return Shop.objects.create(domain=domain, **{**defaults, **fields})


def make_connection(shop: Shop, **fields) -> QuickBooksConnection:
    defaults = {
        "realm_id": "9130" + str(shop.pk).zfill(4),
        "company_name": f"{shop.name} Books Ltd",
        "country": "CA",
        "home_currency": "CAD",
        "access_token": f"qbo_access_{shop.domain}",
        "access_token_expires_at": timezone.now() + timedelta(hours=1),
        "refresh_token": f"qbo_refresh_{shop.domain}",
        "refresh_token_expires_at": timezone.now() + timedelta(days=100),
    }
    return QuickBooksConnection.objects.create(shop=shop, **{**defaults, **fields})
