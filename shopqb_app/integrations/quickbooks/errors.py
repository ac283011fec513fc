"""Every error the QuickBooks package raises: one family, each saying whether trying again can help."""

from __future__ import annotations


class QBOError(Exception):
    permanent = True

    def __init__(self, message: str, code: int | str = "", detail: str = "") -> None:
        super().__init__(message)
        self.code = str(code)
        self.detail = detail


class QBOAuthError(QBOError):
    """401 / 3200 / invalid_grant: the connection needs a fresh token or a reconnect."""


class QBOUnavailable(QBOError):
    """Throttled, 5xx or network trouble: try again later."""

    permanent = False


class QBORejected(QBOError):
    """QBO refused the document (validation fault): retrying unchanged will not help."""


class QBOStaleObject(QBOError):
    """5010: someone changed the object since we read its SyncToken."""

    permanent = False


class DocNumberTaken(QBOError):
    """A document with our DocNumber exists in QBO and is not ours: never touch it."""


class QBOOAuthError(QBOError):
    """Intuit did not answer as hoped; may pass on a later try."""

    permanent = False


class QBOGrantRevoked(QBOOAuthError):
    """``invalid_grant``: the merchant has to connect again."""

    permanent = True


class QBOAccessRefused(QBOGrantRevoked):
    """A 401 on an API read: this access token is refused (expired early or revoked);
    a refresh may still give a good one."""
