"""Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), deploy, run this
command, then drop the old keys. Each row is re-encrypted under a row lock so a
concurrent token refresh is never overwritten with a stale token.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.crypto import EncryptedTextField
from accounts.models import ComplianceRequest, QuickBooksConnection, Shop


class Command(BaseCommand):
    help = "Re-encrypt all stored tokens and exports with the current primary key."

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        total = 0
        for model in (Shop, QuickBooksConnection, ComplianceRequest):
            fields = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
            count = 0
            for pk in model.objects.values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    try:
                        row = model.objects.select_for_update().filter(pk=pk).first()
                    except ValueError as exc:
                        raise CommandError(
                            f"{model.__name__} {pk}: {exc}; add the key it was written with to FIELD_ENCRYPTION_KEYS"
                        ) from None
                    if row is None:
                        continue
                    # Loading decrypts with any configured key; saving encrypts with the first.
                    model.objects.filter(pk=pk).update(**{name: getattr(row, name) for name in fields})
                count += 1
            self.stdout.write(f"{model.__name__}: re-encrypted {count} row(s)")
            total += count
        self.stdout.write(self.style.SUCCESS(f"done: {total} row(s)"))
