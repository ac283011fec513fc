"""django-q2 entry points for accounts. They may run twice."""

import logging

from accounts.crypto import decrypt
from shopqb_app.integrations.quickbooks import oauth as qbo_oauth
from shopqb_app.integrations.quickbooks.errors import QBOGrantRevoked, QBOOAuthError

# The compliance tasks moved above the sync (they read its webhook deliveries); ones
# queued before that still name this module. The one import from accounts into the
# sync, listed in pyproject.toml's import contracts: drop both once no queue holds these names.
from syncing.tasks import app_uninstalled, shop_redact  # noqa: F401

log = logging.getLogger(__name__)


def qbo_revoke_encrypted(ciphertext: str) -> None:
    """Revoke a QuickBooks token of a deleted shop; the queue only ever saw ciphertext."""
    try:
        qbo_oauth.revoke(token=decrypt(ciphertext))
    except QBOGrantRevoked:
        return
    except QBOOAuthError as exc:
        log.warning("could not revoke a deleted shop's QuickBooks token: %s", exc)
        raise
