"""The Products step's forms: choosing one QuickBooks item, and what "create the missing items"
creates. Choices come from the connected company (mappings/catalog.py); errors say what to do."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from mappings.catalog import Catalog, QBOObject
from mappings.product_items import InventoryChoice

ASSET_TYPES = ("Other Current Asset",)
COGS_TYPES = ("Cost of Goods Sold",)


class ItemChoiceForm(forms.Form):
    """One item, chosen by id among the items a search listed."""

    item = forms.CharField(
        label="QuickBooks item",
        error_messages={"required": "Choose one of the QuickBooks items listed (search by name or SKU)."},
    )

    def __init__(self, *args: Any, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog

    def clean_item(self) -> QBOObject:
        found = self.catalog.by_id("items", self.cleaned_data["item"])
        if found is None:
            raise forms.ValidationError(
                "That item is no longer active in QuickBooks. Search again and choose another one."
            )
        return found


class CreateMissingForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of items",
        choices=[
            ("NonInventory", "Non-inventory: QuickBooks records the sales, Shopify keeps count of the stock"),
            ("Inventory", "Inventory: QuickBooks also tracks quantity and the cost of goods sold"),
        ],
        initial="NonInventory",
        widget=forms.RadioSelect,
    )
    asset_account = forms.ChoiceField(
        label="Inventory asset account",
        required=False,
        help_text="Where the value of your stock sits (an Other Current Asset account, usually “Inventory Asset”).",
    )
    cogs_account = forms.ChoiceField(
        label="Cost of goods sold account",
        required=False,
        help_text="Where the cost of what you sell goes when it sells.",
    )
    start_date = forms.DateField(
        label="Quantities count from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Each item starts with the quantity Shopify counts now, as of this date.",
    )

    def __init__(self, *args: Any, catalog: Catalog, start_date: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.fields["start_date"].initial = start_date or timezone.localdate()
        # Preselect the accounts QuickBooks creates for inventory, where the company has them.
        for name, types, usual in (
            ("asset_account", ASSET_TYPES, "inventory asset"),
            ("cogs_account", COGS_TYPES, "cost of goods sold"),
        ):
            field = cast(forms.ChoiceField, self.fields[name])
            field.choices = _account_choices(catalog, types)
            field.initial = next((a.id for a in catalog.accounts_of(types) if a.name.casefold() == usual), None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != "Inventory":
            return data
        messages = {
            "asset_account": "Choose the account that holds the value of your stock.",
            "cogs_account": "Choose the account the cost of what you sell goes to.",
            "start_date": "Enter the date the quantities count from, like 2025-01-31.",
        }
        for name, message in messages.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    @property
    def inventory(self) -> InventoryChoice | None:
        data = self.cleaned_data
        if data.get("kind") != "Inventory":
            return None
        asset = self.catalog.account(data["asset_account"])
        cogs = self.catalog.account(data["cogs_account"])
        assert asset is not None and cogs is not None  # the choices are the catalog's
        return InventoryChoice(asset_account=asset, cogs_account=cogs, start_date=data["start_date"])


def _account_choices(catalog: Catalog, types: tuple[str, ...]) -> list[tuple[str, str]]:
    accounts = catalog.accounts_of(types)
    if not accounts:
        return [("", "None in your QuickBooks company: create one there first")]
    return [("", "Choose…"), *((a.id, a.name) for a in accounts)]
