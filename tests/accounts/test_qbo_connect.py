"""QuickBooks connect, switch refusal, disconnect: the Intuit calls are faked at the module boundary.

The connect round trip is bound to the merchant at both ends: the start link carries
a one-use ticket minted for a session token a moment ago, and the callback needs the
cookie the start put in that browser. The attacker tests below each play one browser
per Django test client.
"""

import hashlib
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import OAuthState, PauseCode, QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import company as qbo_company
from shopqb_app.integrations.quickbooks import oauth as quickbooks_auth
from syncing.models import SyncedRecord
from tests.accounts.conftest import make_connection, session_token

pytestmark = pytest.mark.django_db

COOKIE = "shopqb_qbo_browser"


class FakeIntuit:
    def __init__(self):
        self.revoked = []
        self.codes = []
        self.companies = {
            "4620816365": qbo_company.CompanyDetails("Maple Leaf Books", "CA", "CAD", False, True),
            "9341453": qbo_company.CompanyDetails("Other Company LLC", "US", "USD", True, False),
        }

    def authorize_url(self, *, state):
        return f"https://intuit.example.test/connect/oauth2?state={state}&client_id=qbo-client"

    def exchange_code(self, *, code, realm_id):
        self.codes.append((code, realm_id))
        if code == "bad":
            raise quickbooks_auth.QBOGrantRevoked("invalid_grant")
        return quickbooks_auth.QBOGrant(
            access_token=f"qbo_at_{code}",
            expires_at=timezone.now() + timedelta(hours=1),
            refresh_token=f"qbo_rt_{code}",
            refresh_token_expires_at=timezone.now() + timedelta(days=100),
        )

    def company_details(self, *, realm_id, access_token):
        return self.companies[realm_id]

    def revoke(self, *, token):
        self.revoked.append(token)


@pytest.fixture
def intuit(monkeypatch):
    fake = FakeIntuit()
    for name in ("authorize_url", "exchange_code", "revoke"):
        monkeypatch.setattr(quickbooks_auth, name, getattr(fake, name))
    monkeypatch.setattr(qbo_company, "company_details", fake.company_details)
    return fake


def bearer(shop):
    return {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop.domain)}


def start_link(client, shop):
    """Step 1: the embedded page asks for a start link with its session token."""
    started = client.post("/qbo/connect", **bearer(shop))
    assert started.status_code == 200
    link = started.json()["url"]
    assert link.startswith("https://app.example.test/qbo/connect/start?ticket=")
    return urlsplit(link).path + "?" + urlsplit(link).query


def to_intuit(client, shop):
    """Steps 1 and 2: the browser opens the start link top-level; returns Intuit's state."""
    response = client.get(start_link(client, shop))
    assert response.status_code == 302 and response["Location"].startswith("https://intuit.example.test/")
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def connect(client, shop, *, code="c1", realm="4620816365", extra=None):
    """The whole round trip as the browser does it; returns the callback response."""
    state = to_intuit(client, shop)
    params = {"code": code, "realmId": realm, "state": state, **(extra or {})}
    return client.get("/qbo/callback", params)


def home(client, shop):
    return client.get("/", {"id_token": session_token(shop.domain)}).content.decode()


def test_connect_stores_realm_tokens_and_company_and_shows_the_name(client, shop_a, intuit):
    response = connect(client, shop_a)
    assert response.status_code == 302
    assert response["Location"] == f"https://{shop_a.domain}/admin/apps/test-api-key"
    conn = QuickBooksConnection.objects.get(shop=shop_a)
    assert conn.realm_id == "4620816365" and conn.status == "connected"
    assert (conn.access_token, conn.refresh_token) == ("qbo_at_c1", "qbo_rt_c1")
    assert (conn.company_name, conn.country, conn.home_currency) == ("Maple Leaf Books", "CA", "CAD")
    assert conn.multicurrency and not conn.automated_sales_tax
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert "Maple Leaf Books" in page and "Disconnect QuickBooks" in page


def test_start_link_is_single_use_and_useless_in_another_browser(client, shop_a, intuit):
    link = start_link(client, shop_a)
    assert client.get(link).status_code == 302
    forwarded = Client().get(link)  # someone else opens the same link
    assert forwarded.status_code == 400
    assert "cannot be used" in forwarded.content.decode() and COOKIE not in forwarded.cookies
    assert client.get(link).status_code == 400  # and the merchant cannot reuse it either


def test_callback_opened_in_another_browser_connects_nothing(client, shop_a, intuit):
    state = to_intuit(client, shop_a)
    # The code and state reach a browser that never opened the start link: no cookie.
    elsewhere = Client().get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state})
    assert elsewhere.status_code == 400 and "did not start in this browser" in elsewhere.content.decode()
    assert intuit.codes == [] and not QuickBooksConnection.objects.exists()
    # The merchant's own browser still finishes its round trip.
    assert client.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state}).status_code == 302
    assert QuickBooksConnection.objects.get(shop=shop_a).realm_id == "4620816365"


