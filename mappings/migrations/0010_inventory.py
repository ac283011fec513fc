import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_shop_email"),
        ("mappings", "0009_summary_from"),
    ]

    operations = [
        migrations.AddField(
            model_name="productmapping",
            name="qbo_item_type",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.CreateModel(
            name="InventoryCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                ("items_checked", models.PositiveIntegerField(default=0)),
                ("differences", models.JSONField(blank=True, default=list)),
                ("adjusted", models.JSONField(blank=True, default=list)),
                ("error", models.TextField(blank=True)),
                (
                    "shop",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="inventory_check",
                        to="accounts.shop",
                    ),
                ),
            ],
        ),
    ]
