"""What the products page shows: the counts, one page of variants (searchable, unmatched first)
and the company's items to choose from. Selectors: they read and never write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When

from accounts.models import Shop
from mappings.catalog import Catalog, QBOObject
from mappings.models import AccountRole, AccountRoleMapping, ProductMapping
from mappings.products import SALE_ITEM_TYPES, MatchedBy

PAGE_SIZE = 50
SHOW_CHOICES = (("all", "All"), ("unmatched", "Unmatched"), ("mapped", "Mapped or to create"))
ITEMS_LISTED = 25


@dataclass(frozen=True)
class Counts:
    total: int
    unmatched: int
    to_create: int

    @property
    def mapped(self) -> int:
        return self.total - self.unmatched - self.to_create


def products_counts(*, shop: Shop) -> Counts:
    no_item = Q(qbo_item_id="")
    counts = ProductMapping.objects.filter(shop=shop).aggregate(
        total=Count("pk"),
        unmatched=Count("pk", filter=no_item & Q(matched_by=MatchedBy.NONE)),
        to_create=Count("pk", filter=no_item & Q(matched_by=MatchedBy.CREATED)),
    )
    return Counts(**counts)


@dataclass(frozen=True)
class Row:
    pk: int
    title: str
    sku: str
    item_name: str  # the mapped item, or the one to be created
    status: str  # MatchedBy value
    to_create: bool

    @property
    def status_label(self) -> str:
        return str(MatchedBy(self.status).label)


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    page: Page[Any]
    q: str
    show: str


def products_listing(*, shop: Shop, q: str = "", show: str = "all", page: str | int | None = 1) -> Listing:
    """One page of the shop's variants, unmatched first, then by title; ``q`` searches titles and
    SKUs. Only the columns shown are read, so a page stays fast at 10,000 variants."""
    q = q.strip()[:100]
    show = show if show in dict(SHOW_CHOICES) else "all"
    rows = ProductMapping.objects.filter(shop=shop)
    if show == "unmatched":
        rows = rows.filter(qbo_item_id="", matched_by=MatchedBy.NONE)
    elif show == "mapped":
        rows = rows.exclude(matched_by=MatchedBy.NONE)
    for word in q.split():
        rows = rows.filter(Q(title__icontains=word) | Q(sku__icontains=word))
    ordered = rows.annotate(
        mapped=Case(When(matched_by=MatchedBy.NONE, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("mapped", "title", "pk")
    values = ordered.values("pk", "title", "sku", "qbo_item_name", "matched_by", "create_spec")
    current = Paginator(values, PAGE_SIZE).get_page(page)
    return Listing(
        rows=[
            Row(
                pk=v["pk"],
                title=v["title"],
                sku=v["sku"],
                item_name=v["qbo_item_name"] or str((v["create_spec"] or {}).get("Name", "")),
                status=v["matched_by"],
                to_create=bool(v["create_spec"]),
            )
            for v in current.object_list
        ],
        page=current,
        q=q,
        show=show,
    )


def items_search(*, catalog: Catalog, q: str = "", like: str = "") -> list[QBOObject]:
    """Items a line can book to whose name or SKU contains every word of ``q``; without ``q``,
    every item, those sharing the most words with ``like`` (a variant's title) first, then by
    name. At most ITEMS_LISTED."""
    items = [i for i in catalog.items if i.type in SALE_ITEM_TYPES]
    words = q.casefold().split()
    if words:
        found = [i for i in items if all(w in f"{i.name} {i.sku}".casefold() for w in words)]
        return sorted(found, key=lambda i: i.name.casefold())[:ITEMS_LISTED]
    wanted = set(like.casefold().replace("-", " ").split())
    scored = [(len(wanted & set(i.name.casefold().replace(":", " ").split())), i) for i in items]
    scored.sort(key=lambda pair: (-pair[0], pair[1].name.casefold()))
    return [i for _, i in scored[:ITEMS_LISTED]]


def income_account_label(*, shop: Shop) -> str:
    """The account new items book their sales to, as the merchant knows it ('' if not chosen)."""
    row = AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_INCOME).first()
    return row.display if row is not None else ""
