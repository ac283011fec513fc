"""Access tokens for the engine: always call these, never read the columns.

They refresh expiring tokens (single-flight) and pause the shop when a token is
revoked. First version: returns the stored token; refresh lands with the
embedded-app work.
"""

from accounts.models import QuickBooksConnection, Shop


class TokenRevoked(Exception):
    """The token cannot be refreshed any more: the merchant must reconnect."""


def shopify_access_token(shop: Shop) -> str:
    if not shop.access_token:
        raise TokenRevoked(f"{shop.domain} has no Shopify access token (not installed?)")
    return shop.access_token


def qbo_access_token(connection: QuickBooksConnection) -> str:
    if connection.status != QuickBooksConnection.Status.CONNECTED or not connection.access_token:
        raise TokenRevoked(f"QuickBooks connection for {connection.shop.domain} needs reconnecting")
    return connection.access_token
