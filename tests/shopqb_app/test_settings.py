"""Settings: safe defaults with no services, production checks clean."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "Xy7!pQ2@mN5#vB8$cZ1%" + "L" * 20,
    "ALLOWED_HOSTS": "shopqb.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shopqb.example.com",
    "APP_URL": "https://shopqb.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "BEHIND_PROXY": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "SHOPIFY_API_KEY": "key",
    "SHOPIFY_API_SECRET": "secret",
    "QBO_CLIENT_ID": "id",
    "QBO_CLIENT_SECRET": "secret",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DEBUG", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, *code.split()] if code.startswith("manage.py") else [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shopqb_app.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_variables():
    env = {**PRODUCTION, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    result = run_python("manage.py check --deploy --fail-level WARNING", env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_defaults_need_no_service():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], 'orm' in s.Q_CLUSTER)"
    )
    result = run_python(code, {})
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3", "True"], result.stderr


def test_database_url_switches_to_postgresql():
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    )
    result = run_python(code, {"DATABASE_URL": "postgres://u:p@db.example.com:5432/shopqb"})
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


def test_health_check_over_http_is_not_redirected_in_production(tmp_path):
    """The load balancer asks /healthz over plain http; everything else still goes to https."""
    code = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        "h = c.get('/healthz', HTTP_HOST='shopqb.example.com'); "
        "p = c.get('/?id_token=x', HTTP_HOST='shopqb.example.com'); "
        "print(h.status_code, h.content.decode(), p.status_code, p.get('Location'))"
    )
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_python(code, env)
    assert result.stdout.split() == ["200", '{"ok":', "true}", "301", "https://shopqb.example.com/?id_token=x"], (
        result.stdout + result.stderr
    )