def test_callback_with_the_cookie_of_another_flow_is_refused(shop_a, shop_b, intuit):
    merchant_a, merchant_b = Client(), Client()
    state_a = to_intuit(merchant_a, shop_a)
    state_b = to_intuit(merchant_b, shop_b)
    # Login CSRF: B's callback (B's code, B's company) lands in A's browser, mid-flow.
    response = merchant_a.get("/qbo/callback", {"code": "c-of-b", "realmId": "9341453", "state": state_b})
    assert response.status_code == 400 and "different QuickBooks sign-in" in response.content.decode()
    assert intuit.codes == [] and not QuickBooksConnection.objects.exists()
    # Neither round trip was spent by the attempt.
    assert merchant_a.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state_a}).status_code == 302
    assert merchant_b.get("/qbo/callback", {"code": "c2", "realmId": "9341453", "state": state_b}).status_code == 302
    assert QuickBooksConnection.objects.get(shop=shop_a).realm_id == "4620816365"
    assert QuickBooksConnection.objects.get(shop=shop_b).realm_id == "9341453"


def test_a_cookie_must_name_the_states_shop_and_browser(client, shop_a, shop_b, intuit):
    """Even a correctly signed cookie (a leaked key) must match the row: its shop and its browser."""
    browser_b = Client()
    state_b = to_intuit(browser_b, shop_b)
    nonce_b = signing.loads(browser_b.cookies[COOKIE].value, salt="accounts.qbo_connect.browser")["nonce"]
    for binding in (
        {"state": state_b, "shop": shop_a.domain, "nonce": nonce_b},  # B's state presented as shop A's
        {"state": state_b, "shop": shop_b.domain, "nonce": "another-browser"},
    ):
        client.cookies[COOKIE] = signing.dumps(binding, salt="accounts.qbo_connect.browser")
        assert client.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state_b}).status_code == 400
    client.cookies[COOKIE] = "tampered:" + state_b
    assert client.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state_b}).status_code == 400
    assert intuit.codes == [] and not QuickBooksConnection.objects.exists()


def test_start_without_a_ticket_minted_for_a_session_is_refused(client, shop_a, intuit, monkeypatch):
    link = start_link(client, shop_a)
    ticket = parse_qs(urlsplit(link).query)["ticket"][0]
    state = OAuthState.objects.get(provider="quickbooks").state
    refused = [
        "/qbo/connect/start",
        f"/qbo/connect/start?state={state}",  # the old links: the bare state
        "/qbo/connect/start?ticket=" + ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB"),
        "/qbo/connect/start?ticket="
        + signing.dumps(
            {"state": state, "shop": shop_a.domain}, key="not-our-secret", salt="accounts.qbo_connect.start"
        ),
        "/qbo/connect/start?ticket=" + signing.dumps({"state": state, "shop": shop_a.domain}),  # another salt
    ]
    for path in refused:
        response = client.get(path)
        assert response.status_code == 400, path
        assert COOKIE not in response.cookies
    # A ticket is good for a minute only: the page opens it at once.
    later = SimpleNamespace(time=lambda: timezone.now().timestamp() + 61)
    monkeypatch.setattr(signing, "time", later)
    assert client.get(link).status_code == 400
    assert OAuthState.objects.get(provider="quickbooks").started_at is None and intuit.codes == []


def test_a_ticket_names_one_shops_state(client, shop_a, shop_b, intuit):
    """A ticket signed for shop B's state but naming shop A is not a link for either."""
    start_link(client, shop_b)
    state_b = OAuthState.objects.get(shop_domain=shop_b.domain).state
    forged = signing.dumps({"state": state_b, "shop": shop_a.domain}, salt="accounts.qbo_connect.start")
    assert client.get("/qbo/connect/start?ticket=" + forged).status_code == 400
    assert OAuthState.objects.get(shop_domain=shop_b.domain).started_at is None


def test_start_cookie_is_first_party_http_only_lax_and_scoped_to_the_callback(client, shop_a, intuit):
    response = client.get(start_link(client, shop_a), secure=True)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/qbo/callback" and 0 < int(cookie["max-age"]) <= 600
    # The row keeps only a digest of the browser's nonce.
    nonce = signing.loads(cookie.value, salt="accounts.qbo_connect.browser")["nonce"]
    assert OAuthState.objects.get(provider="quickbooks").browser_digest == hashlib.sha256(nonce.encode()).hexdigest()


def test_expired_state_is_refused(client, shop_a, intuit):
    link = start_link(client, shop_a)
    OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert client.get(link).status_code == 400


