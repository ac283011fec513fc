"""Every error the Shopify package raises: one family, each saying whether trying again can help."""

from __future__ import annotations


class ShopifyError(Exception):
    permanent = True


class ShopifyAuthError(ShopifyError):
    """401/403: the token is invalid or revoked. Permanent until reinstall."""


class ShopifyQueryError(ShopifyError):
    """The API rejected the query (a bug on our side, or a missing scope)."""


class ShopifyUnavailable(ShopifyError):
    """Network trouble, 5xx or throttling that outlasted our retries: try later."""

    permanent = False


class ShopifyOAuthError(ShopifyError):
    """Shopify did not give us a token; may pass on a later try."""

    permanent = False


class ShopifyGrantRevoked(ShopifyOAuthError):
    """The grant (code, session token or refresh token) is no good any more."""

    permanent = True


class InvalidSessionToken(ShopifyError):
    """A session token that is not App Bridge's for this app, or no longer valid."""
