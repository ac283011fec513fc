"""Shops that synced before setup existed keep syncing: they are live, and the three clearing
roles they had become per-gateway mappings (the 'other gateways' role stays a role)."""

from django.db import migrations
from django.utils import timezone

OLD_GATEWAY_ROLES = {
    "clearing_shopify_payments": "shopify_payments",
    "clearing_paypal": "paypal",
    "clearing_gift_card": "gift_card",
}


def forwards(apps, schema_editor):
    AccountRoleMapping = apps.get_model("mappings", "AccountRoleMapping")
    GatewayMapping = apps.get_model("mappings", "GatewayMapping")
    SyncSettings = apps.get_model("mappings", "SyncSettings")
    shop_ids = set(AccountRoleMapping.objects.values_list("shop_id", flat=True))
    for row in AccountRoleMapping.objects.filter(role__in=OLD_GATEWAY_ROLES):
        GatewayMapping.objects.get_or_create(
            shop_id=row.shop_id,
            gateway=OLD_GATEWAY_ROLES[row.role],
            defaults={"qbo_id": row.qbo_id, "qbo_name": row.qbo_name, "created_by_app": row.created_by_app},
        )
    AccountRoleMapping.objects.filter(role__in=OLD_GATEWAY_ROLES).delete()
    now = timezone.now()
    for shop_id in shop_ids:
        rules, _ = SyncSettings.objects.get_or_create(shop_id=shop_id)
        if rules.live_at is None:
            rules.live_at = now
            rules.save(update_fields=["live_at"])


class Migration(migrations.Migration):
    dependencies = [("mappings", "0003_setup_and_mappings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