def test_callback_replay_is_refused(client, shop_a, intuit):
    state = to_intuit(client, shop_a)
    cookie = client.cookies[COOKIE].value
    first = client.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state})
    assert first.status_code == 302 and first.cookies[COOKIE].value == ""  # the cookie is dropped
    client.cookies[COOKIE] = cookie  # replay with everything the browser had
    assert client.get("/qbo/callback", {"code": "c2", "realmId": "4620816365", "state": state}).status_code == 400
    assert intuit.codes == [("c1", "4620816365")]


def test_cancelled_consent_is_shown_to_the_merchant(client, shop_a, intuit):
    response = connect(client, shop_a, code="", realm="", extra={"error": "access_denied"})
    assert response.status_code == 302
    assert not QuickBooksConnection.objects.exists()
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert "connection was cancelled" in page


def test_intuit_refusing_the_code_connects_nothing(client, shop_a, intuit):
    connect(client, shop_a, code="bad")
    assert not QuickBooksConnection.objects.exists()
    assert "did not complete" in client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()


def test_switching_company_after_documents_were_synced_is_refused(client, shop_a, intuit):
    connect(client, shop_a)
    SyncedRecord.objects.create(
        shop=shop_a,
        source_type="order",
        source_id="gid://shopify/Order/1",
        kind="SalesReceipt",
        request_id="r1",
        qbo_id="145",
    )
    connect(client, shop_a, code="c2", realm="9341453")
    conn = QuickBooksConnection.objects.get(shop=shop_a)
    assert conn.realm_id == "4620816365" and conn.refresh_token == "qbo_rt_c1"  # unchanged
    assert intuit.revoked == ["qbo_rt_c2"]  # the unwanted grant is given back
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert "would split your books" in page and "Other Company LLC" in page


def test_switching_company_before_any_document_is_allowed(client, shop_a, intuit):
    from mappings.models import AccountRoleMapping

    connect(client, shop_a)
    AccountRoleMapping.objects.create(shop=shop_a, role="sales_item", qbo_id="19", qbo_name="Sales")
    connect(client, shop_a, code="c2", realm="9341453")
    assert QuickBooksConnection.objects.get(shop=shop_a).company_name == "Other Company LLC"
    assert intuit.revoked == ["qbo_rt_c1"]  # the old company's grant is given back
    assert not AccountRoleMapping.objects.filter(shop=shop_a).exists()  # its ids mean nothing in the new one


def test_reconnecting_the_same_company_keeps_the_mappings(client, shop_a, intuit):
    from mappings.models import AccountRoleMapping

    connect(client, shop_a)
    AccountRoleMapping.objects.create(shop=shop_a, role="sales_item", qbo_id="19", qbo_name="Sales")
    connect(client, shop_a, code="c2")
    assert AccountRoleMapping.objects.filter(shop=shop_a).count() == 1
    assert intuit.revoked == []


def test_reconnect_lifts_the_reconnect_pause(client, shop_a, intuit):
    make_connection(shop_a, realm_id="4620816365", status="reconnect_needed", access_token="", refresh_token="")
    shop_a.pause("QuickBooks refused our access", code=PauseCode.QBO_RECONNECT)
    connect(client, shop_a, code="c3")
    shop = Shop.objects.get(pk=shop_a.pk)
    assert not shop.sync_paused
    assert QuickBooksConnection.objects.get(shop=shop_a).status == "connected"


def test_reconnect_does_not_lift_a_support_pause(client, shop_a, intuit):
    shop_a.pause("investigating", code=PauseCode.SUPPORT)
    connect(client, shop_a)
    assert Shop.objects.get(pk=shop_a.pk).paused_code == PauseCode.SUPPORT


def test_disconnect_revokes_and_forgets_the_tokens(client, shop_a, intuit):
    connect(client, shop_a)
    response = client.post("/qbo/disconnect", **bearer(shop_a))
    assert response.status_code == 200
    assert intuit.revoked == ["qbo_rt_c1"]
    conn = QuickBooksConnection.objects.get(shop=shop_a)
    assert conn.status == "disconnected" and conn.access_token == "" and conn.refresh_token == ""
    assert Shop.objects.get(pk=shop_a.pk).sync_paused
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert "Reconnect QuickBooks" in page


def test_disconnect_of_one_shop_leaves_the_other_connected(client, shop_a, shop_b, intuit):
    make_connection(shop_a)
    make_connection(shop_b)
    client.post("/qbo/disconnect", **bearer(shop_b))
    assert QuickBooksConnection.objects.get(shop=shop_a).status == "connected"
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "disconnected"


