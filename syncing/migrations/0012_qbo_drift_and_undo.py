# Changes people make in QuickBooks (change data capture) and the undo of what ShopQB posted.

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_purge_oauth_states_schedule"),
        ("syncing", "0011_ingest_queued_drain"),
    ]

    operations = [
        migrations.CreateModel(
            name="QboChangeCheck",
            fields=[
                (
                    "shop",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="qbo_change_check",
                        serialize=False,
                        to="accounts.shop",
                    ),
                ),
                (
                    "checked_through",
                    models.DateTimeField(help_text="QuickBooks' own clock when the last check was answered"),
                ),
                ("checked_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "changed",
                    models.PositiveIntegerField(default=0, help_text="documents found changed by a person so far"),
                ),
                (
                    "deleted",
                    models.PositiveIntegerField(default=0, help_text="documents found deleted by a person so far"),
                ),
            ],
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="doc_number_suffix",
            field=models.CharField(
                blank=True, help_text="after the DocNumber when the plain one is taken (a voided copy)", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="qbo_drift",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "as ShopQB wrote it"),
                    ("changed", "changed in QuickBooks"),
                    ("deleted", "deleted in QuickBooks"),
                ],
                default="",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="qbo_drift_resolution",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "waiting for your choice"),
                    ("reposted", "ShopQB's version posted again"),
                    ("accepted", "QuickBooks' version kept"),
                    ("ignored", "ignored"),
                ],
                default="",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="qbo_drift_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="syncedrecord",
            name="qbo_drift_sync_token",
            field=models.CharField(blank=True, help_text="their SyncToken when last seen", max_length=32),
        ),
        migrations.CreateModel(
            name="UndoRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "since",
                    models.DateField(blank=True, help_text="first day removed; empty: from the beginning", null=True),
                ),
                ("until", models.DateField(blank=True, help_text="last day removed; empty: up to today", null=True)),
                (
                    "requested_by",
                    models.CharField(help_text="the Shopify staff user id, or who ran the command", max_length=128),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("running", "Running"), ("done", "Done"), ("stopped", "Stopped")],
                        default="running",
                        max_length=16,
                    ),
                ),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resynced_at",
                    models.DateTimeField(blank=True, help_text="when the merchant asked to sync it again", null=True),
                ),
                (
                    "shop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="undo_runs", to="accounts.shop"
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="UndoEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "position",
                    models.PositiveIntegerField(help_text="removal order: deposits and payments before sales"),
                ),
                ("kind", models.CharField(max_length=32)),
                ("qbo_id", models.CharField(max_length=64)),
                ("sync_token", models.CharField(help_text="ShopQB's SyncToken when confirmed", max_length=32)),
                ("doc_number", models.CharField(blank=True, max_length=21)),
                ("source_name", models.CharField(blank=True, max_length=64)),
                ("txn_date", models.DateField(blank=True, null=True)),
                ("amount", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=18)),
                ("currency", models.CharField(blank=True, max_length=3)),
                ("action", models.CharField(choices=[("void", "Void"), ("delete", "Delete")], max_length=8)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("voided", "Voided"),
                            ("deleted", "Deleted"),
                            ("kept_changed", "kept: changed in QuickBooks by someone else"),
                            ("kept_missing", "already gone from QuickBooks"),
                            ("failed", "QuickBooks refused"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("detail", models.TextField(blank=True)),
                (
                    "started_at",
                    models.DateTimeField(blank=True, help_text="the removal was sent to QuickBooks", null=True),
                ),
                ("done_at", models.DateTimeField(blank=True, null=True)),
                (
                    "record",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="undo_entries",
                        to="syncing.syncedrecord",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="entries", to="syncing.undorun"
                    ),
                ),
            ],
            options={
                "ordering": ["run", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("run", "kind", "qbo_id"), name="undo_entry_once_per_run")
                ],
            },
        ),
    ]
