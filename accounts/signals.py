"""What accounts tells the layers above it, without importing them."""

from django.dispatch import Signal

# A shop's QuickBooks connection works again (connected, reconnected, or a shared company
# confirmed). Sent after the connection row is saved, inside no transaction. Argument: shop.
quickbooks_connected = Signal()
