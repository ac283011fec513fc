"""Run queued django-q tasks in the test's own process and transaction, as a worker would."""

from __future__ import annotations

# What account and compliance flows queue; the sync's own tasks run where a test asks for them.
ACCOUNT_TASKS = ("accounts.tasks.", "syncing.tasks.app_uninstalled", "syncing.tasks.shop_redact")


def run_queued(prefix: str | tuple[str, ...] = ACCOUNT_TASKS) -> list:
    """Run (and dequeue) the queued tasks whose function starts with ``prefix``, as a worker would.

    The ORM broker's rows are read in place (the others stay queued, untouched). Another
    broker (Redis) is read through django-q2's broker API: every task is taken off the
    queue and those not run here are put back, in their order.
    """
    from django.utils.module_loading import import_string
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    results = []
    if Conf.ORM:
        for queued in OrmQ.objects.order_by("pk"):
            task = queued.task
            if str(task["func"]).startswith(prefix):
                queued.delete()
                results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
        return results
    broker = get_broker()
    taken = []
    while batch := broker.dequeue():
        taken.extend(payload for _ack_id, payload in batch)
    kept = []
    for payload in taken:
        task = SignedPackage.loads(payload)
        if str(task["func"]).startswith(prefix):
            results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
        else:
            kept.append(payload)
    for payload in kept:
        broker.enqueue(payload)
    return results
