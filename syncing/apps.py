from django.apps import AppConfig


class SyncingConfig(AppConfig):
    name = "syncing"

    def ready(self) -> None:
        from accounts.signals import quickbooks_connected
        from syncing import checks  # noqa: F401 - registers the timing checks
        from syncing.receivers import on_quickbooks_connected

        quickbooks_connected.connect(on_quickbooks_connected, dispatch_uid="syncing.on_quickbooks_connected")
