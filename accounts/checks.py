"""Deploy checks for the embedded app's secrets and URLs (``manage.py check --deploy``)."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def embedded_app_settings(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    problems: list[CheckMessage] = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is empty: tokens are encrypted with a key derived from SECRET_KEY.",
                hint="Generate a key with Fernet.generate_key() and set FIELD_ENCRYPTION_KEYS.",
                id="accounts.W001",
            )
        )
    for index, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(Error(f"FIELD_ENCRYPTION_KEYS entry {index + 1} is not a Fernet key.", id="accounts.E001"))
    for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET"):
        if not getattr(settings, name):
            problems.append(Warning(f"{name} is not set: installs and connections cannot work.", id="accounts.W002"))
    if urlsplit(settings.APP_URL).scheme != "https":
        problems.append(Warning("APP_URL is not https: Shopify only loads https apps.", id="accounts.W003"))
    if urlsplit(settings.QBO_REDIRECT_URI).scheme != "https":
        problems.append(Warning("QBO_REDIRECT_URI is not https: Intuit refuses it in production.", id="accounts.W004"))
    return problems
