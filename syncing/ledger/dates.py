"""Transaction dates: the day as the merchant sees it, in the shop's own time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shopqb_app.integrations.shopify.parse import Order


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day ``moment`` falls on in ``timezone`` (an order near midnight UTC is
    booked on the merchant's day, not on UTC's)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def txn_date(order: Order, timezone: str) -> date:
    """The order's processedAt date as the merchant sees it, in the shop's own time zone."""
    return local_date(order.processed_at, timezone)
