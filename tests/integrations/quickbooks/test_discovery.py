"""Intuit's discovery document is read through the HTTP wrapper (a timeout, retries on 5xx) and
once per hour per process, not on every client a task builds."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shopqb_app.integrations.quickbooks import client as qbo


@pytest.fixture
def discovery_server():
    hits: list[str] = []
    failures = {"left": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if failures["left"]:
                failures["left"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            base = f"http://127.0.0.1:{self.server.server_port}"
            body = json.dumps(
                {
                    "issuer": base,
                    "authorization_endpoint": base + "/authorize",
                    "token_endpoint": base + "/token",
                    "revocation_endpoint": base + "/revoke",
                    "jwks_uri": base + "/jwks",
                    "userinfo_endpoint": base + "/userinfo",
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    qbo._discovery.clear()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/openid_configuration", hits, failures
    server.shutdown()
    qbo._discovery.clear()


def settings_for(url: str) -> qbo.QBOSettings:
    return qbo.QBOSettings(
        client_id="id", client_secret="secret", redirect_uri="https://app.test/cb", environment=url, api_base=url
    )


def test_building_many_clients_reads_the_discovery_document_once(discovery_server):
    url, hits, _ = discovery_server
    for _ in range(5):
        qb = qbo.connect(settings_for(url), realm_id="1", access_token="token")
    assert len(hits) == 1
    assert qb.auth_client.token_endpoint.endswith("/token")


def test_a_failing_discovery_is_retried_then_cached(discovery_server):
    url, hits, failures = discovery_server
    failures["left"] = 1
    qbo.connect(settings_for(url), realm_id="1", access_token="token")
    qbo.connect(settings_for(url), realm_id="1", access_token="token")
    assert len(hits) == 2, "one 503, one retry, then the cache"


def test_an_unreachable_discovery_is_quickbooks_unavailable():
    qbo._discovery.clear()
    with pytest.raises(qbo.QBOUnavailable):
        qbo.connect(settings_for("http://127.0.0.1:9/.well-known/openid_configuration"), realm_id="1", access_token="t")
