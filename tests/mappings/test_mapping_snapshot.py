"""The snapshot the ledger books with: every role it needs mapped, or refused naming what is missing.

A sync run that started with roles unmapped would have nowhere to book a line, so the
snapshot refuses up front and says which roles the merchant still has to map.
"""

import pytest

from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, ProductMapping, SyncSettings
from mappings.snapshot import MappingIncomplete, mapping_snapshot
from syncing.ledger import Ref
from tests.accounts.factories import make_connection

pytestmark = pytest.mark.django_db

# What every sales document may need: an item per kind of line, a customer, and somewhere
# for money from a gateway nobody mapped yet.
NEEDED = [
    AccountRole.SALES_ITEM,
    AccountRole.SHIPPING_ITEM,
    AccountRole.DISCOUNT_ITEM,
    AccountRole.TIP_ITEM,
    AccountRole.GIFT_CARD_ITEM,
    AccountRole.ROUNDING_ITEM,
    AccountRole.CUSTOMER_DEFAULT,
    AccountRole.CLEARING_OTHER,
]


def map_roles(shop, roles):
    for n, role in enumerate(roles, start=1):
        AccountRoleMapping.objects.create(shop=shop, role=role, qbo_id=str(n), qbo_name=f"QBO {role.label}")


def missing_roles(refused: MappingIncomplete) -> set[str]:
    prefix = "no QuickBooks object mapped for: "
    message = str(refused)
    assert message.startswith(prefix), message
    return set(message.removeprefix(prefix).split(", "))


def test_a_shop_with_nothing_mapped_is_told_every_role_it_needs(shop_a):
    with pytest.raises(MappingIncomplete) as refused:
        mapping_snapshot(shop=shop_a, connection=make_connection(shop_a))
    assert missing_roles(refused.value) == {role.value for role in NEEDED}


def test_one_unmapped_role_is_named_and_the_payout_accounts_are_not_asked_for(shop_a):
    # No bank or fees account either: only a payout needs them, and the ledger refuses that payout alone.
    map_roles(shop_a, [role for role in NEEDED if role != AccountRole.ROUNDING_ITEM])
    with pytest.raises(MappingIncomplete) as refused:
        mapping_snapshot(shop=shop_a, connection=make_connection(shop_a))
    assert missing_roles(refused.value) == {"rounding_item"}


def test_an_object_still_to_be_created_at_go_live_is_not_mapped_yet(shop_a):
    map_roles(shop_a, [role for role in NEEDED if role != AccountRole.TIP_ITEM])
    AccountRoleMapping.objects.create(
        shop=shop_a, role=AccountRole.TIP_ITEM, create_spec={"Name": "Shopify Tip", "Type": "Service"}
    )
    with pytest.raises(MappingIncomplete) as refused:
        mapping_snapshot(shop=shop_a, connection=make_connection(shop_a))
    assert missing_roles(refused.value) == {"tip_item"}


def test_another_shops_complete_mapping_does_not_complete_this_one(shop_a, shop_b):
    map_roles(shop_b, NEEDED)
    mapping_snapshot(shop=shop_b, connection=make_connection(shop_b))
    with pytest.raises(MappingIncomplete) as refused:
        mapping_snapshot(shop=shop_a, connection=make_connection(shop_a))
    assert missing_roles(refused.value) == {role.value for role in NEEDED}


def test_a_complete_mapping_gives_the_ledger_each_roles_object_and_the_books_settings(shop_a):
    map_roles(shop_a, NEEDED)
    GatewayMapping.objects.create(shop=shop_a, gateway="PayPal", qbo_id="70", qbo_name="PayPal Clearing")
    shop_a.iana_timezone = "Europe/London"
    shop_a.save()
    SyncSettings.objects.create(shop=shop_a, doc_number_prefix="WEB")
    ref = {m.role: Ref(m.qbo_id, m.qbo_name) for m in AccountRoleMapping.objects.filter(shop=shop_a)}

    snapshot = mapping_snapshot(shop=shop_a, connection=make_connection(shop_a, country="GB"))

    assert snapshot.sales_item == ref[AccountRole.SALES_ITEM] == Ref("1", "QBO Item for unmapped products")
    assert snapshot.rounding_item == ref[AccountRole.ROUNDING_ITEM]
    assert snapshot.customer == ref[AccountRole.CUSTOMER_DEFAULT]
    assert snapshot.default_clearing == ref[AccountRole.CLEARING_OTHER]
    assert snapshot.clearing_accounts["paypal"] == Ref("70", "PayPal Clearing")
    assert snapshot.bank_account is None and snapshot.fees_account is None
    assert (snapshot.timezone, snapshot.country, snapshot.doc_number_prefix) == ("Europe/London", "GB", "WEB")


def variant(shop, n: int, title: str, sku: str = "", **fields) -> ProductMapping:
    return ProductMapping.objects.create(
        shop=shop, variant_gid=f"gid://shopify/ProductVariant/{n}", title=title, sku=sku, **fields
    )


def test_the_preview_books_a_product_to_the_item_go_live_will_create_for_it(shop_a, shop_b):
    map_roles(shop_a, NEEDED)
    mug = variant(shop_a, 1, "Mug", "MUG-1", qbo_item_id="40", qbo_item_name="Mugs", matched_by="sku")
    tote = variant(
        shop_a,
        2,
        "Canvas Tote",
        "TOTE-1",
        matched_by=ProductMapping.MatchedBy.CREATED,
        create_spec={"Name": "Canvas Tote", "Type": "NonInventory", "Sku": "TOTE-1"},
    )
    poster = variant(shop_a, 3, "Poster", "POSTER-1")
    # Another shop's item to create is not this shop's.
    variant(shop_b, 4, "Canvas Tote", "TOTE-1", matched_by="created", create_spec={"Name": "B's Tote"})

    connection = make_connection(shop_a)

    preview = mapping_snapshot(shop=shop_a, connection=connection, planned=True)

    planned_tote = Ref("", "Canvas Tote (created at go-live)")
    assert preview.items_by_variant == {mug.variant_gid: Ref("40", "Mugs"), tote.variant_gid: planned_tote}
    assert preview.items_by_sku == {"MUG-1": Ref("40", "Mugs"), "TOTE-1": planned_tote}
    assert preview.item_for(tote.variant_gid, "TOTE-1") == planned_tote
    assert preview.item_for(poster.variant_gid, "POSTER-1") == preview.sales_item

    # What the sync books with never names an item that does not exist in QuickBooks yet.
    books = mapping_snapshot(shop=shop_a, connection=connection)
    assert books.items_by_variant == {mug.variant_gid: Ref("40", "Mugs")}
    assert books.items_by_sku == {"MUG-1": Ref("40", "Mugs")}
    assert books.item_for(tote.variant_gid, "TOTE-1") == books.sales_item