def test_queued_revoke_decrypts_only_when_it_runs(intuit):
    from accounts import crypto, tasks

    ciphertext = crypto.encrypt("qbo_rt_of_a_deleted_shop")
    assert "qbo_rt_of_a_deleted_shop" not in ciphertext
    tasks.qbo_revoke_encrypted(ciphertext)
    assert intuit.revoked == ["qbo_rt_of_a_deleted_shop"]


# --- Two stores, one QuickBooks company ------------------------------------------------


def test_a_second_store_on_a_company_in_use_writes_nothing_until_its_merchant_confirms(
    client, shop_a, shop_b, intuit, monkeypatch
):
    from syncing import pending, tasks
    from syncing.context import ShopNotReady, context_open

    connect(Client(), shop_a, code="a1")
    assert connect(client, shop_b, code="b1").status_code == 302
    conn_b = QuickBooksConnection.objects.get(shop=shop_b)
    assert conn_b.status == "confirm_shared" and conn_b.refresh_token == "qbo_rt_b1"
    assert QuickBooksConnection.objects.get(shop=shop_a).status == "connected"  # A keeps syncing

    # Nothing runs for B: no sync context, and the schedule passes it over.
    with pytest.raises(ShopNotReady):
        context_open(shop_b.pk)
    swept = []
    monkeypatch.setattr(pending, "enqueue_sweep", lambda *, shop_id, **kw: swept.append(shop_id))
    tasks.sweep_all_shops()
    assert swept == [shop_a.pk]

    # Both merchants are told, each on their own page.
    page_b = home(client, shop_b)
    assert 'data-testid="confirm-shared"' in page_b and "Maple Leaf Books" in page_b and shop_a.domain in page_b
    page_a = home(client, shop_a)
    assert 'data-testid="shared-realm"' in page_a and shop_b.domain in page_a and "not confirmed yet" in page_a

    # B's merchant confirms (a fetch with B's session token, naming the company shown).
    assert client.post("/qbo/shared/confirm?realm=4620816365", **bearer(shop_b)).status_code == 200
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "connected"
    swept.clear()
    tasks.sweep_all_shops()
    assert sorted(swept) == sorted([shop_a.pk, shop_b.pk])
    page_b = home(client, shop_b)
    assert 'data-testid="confirm-shared"' not in page_b and 'data-testid="shared-realm"' in page_b
    assert shop_a.domain in page_b
    assert "not confirmed yet" not in home(client, shop_a)


def test_confirming_takes_the_stores_own_token_and_the_company_it_was_shown(client, shop_a, shop_b, intuit):
    connect(Client(), shop_a)
    connect(client, shop_b, code="b1")
    assert client.post("/qbo/shared/confirm", **bearer(shop_b)).status_code == 409  # which company?
    assert client.post("/qbo/shared/confirm?realm=9341453", **bearer(shop_b)).status_code == 409  # not that one
    assert client.post("/qbo/shared/confirm?realm=4620816365", **bearer(shop_a)).status_code == 409  # A's is fine
    assert client.post("/qbo/shared/confirm?realm=4620816365").status_code == 401
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "confirm_shared"


def test_declining_a_shared_company_is_disconnecting_it(client, shop_a, shop_b, intuit):
    connect(Client(), shop_a, code="a1")
    connect(client, shop_b, code="b1")
    assert client.post("/qbo/disconnect", **bearer(shop_b)).status_code == 200
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "disconnected"
    assert intuit.revoked == ["qbo_rt_b1"]
    assert 'data-testid="shared-realm"' not in home(client, shop_a)
    # A disconnected store does not count: connecting A's company again asks nothing of A.
    connect(client, shop_a, code="a2")
    assert QuickBooksConnection.objects.get(shop=shop_a).status == "connected"


def test_a_store_is_asked_once_for_a_company_it_keeps(client, shop_a, shop_b, intuit):
    connect(Client(), shop_a)
    make_connection(shop_b, realm_id="9341453", status="reconnect_needed", access_token="", refresh_token="")
    shop_b.pause("QuickBooks refused our access", code=PauseCode.QBO_RECONNECT)

    # Still waiting for an answer, a reconnect does not count as one; the pause stays.
    connect(client, shop_b, code="b1")
    connect(client, shop_b, code="b2")
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "confirm_shared"
    assert Shop.objects.get(pk=shop_b.pk).paused_code == PauseCode.QBO_RECONNECT

    client.post("/qbo/shared/confirm?realm=4620816365", **bearer(shop_b))
    assert not Shop.objects.get(pk=shop_b.pk).sync_paused
    # Later the grant dies and the merchant reconnects the same company: no second question.
    QuickBooksConnection.objects.filter(shop=shop_b).update(status="reconnect_needed")
    connect(client, shop_b, code="b3")
    assert QuickBooksConnection.objects.get(shop=shop_b).status == "connected"
