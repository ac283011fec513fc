"""The records of the checks for changes people made in QuickBooks, and of every undo: who asked,
when, for which dates, and what happened to each document (syncing/cdc.py, syncing/undo.py).

Imported by syncing/models.py, so that Django knows these models as the syncing app's own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.utils import timezone

from accounts.models import Shop


class QboChangeCheck(models.Model):
    """How far QuickBooks' change data capture has been read for the shop's company: the next
    check asks for what changed since (a little before) ``checked_through``."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, primary_key=True, related_name="qbo_change_check")
    checked_through = models.DateTimeField(help_text="QuickBooks' own clock when the last check was answered")
    checked_at = models.DateTimeField(default=timezone.now)
    changed = models.PositiveIntegerField(default=0, help_text="documents found changed by a person so far")
    deleted = models.PositiveIntegerField(default=0, help_text="documents found deleted by a person so far")

    def __str__(self) -> str:
        return f"QuickBooks changes of {self.shop_id} read through {self.checked_through:%Y-%m-%d %H:%M:%S}"


class UndoRun(models.Model):
    """One "Remove what ShopQB posted": the range asked for, the documents found then, and how it
    went. The entries are written when the merchant confirms; the removal continues from them
    after any interruption."""

    class Status(models.TextChoices):
        RUNNING = "running"  # confirmed; entries still pending (or a worker is on them)
        DONE = "done"  # every entry has its outcome
        STOPPED = "stopped"  # QuickBooks could not be reached or refused access: continue later

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="undo_runs")
    since = models.DateField(null=True, blank=True, help_text="first day removed; empty: from the beginning")
    until = models.DateField(null=True, blank=True, help_text="last day removed; empty: up to today")
    requested_by = models.CharField(max_length=128, help_text="the Shopify staff user id, or who ran the command")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    resynced_at = models.DateTimeField(null=True, blank=True, help_text="when the merchant asked to sync it again")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"undo of {self.range_text} for {self.shop_id} ({self.status})"

    @property
    def range_text(self) -> str:
        return range_text(self.since, self.until)


def range_text(since: date | None, until: date | None) -> str:
    if since is None and until is None:
        return "everything"
    start = f"{since:%d %b %Y}" if since else "the beginning"
    end = f"{until:%d %b %Y}" if until else "today"
    return f"{start} to {end}"


class UndoEntry(models.Model):
    """One document an undo removes, as it was found when the merchant confirmed, and its end."""

    class Action(models.TextChoices):
        VOID = "void"
        DELETE = "delete"

    class Outcome(models.TextChoices):
        PENDING = "pending"
        VOIDED = "voided"
        DELETED = "deleted"
        KEPT_CHANGED = "kept_changed", "kept: changed in QuickBooks by someone else"
        KEPT_MISSING = "kept_missing", "already gone from QuickBooks"
        FAILED = "failed", "QuickBooks refused"

    run = models.ForeignKey(UndoRun, on_delete=models.CASCADE, related_name="entries")
    record = models.ForeignKey(
        "syncing.SyncedRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="undo_entries"
    )
    position = models.PositiveIntegerField(help_text="removal order: deposits and payments before sales")
    kind = models.CharField(max_length=32)
    qbo_id = models.CharField(max_length=64)
    sync_token = models.CharField(max_length=32, help_text="ShopQB's SyncToken when confirmed")
    doc_number = models.CharField(max_length=21, blank=True)
    source_name = models.CharField(max_length=64, blank=True)
    txn_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    currency = models.CharField(max_length=3, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    detail = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="the removal was sent to QuickBooks")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "qbo_id"], name="undo_entry_once_per_run")]

    def __str__(self) -> str:
        return f"{self.kind} {self.doc_number or self.qbo_id}: {self.outcome}"
