"""Shopify: OAuth and session tokens, webhook signatures, the Admin GraphQL client,
bulk operations, the fetch of orders and payouts, and their parsing into typed values."""
