"""What a new company starts with (from its country's preset), and its company info and preferences."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .. import faults
from ..presets import PAYMENT_METHODS
from ..schema import check_fields
from .core import Books
from .people import CURRENCY_NAMES
from .rules import CLASSIFICATION, COMPUTED, ZERO, clean, ref_to, ref_value

SEEDED = "2026-01-01T00:00:00-08:00"  # every preset object's CreateTime and LastUpdatedTime


def _seeded(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as stored: version 0, created when the company was."""
    return {**obj, "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": _meta()}


def _meta() -> dict[str, str]:
    return {"CreateTime": SEEDED, "LastUpdatedTime": SEEDED}


class Seed(Books):
    _seed_currencies: Callable[[], None]

    def _seed(self) -> None:
        self._seed_accounts()
        self._seed_taxes()
        for name, kind in PAYMENT_METHODS:
            self._put_seeded("PaymentMethod", {"Name": name, "Active": True, "Type": kind})
        self._seed_items()
        self._seed_customers()
        self._seed_vendors()
        self._seed_terms()
        self._seed_preferences()
        if self.multicurrency:
            for code in self.preset.exchange_rates:
                if code in CURRENCY_NAMES and code != self.preset.currency:
                    self._put_seeded("CompanyCurrency", {"Code": code, "Name": CURRENCY_NAMES[code], "Active": True})

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
        if self.us:
            # The third US pseudo code, for a tax amount entered by hand (no rates of its own); a
            # document can't name it (quickbooks-ruby's Estimate: "For US country, CustomSalesTax
            # cannot be used as TaxCodeRef"). US sandbox companies list it next to TAX and NON.
            self.objects["TaxCode"]["CustomSalesTax"] = _seeded(
                {
                    "Id": "CustomSalesTax",
                    "Name": "CustomSalesTax",
                    "Description": "CustomSalesTax",
                    "Active": True,
                    "Hidden": False,
                    "Taxable": True,
                    "TaxGroup": False,
                    "SalesTaxRateList": {"TaxRateDetail": []},
                    "PurchaseTaxRateList": {"TaxRateDetail": []},
                }
            )

    def _seed_items(self) -> None:
        for item in self.preset.items:
            income = self.account_by_name(str(item["IncomeAccount"]))
            obj: dict[str, Any] = {
                "Name": item["Name"],
                "FullyQualifiedName": item["Name"],
                "Active": True,
                "Type": item["Type"],
                "UnitPrice": Decimal(str(item["UnitPrice"])),
                # California taxes goods, not services: the generic "Services" item is non-taxable there
                # (as the Services item of Intuit's sample company is).
                "Taxable": self.us and item["Name"] != "Services",
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

    def _seed_vendors(self) -> None:
        """Two suppliers, named after vendors of Intuit's sample company."""
        for display, email in (
            ("Norton Lumber and Building Materials", None),
            ("Books by Bessie", "books@example.com"),
        ):
            vendor: dict[str, Any] = {
                "DisplayName": display,
                "PrintOnCheckName": display,
                "CompanyName": display,
                "Active": True,
                "Vendor1099": False,
                "Balance": ZERO,
                "CurrencyRef": {"value": self.preset.currency},
            }
            if email:
                vendor["PrimaryEmailAddr"] = {"Address": email}
            self._put_seeded("Vendor", vendor)

    def _seed_terms(self) -> None:
        """The payment terms a new QuickBooks Online company lists."""
        for name, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)):
            self._put_seeded("Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})

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

    def _seed_preferences(self) -> None:
        """Every section of the XSD's Preferences, as a new company of the preset has them."""
        p = self.preset
        tax: dict[str, Any] = {"UsingSalesTax": True}
        other_prefs = [{"Name": "SalesFormsPrefs.UseCustomerMessage", "Value": "false"}]
        if self.us:
            # Intuit's sample company lists its default customer message first.
            other_prefs.insert(
                0,
                {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business."},
            )
        if self.us:
            tax["PartnerTaxEnabled"] = self.preset.automated_sales_tax
        self.prefs = {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "AccountingInfoPrefs": {
                "UseAccountNumbers": False,
                "TrackDepartments": True,
                "ClassTrackingPerTxn": False,
                "ClassTrackingPerTxnLine": True,
                "FirstMonthOfFiscalYear": "January",
                "TaxYearMonth": "January",
                "CustomerTerminology": "Customers",
            },
            "AdvancedInventoryPrefs": {"MLIAvailable": False, "MLIEnabled": False, "FIFOEnabled": True},
            "ProductAndServicesPrefs": {
                "ForSales": True,
                "ForPurchase": True,
                "QuantityWithPriceAndRate": True,
                "QuantityOnHand": True,
            },
            # A new company numbers its sales forms itself: custom numbers (and the
            # duplicate-number refusal that comes with them) are off until turned on.
            "SalesFormsPrefs": {
                "CustomTxnNumbers": False,
                "AllowDeposit": False,
                "AllowDiscount": True,
                "AllowEstimates": True,
                "AllowServiceDate": False,
                "AllowShipping": False,
                "AutoApplyCredit": True,
                "ETransactionEnabledStatus": "NotApplicable",
                "ETransactionPaymentEnabled": False,
                "IPNSupportEnabled": False,
                "UsingPriceLevels": False,
                "UsingProgressInvoicing": False,
                "EmailCopyToCompany": False,
            },
            # Reference: the Preferences sample of Intuit's reference (Craig's Design and Landscaping
            # Services): every sales form has its message.
            "EmailMessagesPrefs": {
                "InvoiceMessage": {"Subject": "Invoice from " + p.company_name, "Message": "Your invoice is attached."},
                "EstimateMessage": {
                    "Subject": "Estimate from " + p.company_name,
                    "Message": "Please review the estimate below.",
                },
                "SalesReceiptMessage": {"Subject": "Sales Receipt from " + p.company_name, "Message": "Thank you."},
                "StatementMessage": {"Subject": "Statement from " + p.company_name, "Message": "Your statement."},
            },
            "PrintDocumentPrefs": {"NameValue": [{"Name": "PageOrientation", "Value": "Portrait"}]},
            # The US preset as Intuit's sample company has it (billable expenses tracked by customer).
            "VendorAndPurchasesPrefs": {
                "TrackingByCustomer": self.us,
                "BillableExpenseTracking": self.us,
                "DefaultMarkup": Decimal("0"),
            },
            "TimeTrackingPrefs": {
                "UseServices": True,
                "BillCustomers": True,
                "ShowBillRateToAll": False,
                "WorkWeekStartDate": "Monday",
                "MarkTimeEntriesBillable": True,
            },
            "TaxPrefs": tax,
            "FinanceChargesPrefs": {"GracePeriod": 30, "CalcFinChrgFromTxnDate": False},
            "CurrencyPrefs": {"MultiCurrencyEnabled": self.multicurrency, "HomeCurrency": {"value": p.currency}},
            "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
            "OtherPrefs": {"NameValue": other_prefs},
            "MetaData": _meta(),
        }

    def preferences(self) -> dict[str, Any]:
        prefs = copy.deepcopy(self.prefs)
        prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] = self.multicurrency
        return prefs

    def update_preferences(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Applies a Preferences write as QBO does any entity's: current SyncToken, XSD fields, then merged."""
        check_fields("Preferences", payload)
        with self.lock:
            token = payload.get("SyncToken")
            if token in (None, ""):
                raise faults.required("SyncToken")
            if str(token) != self.prefs["SyncToken"]:
                raise faults.stale("Preferences", "1", self.prefs["SyncToken"], token)
            incoming = {k: v for k, v in clean(payload).items() if k not in COMPUTED}
            currency = incoming.get("CurrencyPrefs", {})
            home = ref_value(currency, "HomeCurrency")
            if home is not None and home != self.preset.currency:
                raise faults.business("The home currency can't be changed.", "CurrencyPrefs.HomeCurrency")
            if currency.get("MultiCurrencyEnabled") in (False, "false") and self.multicurrency:
                raise faults.business("Multicurrency can't be turned off once it is on.", "CurrencyPrefs")
            prefs = copy.deepcopy(self.prefs)
            for section, values in incoming.items():
                prefs[section] = {**prefs.get(section, {}), **values}
            if currency.get("MultiCurrencyEnabled") in (True, "true"):
                self.multicurrency = True
                self._seed_currencies()
            prefs["SyncToken"] = str(int(self.prefs["SyncToken"]) + 1)
            prefs["MetaData"] = {**self.prefs["MetaData"], "LastUpdatedTime": self.timestamp()}
            self.prefs = prefs
            self.record({"op": "preferences", "o": prefs, "multicurrency": self.multicurrency})
            return self.preferences()
