"""What a new company starts with (from its country's preset), and its company info and preferences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..presets import PAYMENT_METHODS
from .core import Books
from .rules import CLASSIFICATION, ZERO, ref_to

SEEDED = "2026-01-01T00:00:00-08:00"  # every preset object's CreateTime and LastUpdatedTime


def _seeded(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as stored: version 0, created when the company was."""
    return {**obj, "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": _meta()}


def _meta() -> dict[str, str]:
    return {"CreateTime": SEEDED, "LastUpdatedTime": SEEDED}


class Seed(Books):
    def _seed(self) -> None:
        self._seed_accounts()
        self._seed_taxes()
        for name, kind in PAYMENT_METHODS:
            self._put_seeded("PaymentMethod", {"Name": name, "Active": True, "Type": kind})
        self._seed_items()
        self._seed_customers()

    def _put_seeded(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.counters[entity] += 1
        obj = _seeded({"Id": str(self.counters[entity]), **obj})
        self.objects[entity][obj["Id"]] = obj
        return obj

    def _seed_accounts(self) -> None:
        for name, acct_type, sub in self.preset.accounts:
            self._put_seeded(
                "Account",
                {
                    "Name": name,
                    "FullyQualifiedName": name,
                    "SubAccount": False,
                    "Active": True,
                    "Classification": CLASSIFICATION[acct_type],
                    "AccountType": acct_type,
                    "AccountSubType": sub,
                    "CurrentBalance": ZERO,
                    "CurrentBalanceWithSubAccounts": ZERO,
                    "CurrencyRef": {"value": self.preset.currency},
                },
            )

    def _seed_taxes(self) -> None:
        p = self.preset
        agencies = {
            name: self._put_seeded("TaxAgency", {"DisplayName": name, "TaxTrackedOnSales": True})["Id"]
            for name in p.agencies
        }
        rates = {}
        for name, value, agency in p.rates:
            rates[name] = self._put_seeded(
                "TaxRate",
                {
                    "Name": name,
                    "Description": name,
                    "Active": True,
                    "RateValue": Decimal(value),
                    "AgencyRef": {"value": agencies[agency]},
                    "SpecialTaxType": "ZERO_RATE" if Decimal(value) == 0 else "NONE",
                    "DisplayType": "ReadOnly",
                },
            )["Id"]
        for name, description, rate_names in p.tax_codes:
            code: dict[str, Any] = {
                "Name": name,
                "Description": description,
                "Active": True,
                "Hidden": False,
                "Taxable": bool(rate_names) or name == "TAX",
                "TaxGroup": len(rate_names) > 1,
                "SalesTaxRateList": {
                    "TaxRateDetail": [
                        {
                            "TaxRateRef": {"value": rates[r], "name": r},
                            "TaxTypeApplicable": "TaxOnAmount",
                            "TaxOrder": 0,
                        }
                        for r in rate_names
                    ]
                },
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            }
            if self.us and name in ("TAX", "NON"):
                # US line codes are pseudo codes with those literal Ids.
                self.objects["TaxCode"][name] = _seeded({**code, "Id": name})
            else:
                self._put_seeded("TaxCode", code)

    def _seed_items(self) -> None:
        for item in self.preset.items:
            income = self.account_by_name(str(item["IncomeAccount"]))
            obj: dict[str, Any] = {
                "Name": item["Name"],
                "FullyQualifiedName": item["Name"],
                "Active": True,
                "Type": item["Type"],
                "UnitPrice": Decimal(str(item["UnitPrice"])),
                "Taxable": self.us,
                "IncomeAccountRef": ref_to(income),
                "TrackQtyOnHand": False,
            }
            if item.get("Sku"):
                obj["Sku"] = item["Sku"]
            if item["Type"] == "Inventory":
                obj.update(
                    {
                        "TrackQtyOnHand": True,
                        "QtyOnHand": Decimal(str(item["QtyOnHand"])),
                        "InvStartDate": "2026-01-01",
                        "PurchaseCost": Decimal(str(item["PurchaseCost"])),
                        "ExpenseAccountRef": ref_to(self.account_by_name("Cost of Goods Sold")),
                        "AssetAccountRef": ref_to(self.account_by_name("Inventory Asset")),
                    }
                )
            self._put_seeded("Item", obj)

    def _seed_customers(self) -> None:
        for display, email in (("Walk-in Customer", None), ("Amy's Bird Sanctuary", "birds@example.com")):
            customer: dict[str, Any] = {
                "DisplayName": display,
                "FullyQualifiedName": display,
                "Active": True,
                "Taxable": self.us,
                "Balance": ZERO,
                "BalanceWithJobs": ZERO,
                "CurrencyRef": {"value": self.preset.currency},
                "Job": False,
                "BillWithParent": False,
            }
            if email:
                customer["PrimaryEmailAddr"] = {"Address": email}
            self._put_seeded("Customer", customer)

    def company_info(self) -> dict[str, Any]:
        p = self.preset
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "CompanyName": p.company_name,
            "LegalName": f"{p.company_name} Ltd",
            "Country": p.country,
            "CompanyAddr": dict(p.address),
            "LegalAddr": dict(p.address),
            "CompanyStartDate": "2026-01-01",
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "DefaultTimeZone": p.timezone,
            "Email": {"Address": "owner@example.com"},
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            ],
            "MetaData": _meta(),
        }

    def preferences(self) -> dict[str, Any]:
        p = self.preset
        tax: dict[str, Any] = {"UsingSalesTax": True}
        if self.us:
            tax["PartnerTaxEnabled"] = True
        return {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "AccountingInfoPrefs": {
                "TrackDepartments": True,
                "ClassTrackingPerTxnLine": True,
                "CustomerTerminology": "Customers",
            },
            "ProductAndServicesPrefs": {"ForSales": True, "QuantityOnHand": True},
            "SalesFormsPrefs": {"CustomTxnNumbers": True, "AllowDiscount": True, "AllowShipping": False},
            "TaxPrefs": tax,
            "CurrencyPrefs": {"MultiCurrencyEnabled": self.multicurrency, "HomeCurrency": {"value": p.currency}},
            "MetaData": _meta(),
        }
