"""``manage.py sandbox``: run both emulators; ``manage.py sandbox seed``: seed a shop.

The first stdout line of ``sandbox`` is one JSON object (the contract scripts and
tests read): shopify/qbo base URLs, the Shopify app's credentials, the shops with
their access tokens and the QBO companies with theirs.
"""

import json
import signal
import sys
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sandbox.shopify.countries import COUNTRIES, shop_spec


class Command(BaseCommand):
    help = "Run the local Shopify and QuickBooks emulators (never in production), or seed a shop."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="run", choices=["run", "seed"])
        parser.add_argument("--shopify-port", type=int, default=8001)
        parser.add_argument("--qbo-port", type=int, default=8002)
        parser.add_argument("--state-dir", default=None, help="keep the emulators' data here across restarts")
        parser.add_argument("--app-url", default=None, help="where webhooks and OAuth redirects reach the app")
        parser.add_argument("--seed", type=int, default=0, help="random seed for deterministic ids and faults")
        parser.add_argument(
            "--qbo-companies",
            default="US",
            help="QBO company presets, comma-separated: US, CA, UK, AU (repeats allowed)",
        )
        parser.add_argument("--qbo-multicurrency", action="store_true", help="turn multicurrency on in every company")
        parser.add_argument(
            "--shop-country",
            type=str.upper,
            choices=COUNTRIES,
            default=None,
            help="the Shopify shop's country: its currency, time zone, tax style and locations (default US)",
        )
        # seed
        parser.add_argument("--shop", help="seed: the shop domain (default: the sandbox's first shop)")
        parser.add_argument("--orders", type=int, default=50)
        parser.add_argument(
            "--money-flows",
            action="store_true",
            help="also seed one order per money flow: split tenders, store credit, partial payments, edits, "
            "cancellations, duties",
        )
        parser.add_argument(
            "--url", help="seed: the store's base URL (default: the sandbox at --shopify-port on this machine)"
        )
        parser.add_argument("--token", help="seed: an Admin API access token (default: the sandbox shop's own)")

    def handle(self, *_args, **options):
        if options["action"] == "seed":
            return self.seed(options)
        from sandbox.runner import start_sandboxes

        state_dir = Path(options["state_dir"]) if options["state_dir"] else None
        shopify_options = {"shops": [shop_spec(options["shop_country"])]} if options["shop_country"] else None
        sandboxes = start_sandboxes(
            shopify_port=options["shopify_port"],
            qbo_port=options["qbo_port"],
            state_dir=state_dir,
            app_url=options["app_url"],
            seed=options["seed"],
            quiet=False,
            shopify_options=shopify_options,
            qbo_options={
                "companies": [c.strip().upper() for c in options["qbo_companies"].split(",") if c.strip()],
                "multicurrency": options["qbo_multicurrency"],
            },
        )
        sys.stdout.write(json.dumps(sandboxes.info) + "\n")
        sys.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            sandboxes.stop()

    def seed(self, options):
        """Seed through the public Admin API: the running sandbox by default, or any store
        (a real development store included) given --url and --token."""
        import requests

        from sandbox.shopify.seeder import seed_shop

        url = (options["url"] or f"http://127.0.0.1:{options['shopify_port']}").rstrip("/")
        shop, token = options["shop"], options["token"]
        if not (shop and token):
            try:
                described = requests.get(f"{url}/_sandbox/describe", timeout=10).json()
            except (requests.RequestException, ValueError) as exc:
                raise CommandError(
                    f"no sandbox answers at {url}; start `manage.py sandbox` or give --url and --token"
                ) from exc
            shops = {s["domain"]: s["access_token"] for s in described["shops"]}
            shop = shop or next(iter(shops))
            if shop not in shops:
                raise CommandError(f"the sandbox at {url} has no shop {shop} (it has: {', '.join(shops)})")
            token = token or shops[shop]
        summary = seed_shop(
            base_url=url,
            shop=shop,
            token=token,
            orders=options["orders"],
            seed=options["seed"],
            money_flows=options["money_flows"],
        )
        self.stdout.write(json.dumps(summary))
