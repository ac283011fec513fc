"""The preview: every kind of order the seeder makes, as the documents the sync would write,
equal to Shopify's totals to the cent; nothing written anywhere; the same as JSON for scripts."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import execute_from_command_line
from django.db import connections

from accounts.clients import shopify_client
from accounts.models import QuickBooksConnection
from mappings import go_live, services
from mappings.models import AccountRole, AccountRoleMapping, SetupStep, SyncSettings
from sandbox.shopify.seeder import MIX, seed_shop
from shopqb_app.integrations.shopify.fetch import all_orders
from syncing import preview
from syncing.models import SyncedRecord, SyncIssue
from syncing.preview_data import preview_as_json
from tests.factories import qbo_books
from tests.sandboxes import Store

pytestmark = [pytest.mark.django_db]

# The fewest orders (with this seed) in which the seeder makes one of every kind it knows.
SEED, ORDERS = 29, 41
MONEY = re.compile(r"^-?\d+\.\d{2}$")
QBO_ENTITIES = ("Account", "Item", "Customer", "SalesReceipt", "Invoice", "Payment", "RefundReceipt")


@pytest.fixture
def shop(shop_in_setup):
    """Connected, not live (tests/syncing/conftest.py: ``qb`` and ``confirmed`` follow it)."""
    return shop_in_setup


@pytest.fixture
def seeded(shop, sandbox_settings):
    """Every order the seeder makes, by kind (its tag says which)."""
    token = sandbox_settings["shops"][0]["access_token"]
    summary = seed_shop(base_url=sandbox_settings["shopify"], shop=shop.domain, token=token, orders=ORDERS, seed=SEED)
    assert set(summary["mix"]) == {kind for kind, _ in MIX}, "the seed no longer makes every kind: pick another"
    by_kind = defaultdict(list)
    for raw in all_orders(shopify_client(shop), search=f"tag:shopqb-seed-{SEED}"):
        kind = next(tag.removeprefix("seed-") for tag in raw["tags"] if tag.startswith("seed-"))
        by_kind[kind].append(str(raw["id"]))
    return by_kind


def books(qb) -> dict[str, int]:
    return qbo_books(qb, QBO_ENTITIES)


def ours() -> tuple[int, int]:
    return SyncedRecord.objects.count(), SyncIssue.objects.count()


def test_every_kind_of_seeded_order_matches_shopify_to_the_cent_and_nothing_is_written(confirmed, seeded, qb):
    shop = confirmed
    before = books(qb), ours(), SyncSettings.objects.get(shop=shop).mapping_version
    for kind, gids in sorted(seeded.items()):
        for gid in gids:
            shown = preview.order_preview(shop=shop, order_gid=gid)
            order = shown.order
            assert not shown.cannot_book, (kind, order.name, shown.cannot_book)
            if kind == "cancel":
                # A cancelled order keeps its sale; the money it paid back is a refund on its own day.
                if not shown.documents:
                    assert shown.skip_reason.endswith("no money moved"), shown.skip_reason
                    continue
                assert any(note.startswith("Cancelled:") for note in shown.notes), shown.notes
            assert shown.matches, (kind, order.name, shown.checks, shown.documents)
            sale = next(d for d in shown.documents if d.entity in ("SalesReceipt", "Invoice"))
            assert sale.total == order.total and sale.total_tax == order.tax
            assert sum((line.amount for line in sale.lines), Decimal(0)) + sale.total_tax == order.total
            refunds = [d for d in shown.documents if d.entity == "RefundReceipt"]
            assert sum((d.total for d in refunds), Decimal(0)) == order.refunded
            # Before go-live every object still to be created shows by name, never with an id.
            assert shown.planned and sale.customer.value == "" and "created at go-live" in sale.customer.name
            assert all(line.account is not None for line in sale.lines), sale.lines
            expected = {
                "authorized": "Invoice",
                "net_terms": "Invoice",
            }.get(kind, "SalesReceipt")
            assert sale.entity == expected, (kind, sale.entity)
            if kind in ("refund_partial", "refund_full"):
                assert refunds and order.refunded > 0
            if kind == "test":
                assert shown.skip_reason == "test order"
            else:
                assert shown.skip_reason == ""
    assert (books(qb), ours(), SyncSettings.objects.get(shop=shop).mapping_version) == before


def test_the_preview_shows_each_line_with_its_item_tax_code_and_account(confirmed, qb):
    shop = confirmed
    gid = Store(shop).order(lines=[("MUG-1", 2, "12.50")], tax="1.25", shipping="4.99")["id"]
    shown = preview.order_preview(shop=shop, order_gid=gid)
    (receipt,) = shown.documents
    product, shipping = receipt.lines
    assert (product.kind, product.quantity, product.unit_price, product.amount) == ("product", 2, Decimal("12.50"), 25)
    assert product.item.name == "Shopify Sale (created at go-live)"
    assert product.tax_code == "TAX" and product.tax_code_name == "Taxable"
    assert product.account.name == "Shopify Sales (to be created)"
    assert shipping.amount == Decimal("4.99") and shipping.account.name == "Shopify Shipping Income (to be created)"
    assert receipt.total_tax == Decimal("1.25") and receipt.total == Decimal("31.24")
    assert receipt.deposit_to.name == "Shopify Payments Clearing (created at go-live)"
    assert receipt.state == "would be created"
    assert [(c.label, c.shopify, c.quickbooks, c.ok) for c in shown.checks] == [
        ("Order total", Decimal("31.24"), Decimal("31.24"), True),
        ("Tax", Decimal("1.25"), Decimal("1.25"), True),
    ]


def test_after_go_live_the_preview_shows_the_real_objects_and_what_is_already_booked(confirmed, qb):
    shop = confirmed
    services.step_done(shop=shop, step=SetupStep.PREVIEW)
    go_live.setup_go_live(shop=shop, qb=qb, by="test")
    gid = Store(shop).order()["id"]
    shown = preview.order_preview(shop=shop, order_gid=gid)
    (receipt,) = shown.documents
    sale_item = AccountRoleMapping.objects.get(shop=shop, role=AccountRole.SALES_ITEM)
    income = AccountRoleMapping.objects.get(shop=shop, role=AccountRole.SALES_INCOME)
    assert not shown.planned and receipt.lines[0].item.value == sale_item.qbo_id
    # Read from the item in QuickBooks: the account its sales really go to.
    assert receipt.lines[0].account.value == income.qbo_id


def test_a_filtered_order_says_why_it_would_be_skipped(confirmed):
    shop = confirmed
    SyncSettings.objects.filter(shop=shop).update(min_total=Decimal("100.00"))
    gid = Store(shop).order(lines=[("MUG-1", 1, "9.99")])["id"]
    shown = preview.order_preview(shop=shop, order_gid=gid)
    assert shown.skip_reason == "total 9.99 is below the minimum 100.00"
    assert shown.documents and shown.matches  # what it would be, were it let through


def test_an_order_the_ledger_refuses_says_why_in_plain_words(confirmed):
    shop = confirmed
    # A Canadian company: the order's US tax lines have no Canadian tax code mapped.
    QuickBooksConnection.objects.filter(shop=shop).update(country="CA")
    shown = preview.order_preview(shop=shop, order_gid=Store(shop).order()["id"])
    assert "no QuickBooks tax code is chosen for" in shown.cannot_book and "(Taxes step)" in shown.cannot_book
    assert not shown.documents and not shown.matches


def test_a_shop_with_nothing_mapped_is_told_what_to_choose(shop):
    shown = preview.order_preview(shop=shop, order_gid=Store(shop).order()["id"])
    # Before go-live the items are planned anyway; the customer and the fallback clearing account are not.
    assert shown.cannot_book == (
        "Nothing can be booked yet: choose “Customer for orders without one”, "
        "“Clearing account: other gateways” (Accounts)."
    )


def test_no_such_order_or_no_connection_is_unavailable(shop):
    with pytest.raises(preview.PreviewUnavailable, match="Shopify has no order gid://shopify/Order/999999"):
        preview.order_preview(shop=shop, order_gid="gid://shopify/Order/999999")
    with pytest.raises(preview.PreviewUnavailable, match="is not a Shopify order ID"):
        preview.order_preview(shop=shop, order_gid="../orders")
    QuickBooksConnection.objects.filter(shop=shop).update(status=QuickBooksConnection.Status.DISCONNECTED)
    with pytest.raises(preview.PreviewUnavailable, match="not connected to QuickBooks"):
        preview.order_preview(shop=shop, order_gid="gid://shopify/Order/1")


def test_an_order_is_found_by_its_number_with_or_without_the_hash(shop):
    created = Store(shop).order()
    number = created["name"]
    assert preview.order_gid_for(shop=shop, reference=number) == created["id"]
    assert preview.order_gid_for(shop=shop, reference=number.lstrip("#")) == created["id"]
    assert preview.order_gid_for(shop=shop, reference=created["id"]) == created["id"]
    with pytest.raises(preview.PreviewUnavailable, match="Shopify has no order #999999"):
        preview.order_gid_for(shop=shop, reference="#999999")
    with pytest.raises(preview.PreviewUnavailable, match="is not an order number"):
        preview.order_gid_for(shop=shop, reference="name:* OR x")


def test_the_json_has_money_as_strings_to_the_cent(confirmed):
    shop = confirmed
    gid = Store(shop).order(lines=[("MUG-1", 3, "3.35")], tax="0.50", shipping="7.50")["id"]
    data = preview_as_json(preview.order_preview(shop=shop, order_gid=gid))
    assert json.loads(json.dumps(data)) == data  # nothing but JSON types: no Decimal, no float
    (receipt,) = data["documents"]
    assert [line["amount"] for line in receipt["lines"]] == ["10.05", "7.50"]
    assert receipt["lines"][0]["quantity"] == "3" and receipt["lines"][0]["unit_price"] == "3.35"
    assert receipt["total"] == data["order"]["total"] == "18.05" and receipt["total_tax"] == "0.50"
    assert data["totals"]["matches"] is True
    money = [receipt["total"], receipt["total_tax"], receipt["rounding"], data["order"]["tax"]]
    money += [c[side] for c in data["totals"]["checks"] for side in ("shopify", "quickbooks")]
    assert all(MONEY.match(value) for value in money), money


def run_command(*args: str) -> int:
    """The command as a shell runs it: its exit status (capsys holds what it printed). It closes
    the database connections when it ends; here that would end the test's transaction."""
    try:
        with mock.patch.object(connections, "close_all"):
            execute_from_command_line(["manage.py", "shopqb", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_the_command_prints_the_preview_as_json(confirmed, capsys):
    shop = confirmed
    created = Store(shop).order(tax="1.00")
    assert run_command("preview", "--shop", shop.domain, "--order", created["id"]) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert printed == preview_as_json(preview.order_preview(shop=shop, order_gid=created["id"]))
    assert printed["documents"][0]["total"] == "26.00" and err == ""
    # The order's number works as well as its GID.
    assert run_command("preview", "--shop", shop.domain, "--order", created["name"]) == 0
    assert json.loads(capsys.readouterr().out)["order"]["id"] == created["id"]


def test_the_command_fails_with_one_line_when_the_order_cannot_be_booked(confirmed, capsys):
    shop = confirmed
    gid = Store(shop).order()["id"]
    assert run_command("preview", "--shop", "nobody.myshopify.com", "--order", gid) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == "CommandError: no shop nobody.myshopify.com in this ShopQB"

    assert run_command("preview", "--shop", shop.domain, "--order", "gid://shopify/Order/999999") == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "Shopify has no order" in err

    QuickBooksConnection.objects.filter(shop=shop).update(country="GB")
    assert run_command("preview", "--shop", shop.domain, "--order", gid) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["cannot_book"] and len(err.strip().splitlines()) == 1
    assert "no QuickBooks tax code is chosen" in err

    # Without a subcommand: argparse's usage error, not a traceback.
    assert run_command() == 2
    assert "action" in capsys.readouterr().err
