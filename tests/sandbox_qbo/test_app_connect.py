"""The app's QuickBooks connect, refresh and disconnect over real HTTP against the QBO emulator (intuit-oauth)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from accounts import tokens
from accounts.models import QuickBooksConnection
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]


@pytest.fixture
def qbo(settings):
    try:
        from sandbox.qbo.emulator import QBOEmulator
    except ImportError as exc:  # pragma: no cover - the emulator ships in this repo
        pytest.skip(f"QBO emulator not available: {exc}")
    from sandbox.runner import serve_in_thread

    emulator = QBOEmulator(seed=7, companies=["CA", "US"], multicurrency=["CA"], rotate_refresh_tokens=True)
    running = serve_in_thread(emulator)
    emulator.set_base_url(running.base_url)
    info = emulator.describe()
    settings.QBO_CLIENT_ID = info["app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["discovery_url"]
    settings.QBO_API_BASE = info["api_url_v3"]
    settings.QBO_REDIRECT_URI = "https://app.example.test/qbo/callback"
    yield emulator, info
    running.stop()
    emulator.close()


def consent(client, shop, realm_id, decision="allow"):
    """Merchant clicks Connect, approves at Intuit (the emulator), comes back to the callback."""
    link = client.post("/qbo/connect", HTTP_AUTHORIZATION="Bearer " + session_token(shop.domain)).json()["url"]
    to_intuit = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert to_intuit.status_code == 302
    authorize = to_intuit["Location"]
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200 and "Connect" in page.text
    form = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = requests.post(
        authorize.split("?")[0],
        data={**form, "decision": decision, "realm_id": realm_id},
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(answer.headers["Location"])
    assert f"https://{back.netloc}{back.path}" == "https://app.example.test/qbo/callback"
    return client.get(back.path + "?" + back.query)


def test_connect_refresh_disconnect_against_the_emulator(client, shop_a, qbo):
    _, info = qbo
    ca = next(c for c in info["companies"] if c["preset"] == "CA")
    response = consent(client, shop_a, ca["realm_id"])
    assert response.status_code == 302

    conn = QuickBooksConnection.objects.get(shop=shop_a)
    assert conn.realm_id == ca["realm_id"] and conn.status == "connected"
    assert conn.company_name == ca["name"] and conn.country == "CA" and conn.multicurrency
    assert conn.access_token and conn.refresh_token and conn.access_token_expires_at > timezone.now()
    page = client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
    assert ca["name"] in page

    # Expire the access token: the accessor refreshes at Intuit and keeps the rotated refresh token.
    first_refresh = conn.refresh_token
    QuickBooksConnection.objects.filter(pk=conn.pk).update(access_token_expires_at=timezone.now() - timedelta(1))
    conn = QuickBooksConnection.objects.select_related("shop").get(pk=conn.pk)
    fresh = tokens.qbo_access_token(conn)
    stored = QuickBooksConnection.objects.get(pk=conn.pk)
    assert fresh == stored.access_token and stored.refresh_token != first_refresh
    company = requests.get(
        f"{info['api_url_v3']}/company/{conn.realm_id}/companyinfo/{conn.realm_id}",
        headers={"Authorization": f"Bearer {fresh}", "Accept": "application/json"},
        timeout=10,
    )
    assert company.status_code == 200

    # The superseded refresh token is dead at Intuit: using it would be invalid_grant.
    QuickBooksConnection.objects.filter(pk=conn.pk).update(
        refresh_token=first_refresh, access_token_expires_at=timezone.now() - timedelta(1)
    )
    with pytest.raises(tokens.TokenRevoked):
        tokens.qbo_access_token(QuickBooksConnection.objects.select_related("shop").get(pk=conn.pk))
    assert QuickBooksConnection.objects.get(pk=conn.pk).status == "reconnect_needed"

    # Reconnect the same company, then disconnect: the grant is revoked at Intuit.
    consent(client, shop_a, ca["realm_id"])
    conn = QuickBooksConnection.objects.get(pk=conn.pk)
    assert conn.status == "connected"
    refresh_token = conn.refresh_token
    assert (
        client.post("/qbo/disconnect", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain)).status_code == 200
    )
    from shopqb_app.integrations.quickbooks import oauth as quickbooks_auth

    with pytest.raises(quickbooks_auth.QBOGrantRevoked):
        quickbooks_auth.refresh(refresh_token=refresh_token)


def test_cancel_at_intuit_connects_nothing(client, shop_a, qbo):
    _, info = qbo
    consent(client, shop_a, info["companies"][0]["realm_id"], decision="deny")
    assert not QuickBooksConnection.objects.exists()
    assert "cancelled" in client.get("/", {"id_token": session_token(shop_a.domain)}).content.decode()
