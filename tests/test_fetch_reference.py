"""bin/fetch-reference against a local mirror laid out like the public hosts, and the lookup the
tests use to find what it fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

from tests import reference

SCRIPT = reference.ROOT / "bin" / "fetch-reference"
# The script has no .py suffix (it is a command), so it is loaded by hand for its source table.
_spec = spec_from_loader("fetch_reference", SourceFileLoader("fetch_reference", str(SCRIPT)))
fetcher = sys.modules.setdefault("fetch_reference", module_from_spec(_spec))
_spec.loader.exec_module(fetcher)


class Mirror:
    """Answers GET with the file at the URL's path and POST with the body stored for it; 404 otherwise."""

    def __init__(self, files: dict[str, bytes], posts: dict[str, bytes]):
        self.files, self.posts, self.requests = files, posts, []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, table: dict[str, bytes]) -> None:
                mirror.requests.append((self.command, self.path))
                body = table.get(urllib.parse.unquote(self.path))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def do_GET(self) -> None:
                self._answer(mirror.files)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self._answer(mirror.posts)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Mirror:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def mirror_path(url: str) -> str:
    """Where the mirror keeps a public URL: /<host>/<path>, as the script asks for it."""
    parts = urllib.parse.urlsplit(url)
    return f"/{parts.netloc}{parts.path}"


def run(mirror: Mirror, dest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, fetcher.MIRROR_ENV: mirror.url, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--dest", str(dest), *args], env=env, capture_output=True, text=True, timeout=300
    )


SCHEMA = next(s for s in fetcher.sources() if s.fetch is fetcher._admin_schema)
ORDER = next(s for s in fetcher.sources() if s.path == "shopify/rest-samples/order.json")


def test_every_test_file_that_reads_the_reference_reads_a_file_the_script_fetches():
    from tests.sandbox_qbo.xsd import XSD_FILES

    fetched = {s.path for s in fetcher.sources()}
    assert {*XSD_FILES, "shopify/admin-2025-04.graphql", "shopify/rest-samples/order.json"} <= fetched
    assert SCHEMA.path == "shopify/admin-2025-04.graphql"


def test_a_changed_or_missing_file_is_reported_and_not_installed(tmp_path):
    changed = b'{"order": {}}\n'
    with Mirror({mirror_path(ORDER.url): changed}, {}) as mirror:
        result = run(mirror, tmp_path)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == len(fetcher.sources())  # one line per file, every file tried
    assert any(
        line.startswith(f"FAILED   {ORDER.path}: sha256 ") and f"is not the pinned {ORDER.sha256}" in line
        for line in errors
    )
    assert f"FAILED   quickbooks/xsd/Finance.xsd: HTTP 404 Not Found from {mirror.url}/raw.githubusercontent.com/" in (
        result.stderr
    )
    assert f"FAILED   {SCHEMA.path}: HTTP 404" in result.stderr
    assert f"0 of {len(fetcher.sources())} reference files" in result.stdout
    assert not (tmp_path / ORDER.path).exists()

    with Mirror({mirror_path(ORDER.url): changed}, {}) as mirror:
        accepted = run(mirror, tmp_path, "--accept-changed")
    assert accepted.returncode == 1  # the others are still missing
    assert f"CHANGED, installed; new sha256 {fetcher._sha256(changed)} {ORDER.path}" in accepted.stdout
    assert (tmp_path / ORDER.path).read_bytes() == changed


def test_a_mirror_that_is_not_http_is_refused(tmp_path):
    env = {**os.environ, fetcher.MIRROR_ENV: f"file://{tmp_path}"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--dest", str(tmp_path / "out")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"FAILED   {ORDER.path}: not an http(s) URL: file://" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_fetches_every_file_from_a_mirror_and_checks_each_one(tmp_path):
    from graphql import build_schema, get_introspection_query, graphql_sync

    base = reference.reference_dir()
    reference.require(*(s.path for s in fetcher.sources()))
    files = {mirror_path(s.url): (base / s.path).read_bytes() for s in fetcher.sources() if s != SCHEMA}
    schema = build_schema((base / SCHEMA.path).read_text(), assume_valid=True)
    introspection = graphql_sync(schema, get_introspection_query(descriptions=True))
    posts = {mirror_path(SCHEMA.url): json.dumps({"data": introspection.data}).encode()}

    with Mirror(files, posts) as mirror:
        first = run(mirror, tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stderr == ""
        assert len(mirror.requests) == len(fetcher.sources())
        again = run(mirror, tmp_path)
        assert len(mirror.requests) == len(fetcher.sources())  # nothing fetched twice

    assert again.returncode == 0
    assert again.stdout.count("present ") == len(fetcher.sources())
    for source in fetcher.sources():
        fetched = (tmp_path / source.path).read_bytes()
        assert fetcher._sha256(fetched) == source.sha256, source.path
        if source != SCHEMA:
            assert fetched == (base / source.path).read_bytes(), source.path
    # The schema is written from the introspection answer: the same types, fields and arguments.
    rebuilt = build_schema((tmp_path / SCHEMA.path).read_text(), assume_valid=True)
    assert set(rebuilt.type_map) == set(schema.type_map)
    assert set(rebuilt.get_type("Order").fields) == set(schema.get_type("Order").fields)


def test_the_reference_directory_is_looked_up_in_order(tmp_path, monkeypatch):
    (tmp_path / "shopify").mkdir()
    (tmp_path / "shopify" / "x.json").write_text("{}")
    monkeypatch.setenv(reference.ENV, str(tmp_path))
    assert reference.candidates() == [tmp_path]
    assert reference.require("shopify/x.json") == [tmp_path / "shopify" / "x.json"]
    reason = reference.missing_reason("shopify/x.json", "shopify/y.json")
    assert reason == f"reference file shopify/y.json missing in {tmp_path}; run ./bin/fetch-reference"

    monkeypatch.setenv(reference.ENV, str(tmp_path / "nowhere"))
    reason = reference.missing_reason("shopify/x.json")
    assert reason is not None and "shopify/x.json" in reason and reason.endswith("run ./bin/fetch-reference")
    with pytest.raises(pytest.skip.Exception, match=r"shopify/x\.json"):
        reference.require("shopify/x.json")

    monkeypatch.delenv(reference.ENV)
    assert reference.candidates() == [reference.ROOT / ".reference", reference.ROOT.parent / "shared" / "reference"]
