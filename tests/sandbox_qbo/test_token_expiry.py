"""Access tokens refused before the expiry the app stored: the scheduled expire-tokens
control, the token's remaining life in describe(), and a clock that survives a restart."""

from __future__ import annotations

import requests

from .conftest import fault_of


def detail_of_401(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    error = response.json()["fault"]["error"][0]
    assert error["code"] == "3200"
    return str(error["detail"])


def test_tokens_expire_after_the_requests_asked_for_and_a_refresh_is_served_again(sandbox):
    realm = sandbox.company()["realm_id"]
    assert sandbox.control(f"{realm}/expire-tokens", {"after_requests": 2}).status_code == 200
    assert sandbox.get("item/1").status_code == 200
    assert sandbox.get("item/1").status_code == 200
    assert detail_of_401(sandbox.get("item/1")).startswith("Token expired")
    # Nothing changed on the token's stated life: only QuickBooks' own answer tells.
    assert sandbox.company()["access_token_expires_in"] < 0
    auth = sandbox.auth_client()
    auth.refresh()
    headers = {"Authorization": f"Bearer {auth.access_token}", "Accept": "application/json"}
    for _ in range(3):  # one-shot: the new token is not cut short
        assert requests.get(f"{sandbox.api()}/item/1", headers=headers, timeout=5).status_code == 200


def test_after_zero_requests_even_a_token_issued_meanwhile_is_refused(sandbox):
    realm = sandbox.company()["realm_id"]
    sandbox.control(f"{realm}/expire-tokens", {"after_requests": 0})
    sandbox.control(f"{realm}/connect")  # a new grant, as a code exchange would give
    assert detail_of_401(sandbox.get("item/1")).startswith("Token expired")
    sandbox.control(f"{realm}/connect")
    assert sandbox.get("item/1").status_code == 200


def test_the_schedule_is_per_company(sandbox):
    us = sandbox.company("US")["realm_id"]
    sandbox.control(f"{us}/expire-tokens", {"after_requests": 0})
    assert sandbox.get("item/1", "CA").status_code == 200
    assert sandbox.get("item/1", "US").status_code == 401


def test_without_a_body_tokens_expire_now_and_a_pending_schedule_is_dropped(sandbox):
    realm = sandbox.company()["realm_id"]
    sandbox.control(f"{realm}/expire-tokens", {"after_requests": 1})
    sandbox.control(f"{realm}/expire-tokens")
    assert sandbox.get("item/1").status_code == 401
    sandbox.control(f"{realm}/connect")
    assert [sandbox.get("item/1").status_code for _ in range(3)] == [200, 200, 200]


def test_describe_gives_the_access_tokens_remaining_life(sandbox):
    assert 3590 <= sandbox.company()["access_token_expires_in"] <= 3600
    sandbox.control("clock", {"advance_seconds": 3000})
    assert 590 <= sandbox.company()["access_token_expires_in"] <= 600
    sandbox.control("clock", {"advance_seconds": 1200})
    assert sandbox.company()["access_token_expires_in"] < 0


def test_the_clock_survives_a_restart_so_expired_tokens_stay_expired(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path, seed=5)
    assert first.get("item/1").status_code == 200
    first.control("clock", {"advance_seconds": 7200})
    token = first.company()["access_token"]
    first.emulator.close()
    first.server.stop()

    second = make_sandbox(state_dir=tmp_path, seed=5)
    assert second.emulator.clock_offset == 7200
    assert second.company()["access_token"] == token
    assert second.company()["access_token_expires_in"] < 0
    assert detail_of_401(second.get("item/1")).startswith("Token expired")
    auth = second.auth_client()
    auth.refresh()
    headers = {"Authorization": f"Bearer {auth.access_token}", "Accept": "application/json"}
    assert requests.get(f"{second.api()}/item/1", headers=headers, timeout=5).status_code == 200


def test_a_bad_schedule_is_refused(sandbox):
    realm = sandbox.company()["realm_id"]
    response = sandbox.control(f"{realm}/expire-tokens", {"after_requests": "soon"})
    assert response.status_code == 400
    assert fault_of(response)["code"] == "2000"
