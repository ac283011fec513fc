"""Intuit's OAuth 2 flow through intuit-oauth, against the emulator's discovery document."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from .conftest import REDIRECT_URI


def consent(sandbox, auth, realm_id: str, decision: str = "allow") -> dict[str, str]:
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="state-123")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    assert realm_id in page.text and "Connect" in page.text
    form = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    answer = requests.post(
        url.split("?")[0], data={**form, "realm_id": realm_id, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def test_discovery_document_has_what_intuit_oauth_reads(sandbox):
    doc = requests.get(f"{sandbox.url}/.well-known/openid_configuration", timeout=5).json()
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "issuer",
        "jwks_uri",
        "userinfo_endpoint",
    ):
        assert doc[key].startswith(sandbox.url)


def test_authorize_code_exchange_then_api_call(sandbox):
    company = sandbox.company("UK")
    auth = sandbox.auth_client({**company, "access_token": None, "refresh_token": None})
    params = consent(sandbox, auth, company["realm_id"])
    assert params["state"] == "state-123"
    assert params["realmId"] == company["realm_id"]
    auth.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert auth.access_token and auth.refresh_token
    assert auth.expires_in == 3600
    response = requests.get(
        f"{sandbox.api('UK')}/companyinfo/{company['realm_id']}",
        headers={"Authorization": f"Bearer {auth.access_token}"},
        timeout=5,
    )
    assert response.json()["CompanyInfo"]["Country"] == "GB"
    with pytest.raises(AuthClientError) as excinfo:
        auth.get_bearer_token(params["code"], realm_id=params["realmId"])  # codes are single use
    assert b"invalid_grant" in excinfo.value.content
    info = auth.get_user_info().json()
    assert info["email"] == "owner@example.com"


def test_denied_consent_redirects_with_access_denied(sandbox):
    company = sandbox.company()
    auth = sandbox.auth_client(company)
    assert consent(sandbox, auth, company["realm_id"], decision="deny") == {
        "error": "access_denied",
        "state": "state-123",
    }


def test_wrong_redirect_uri_or_client_secret(sandbox):
    company = sandbox.company()
    auth = sandbox.auth_client(company)
    params = consent(sandbox, auth, company["realm_id"])
    auth.redirect_uri = "http://127.0.0.1:9/elsewhere"
    with pytest.raises(AuthClientError) as excinfo:
        auth.get_bearer_token(params["code"])
    assert excinfo.value.status_code == 400
    bad = sandbox.auth_client(company)
    bad.client_secret = "wrong"
    with pytest.raises(AuthClientError) as excinfo:
        bad.refresh()
    assert excinfo.value.status_code == 401
    assert b"invalid_client" in excinfo.value.content


def test_revoke_ends_the_connection(sandbox):
    auth = sandbox.auth_client()
    assert sandbox.get("item/1").status_code == 200
    assert auth.revoke() is True
    assert sandbox.get("item/1").status_code == 401
    with pytest.raises(AuthClientError) as excinfo:
        auth.refresh()
    assert b"invalid_grant" in excinfo.value.content


def test_revoke_control_and_reconnect(sandbox):
    realm = sandbox.company()["realm_id"]
    sandbox.control(f"{realm}/revoke")
    assert sandbox.get("item/1").status_code == 401
    fresh = sandbox.control(f"{realm}/connect").json()["describe"]
    company = next(c for c in fresh["companies"] if c["realm_id"] == realm)
    response = requests.get(
        f"{sandbox.api()}/item/1", headers={"Authorization": f"Bearer {company['access_token']}"}, timeout=5
    )
    assert response.status_code == 200


def test_refresh_token_expiry_is_configurable(make_sandbox):
    sandbox = make_sandbox(refresh_token_ttl=10, access_token_ttl=5)
    auth = sandbox.auth_client()
    sandbox.control("clock", {"advance_seconds": 6})
    assert sandbox.get("item/1").status_code == 401
    auth.refresh()
    assert auth.expires_in == 5
    sandbox.control("clock", {"advance_seconds": 11})
    with pytest.raises(AuthClientError):
        auth.refresh()


def test_two_workers_refreshing_at_once_one_gets_invalid_grant(make_sandbox):
    """Under the strict knob (rotation on every refresh), the loser of a refresh race is refused."""
    sandbox = make_sandbox(rotate_refresh_tokens=True)
    first = sandbox.auth_client()
    second = sandbox.auth_client()
    first.refresh()
    with pytest.raises(AuthClientError) as excinfo:
        second.refresh()
    assert b"invalid_grant" in excinfo.value.content
