"""``manage.py shopqb <action>``: ShopQB for scripts and support staff.

``shopqb preview --shop DOMAIN --order GID`` prints what the sync would write for the order as
JSON on stdout (money as strings, "100.95"); it reads Shopify and QuickBooks and writes nothing.
It exits non-zero with a one-line reason on stderr when the order cannot be booked.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Shop
from syncing import preview
from syncing.preview_data import preview_as_json


class Command(BaseCommand):
    help = "ShopQB actions for scripts and support staff (preview: an order as QuickBooks documents)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="action")
        show = actions.add_parser(
            "preview",
            help="print the QuickBooks documents an order would become, as JSON; writes nothing",
            description="Print the QuickBooks documents the order would become, as JSON. Writes nothing.",
        )
        show.add_argument("--shop", required=True, help="the shop's myshopify.com domain")
        show.add_argument(
            "--order", required=True, help="the order's GID (gid://shopify/Order/...) or its number (#1001)"
        )

    def handle(self, *_args: Any, **options: Any) -> None:
        if options["action"] == "preview":
            self.preview(shop_domain=options["shop"], reference=options["order"])

    def preview(self, *, shop_domain: str, reference: str) -> None:
        domain = shop_domain.strip().lower()
        shop = Shop.objects.filter(domain=domain).first()
        if shop is None:
            raise CommandError(f"no shop {domain} in this ShopQB")
        try:
            gid = preview.order_gid_for(shop=shop, reference=reference)
            shown = preview.order_preview(shop=shop, order_gid=gid)
        except preview.PreviewUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(preview_as_json(shown), indent=2, ensure_ascii=False))
        if shown.cannot_book:
            raise CommandError(" ".join(shown.cannot_book.split()))
