"""``manage.py shopqb <action>``: ShopQB for scripts and support staff.

``shopqb preview --shop DOMAIN --order GID`` prints what the sync would write for the order as
JSON on stdout (money as strings, "100.95"); it reads Shopify and QuickBooks and writes nothing.
It exits non-zero with a one-line reason on stderr when the order cannot be booked.

``shopqb reconcile --shop DOMAIN`` compares Shopify's orders, refunds and payouts with
the documents read back from QuickBooks, per day, in the shop's currency (and QuickBooks' own
home-currency equivalent where the two differ), then the accounts where money waits (clearing
accounts, gift card and store credit liabilities: QuickBooks' balance against Shopify's figure,
with the documents that explain a difference); it exits 1 when anything differs that nothing
explains.

``shopqb reconcile --shop DOMAIN [--since DATE] [--json]`` prints the reconciliation centre's days
(from DATE on, the shop's days; every day without ``--since``): Shopify's sales,
refunds, tax, fees and payouts against what QuickBooks holds, and what explains each difference;
with ``--json`` one JSON object per day (JSON lines). It exits 1 when a difference is unexplained.

``shopqb undo --shop DOMAIN --since DATE [--until DATE] [--yes]`` removes what ShopQB posted for
those dates (syncing/undo_cli.py); a dry run without ``--yes``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Shop
from syncing import preview
from syncing.context import ShopNotReady
from syncing.preview_data import preview_as_json
from syncing.reconcile import reconcile_shop
from syncing.reconcile_centre import centre_compute
from syncing.reconcile_exports import centre_lines, day_as_json
from syncing.reconcile_report import report_as_json, report_lines
from syncing.undo_cli import add_undo_parser, undo_command


class Command(BaseCommand):
    help = "ShopQB actions for scripts and support staff: preview an order, reconcile a shop."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="action")
        add_undo_parser(actions)
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
        check.add_argument(
            "--json", action="store_true", help="print one JSON object per day (JSON lines, money as strings)"
        )
        check.add_argument(
            "--since", type=date.fromisoformat, metavar="DATE", help="only the days from DATE (YYYY-MM-DD) on"
        )

    def handle(self, *_args: Any, **options: Any) -> None:
        if options["action"] == "preview":
            self.preview(shop_domain=options["shop"], reference=options["order"])
        elif options["action"] == "reconcile":
            self.reconcile(shop_domain=options["shop"], as_json=options["json"], since=options["since"])
        elif options["action"] == "undo":
            undo_command(self, self._shop(options["shop"]), options)

    def _shop(self, shop_domain: str) -> Shop:
        domain = shop_domain.strip().lower()
        shop = Shop.objects.filter(domain=domain).first()
        if shop is None:
            raise CommandError(f"no shop {domain} in this ShopQB")
        return shop

    def reconcile(self, *, shop_domain: str, as_json: bool, since: date | None = None) -> None:
        shop = self._shop(shop_domain)
        if as_json or since:
            self.reconcile_days(shop=shop, as_json=as_json, since=since)
            return
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

    def reconcile_days(self, *, shop: Shop, as_json: bool, since: date | None) -> None:
        """The reconciliation centre's days (syncing/reconcile_centre.py), as JSON lines or text."""
        try:
            # No end: a payout Shopify dates tomorrow (it pays out overnight) is in the books already.
            centre = centre_compute(shop_id=shop.pk, start=since, end=date.max)
        except ShopNotReady as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            for row in centre.rows:
                self.stdout.write(json.dumps(day_as_json(row, centre.currency), ensure_ascii=False))
        else:
            self.stdout.write("\n".join(centre_lines(centre)))
        if centre.unexplained:
            raise CommandError("Shopify and QuickBooks differ unexplained (see the days above)", returncode=1)

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
