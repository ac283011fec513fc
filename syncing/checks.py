"""Startup checks for the sync's timing settings (``manage.py check``)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def claim_lease_fits_the_task_queue(app_configs: Any, **kwargs: Any) -> list[Error]:  # noqa: ARG001
    """A killed worker's claim must expire after the task is surely dead and before the
    broker reruns it; otherwise the rerun sees the order busy and a crash strands it."""
    lease = settings.SYNC_CLAIM_LEASE_SECONDS
    timeout, retry = settings.Q_CLUSTER["timeout"], settings.Q_CLUSTER["retry"]
    if not timeout < lease < retry:
        return [
            Error(
                f"SYNC_CLAIM_LEASE_SECONDS ({lease}) must lie between Q_TIMEOUT ({timeout}) and Q_RETRY ({retry}).",
                hint="Leave SYNC_CLAIM_LEASE_SECONDS unset (Q_TIMEOUT + 30) and set Q_RETRY above it.",
                id="syncing.E001",
            )
        ]
    return []
