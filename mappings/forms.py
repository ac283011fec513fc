"""The setup's forms. Choices come from the connected company (mappings/catalog.py), so a value
that is not one of them (another company's id, a tampered form) is a form error, never saved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone

from mappings import roles, taxes
from mappings.catalog import Catalog, QBOObject
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    SyncSettings,
    TaxMapping,
)
from shopqb_app.text import counted

CREATE = "create"
WRONG = "That is not one of your QuickBooks accounts of a type this can use."
DOC_PREFIX_RE = re.compile(r"^[A-Za-z0-9-]{0,8}\Z")


def _ref_choices(objects: list[QBOObject], create: dict[str, Any] | None) -> list[tuple[str, str]]:
    choices = [("", "Choose…")]
    if create:
        name = create.get("Name") or create.get("DisplayName")
        kind = f" ({create['AccountType']})" if create.get("AccountType") else ""
        choices.append((CREATE, f"Create “{name}”{kind} for me"))
    choices += [(o.id, o.label) for o in objects]
    return choices


def _initial(row: AccountRoleMapping | GatewayMapping | None) -> str:
    if row is None:
        return ""
    if row.qbo_id:
        return row.qbo_id
    return CREATE if row.create_spec else ""


def _chosen(value: str, objects: list[QBOObject], create: dict[str, Any]) -> dict[str, Any]:
    if value == CREATE:
        return {"qbo_id": "", "qbo_name": "", "create_spec": create}
    found = next((o for o in objects if o.id == value), None)
    if found is None:
        raise forms.ValidationError(WRONG)
    return {"qbo_id": found.id, "qbo_name": found.name, "create_spec": {}}


if TYPE_CHECKING:
    # django-stubs makes ModelForm generic over its model; Django's own class is not
    # subscriptable at run time.
    _SyncSettingsForm = forms.ModelForm[SyncSettings]
else:
    _SyncSettingsForm = forms.ModelForm


class WhatToSyncForm(_SyncSettingsForm):
    class Meta:
        model = SyncSettings
        fields = [
            "sync_orders",
            "sync_refunds",
            "sync_payouts",
            "customer_mode",
            "sync_inventory",
            "start_date",
            "posting_mode",
            "summary_from",
            "doc_number_prefix",
            "rewrite_edited_sales",
        ]
        labels = {
            "sync_orders": "Orders (paid: sales receipt; unpaid: invoice, then a payment for each payment taken)",
            "sync_refunds": "Refunds (refund receipts)",
            "sync_payouts": "Shopify Payments payouts and their fees (deposits to your bank account)",
            "customer_mode": "Customers",
            "sync_inventory": "Inventory quantities",
            "start_date": "Start syncing from",
            "posting_mode": "Posting",
            "summary_from": "Summaries from",
            "doc_number_prefix": "Document number prefix",
            "rewrite_edited_sales": "Rewrite a sale when its order is edited later",
        }
        help_texts = {
            "customer_mode": "Each customer: a Shopify customer's orders are booked to their own QuickBooks "
            "customer, found by email (or created with their name, email, phone and addresses); guest checkouts "
            "and walk-ins still use the customer chosen under Accounts. An order keeps the customer it was first "
            "booked to.",
            "start_date": "Orders processed before this date are not written to QuickBooks. The history "
            "import starts here, not at the beginning of your store.",
            "summary_from": "With summary posting: orders sold on or after this day are summarised per Shopify "
            "Payments payout (per day for other gateways), with a CSV of the orders attached to each summary. Orders "
            "sold before it, or already in QuickBooks, keep their own documents, and so do their later refunds. "
            "Empty: from today.",
            "doc_number_prefix": "Put before each Shopify order number (S1001). Up to 8 letters, digits or dashes.",
            "rewrite_edited_sales": "Off (recommended): an edit is booked as its own document on the day it was "
            "made (an invoice for items added, a credit memo for items removed), so a month you have closed or "
            "filed never changes. On: the sale itself is rewritten, but never one dated on or before the closing "
            "date set in QuickBooks.",
        }
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "summary_from": forms.DateInput(attrs={"type": "date"}),
            "customer_mode": forms.RadioSelect,
            "posting_mode": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].required = True

    def clean_start_date(self) -> date:
        value: date = self.cleaned_data["start_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("The start date cannot be in the future.")
        return value

    def clean_doc_number_prefix(self) -> str:
        value: str = self.cleaned_data.get("doc_number_prefix") or ""
        if not DOC_PREFIX_RE.match(value):
            raise forms.ValidationError("Use up to 8 letters, digits or dashes (no spaces).")
        return value

    def clean_posting_mode(self) -> str:
        value: str = self.cleaned_data["posting_mode"]
        return value

    def clean_summary_from(self) -> date | None:
        """Summary posting applies to orders sold from this day: today when not given. Orders
        already in QuickBooks keep their documents whatever the day (syncing/summary.py)."""
        value: date | None = self.cleaned_data.get("summary_from")
        if self.cleaned_data.get("posting_mode") != SyncSettings.PostingMode.SUMMARY:
            return self.instance.summary_from if self.instance.pk else None
        return value or self.instance.summary_from or timezone.localdate()

    def clean_sync_inventory(self) -> bool:
        if self.cleaned_data.get("sync_inventory"):
            raise forms.ValidationError("Inventory quantities cannot be synced yet; leave this off.")
        return False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in ("sync_orders", "sync_refunds", "sync_payouts")):
            raise forms.ValidationError("Choose at least one thing to sync.")
        return data


class AccountsForm(forms.Form):
    """One choice per account role, and the customer for Shopify orders."""

    def __init__(
        self,
        *args: Any,
        catalog: Catalog,
        mapped: dict[str, AccountRoleMapping],
        currency: str = "",
        **kwargs: Any,
    ) -> None:
        """``currency``: the shop's, when the company keeps its books in another one: what holds
        the shop's money (clearing, bank, the customer) is created in it."""
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.currency = currency
        self.specs = roles.ACCOUNT_ROLES
        for spec in self.specs:
            create = self._create(spec) if spec.may_create else None
            self.fields[spec.role] = forms.ChoiceField(
                label=spec.role.label,
                help_text=spec.help + " Allowed types: " + ", ".join(spec.account_types) + ".",
                choices=_ref_choices(catalog.accounts_of(spec.account_types), create),
                initial=_initial(mapped.get(spec.role)),
                error_messages={"required": "Choose an account, or let ShopQB create one.", "invalid_choice": WRONG},
            )
        customer_create = roles.customer_create(currency)
        self.fields[AccountRole.CUSTOMER_DEFAULT] = forms.ChoiceField(
            label="QuickBooks customer for Shopify orders",
            help_text="Every Shopify order is booked to this customer.",
            choices=_ref_choices(list(catalog.customers), customer_create),
            initial=_initial(mapped.get(AccountRole.CUSTOMER_DEFAULT)),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.choices: dict[str, dict[str, Any]] = {}
        for spec in self.specs:
            value = data.get(spec.role)
            if not value:
                continue
            try:
                self.choices[spec.role] = _chosen(
                    value, self.catalog.accounts_of(spec.account_types), self._create(spec)
                )
            except forms.ValidationError as exc:
                self.add_error(spec.role, exc)
        value = data.get(AccountRole.CUSTOMER_DEFAULT)
        if value:
            try:
                self.choices[AccountRole.CUSTOMER_DEFAULT] = _chosen(
                    value, list(self.catalog.customers), roles.customer_create(self.currency)
                )
            except forms.ValidationError as exc:
                self.add_error(AccountRole.CUSTOMER_DEFAULT, exc)
        return data

    def _create(self, spec: roles.AccountRoleSpec) -> dict[str, Any]:
        return (spec.default.in_currency(self.currency) if spec.in_shop_currency else spec.default).as_create()


class GatewaysForm(forms.Form):
    def __init__(
        self, *args: Any, catalog: Catalog, gateways: list[GatewayMapping], currency: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.gateways = gateways
        self.currency = currency
        accounts = catalog.accounts_of(roles.GATEWAY_ACCOUNT_TYPES)
        for row in gateways:
            create = roles.gateway_default(row.gateway, currency).as_create()
            self.fields[f"gw_{row.pk}"] = forms.ChoiceField(
                label=roles.gateway_label(row.gateway),
                help_text=f"Seen in {counted(row.orders_seen, 'order')}." if row.orders_seen else "",
                choices=_ref_choices(accounts, create),
                initial=_initial(row),
                error_messages={"required": "Choose where this gateway's money goes.", "invalid_choice": WRONG},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.choices: dict[str, dict[str, Any]] = {}
        accounts = self.catalog.accounts_of(roles.GATEWAY_ACCOUNT_TYPES)
        for row in self.gateways:
            value = data.get(f"gw_{row.pk}")
            if not value:
                continue
            try:
                create = roles.gateway_default(row.gateway, self.currency).as_create()
                self.choices[row.gateway] = _chosen(value, accounts, create)
            except forms.ValidationError as exc:
                self.add_error(f"gw_{row.pk}", exc)
        return data


class TaxCodesForm(forms.Form):
    """US companies: Shopify's tax amount is booked as is; lines only say taxable or not."""

    def __init__(self, *args: Any, catalog: Catalog, mapped: dict[str, AccountRoleMapping], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        codes = [("", "Choose…")] + [(c.id, c.name) for c in catalog.tax_codes]
        for role, label, default in (
            (AccountRole.TAX_CODE_DEFAULT, "Tax code for taxed lines", "TAX"),
            (AccountRole.TAX_CODE_EXEMPT, "Tax code for untaxed lines", "NON"),
        ):
            row = mapped.get(role)
            self.fields[role] = forms.ChoiceField(label=label, choices=codes, initial=row.qbo_id if row else default)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.choices: dict[str, dict[str, Any]] = {}
        for role in (AccountRole.TAX_CODE_DEFAULT, AccountRole.TAX_CODE_EXEMPT):
            code = self.catalog.by_id("tax_codes", data.get(role, ""))
            if code is None:
                self.add_error(role, "That is not one of your QuickBooks tax codes.")
            else:
                self.choices[role] = {"qbo_id": code.id, "qbo_name": code.name, "create_spec": {}}
        return data


@dataclass(frozen=True)
class TaxKeyEntry:
    """One row of the Taxes form outside the US: the key's field and what the page says about it."""

    field: forms.BoundField
    row: TaxMapping
    proposed: bool  # ShopQB chose the code shown; the merchant has not saved it yet
    create_name: str  # a code ShopQB can create for it (TaxService), or ""
    create_rates: str
    no_rate_for: list[str]  # Shopify taxes the company has no rate for (nothing can be created)


class TaxKeysForm(forms.Form):
    """Outside the US: one QuickBooks tax code per combination of Shopify tax lines (a key), whose
    sales rates must be exactly the key's, and a code that charges nothing for lines without tax.
    A key may stay without a code (go-live then lists it)."""

    def __init__(self, *args: Any, catalog: Catalog, rows: list[TaxMapping], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.rows = rows
        self.codes = catalog.sales_tax_codes()
        choices = [("", "No code yet")] + [(c.id, taxes.code_label(c)) for c in self.codes]
        for row in rows:
            label = taxes.tax_row_label(row)
            if row.untaxed:
                help_text = (
                    "Tips, gift cards, rounding, and products or shipping without tax (a discount takes the code "
                    "of what it discounts). Choose a zero-rated, exempt or out-of-scope code."
                )
                proposed = next((c for c in self.codes if c.id == row.qbo_tax_code_id), None)
                if proposed is not None and not row.confirmed:
                    kind = taxes.KIND_PHRASES.get(taxes.code_kind(proposed), "a code without tax")
                    help_text += f" ShopQB proposes “{proposed.name}”, {kind}."
            else:
                help_text = f"Lines taxed {row.label}: choose the code of exactly these rates."
            if row.orders_seen:
                help_text += f" Seen in {counted(row.orders_seen, 'order')}."
            self.fields[f"tax_{row.pk}"] = forms.ChoiceField(
                label=label,
                help_text=help_text,
                choices=choices,
                initial=row.qbo_tax_code_id,
                required=False,
                error_messages={"invalid_choice": "That is not one of your QuickBooks sales tax codes."},
            )

    @property
    def entries(self) -> list[TaxKeyEntry]:
        entries = []
        for row in self.rows:
            key = taxes.row_key(row)
            spec, rates, no_rate_for = taxes.creation_plan(key, self.catalog) if key else ({}, [], [])
            has_code = bool(row.qbo_tax_code_id)
            entries.append(
                TaxKeyEntry(
                    field=self[f"tax_{row.pk}"],
                    row=row,
                    proposed=has_code and not row.confirmed,
                    create_name="" if has_code else str(spec.get("TaxCode") or ""),
                    create_rates=" + ".join(f"{Decimal(p).normalize():f}%" for _, p in rates),
                    no_rate_for=[] if has_code else no_rate_for,
                )
            )
        return entries

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.choices: dict[int, QBOObject | None] = {}
        for row in self.rows:
            name = f"tax_{row.pk}"
            value = data.get(name) or ""
            if not value:
                self.choices[row.pk] = None
                continue
            code = next((c for c in self.codes if c.id == value), None)
            if code is None:
                self.add_error(name, "That is not one of your QuickBooks sales tax codes.")
            elif not taxes.code_fits(taxes.row_key(row), code.rates):
                self.add_error(name, taxes.mismatch_message(code, taxes.row_key(row)))
            else:
                self.choices[row.pk] = code
        return data


class DimensionsForm(forms.Form):
    def __init__(self, *args: Any, catalog: Catalog, rows: list[DimensionMapping], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.rows = rows
        classes = [("", "No class")] + [(c.id, c.name) for c in catalog.classes]
        departments = [("", "No location")] + [(d.id, d.name) for d in catalog.departments]
        for row in rows:
            self.fields[f"class_{row.pk}"] = forms.ChoiceField(
                label=f"Class for {row.name}", choices=classes, initial=row.class_id, required=False
            )
            self.fields[f"dept_{row.pk}"] = forms.ChoiceField(
                label=f"QuickBooks location for {row.name}",
                choices=departments,
                initial=row.department_id,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.choices: dict[int, dict[str, str]] = {}
        for row in self.rows:
            klass = self.catalog.by_id("classes", data.get(f"class_{row.pk}") or "")
            dept = self.catalog.by_id("departments", data.get(f"dept_{row.pk}") or "")
            if data.get(f"class_{row.pk}") and klass is None:
                self.add_error(f"class_{row.pk}", "That is not one of your QuickBooks classes.")
            if data.get(f"dept_{row.pk}") and dept is None:
                self.add_error(f"dept_{row.pk}", "That is not one of your QuickBooks locations.")
            self.choices[row.pk] = {
                "class_id": klass.id if klass else "",
                "class_name": klass.name if klass else "",
                "department_id": dept.id if dept else "",
                "department_name": dept.name if dept else "",
            }
        return data


def _tags(value: str) -> list[str]:
    return sorted({t.strip() for t in value.split(",") if t.strip()}, key=str.lower)


class FiltersForm(forms.Form):
    sync_test_orders = forms.BooleanField(label="Also sync test orders", required=False)
    min_total = forms.DecimalField(
        label="Only orders of at least", required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2
    )
    max_total = forms.DecimalField(
        label="Only orders of at most", required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2
    )
    only_location_ids = forms.MultipleChoiceField(
        label="Only these locations",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every location.",
    )
    only_channels = forms.MultipleChoiceField(
        label="Only these sales channels",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every channel.",
    )
    only_tags = forms.CharField(label="Only orders tagged", required=False, help_text="Comma-separated; any of them.")
    exclude_tags = forms.CharField(label="Never orders tagged", required=False, help_text="Comma-separated.")

    def __init__(
        self, *args: Any, locations: list[DimensionMapping], channels: list[DimensionMapping], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["only_location_ids"]).choices = [
            (r.shopify_id, r.name) for r in locations
        ]
        cast(forms.MultipleChoiceField, self.fields["only_channels"]).choices = [
            (r.shopify_id, r.name) for r in channels
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_total"), data.get("max_total")
        if low is not None and high is not None and low > high:
            self.add_error("max_total", "The maximum must be at least the minimum.")
        data["only_tags"] = _tags(data.get("only_tags") or "")
        data["exclude_tags"] = _tags(data.get("exclude_tags") or "")
        both = {t.lower() for t in data["only_tags"]} & {t.lower() for t in data["exclude_tags"]}
        if both:
            self.add_error("exclude_tags", "A tag cannot be both required and excluded: " + ", ".join(sorted(both)))
        return data
