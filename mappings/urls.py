from django.urls import path

from mappings.views import inventory, products, setup

app_name = "mappings"

urlpatterns = [
    path("setup", setup.overview, name="setup"),
    path("setup/scan", setup.scan, name="scan"),
    path("setup/what-to-sync", setup.what_to_sync, name="what_to_sync"),
    path("setup/accounts", setup.accounts, name="accounts"),
    path("setup/gateways", setup.gateways, name="gateways"),
    path("setup/taxes", setup.taxes, name="taxes"),
    path("setup/products", products.products_page, name="products"),
    path("setup/products/bulk", products.products_bulk, name="products_bulk"),
    path("setup/products/<int:pk>/map", products.product_map, name="product_map"),
    path("setup/locations", setup.locations, name="locations"),
    path("setup/filters", setup.filters, name="filters"),
    path("setup/history", setup.history, name="history"),
    path("inventory", inventory.inventory_page, name="inventory"),
    path("inventory/check", inventory.inventory_check_now, name="inventory_check"),
    path("inventory/<str:item_id>/adjust", inventory.inventory_adjust, name="inventory_adjust"),
]
