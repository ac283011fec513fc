# The per-shop "drain queued" marker (syncing.pending): one drain task per burst of new orders.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("syncing", "0010_payments_and_edits"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueuedDrain",
            fields=[
                (
                    "shop",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="queued_drain",
                        serialize=False,
                        to="accounts.shop",
                    ),
                ),
                ("token", models.CharField(help_text="the drain task that owns the marker", max_length=32)),
                (
                    "queued_at",
                    models.DateTimeField(default=django.utils.timezone.now, help_text="queued, or started by its task"),
                ),
            ],
        ),
    ]
