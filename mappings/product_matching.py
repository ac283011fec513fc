"""Mapping variants to the company's existing items: automatically by SKU, then by name, and by
the merchant's own choice, one variant at a time or every unmatched one to one item.

Auto-match only touches rows still unmatched, so a choice the merchant made meanwhile wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Shop
from mappings.catalog import Catalog, QBOObject
from mappings.history import change_record, snapshot_of
from mappings.models import ProductMapping, SetupStep
from mappings.products import SALE_ITEM_TYPES, MatchedBy, name_key, unmatched, unmatched_update, variants_listed

BY_AUTO_MATCH = "ShopQB (auto-match)"


@dataclass(frozen=True)
class Matched:
    by_sku: int
    by_name: int
    unmatched: int

    @property
    def total(self) -> int:
        return self.by_sku + self.by_name


def _unique_index(pairs: Iterable[tuple[str, QBOObject]]) -> dict[str, QBOObject]:
    """key -> the one object with it; a key two objects share matches neither."""
    index: dict[str, QBOObject | None] = {}
    for key, obj in pairs:
        if key:
            index[key] = None if key in index and index[key] != obj else obj
    return {k: v for k, v in index.items() if v is not None}


def _assign(shop: Shop, choices: dict[int, tuple[QBOObject, str]]) -> int:
    rows = [(pk, item.id, item.name[:255], item.type[:20], how) for pk, (item, how) in choices.items()]
    return unmatched_update(
        shop,
        rows,
        {"item_id": "VARCHAR(64)", "item_name": "VARCHAR(255)", "item_type": "VARCHAR(20)", "how": "VARCHAR(10)"},
        "qbo_item_id = chosen.item_id, qbo_item_name = chosen.item_name, qbo_item_type = chosen.item_type, "
        "matched_by = chosen.how",
    )


def products_auto_match(*, shop: Shop, catalog: Catalog, by: str = BY_AUTO_MATCH) -> Matched:
    """Map unmatched rows to the item with the same SKU, else the same name (case and outer
    spaces ignored). A SKU or name two items share is ambiguous and matches nothing.
    Linear: one pass over the items into dicts, one over the rows."""
    items = [i for i in catalog.items if i.type in SALE_ITEM_TYPES]
    by_sku = _unique_index((name_key(i.sku), i) for i in items)
    # QBO names sub-items "Parent:Child"; a variant is matched by the full name or by its own.
    by_name = _unique_index((name_key(i.name), i) for i in items)
    by_leaf = _unique_index((name_key(i.name.rsplit(":", 1)[-1]), i) for i in items if ":" in i.name)
    choices: dict[int, tuple[QBOObject, str]] = {}
    gids: list[str] = []
    for pk, gid, sku, title in unmatched(shop).order_by().values_list("pk", "variant_gid", "sku", "title"):
        found = by_sku.get(name_key(sku)) if sku else None
        how: str = MatchedBy.SKU
        if found is None:
            name = name_key(title)
            found, how = by_name.get(name) or by_leaf.get(name), MatchedBy.NAME
        if found is not None:
            choices[pk] = (found, how)
            gids.append(gid)
    if not choices:
        return Matched(by_sku=0, by_name=0, unmatched=unmatched(shop).count())
    with transaction.atomic():
        _assign(shop, choices)
        left = unmatched(shop).count()
        counted: dict[str, int] = {MatchedBy.SKU: 0, MatchedBy.NAME: 0}
        for _, matched_by in choices.values():
            counted[matched_by] += 1
        change_record(
            shop=shop,
            section=SetupStep.PRODUCTS,
            by=by,
            before={"unmatched": left + len(choices)},
            after={
                "unmatched": left,
                "matched_by_sku": counted[MatchedBy.SKU],
                "matched_by_name": counted[MatchedBy.NAME],
                **variants_listed(gids),
            },
        )
    return Matched(by_sku=counted[MatchedBy.SKU], by_name=counted[MatchedBy.NAME], unmatched=left)


def product_map(*, shop: Shop, pk: int, item: QBOObject | None, by: str) -> ProductMapping:
    """Map one variant to ``item`` (None: leave it unmapped). Raises ProductMapping.DoesNotExist
    for a row of another shop."""
    with transaction.atomic():
        row = ProductMapping.objects.select_for_update().get(shop=shop, pk=pk)
        before = {row.variant_gid: snapshot_of(row)}
        row.qbo_item_id = item.id if item else ""
        row.qbo_item_name = item.name[:255] if item else ""
        row.qbo_item_type = item.type[:20] if item else ""
        row.matched_by = MatchedBy.MERCHANT if item else MatchedBy.NONE
        row.create_spec = {}
        row.save(
            update_fields=["qbo_item_id", "qbo_item_name", "qbo_item_type", "matched_by", "create_spec", "updated_at"]
        )
        change_record(
            shop=shop, section=SetupStep.PRODUCTS, by=by, before=before, after={row.variant_gid: snapshot_of(row)}
        )
    return row


def products_map_unmatched_to(*, shop: Shop, item_id: str, item_name: str, by: str) -> int:
    """Map every unmatched variant to one item. Returns how many."""
    with transaction.atomic():
        rows = unmatched(shop)
        gids = list(rows.select_for_update().order_by("title").values_list("variant_gid", flat=True))
        if not gids:
            return 0
        count = rows.update(
            qbo_item_id=item_id, qbo_item_name=item_name[:255], matched_by=MatchedBy.FALLBACK, updated_at=timezone.now()
        )
        change_record(
            shop=shop,
            section=SetupStep.PRODUCTS,
            by=by,
            before={"unmatched": count},
            after={
                "unmatched": 0,
                "mapped_to_one_item": {"id": item_id, "name": item_name},
                **variants_listed(gids),
            },
        )
    return count
