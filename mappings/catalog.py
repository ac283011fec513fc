"""The connected company's lists the merchant maps to: accounts, items, tax codes, classes and
departments. Read-only. Cached per shop for a few minutes so that every setup page does not read
the whole chart of accounts again; anything ShopQB creates drops the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from accounts.models import Shop
from mappings import roles
from shopqb_app.integrations.quickbooks import client as qbo

CACHE_SECONDS = 300


@dataclass(frozen=True)
class QBOObject:
    id: str
    name: str
    type: str = ""
    sub_type: str = ""
    sku: str = ""  # items only

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type})" if self.type else self.name


@dataclass(frozen=True)
class Catalog:
    accounts: tuple[QBOObject, ...] = ()
    items: tuple[QBOObject, ...] = ()
    tax_codes: tuple[QBOObject, ...] = ()
    classes: tuple[QBOObject, ...] = ()
    departments: tuple[QBOObject, ...] = ()
    customers: tuple[QBOObject, ...] = field(default=())

    def accounts_of(self, types: tuple[str, ...]) -> list[QBOObject]:
        return sorted((a for a in self.accounts if a.type in types), key=lambda a: a.name.lower())

    def account(self, qbo_id: str) -> QBOObject | None:
        return next((a for a in self.accounts if a.id == qbo_id), None)

    def account_named(self, name: str, types: tuple[str, ...]) -> QBOObject | None:
        wanted = name.strip().lower()
        return next((a for a in self.accounts if a.name.lower() == wanted and a.type in types), None)

    def item_named(self, name: str) -> QBOObject | None:
        wanted = name.strip().lower()
        return next((i for i in self.items if i.name.lower() == wanted), None)

    def by_id(self, kind: str, qbo_id: str) -> QBOObject | None:
        return next((o for o in getattr(self, kind) if o.id == qbo_id), None)


def _objects(rows: list[dict[str, Any]], name_field: str = "Name") -> tuple[QBOObject, ...]:
    return tuple(
        QBOObject(
            id=str(row["Id"]),
            name=str(row.get("FullyQualifiedName") or row.get(name_field) or ""),
            type=str(row.get("AccountType") or row.get("Type") or ""),
            sub_type=str(row.get("AccountSubType") or ""),
            sku=str(row.get("Sku") or ""),
        )
        for row in rows
    )


def catalog_read(*, shop: Shop, qb: qbo.QuickBooks, fresh: bool = False) -> Catalog:
    """Every active account, item, tax code, class and department of the connected company."""
    key = f"shopqb:catalog:{shop.pk}"
    if not fresh:
        cached = cache.get(key)
        if isinstance(cached, Catalog):
            return cached
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    catalog = Catalog(
        accounts=_objects(qbo.query_all(qb, "select * from Account where Active = true", "Account")),
        # QBO leaves an item's Sku out unless the select list names it.
        items=_objects(qbo.query_all(qb, "select *, Sku from Item where Active = true", "Item")),
        tax_codes=_objects(qbo.query_all(qb, "select * from TaxCode where Active = true", "TaxCode")),
        classes=_objects(qbo.query_all(qb, "select * from Class where Active = true", "Class")),
        departments=_objects(qbo.query_all(qb, "select * from Department where Active = true", "Department")),
        customers=_objects(
            qbo.find_by(qb, "Customer", "DisplayName", roles.DEFAULT_CUSTOMER), name_field="DisplayName"
        ),
    )
    cache.set(key, catalog, CACHE_SECONDS)
    return catalog


def catalog_forget(*, shop: Shop) -> None:
    cache.delete(f"shopqb:catalog:{shop.pk}")
