"""The TaxService (a new tax code, with new or existing tax rates) and the company's exchange rates.

TaxService: ``POST /taxservice/taxcode`` with ``{"TaxCode", "TaxRateDetails": [{"TaxRateId"} |
{"TaxRateName", "RateValue", "TaxAgencyId", "TaxApplicableOn"}]}`` creates the TaxCode (and each
new TaxRate) and answers the same shape with ``TaxCodeId`` and every ``TaxRateId``, unwrapped, as
Intuit documents it (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxservice)
and python-quickbooks' ``TaxService.save`` reads it.

Exchange rates: home-currency units per unit of the source currency, per day. QBO downloads a
market rate every day; the sandbox's market is the preset's table, and a rate set through the API
(``POST /exchangerate``) or the sandbox control holds from its AsOfDate until a later one is set.
Only companies with multicurrency on have exchange rates
(https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/exchangerate).

US sales tax (``_us_sales_tax``), automated (AST, ``Preferences.TaxPrefs.PartnerTaxEnabled``) or the
classic setup of older companies; what each does and the sources are in the README's fidelity table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import faults
from ..faults import QBOFault
from ..query import Query
from .checks import Checks
from .rules import ZERO, clean, dec, money, ref_value

TAX_SERVICE_FIELDS = {"TaxCode", "TaxCodeId", "TaxRateDetails", "Id"}
TAX_RATE_DETAIL_FIELDS = {"TaxRateName", "TaxRateId", "RateValue", "TaxAgencyId", "TaxApplicableOn"}
EXCHANGE_RATE_FIELDS = {
    "SourceCurrencyCode",
    "TargetCurrencyCode",
    "Rate",
    "AsOfDate",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "CustomField",
}


US_PSEUDO_CODES = ("TAX", "NON", "CustomSalesTax")
# A ship-to state written out in full, as some apps send CountrySubDivisionCode, by its code.
US_STATES_BY_NAME = {"california": "CA", "new york": "NY", "texas": "TX", "washington": "WA", "nevada": "NV"}


def _unknown_field(name: str, where: str) -> QBOFault:
    return QBOFault(
        faults.INVALID_PROPERTY,
        "Request has invalid or unsupported property",
        f"Property Name:{name} specified is unsupported or invalid ({where})",
        element=name,
    )


class TaxService(Checks):
    # ---- TaxService ------------------------------------------------------------------------------

    def create_tax_code(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A new TaxCode from existing and new TaxRates; answers the TaxService document with the new Ids.

        US companies use automated sales tax: Intuit keeps this create working there "for backward
        compatibility", but the AST engine assigns its own code to every transaction
        (https://developer.intuit.com/hub/blog/2017/12/11/using-quickbooks-online-api-automated-sales-tax),
        so in the emulator as on QBO a US code created here only matters as an explicit TxnTaxCodeRef.
        """
        for key in payload:
            if key not in TAX_SERVICE_FIELDS:
                raise _unknown_field(key, "TaxService")
        data = clean(payload)
        name = data.get("TaxCode")
        if not name:
            raise faults.required("TaxCode")
        self._check_string(data, "TaxCode", 100)
        details = data.get("TaxRateDetails")
        if not isinstance(details, list) or not details:
            raise faults.required("TaxRateDetails")
        with self.lock:
            self._check_name_unique("TaxCode", "Name", str(name), None, "tax code", element="TaxCode")
            planned = [self._plan_rate(detail, index) for index, detail in enumerate(details, start=1)]
            new_names = [p["TaxRateName"] for p in planned if "TaxRateId" not in p]
            if len({n.lower() for n in new_names}) != len(new_names):
                raise faults.business("Two new tax rates have the same TaxRateName.", "TaxRateDetails")
            answered = []
            sales: list[dict[str, Any]] = []
            purchase: list[dict[str, Any]] = []
            for plan in planned:
                rate = self._tax_rate_for(plan)
                applies = plan["TaxApplicableOn"]
                entry = {
                    "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
                (sales if applies == "Sales" else purchase).append(entry)
                answered.append(
                    {
                        "TaxRateName": rate["Name"],
                        "TaxRateId": rate["Id"],
                        "RateValue": rate["RateValue"],
                        "TaxAgencyId": rate["AgencyRef"]["value"],
                        "TaxApplicableOn": applies,
                    }
                )
            code = self._new_named(
                "TaxCode",
                {
                    "Name": str(name),
                    "Description": str(name),
                    "Active": True,
                    "Hidden": False,
                    "Taxable": True,
                    "TaxGroup": len(planned) > 1,
                    "SalesTaxRateList": {"TaxRateDetail": sales},
                    "PurchaseTaxRateList": {"TaxRateDetail": purchase},
                },
            )
            return {"TaxCode": code["Name"], "TaxCodeId": code["Id"], "TaxRateDetails": answered}

    def _plan_rate(self, detail: Any, index: int) -> dict[str, Any]:
        """One TaxRateDetails entry, checked: an existing rate by TaxRateId, or a new one's name, value and agency."""
        where = f"TaxRateDetails[{index}]"
        if not isinstance(detail, dict):
            raise faults.required(where)
        for key in detail:
            if key not in TAX_RATE_DETAIL_FIELDS:
                raise _unknown_field(key, where)
        applies = detail.get("TaxApplicableOn") or "Sales"
        if applies not in ("Sales", "Purchase"):
            raise QBOFault(
                faults.INVALID_ENUM,
                "Invalid Enumeration",
                f"Invalid Enumeration : TaxApplicableOn {applies} is not Sales or Purchase",
                element=f"{where}.TaxApplicableOn",
            )
        rate_id = detail.get("TaxRateId")
        if rate_id not in (None, "", 0, "0"):
            rate = self.objects["TaxRate"].get(str(rate_id))
            if rate is None:
                raise faults.invalid_reference(f"{where}.TaxRateId", rate_id, "TaxRate")
            return {"TaxRateId": rate["Id"], "TaxApplicableOn": applies}
        rate_name = detail.get("TaxRateName")
        if not rate_name:
            raise faults.required(f"{where}.TaxRateName")
        if "RateValue" not in detail or detail["RateValue"] in (None, ""):
            raise faults.required(f"{where}.RateValue")
        value = dec(detail["RateValue"], f"{where}.RateValue")
        if value < 0 or value > 100:
            raise faults.business(f"{where}: RateValue must be between 0 and 100.", f"{where}.RateValue")
        agency_id = detail.get("TaxAgencyId")
        if agency_id in (None, ""):
            raise faults.required(f"{where}.TaxAgencyId")
        if str(agency_id) not in self.objects["TaxAgency"]:
            raise faults.invalid_reference(f"{where}.TaxAgencyId", agency_id, "TaxAgency")
        self._check_name_unique("TaxRate", "Name", str(rate_name), None, "tax rate", element=f"{where}.TaxRateName")
        return {
            "TaxRateName": str(rate_name),
            "RateValue": value,
            "TaxAgencyId": str(agency_id),
            "TaxApplicableOn": applies,
        }

    def _tax_rate_for(self, plan: dict[str, Any]) -> dict[str, Any]:
        if "TaxRateId" in plan:
            return self.objects["TaxRate"][plan["TaxRateId"]]
        return self._new_named(
            "TaxRate",
            {
                "Name": plan["TaxRateName"],
                "Description": plan["TaxRateName"],
                "Active": True,
                "RateValue": plan["RateValue"],
                "AgencyRef": {"value": plan["TaxAgencyId"]},
                "SpecialTaxType": "ZERO_RATE" if plan["RateValue"] == 0 else "NONE",
                "DisplayType": "ReadOnly",
            },
        )

    def _new_named(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.counters[entity] += 1
        stamp = self.timestamp()
        stored = {
            "Id": str(self.counters[entity]),
            **obj,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        self._store(entity, stored)
        return stored

    # ---- US sales tax -----------------------------------------------------------------------------

    @property
    def automated_sales_tax(self) -> bool:
        """A US company on automated sales tax (every company created since 2017-11-10)."""
        return self.us and bool((self.prefs.get("TaxPrefs") or {}).get("PartnerTaxEnabled"))

    def _us_sales_tax(self, data: dict[str, Any], tax_detail: dict[str, Any], taxable: Decimal) -> Decimal:
        """The document's TxnTaxDetail and tax, as a US company computes it; returns TotalTax.

        Automated sales tax: the code comes from the jurisdiction (ShipAddr, else the company's address)
        and any TxnTaxCodeRef alone is replaced by it. An override is TxnTaxCodeRef + TotalTax: the
        amount is prorated across the rates of that code. A TotalTax without a code is honoured too,
        prorated across the jurisdiction's code; where the company collects no tax (no agency in that
        state) it is not applied. Classic sales tax (automated off): the tax is the rates of
        TxnTaxCodeRef (else the company's default code) on the taxable lines, whatever TotalTax says.
        """
        # Reference: https://developer.intuit.com/hub/blog/2017/12/11/using-quickbooks-online-api-automated-sales-tax
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales
        named = self._named_us_code(tax_detail)
        given = money(dec(tax_detail["TotalTax"], "TxnTaxDetail.TotalTax")) if "TotalTax" in tax_detail else None
        if not self.automated_sales_tax:
            code = named or self._us_code_named(self.preset.default_tax_code)
            return self._us_tax_detail(data, code, taxable, None)
        assigned = self._jurisdiction_code(data)
        if given is not None and named is not None:
            return self._us_tax_detail(data, named, taxable, given)
        return self._us_tax_detail(data, assigned, taxable, given if assigned is not None else None)

    def _us_line_code(self, item: dict[str, Any]) -> str:
        """A line without TaxCodeRef: under automated sales tax taxable when its item is (since the
        2018 change), on the classic setup not taxed (NON), as before it."""
        return "TAX" if self.automated_sales_tax and item.get("Taxable") else "NON"

    def _named_us_code(self, tax_detail: dict[str, Any]) -> dict[str, Any] | None:
        code_id = ref_value(tax_detail, "TxnTaxCodeRef")
        if code_id is None:
            return None
        code = self.objects["TaxCode"].get(code_id)
        # TAX and NON (and CustomSalesTax) are pseudo codes; a transaction's code is a code of rates.
        if code is None or code_id in US_PSEUDO_CODES or code.get("status") == "Deleted":
            raise faults.invalid_reference("TxnTaxDetail.TxnTaxCodeRef", code_id, "TaxCode")
        if code.get("Active") is False:
            raise faults.not_found("TaxCode", code_id)
        return code

    def _us_code_named(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.live("TaxCode") if c["Name"] == name), None)

    def _jurisdiction_code(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The code automated sales tax assigns: by the state of ShipAddr, or of the company's
        address when the document has none; None where the company has no agency (no tax)."""
        address = data.get("ShipAddr") if isinstance(data.get("ShipAddr"), dict) else None
        if address and str(address.get("Country") or "US").strip().upper() not in ("US", "USA", "UNITED STATES"):
            return None  # shipped abroad: no US sales tax
        state = str((address or {}).get("CountrySubDivisionCode") or "").strip()
        if not state:
            state = self.preset.address.get("CountrySubDivisionCode", "")
        state = US_STATES_BY_NAME.get(state.lower(), state.upper())
        name = self.preset.jurisdictions.get(state)
        return self._us_code_named(name) if name else None

    def _us_tax_detail(
        self, data: dict[str, Any], code: dict[str, Any] | None, taxable: Decimal, override: Decimal | None
    ) -> Decimal:
        """One tax line per rate of ``code`` on the taxable amount, rounded per rate; with an
        override, the amount prorated across the rates by their value (any cent of rounding to the
        largest rate), each line's OverrideDeltaAmount its part less the computed one."""
        rates = [
            (d["TaxRateRef"]["value"], self.objects["TaxRate"][d["TaxRateRef"]["value"]]["RateValue"])
            for d in ((code or {}).get("SalesTaxRateList") or {}).get("TaxRateDetail", [])
        ]
        computed = [money(taxable * rate / 100) for _, rate in rates]
        parts = computed
        if override is not None:
            whole = sum((rate for _, rate in rates), ZERO)
            if not whole and override:
                raise faults.business(
                    f"TxnTaxDetail.TotalTax {override}: the tax code {(code or {}).get('Name', '')} has no sales "
                    "tax rate to carry it.",
                    "TxnTaxDetail.TotalTax",
                )
            if whole:
                parts = [money(override * rate / whole) for _, rate in rates]
                biggest = max(range(len(rates)), key=lambda i: rates[i][1])
                parts[biggest] += override - sum(parts, ZERO)
        lines = []
        for (rate_id, rate), part, own in zip(rates, parts, computed, strict=True):
            detail: dict[str, Any] = {
                "TaxRateRef": {"value": rate_id},
                "PercentBased": True,
                "TaxPercent": rate,
                "NetAmountTaxable": money(taxable),
            }
            if override is not None:
                detail["OverrideDeltaAmount"] = part - own
            lines.append({"Amount": part, "DetailType": "TaxLineDetail", "TaxLineDetail": detail})
        total = money(sum(parts, ZERO))
        tax: dict[str, Any] = {"TotalTax": total, "TaxLine": lines}
        if code is not None:
            tax = {"TxnTaxCodeRef": {"value": code["Id"], "name": code["Name"]}, **tax}
        data["TxnTaxDetail"] = tax
        return total

    # ---- exchange rates --------------------------------------------------------------------------

    def _require_multicurrency(self) -> None:
        if not self.multicurrency:
            raise faults.business(
                "Multicurrency is not enabled for this company: it has no exchange rates.", "ExchangeRate"
            )

    def exchange_rate_object(self, currency: str | None, on: str | None) -> dict[str, Any]:
        """``GET /exchangerate?sourcecurrencycode=EUR&asofdate=YYYY-MM-DD`` (the date defaults to today)."""
        self._require_multicurrency()
        if not currency:
            raise faults.required("sourcecurrencycode")
        day = self._day(on or self.today(), "asofdate")
        code = currency.upper()
        rate = self.exchange_rate(code, day) if code != self.preset.currency else None
        if rate is None:
            raise QBOFault(
                faults.INVALID_PROPERTY,
                "Request has invalid or unsupported property",
                f"No exchange rate from {code} to the home currency {self.preset.currency}.",
                element="sourcecurrencycode",
            )
        return self._rate_document(code, day, rate)

    def exchange_rates_listing(self, query: Query) -> list[dict[str, Any]]:
        """What ``select * from ExchangeRate [where AsOfDate = 'YYYY-MM-DD' ...]`` runs over: one rate
        per currency the company knows, on the date asked for (today by default)."""
        self._require_multicurrency()
        day = self.today()
        for condition in query.conditions:
            if condition.path.lower() == "asofdate" and condition.op == "=":
                day = self._day(str(condition.values[0]), "AsOfDate")
        currencies = sorted((set(self.preset.exchange_rates) | set(self.rate_table)) - {self.preset.currency})
        out = []
        for code in currencies:
            rate = self.exchange_rate(code, day)
            if rate is not None:
                out.append(self._rate_document(code, day, rate))
        return out

    def set_exchange_rate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``POST /exchangerate``: the rate for SourceCurrencyCode from AsOfDate (today by default) on."""
        self._require_multicurrency()
        for key in payload:
            if key not in EXCHANGE_RATE_FIELDS:
                raise _unknown_field(key, "ExchangeRate")
        data = clean(payload)
        code = str(data.get("SourceCurrencyCode") or "").upper()
        if not code:
            raise faults.required("SourceCurrencyCode")
        target = str(data.get("TargetCurrencyCode") or self.preset.currency).upper()
        if target != self.preset.currency or code == self.preset.currency:
            raise faults.business(
                f"Exchange rates are set from a foreign currency to the home currency {self.preset.currency}.",
                "TargetCurrencyCode",
            )
        if "Rate" not in data:
            raise faults.required("Rate")
        rate = dec(data["Rate"], "Rate")
        if rate <= 0:
            raise faults.business("Rate must be more than 0.", "Rate")
        day = self._day(str(data.get("AsOfDate") or self.today()), "AsOfDate")
        with self.lock:
            self.put_exchange_rate(code, day, rate)
            return self._rate_document(code, day, rate)

    def put_exchange_rate(self, currency: str, day: str, rate: Decimal) -> None:
        self.rate_table.setdefault(currency, {})[day] = rate
        self.record({"op": "rate", "c": currency, "d": day, "r": str(rate)})

    def _rate_document(self, currency: str, day: str, rate: Decimal) -> dict[str, Any]:
        return {
            "SourceCurrencyCode": currency,
            "TargetCurrencyCode": self.preset.currency,
            "Rate": rate,
            "AsOfDate": day,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"LastUpdatedTime": self.timestamp()},
        }

    def _day(self, value: str, field: str) -> str:
        holder = {field: value}
        self._check_date(holder, field)
        return str(holder[field])
