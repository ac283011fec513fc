"""Run queued django-q tasks in the test's own process and transaction, as a worker would."""

from __future__ import annotations

# What account and compliance flows queue; the sync's own tasks run where a test asks for them.
ACCOUNT_TASKS = ("accounts.tasks.", "syncing.tasks.app_uninstalled", "syncing.tasks.shop_redact")


def run_queued(prefix: str | tuple[str, ...] = ACCOUNT_TASKS) -> list:
    """Run (and dequeue) the queued tasks whose function starts with ``prefix``, as a worker would."""
    from django.utils.module_loading import import_string
    from django_q.models import OrmQ

    results = []
    for queued in OrmQ.objects.order_by("pk"):
        task = queued.task
        if str(task["func"]).startswith(prefix):
            queued.delete()
            results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
    return results
