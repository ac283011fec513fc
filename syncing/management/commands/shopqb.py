"""``manage.py shopqb <action>``: ShopQB for scripts and support staff.

``shopqb preview --shop DOMAIN --order GID`` prints what the sync would write for the order as
JSON on stdout (money as strings, "100.95"); it reads Shopify and QuickBooks and writes nothing.
It exits non-zero with a one-line reason on stderr when the order cannot be booked.

``shopqb reconcile --shop DOMAIN [--json]`` compares Shopify's orders, refunds and payouts with
the documents read back from QuickBooks, per day, in the shop's currency (and QuickBooks' own
home-currency equivalent where the two differ), then the accounts where money waits (clearing
accounts, gift card and store credit liabilities: QuickBooks' balance against Shopify's figure,
with the documents that explain a difference); it exits 1 when anything differs that nothing
explains.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Shop
from syncing import preview
from syncing.context import ShopNotReady
from syncing.preview_data import preview_as_json
from syncing.reconcile import reconcile_shop
from syncing.reconcile_report import report_as_json, report_lines


class Command(BaseCommand):
    help = "ShopQB actions for scripts and support staff: preview an order, reconcile a shop."

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

        check = actions.add_parser(
            "reconcile",
            help="compare Shopify with what QuickBooks holds, per day and per account; exit status 1 if anything "
            "differs unexplained",
            description="Compare Shopify's sales, refunds and payouts with the documents QuickBooks holds, and the "
            "clearing and liability accounts' balances with Shopify's figures.",
        )
        check.add_argument("--shop", required=True, help="the shop's myshopify.com domain")
        check.add_argument("--json", action="store_true", help="print JSON (money as strings) instead of a table")

    def handle(self, *_args: Any, **options: Any) -> None:
        if options["action"] == "preview":
            self.preview(shop_domain=options["shop"], reference=options["order"])
        elif options["action"] == "reconcile":
            self.reconcile(shop_domain=options["shop"], as_json=options["json"])

    def _shop(self, shop_domain: str) -> Shop:
        domain = shop_domain.strip().lower()
        shop = Shop.objects.filter(domain=domain).first()
        if shop is None:
            raise CommandError(f"no shop {domain} in this ShopQB")
        return shop

    def reconcile(self, *, shop_domain: str, as_json: bool) -> None:
        shop = self._shop(shop_domain)
        try:
            report = reconcile_shop(shop_id=shop.pk)
        except ShopNotReady as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(report_as_json(report), indent=2, ensure_ascii=False))
        else:
            self.stdout.write("\n".join(report_lines(report)))
            self.stdout.write("MATCH" if report.matched else "MISMATCH")
        if not report.matched:
            raise CommandError("Shopify and QuickBooks differ (see the report above)", returncode=1)

    def preview(self, *, shop_domain: str, reference: str) -> None:
        shop = self._shop(shop_domain)
        try:
            gid = preview.order_gid_for(shop=shop, reference=reference)
            shown = preview.order_preview(shop=shop, order_gid=gid)
        except preview.PreviewUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(preview_as_json(shown), indent=2, ensure_ascii=False))
        if shown.cannot_book:
            raise CommandError(" ".join(shown.cannot_book.split()))
