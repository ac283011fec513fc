# A QuickBooks customer per Shopify customer (CustomerLink) and the customer each order is booked
# to (OrderCustomer): syncing/customers.py.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("syncing", "0012_qbo_drift_and_undo"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("customer_gid", models.CharField(help_text="Shopify customer GID", max_length=128)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("writing", "Writing"),
                            ("linked", "Linked"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                (
                    "origin",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("created", "created by ShopQB"),
                            ("email", "matched by email"),
                            ("gid", "matched by the Shopify customer id"),
                            ("name", "matched by name"),
                        ],
                        max_length=16,
                    ),
                ),
                ("qbo_id", models.CharField(blank=True, max_length=64)),
                (
                    "display_name",
                    models.CharField(blank=True, help_text="the QuickBooks customer's DisplayName", max_length=500),
                ),
                ("name", models.CharField(blank=True, max_length=255)),
                ("email", models.CharField(blank=True, max_length=255)),
                ("phone", models.CharField(blank=True, max_length=64)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "shop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="customer_links", to="accounts.shop"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("shop", "customer_gid"), name="one_customer_link")],
            },
        ),
        migrations.CreateModel(
            name="OrderCustomer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order_gid", models.CharField(max_length=128)),
                ("qbo_id", models.CharField(max_length=64)),
                ("qbo_name", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "shop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="order_customers", to="accounts.shop"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("shop", "order_gid"), name="one_customer_per_order")],
            },
        ),
    ]
