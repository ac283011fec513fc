from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations: alerts, readiness, metrics"

    def ready(self) -> None:
        from operations.counting import quickbooks_request_seen
        from shopqb_app.integrations.quickbooks import client

        # Count every request the QuickBooks client sends, in every process (web and workers).
        if quickbooks_request_seen not in client.request_observers:
            client.request_observers.append(quickbooks_request_seen)

        # One request budget per QuickBooks company and Shopify shop, shared by every process.
        from operations.budget_store import budget_configure

        budget_configure()
