"""A real gunicorn with the project's config: secrets in URLs never reach its logs."""

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ["eyJsecret-id-token", "secret-oauth-code", "secret-hmac-hex", "secret-state", "Bearer-secret", "sid=cookie"]
# Everything gunicorn can log about a request line, its query and its credentials.
FORMAT = (
    '%(h)s "%(r)s" %(s)s "%(f)s" q=%(q)s path=%(U)s raw=%({raw_uri}e)s '
    "auth=%({authorization}i)s cookie=%({cookie}i)s referer=%({referer}i)s"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "shopqb_app.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "shopqb_app/gunicorn.conf.py", "shopqb_app.wsgi"]
    command += ["-b", f"127.0.0.1:{port}", "-w", "1", "--access-logformat", FORMAT]
    command += ["--access-logfile", str(tmp_path / "access.log"), "--error-logfile", str(tmp_path / "error.log")]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "error.log").read_text())
        yield base, tmp_path
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_access_log_has_paths_without_query_strings_or_credentials(gunicorn):
    base, logs = gunicorn
    requests.get(f"{base}/", params={"id_token": SECRETS[0], "shop": "a.myshopify.com"}, timeout=10)
    callback = {"code": SECRETS[1], "hmac": SECRETS[2], "state": SECRETS[3], "shop": "a.myshopify.com"}
    requests.get(f"{base}/auth/callback", params=callback, timeout=10)
    requests.get(
        f"{base}/api/status",
        headers={
            "Authorization": SECRETS[4],
            "Cookie": SECRETS[5],
            "Referer": f"{base}/?id_token={SECRETS[0]}",
        },
        timeout=10,
    )
    time.sleep(0.5)  # the log line is written after the response is sent

    access = (logs / "access.log").read_text()
    assert '"GET / HTTP/1.1"' in access and "path=/auth/callback" in access and "path=/api/status" in access
    assert f'"{base}/"' in access  # the Referer, without its query
    for secret in SECRETS:
        assert secret not in access
    assert SECRETS[0] not in (logs / "error.log").read_text()


def test_error_log_names_the_request_without_its_query(tmp_path):
    """A worker that fails on a request logs "Error handling request <method> <uri>"."""
    from gunicorn.config import Config

    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = runpy.run_path(str(ROOT / "shopqb_app" / "gunicorn.conf.py"))["logger_class"](config)
    try:
        raise RuntimeError("the app failed")
    except RuntimeError:
        logger.exception("Error handling request %s %s", "GET", f"/?id_token={SECRETS[0]}")
    logger.warning(f"Invalid request from ip=127.0.0.1: 'GET /auth/callback?code={SECRETS[1]} junk'")
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request GET /" in text and "RuntimeError: the app failed" in text
    assert "'GET /auth/callback junk'" in text
    assert SECRETS[0] not in text and SECRETS[1] not in text
