from django.apps import AppConfig


class SyncingConfig(AppConfig):
    name = "syncing"

    def ready(self) -> None:
        from syncing import checks  # noqa: F401 - registers the timing checks
