"""django-q2 entry points for accounts. They may run twice."""

import logging

from accounts import quickbooks_auth
from accounts.crypto import decrypt

log = logging.getLogger(__name__)


def qbo_revoke_encrypted(ciphertext: str) -> None:
    """Revoke a QuickBooks token of a deleted shop; the queue only ever saw ciphertext."""
    try:
        quickbooks_auth.revoke(token=decrypt(ciphertext))
    except quickbooks_auth.QBOGrantRevoked:
        return
    except quickbooks_auth.QBOOAuthError as exc:
        log.warning("could not revoke a deleted shop's QuickBooks token: %s", exc)
        raise
