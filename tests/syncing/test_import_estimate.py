"""The history import's estimate of the time left: from the rate of the orders booked so far in
this import and the number Shopify's bulk operation found; nothing until there is enough to go on."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from graphql import NoDeprecatedCustomRule, build_schema, parse, specified_rules, validate

from sandbox.shopify.emulator import SCHEMA_PATH
from shopqb_app.integrations.shopify.bulk import LISTED
from shopqb_app.integrations.shopify.fetch import all_orders
from syncing import dashboard
from syncing.context import context_open
from syncing.dashboard import import_time_left, run_progress, time_left_words
from syncing.models import SyncRun
from tests import reference as reference_files
from tests.factories import session_token
from tests.sandboxes import Store


@pytest.fixture(autouse=True)
def _no_sizes_kept():
    cache.clear()  # the web process keeps each import's size; run ids repeat across tests
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "left"),
    [
        (20, 80, 60.0, 180.0),  # 20 orders a minute, 60 to go: three minutes
        (100, 101, 50.0, 0.5),
        (19, 80, 600.0, None),  # too few orders booked to say
        (40, 80, 14.0, None),  # too short a time to say
        (80, 80, 60.0, None),  # all booked: only the queue and the payouts are left
        (90, 80, 60.0, None),  # the queue's orders come on top of the listed ones
    ],
)
def test_the_time_left_comes_from_the_rate_so_far(done, total, elapsed, left):
    assert import_time_left(done=done, total=total, elapsed=elapsed) == left


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (5, "less than a minute left"),
        (59.9, "less than a minute left"),
        (60, "about 1 minute left"),
        (61, "about 2 minutes left"),
        (180, "about 3 minutes left"),
        (89 * 60, "about 89 minutes left"),
        (95 * 60, "about 2 hours left"),
        (5 * 3600, "about 5 hours left"),
    ],
)
def test_the_time_left_in_words(seconds, words):
    assert time_left_words(seconds) == words


def test_the_size_query_is_valid_for_shopify_and_the_emulator():
    rules = [*specified_rules, NoDeprecatedCustomRule]
    [reference] = reference_files.require("shopify/admin-2025-04.graphql")
    for sdl in (reference.read_text(), SCHEMA_PATH.read_text()):
        assert validate(build_schema(sdl, assume_valid=True), parse(LISTED), rules) == []


def shopify_clock(info, seconds: int) -> None:
    requests.post(info["shopify"] + "/_sandbox/clock", json={"advance_seconds": seconds}, timeout=5).raise_for_status()


def history_import(shop, info, *, orders: int, listed_ago: int) -> SyncRun:
    """A running history import whose bulk operation listed ``orders`` orders ``listed_ago``
    seconds ago (by Shopify's clock)."""
    for n in range(orders):
        Store(shop).order(lines=[("MUG-1", n + 1, "12.50")])
    run = SyncRun.objects.create(shop=shop, kind="full", started_at=timezone.now() - timedelta(minutes=10))
    shopify_clock(info, -listed_ago)
    try:
        assert len(list(all_orders(context_open(shop.pk).shopify, search=None))) == orders
    finally:
        shopify_clock(info, listed_ago)
    return run


@pytest.mark.django_db(transaction=True)
def test_the_status_gives_the_orders_to_book_and_the_time_left(client, shop, sandbox_settings, monkeypatch):
    monkeypatch.setattr(dashboard, "ESTIMATE_AFTER_ORDERS", 2)
    run = history_import(shop, sandbox_settings, orders=5, listed_ago=120)
    auth = {
        "HTTP_AUTHORIZATION": "Bearer "
        + session_token(shop.domain, secret=settings.SHOPIFY_API_SECRET, aud=settings.SHOPIFY_API_KEY)
    }

    SyncRun.objects.filter(pk=run.pk).update(orders_seen=1)
    answer = client.get("/sync/status", **auth).json()["run"]
    assert (answer["orders_total"], answer["time_left"]) == (5, "")  # one order says nothing yet

    # Two orders in two minutes, three to go: about three minutes (Shopify is asked once).
    SyncRun.objects.filter(pk=run.pk).update(orders_seen=2)
    with mock.patch.object(dashboard, "_import_size_ask") as ask:
        answer = client.get("/sync/status", **auth).json()["run"]
    ask.assert_not_called()
    assert answer["orders_total"] == 5 and answer["history_import"] is True
    assert answer["time_left"] in ("about 3 minutes left", "about 4 minutes left")  # the seconds the request took

    # Finished: no estimate.
    SyncRun.objects.filter(pk=run.pk).update(status="succeeded", finished_at=timezone.now(), orders_seen=5)
    answer = client.get("/sync/status", **auth).json()["run"]
    assert answer["orders_total"] is None and answer["time_left"] == ""


@pytest.mark.django_db(transaction=True)
def test_no_estimate_while_shopify_is_still_listing_the_orders(shop, sandbox_settings):
    # The app's last bulk operation finished before this import started: not the import's own.
    Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    list(all_orders(context_open(shop.pk).shopify, search=None))
    SyncRun.objects.create(
        shop=shop, kind="full", started_at=timezone.now() + dashboard.CLOCK_SKEW + timedelta(minutes=1)
    )
    with mock.patch.object(dashboard, "_import_size_ask", wraps=dashboard._import_size_ask) as ask:
        for _ in range(3):
            run = run_progress(shop)["run"]
            assert (run["orders_total"], run["time_left"]) == (None, "")
    assert ask.call_count == 1, "asked again only after a while, not on every poll"


@pytest.mark.django_db(transaction=True)
def test_a_sweep_is_no_history_import(shop):
    SyncRun.objects.create(shop=shop, kind="sweep", orders_seen=40)
    with mock.patch.object(dashboard, "_import_size_ask") as ask:
        run = run_progress(shop)["run"]
    ask.assert_not_called()
    assert (run["history_import"], run["orders_total"], run["time_left"]) == (False, None, "")
