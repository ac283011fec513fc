"""The pages: Changes in QuickBooks (the merchant's choice per document, sent with the session
token, one shop's only) and Remove what ShopQB posted (the list, the totals, the confirmation, the
audit, the re-sync), against both sandboxes; and a look at them in chromium (1280 and 375 px, axe)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Shop
from syncing import cdc
from syncing.models import SyncedRecord, UndoRun
from syncing.orders import order_sync
from tests.factories import session_token
from tests.syncing.qbo_person import person_edits, place, qb_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("app_settings")]


def token(shop: Shop) -> str:
    return session_token(shop.domain, secret=settings.SHOPIFY_API_SECRET, aud=settings.SHOPIFY_API_KEY)


def bearer(shop: Shop) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Bearer " + token(shop)}


@pytest.fixture
def other_shop(shop):
    return Shop.objects.create(
        domain="other-store.myshopify.com", name="Other", access_token="shpat_other", installed_at=timezone.now()
    )


@pytest.fixture
def changed(shop) -> SyncedRecord:
    gids = [place(shop, price=p, day="2026-03-10") for p in ("10.00", "20.00")]
    for gid in gids:
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    cdc.drift_check(shop, qb_of(shop))
    record = SyncedRecord.objects.get(shop=shop, source_id=gids[0], kind="SalesReceipt")
    person_edits(shop, "SalesReceipt", record.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    cdc.drift_check(shop, qb_of(shop))
    return record


def test_the_changes_page_lists_the_shop_s_changed_documents_and_takes_a_choice(client, shop, other_shop, changed):
    page = client.get(reverse("drift"), {"id_token": token(shop)})
    assert page.status_code == 200
    html = page.content.decode()
    assert changed.doc_number in html and 'data-drift="changed"' in html and 'data-testid="drift-repost"' in html

    other = client.get(reverse("drift"), {"id_token": token(other_shop)})
    assert changed.doc_number not in other.content.decode()
    url = reverse("drift_choose", args=[changed.pk, "ignore"])
    assert client.post(url, **bearer(other_shop)).status_code == 404  # another shop's document
    assert client.post(url).status_code == 401  # no session token

    for _ in range(2):
        answer = client.post(url, **bearer(shop))
        assert answer.status_code == 200 and "will not write it" in answer.json()["message"]
    changed.refresh_from_db()
    assert changed.qbo_drift_resolution == "ignored"
    bad = client.post(reverse("drift_choose", args=[changed.pk, "overwrite"]), **bearer(shop))
    assert bad.status_code == 409


def test_the_undo_page_lists_totals_and_confirms_then_offers_a_resync(client, shop, other_shop, changed):
    page = client.get(reverse("undo"), {"id_token": token(shop), "since": "2026-03-01", "until": "2026-03-31"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="undo-row"') == 1  # the other one a bookkeeper changed is kept
    assert "changed in QuickBooks by someone else" in html and 'data-testid="undo-confirm"' in html
    assert "20.00 USD" in html

    refused = client.post(reverse("undo_confirm"), {"since": "2026-03-01"}, **bearer(other_shop))
    assert refused.status_code == 400  # not connected: nothing of the first shop's is reachable
    assert refused.json() == {"error": "Connect QuickBooks first."}
    unreadable = client.post(reverse("undo_confirm"), {"since": "1 March"}, **bearer(shop))
    assert unreadable.status_code == 400 and unreadable.json() == {
        "error": "From: Enter a valid date. Choose the first day, or everything."
    }
    answer = client.post(reverse("undo_confirm"), {"since": "2026-03-01", "until": "2026-03-31"}, **bearer(shop))
    assert answer.status_code == 200, answer.content
    run = UndoRun.objects.get(shop=shop)
    assert run.requested_by == "Shopify user 42" and run.entries.count() == 1
    again = client.post(reverse("undo_confirm"), {"since": "2026-03-01", "until": "2026-03-31"}, **bearer(shop))
    assert again.status_code == 409  # the first has not finished: continue it instead

    from syncing.undo import undo_continue

    undo_continue(run.pk)  # what the queued task does
    page = client.get(reverse("undo"), {"id_token": token(shop)})
    assert 'data-status="done"' in page.content.decode() and 'data-testid="undo-resync"' in page.content.decode()
    assert client.post(reverse("undo_resync", args=[run.pk]), **bearer(other_shop)).status_code == 404
    first = client.post(reverse("undo_resync", args=[run.pk]), **bearer(shop)).json()["message"]
    second = client.post(reverse("undo_resync", args=[run.pk]), **bearer(shop)).json()["message"]
    assert "Syncing 1 documents again" in first and "already" in second


def test_the_undo_form_says_what_is_missing(client, shop):
    page = client.get(reverse("undo"), {"id_token": token(shop), "until": "2026-03-31"})
    assert "Choose the first day, or everything." in page.content.decode()
