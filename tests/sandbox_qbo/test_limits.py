"""Throttling, batch limits and the fault knobs, all deterministic for a seed."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from .conftest import fault_of


def test_requests_per_minute_answers_qbo_throttle_fault(make_sandbox):
    sandbox = make_sandbox(requests_per_minute=5)
    for _ in range(5):
        assert sandbox.get("item/1").status_code == 200
    throttled = sandbox.get("item/1")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "60"
    assert '<Error code="3001">' in throttled.text  # XML, as QBO answers a throttle
    assert "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>" in throttled.text
    sandbox.control("clock", {"advance_seconds": 61})
    assert sandbox.get("item/1").status_code == 200


def test_limits_are_per_realm(make_sandbox):
    sandbox = make_sandbox(companies=["US", "UK"], requests_per_minute=2)
    assert [sandbox.get("item/1").status_code for _ in range(3)] == [200, 200, 429]
    assert sandbox.get("item/1", "UK").status_code == 200


def test_concurrent_requests_over_the_limit_get_429(make_sandbox):
    sandbox = make_sandbox(max_concurrent=2)
    sandbox.control("faults", {"latency": 0.4})
    statuses: list[int] = []

    def call() -> None:
        statuses.append(sandbox.get("item/1").status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 429, 429, 429]


def test_batch_items_limit_per_item_faults_and_batch_rate(make_sandbox):
    sandbox = make_sandbox(batch_max_items=3, batch_per_minute=2)
    too_many = sandbox.post(
        "batch", {"BatchItemRequest": [{"bId": str(n), "Query": "select * from Item"} for n in range(4)]}
    )
    assert too_many.status_code == 400
    assert fault_of(too_many)["code"] == "1040"
    items = [
        {"bId": "ok", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
        {"bId": "dup", "operation": "create", "Customer": {"DisplayName": "Walk-in Customer"}},
        {"bId": "q", "Query": "select count(*) from Customer"},
    ]
    body = sandbox.post("batch", {"BatchItemRequest": items}).json()
    answers = {a["bId"]: a for a in body["BatchItemResponse"]}
    assert answers["ok"]["Customer"]["DisplayName"] == "Batch One"
    assert answers["dup"]["Fault"]["Error"][0]["code"] == "6240"
    assert answers["q"]["QueryResponse"]["totalCount"] == 3
    third = sandbox.post("batch", {"BatchItemRequest": items[:1]})
    assert third.status_code == 429


def test_throttle_storm_then_recovery(sandbox):
    realm = sandbox.company()["realm_id"]
    sandbox.control(f"{realm}/throttle", {"requests": 2})
    assert [sandbox.get("item/1").status_code for _ in range(3)] == [429, 429, 200]
    assert sandbox.get("item/1", "UK").status_code == 200


def _error_pattern(sandbox) -> list[int]:
    sandbox.control("faults", {"error_rate": 0.5, "error_statuses": [500, 503]})
    return [sandbox.get("item/1").status_code for _ in range(20)]


def test_injected_errors_are_deterministic_for_a_seed(make_sandbox):
    first = _error_pattern(make_sandbox(seed=7))
    again = _error_pattern(make_sandbox(seed=7))
    other = _error_pattern(make_sandbox(seed=8))
    assert first == again
    assert first != other
    assert {500, 503, 200} == set(first)


def test_injected_500_is_a_system_fault_and_503_is_not_json(sandbox):
    sandbox.control("faults", {"error_rate": 1, "error_statuses": [500]})
    response = sandbox.get("item/1")
    assert response.status_code == 500
    assert fault_of(response)["code"] == "10000"
    sandbox.control("faults", {"error_statuses": [503]})
    response = sandbox.get("item/1")
    assert response.status_code == 503
    assert response.text == "Service Unavailable"
    sandbox.control("faults", {"reset": True})
    assert sandbox.get("item/1").status_code == 200


def test_hung_requests_outlast_a_client_timeout(sandbox):
    sandbox.control("faults", {"hang_rate": 1, "hang_seconds": 2})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(f"{sandbox.api()}/item/1", headers=sandbox.headers(), timeout=0.3)
    assert time.monotonic() - started < 1.5
    sandbox.control("faults", {"hang_seconds": 0.1})
    assert sandbox.get("item/1").status_code == 504


def test_latency_knob(sandbox):
    sandbox.control("faults", {"latency": 0.3})
    started = time.monotonic()
    assert sandbox.get("item/1").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_faults_can_target_one_realm(sandbox):
    sandbox.control("faults", {"error_rate": 1, "error_statuses": [500], "realm": sandbox.company("UK")["realm_id"]})
    assert sandbox.get("item/1").status_code == 200
    assert sandbox.get("item/1", "UK").status_code == 500
