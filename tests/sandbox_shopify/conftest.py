"""Fixtures: a Shopify emulator served over real HTTP on a free port."""

import logging
import threading
import time

import pytest
import requests

from sandbox.runner import serve_in_thread
from sandbox.shopify.emulator import ShopifyEmulator

logging.getLogger("werkzeug").setLevel(logging.ERROR)

API = "2025-04"


class Shop:
    """A shop as the app sees it: its domain, token and GraphQL endpoint."""

    def __init__(self, base_url: str, domain: str, token: str) -> None:
        self.base_url = base_url
        self.domain = domain
        self.token = token
        self.endpoint = f"{base_url}/{domain}/admin/api/{API}/graphql.json"
        self.session = requests.Session()

    def post(self, query, variables=None, token=None):
        return self.session.post(
            self.endpoint,
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token or self.token},
            timeout=30,
        )

    def gql(self, query, variables=None):
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query, variables=None):
        body = self.gql(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def make_emulator(tmp_path):
    started = []

    def make(state_dir=None, **options):
        options.setdefault("toml_path", tmp_path / "no-app.toml")  # not the repository's file unless asked
        emulator = ShopifyEmulator(
            state_dir=state_dir, app_url=options.pop("app_url", None), seed=options.pop("seed", 0), **options
        )
        running = serve_in_thread(emulator)
        emulator.set_base_url(running.base_url)
        started.append((running, emulator))
        return emulator, running.base_url

    yield make
    for running, emulator in started:
        running.stop()
        emulator.close()


@pytest.fixture
def emulator(make_emulator):
    return make_emulator(throttle=False)


@pytest.fixture
def shop(emulator):
    emu, base_url = emulator
    info = emu.describe()["shops"][0]
    return Shop(base_url, info["domain"], info["access_token"])


class Receiver:
    """A stand-in app endpoint: records every webhook request, answers with ``statuses`` in turn."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        with self.lock:
            self.requests.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data()})
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    def topics(self):
        return [r["headers"]["X-Shopify-Topic"] for r in self.requests]

    def wait_for(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.02)
        return False


@pytest.fixture
def receiver():
    app = Receiver()
    running = serve_in_thread(app)
    app.url = running.base_url
    yield app
    running.stop()


def shop_of(emulator_and_url):
    emu, base_url = emulator_and_url
    info = emu.describe()["shops"][0]
    return Shop(base_url, info["domain"], info["access_token"])
