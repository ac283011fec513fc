"""The snapshot the ledger books with: the merchant's mapping as plain references (syncing/ledger.py
imports no app). For a preview before go-live, objects still to be created appear by name with an
empty id, and are never sent to QuickBooks.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import QuickBooksConnection, Shop
from mappings import roles, taxes
from mappings.models import AccountRole, AccountRoleMapping, DimensionMapping, GatewayMapping, ProductMapping
from mappings.services import settings_for
from syncing import ledger


class MappingIncomplete(Exception):
    pass


def _planned(row: AccountRoleMapping | GatewayMapping) -> ledger.Ref | None:
    """For a preview: the object as it will be once go-live creates it (no QuickBooks id yet)."""
    if row.qbo_id:
        return ledger.Ref(row.qbo_id, row.qbo_name)
    if row.create_spec:
        name = row.create_spec.get("Name") or row.create_spec.get("DisplayName") or ""
        return ledger.Ref("", f"{name} (created at go-live)")
    return None


def _product_refs(shop: Shop, *, planned: bool) -> tuple[dict[str, ledger.Ref], dict[str, ledger.Ref]]:
    """The item each variant books to, by variant gid and by SKU (the first variant with a SKU
    wins). ``planned``: a variant whose item go-live will create books to it by name, so the
    preview shows the line where it will land rather than on the item for unmapped products."""
    mapped = Q(qbo_item_id__gt="")
    if planned:
        mapped |= Q(qbo_item_id="", matched_by=ProductMapping.MatchedBy.CREATED)
    by_variant: dict[str, ledger.Ref] = {}
    by_sku: dict[str, ledger.Ref] = {}
    for variant_gid, sku, item_id, item_name, spec in (
        ProductMapping.objects.filter(mapped, shop=shop)
        .order_by("title", "pk")
        .values_list("variant_gid", "sku", "qbo_item_id", "qbo_item_name", "create_spec")
    ):
        if item_id:
            ref = ledger.Ref(item_id, item_name)
        elif isinstance(spec, dict) and spec.get("Name"):
            ref = ledger.Ref("", f"{spec['Name']} (created at go-live)")
        else:
            continue
        by_variant[variant_gid] = ref
        if sku:
            by_sku.setdefault(sku, ref)
    return by_variant, by_sku


# Accounts the ledger books to directly, not through an item (journal entries, payout lines).
MONEY_ACCOUNTS = (
    AccountRole.GIFT_CARD_LIABILITY,
    AccountRole.STORE_CREDIT_LIABILITY,
    AccountRole.DUTIES,
    AccountRole.CHARGEBACKS,
    AccountRole.PAYOUT_RESERVE,
    AccountRole.CAPITAL_LOAN,
)


def mapping_snapshot(*, shop: Shop, connection: QuickBooksConnection, planned: bool = False) -> ledger.Mapping:
    """The mapping the ledger books with. ``planned``: for a preview before go-live, objects still
    to be created appear by name with an empty id (never sent to QuickBooks)."""
    refs: dict[str, ledger.Ref] = {}
    for m in AccountRoleMapping.objects.filter(shop=shop):
        ref = _planned(m) if planned else (ledger.Ref(m.qbo_id, m.qbo_name) if m.qbo_id else None)
        if ref is not None:
            refs[m.role] = ref
    if planned:
        for item_spec in roles.ITEM_ROLES:
            refs.setdefault(item_spec.role, ledger.Ref("", f"{item_spec.name} (created at go-live)"))
    # The item for tax a channel remits came later: a shop live before it books every order but
    # those carrying such tax, which are refused until it is mapped (Accounts).
    optional = {AccountRole.CHANNEL_TAX_ITEM, AccountRole.DUTIES_ITEM}
    needed = [
        *(role for role in roles.ITEM_ROLE_SPECS if role not in optional),
        AccountRole.CUSTOMER_DEFAULT,
        AccountRole.CLEARING_OTHER,
    ]
    missing = [role for role in needed if role not in refs]
    if missing:
        raise MappingIncomplete(f"no QuickBooks object mapped for: {', '.join(missing)}")
    rules = settings_for(shop=shop)
    clearing: dict[str, ledger.Ref] = {}
    for g in GatewayMapping.objects.filter(shop=shop):
        ref = _planned(g) if planned else (ledger.Ref(g.qbo_id, g.qbo_name) if g.qbo_id else None)
        if ref is not None:
            clearing[g.gateway.lower()] = ref
    by_variant, by_sku = _product_refs(shop, planned=planned)
    dimensions = {
        f"{d.kind}:{d.shopify_id}": (
            ledger.Ref(d.class_id, d.class_name) if d.class_id else None,
            ledger.Ref(d.department_id, d.department_name) if d.department_id else None,
        )
        for d in DimensionMapping.objects.filter(shop=shop)
        if d.class_id or d.department_id
    }
    tax_codes, untaxed_code = taxes.tax_snapshot(shop=shop, planned=planned)
    return ledger.Mapping(
        tax_codes=tax_codes,
        untaxed_code=untaxed_code,
        dimensions=dimensions,
        sales_item=refs[AccountRole.SALES_ITEM],
        shipping_item=refs[AccountRole.SHIPPING_ITEM],
        discount_item=refs[AccountRole.DISCOUNT_ITEM],
        tip_item=refs[AccountRole.TIP_ITEM],
        gift_card_item=refs[AccountRole.GIFT_CARD_ITEM],
        rounding_item=refs[AccountRole.ROUNDING_ITEM],
        customer=refs[AccountRole.CUSTOMER_DEFAULT],
        clearing_accounts=clearing,
        default_clearing=refs[AccountRole.CLEARING_OTHER],
        timezone=shop.iana_timezone or "UTC",
        country=connection.country or "US",
        home_currency=connection.home_currency,
        multicurrency=connection.multicurrency,
        doc_number_prefix=rules.doc_number_prefix,
        # US companies' pseudo codes unless the merchant chose others (Taxes step).
        taxable_code=refs[AccountRole.TAX_CODE_DEFAULT].value if AccountRole.TAX_CODE_DEFAULT in refs else "TAX",
        exempt_code=refs[AccountRole.TAX_CODE_EXEMPT].value if AccountRole.TAX_CODE_EXEMPT in refs else "NON",
        items_by_sku=by_sku,
        items_by_variant=by_variant,
        inventory_items=frozenset(
            ProductMapping.objects.filter(shop=shop, qbo_item_type="Inventory")
            .exclude(qbo_item_id="")
            .values_list("qbo_item_id", flat=True)
        ),
        bank_account=refs.get(AccountRole.BANK_ACCOUNT),
        fees_account=refs.get(AccountRole.PAYOUT_FEES),
        channel_tax_item=refs.get(AccountRole.CHANNEL_TAX_ITEM),
        duties_item=refs.get(AccountRole.DUTIES_ITEM),
        accounts={role: refs[role] for role in MONEY_ACCOUNTS if role in refs},
        version=rules.mapping_version,
    )
