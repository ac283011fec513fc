from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from sandbox.qbo.emulator import QBOEmulator
from sandbox.runner import RunningServer, serve_in_thread

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
REDIRECT_URI = "http://127.0.0.1:9/qbo/callback"


@dataclass
class Sandbox:
    emulator: QBOEmulator
    server: RunningServer

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def info(self) -> dict[str, Any]:
        return self.emulator.describe()

    def company(self, preset: str = "US") -> dict[str, Any]:
        return next(c for c in self.info["companies"] if c["preset"] == preset)

    def auth_client(self, company: dict[str, Any] | None = None) -> AuthClient:
        app = self.info["app"]
        company = company or self.company()
        return AuthClient(
            app["client_id"],
            app["client_secret"],
            REDIRECT_URI,
            environment=f"{self.url}/.well-known/openid_configuration",
            access_token=company["access_token"],
            refresh_token=company["refresh_token"],
            realm_id=company["realm_id"],
        )

    def client(self, preset: str = "US") -> QuickBooks:
        company = self.company(preset)
        auth = self.auth_client(company)
        qb = QuickBooks(
            auth_client=auth,
            refresh_token=company["refresh_token"],
            company_id=company["realm_id"],
            minorversion=75,
            use_decimal=True,
        )
        qb.api_url_v3 = f"{self.url}/v3"
        return qb

    def api(self, preset: str = "US") -> str:
        return f"{self.url}/v3/company/{self.company(preset)['realm_id']}"

    def headers(self, preset: str = "US") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.company(preset)['access_token']}", "Accept": "application/json"}

    def post(self, path: str, body: Any, preset: str = "US", **params: Any) -> requests.Response:
        params.setdefault("minorversion", 75)
        return requests.post(
            f"{self.api(preset)}/{path}", json=body, params=params, headers=self.headers(preset), timeout=10
        )

    def get(self, path: str, preset: str = "US", **params: Any) -> requests.Response:
        params.setdefault("minorversion", 75)
        return requests.get(f"{self.api(preset)}/{path}", params=params, headers=self.headers(preset), timeout=10)

    def query(self, text: str, preset: str = "US") -> requests.Response:
        return self.get("query", preset, query=text)

    def control(self, path: str, body: Any | None = None) -> requests.Response:
        return requests.post(f"{self.url}/_sandbox/qbo/{path}", json=body or {}, timeout=10)


def start(state_dir=None, seed: int = 0, **options: Any) -> Sandbox:
    emulator = QBOEmulator(state_dir=state_dir, seed=seed, **options)
    server = serve_in_thread(emulator)
    emulator.set_base_url(server.base_url)
    return Sandbox(emulator, server)


@pytest.fixture
def make_sandbox() -> Iterator[Any]:
    started: list[Sandbox] = []

    def factory(state_dir=None, seed: int = 0, **options: Any) -> Sandbox:
        sandbox = start(state_dir, seed, **options)
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.emulator.close()
        sandbox.server.stop()


@pytest.fixture
def sandbox(make_sandbox) -> Sandbox:
    return make_sandbox(companies=["US", "CA", "UK", "AU"])


def fault_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    return body["Fault"]["Error"][0]
