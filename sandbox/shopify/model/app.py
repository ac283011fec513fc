"""What an app creates on a shop: webhook subscriptions and bulk operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sandbox.shopify.model.base import Record


@dataclass(eq=False)
class WebhookSubscription(Record):
    shop: str
    id: int
    topic: str  # GraphQL enum, e.g. ORDERS_CREATE
    callback_url: str
    created_at: datetime
    updated_at: datetime
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    api_version: str = "2025-04"
    consecutive_failures: int = 0
    source: str = "api"  # "api" or "toml"


@dataclass(eq=False)
class BulkOperation(Record):
    shop: str
    id: int
    query: str
    status: str
    created_at: datetime
    completed_at: datetime | None = None
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    file_name: str | None = None
    type: str = "QUERY"
    grouped: bool = True  # children right after their parent (groupObjects), by the API version's default
    # The access scopes of the token that started it ("" for operations saved before they were kept:
    # every scope, as they ran then): the query runs with no more than those.
    scopes: str = ""
