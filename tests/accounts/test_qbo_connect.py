"""QuickBooks connect, switch refusal, disconnect: the Intuit calls are faked at the module boundary."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts import quickbooks_auth
from accounts.models import OAuthState, PauseCode, QuickBooksConnection, Shop
from syncing.models import SyncedRecord
from tests.accounts.conftest import make_connection, session_token

pytestmark = pytest.mark.django_db


class FakeIntuit:
    def __init__(self):
        self.revoked = []
        self.codes = []
        self.companies = {
            "4620816365": quickbooks_auth.CompanyDetails("Maple Leaf Books", "CA", "CAD", False, True),
            "9341453": quickbooks_auth.CompanyDetails("Other Company LLC", "US", "USD", True, False),
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
    for name in ("authorize_url", "exchange_code", "company_details", "revoke"):
        monkeypatch.setattr(quickbooks_auth, name, getattr(fake, name))
    return fake


def bearer(shop):
    return {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop.domain)}


def connect(client, shop, *, code="c1", realm="4620816365", extra=None):
    """The whole round trip as the browser does it; returns the callback response."""
    started = client.post("/qbo/connect", **bearer(shop))
    assert started.status_code == 200
    link = started.json()["url"]
    assert link.startswith("https://app.example.test/qbo/connect/start?state=")
    to_intuit = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert to_intuit.status_code == 302 and to_intuit["Location"].startswith("https://intuit.example.test/")
    state = parse_qs(urlsplit(to_intuit["Location"]).query)["state"][0]
    params = {"code": code, "realmId": realm, "state": state, **(extra or {})}
    return client.get("/qbo/callback", params)


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


def test_callback_without_the_browsers_state_cookie_is_refused(client, shop_a, intuit):
    link = client.post("/qbo/connect", **bearer(shop_a)).json()["url"]
    state = parse_qs(urlsplit(link).query)["state"][0]
    # An attacker's browser never visited the start link: no cookie.
    response = client.get("/qbo/callback", {"code": "c1", "realmId": "4620816365", "state": state})
    assert response.status_code == 400
    assert intuit.codes == [] and not QuickBooksConnection.objects.exists()


def test_start_link_is_single_use(client, shop_a, intuit):
    link = client.post("/qbo/connect", **bearer(shop_a)).json()["url"]
    path = urlsplit(link).path + "?" + urlsplit(link).query
    assert client.get(path).status_code == 302
    assert client.get(path).status_code == 400


def test_expired_state_is_refused(client, shop_a, intuit):
    link = client.post("/qbo/connect", **bearer(shop_a)).json()["url"]
    OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert client.get(urlsplit(link).path + "?" + urlsplit(link).query).status_code == 400


def test_callback_replay_is_refused(client, shop_a, intuit):
    first = connect(client, shop_a)
    assert first.status_code == 302
    state = OAuthState.objects.get(provider="quickbooks").state
    client.cookies["shopqb_qbo_state"] = state
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
