"""The connected company's lists the merchant maps to: accounts, items, tax codes, classes and
departments. Read-only. Cached per shop for a few minutes so that every setup page does not read
the whole chart of accounts again; anything ShopQB creates drops the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
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
    currency: str = ""  # accounts and customers: their CurrencyRef (multicurrency companies)
    description: str = ""
    # Tax codes: the sales rates (TaxRate id, percent as QuickBooks states it: Decimal("20")), in
    # the code's order; none for exempt and out-of-scope codes. ``for_sales`` False: a code with
    # purchase rates only, which cannot book a sale.
    rates: tuple[tuple[str, Decimal], ...] = ()
    for_sales: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} ({self.type})" if self.type else self.name


@dataclass(frozen=True)
class QBOTaxRate:
    """A QuickBooks sales or purchase tax rate (TaxRate): the pieces a tax code is made of."""

    id: str
    name: str
    percent: Decimal
    agency_id: str = ""


@dataclass(frozen=True)
class Catalog:
    accounts: tuple[QBOObject, ...] = ()
    items: tuple[QBOObject, ...] = ()
    tax_codes: tuple[QBOObject, ...] = ()
    classes: tuple[QBOObject, ...] = ()
    departments: tuple[QBOObject, ...] = ()
    customers: tuple[QBOObject, ...] = field(default=())
    tax_rates: tuple[QBOTaxRate, ...] = ()

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

    def sales_tax_codes(self) -> list[QBOObject]:
        """The codes a sales line can carry, by name."""
        return sorted((c for c in self.tax_codes if c.for_sales), key=lambda c: c.name.lower())


def _objects(rows: list[dict[str, Any]], name_field: str = "Name") -> tuple[QBOObject, ...]:
    return tuple(
        QBOObject(
            id=str(row["Id"]),
            name=str(row.get("FullyQualifiedName") or row.get(name_field) or ""),
            type=str(row.get("AccountType") or row.get("Type") or ""),
            sub_type=str(row.get("AccountSubType") or ""),
            sku=str(row.get("Sku") or ""),
            currency=str((row.get("CurrencyRef") or {}).get("value") or ""),
            description=str(row.get("Description") or ""),
        )
        for row in rows
    )


def _details(code: dict[str, Any], rate_list: str) -> list[str]:
    return [
        str((d.get("TaxRateRef") or {}).get("value") or "")
        for d in (code.get(rate_list) or {}).get("TaxRateDetail") or []
    ]


def _tax_codes(rows: list[dict[str, Any]], rates: tuple[QBOTaxRate, ...]) -> tuple[QBOObject, ...]:
    """Each code with its sales rates (percent from the TaxRate list). A code naming a rate that is
    not in the list (inactive, say) is left out: its rates cannot be shown or checked."""
    percent = {r.id: r.percent for r in rates}
    codes = []
    for row in rows:
        sales, purchases = _details(row, "SalesTaxRateList"), _details(row, "PurchaseTaxRateList")
        if any(rate_id not in percent for rate_id in sales):
            continue
        codes.append(
            QBOObject(
                id=str(row["Id"]),
                name=str(row.get("Name") or ""),
                description=str(row.get("Description") or ""),
                rates=tuple((rate_id, percent[rate_id]) for rate_id in sales),
                for_sales=bool(sales) or not purchases,
            )
        )
    return tuple(codes)


def _tax_rates(rows: list[dict[str, Any]]) -> tuple[QBOTaxRate, ...]:
    return tuple(
        QBOTaxRate(
            id=str(row["Id"]),
            name=str(row.get("Name") or ""),
            percent=Decimal(str(row.get("RateValue") or 0)),
            agency_id=str((row.get("AgencyRef") or {}).get("value") or ""),
        )
        for row in rows
    )


def catalog_read(*, shop: Shop, qb: qbo.QuickBooks, fresh: bool = False) -> Catalog:
    """Every active account, item, tax code, class and department of the connected company."""
    key = _key(shop)
    if not fresh:
        cached = cache.get(key)
        if isinstance(cached, Catalog):
            return cached
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales
    # (a TaxCode lists its rates in SalesTaxRateList; each TaxRate has its RateValue)
    tax_rates = _tax_rates(qbo.query_all(qb, "select * from TaxRate", "TaxRate"))
    catalog = Catalog(
        accounts=_objects(qbo.query_all(qb, "select * from Account where Active = true", "Account")),
        # QBO leaves an item's Sku out unless the select list names it.
        items=_objects(qbo.query_all(qb, "select *, Sku from Item where Active = true", "Item")),
        tax_codes=_tax_codes(qbo.query_all(qb, "select * from TaxCode where Active = true", "TaxCode"), tax_rates),
        tax_rates=tax_rates,
        classes=_objects(qbo.query_all(qb, "select * from Class where Active = true", "Class")),
        departments=_objects(qbo.query_all(qb, "select * from Department where Active = true", "Department")),
        customers=_objects(
            qbo.find_by(qb, "Customer", "DisplayName", roles.DEFAULT_CUSTOMER), name_field="DisplayName"
        ),
    )
    cache.set(key, catalog, CACHE_SECONDS)
    return catalog


def catalog_forget(*, shop: Shop) -> None:
    cache.delete(_key(shop))


def _key(shop: Shop) -> str:
    # v2: tax codes carry their rates (a catalog cached before that would show none).
    return f"shopqb:catalog:v2:{shop.pk}"
