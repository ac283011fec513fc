"""The checks every entity family shares: references, names, string lengths, dates, currencies.

The base of every entity family: each check raises QBO's fault for the first thing
wrong and normalises what it checked (a reference gets its name, a date its ISO form).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .. import faults
from ..faults import QBOFault
from .core import Books
from .rules import DOC_NUMBER_UNIQUE, MAX_DOC_NUMBER, dec, ref_value


class Checks(Books):
    def _ref(
        self, data: dict[str, Any], field: str, entity: str, *, required: bool = False, where: str | None = None
    ) -> dict[str, Any] | None:
        value = ref_value(data, field)
        label = where or field
        if value is None:
            if required:
                raise faults.required(label)
            data.pop(field, None)
            return None
        target = self.objects[entity].get(value)
        if target is None or target.get("status") == "Deleted":
            raise faults.invalid_reference(label, value, entity)
        if target.get("Active") is False:
            raise faults.not_found(entity, value)
        name = target.get("FullyQualifiedName") or target.get("Name") or target.get("DisplayName")
        data[field] = {"value": value, **({"name": name} if name else {})}
        return target

    def _account_ref(
        self,
        data: dict[str, Any],
        field: str,
        types: tuple[str, ...] | None,
        *,
        required: bool = False,
        where: str | None = None,
    ) -> dict[str, Any] | None:
        account = self._ref(data, field, "Account", required=required, where=where)
        if account is not None and types and account["AccountType"] not in types:
            raise faults.business(
                f"Invalid account type: {where or field} must be one of {', '.join(types)}; "
                f"account {account['Name']!r} is {account['AccountType']}",
                where or field,
            )
        return account

    def _required_name(self, data: dict[str, Any], field: str, maximum: int) -> Any:
        name = data.get(field)
        if not name:
            raise faults.required(field)
        self._check_string(data, field, maximum)
        return name

    def _check_name_unique(
        self, entity: str, field: str, name: str, own_id: str | None, what: str, *, element: str | None = None
    ) -> None:
        """No other live ``entity`` has ``name`` in ``field`` (case-insensitive), as QBO requires."""
        for other in self.live(entity):
            if other["Id"] != own_id and str(other.get(field, "")).lower() == name.lower():
                raise QBOFault(
                    faults.DUPLICATE_NAME,
                    "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {what} is already using this name. "
                    f"Please use a different name. Id={other['Id']}",
                    element=element or field,
                )

    def _check_string(self, data: dict[str, Any], field: str, maximum: int) -> None:
        value = data.get(field)
        if value is not None and len(str(value)) > maximum:
            raise QBOFault(
                faults.INVALID_STRING_LENGTH,
                "String length is either shorter or longer than supported by specification",
                f"String length specified does not match the supported length. Min:0 Max:{maximum} "
                f"supplied:{len(str(value))}",
                element=field,
            )

    def _check_date(self, data: dict[str, Any], field: str) -> None:
        value = data.get(field)
        if value is None:
            return
        try:
            date.fromisoformat(str(value)[:10])
        except ValueError:
            raise QBOFault(
                faults.INVALID_PROPERTY,
                "Request has invalid or unsupported property",
                f"Property Name:{field} has an invalid date {value!r} specified is unsupported or invalid",
                element=field,
            ) from None
        data[field] = str(value)[:10]

    def _currency(self, data: dict[str, Any]) -> None:
        home = self.preset.currency
        currency = ref_value(data, "CurrencyRef") or home
        if currency != home and not self.multicurrency:
            raise faults.business(
                f"Multicurrency is not enabled for this company; CurrencyRef {currency} "
                f"differs from the home currency {home}.",
                "CurrencyRef",
            )
        data["CurrencyRef"] = {"value": currency}
        if currency == home:
            data.pop("ExchangeRate", None)
            if self.multicurrency:
                data["ExchangeRate"] = Decimal(1)
            return
        rate = data.get("ExchangeRate")
        if rate in (None, "", 0, 1) or dec(rate, "ExchangeRate") <= 0:
            known = self.preset.exchange_rates.get(currency)
            if known is None:
                raise faults.business(f"No exchange rate for {currency}: supply ExchangeRate.", "ExchangeRate")
            rate = known
        data["ExchangeRate"] = dec(rate, "ExchangeRate")

    def _customer_for(self, data: dict[str, Any], *, required: bool) -> dict[str, Any] | None:
        customer = self._ref(data, "CustomerRef", "Customer", required=required)
        if customer is not None:
            customer_currency = ref_value(customer, "CurrencyRef") or self.preset.currency
            if customer_currency != data["CurrencyRef"]["value"]:
                raise faults.business(
                    f"The currency of the transaction ({data['CurrencyRef']['value']}) must match the "
                    f"customer's currency ({customer_currency}).",
                    "CurrencyRef",
                )
        return customer

    def _check_transaction(
        self, entity: str, data: dict[str, Any], existing: dict[str, Any] | None, *, allow_duplicate_doc: bool
    ) -> None:
        """What every transaction is checked for: lengths, dates, department, class, currency, DocNumber."""
        self._check_string(data, "DocNumber", MAX_DOC_NUMBER)
        self._check_string(data, "PrivateNote", 4000)
        data.setdefault("TxnDate", self.today())
        for field in ("TxnDate", "DueDate", "ShipDate"):
            self._check_date(data, field)
        self._ref(data, "DepartmentRef", "Department")
        self._ref(data, "ClassRef", "Class")
        self._currency(data)
        # QBO refuses a duplicate number only where the company enters its own (custom transaction numbers).
        if entity not in DOC_NUMBER_UNIQUE or not data.get("DocNumber") or allow_duplicate_doc:
            return
        if self.prefs["SalesFormsPrefs"].get("CustomTxnNumbers") not in (True, "true"):
            return
        for other in self.live(entity):
            if other["Id"] != (existing or {}).get("Id") and other.get("DocNumber") == data["DocNumber"]:
                raise QBOFault(
                    faults.DUPLICATE_DOC_NUMBER,
                    "Duplicate Document Number Error",
                    f"Duplicate Document Number Error : You must specify a different number. This number "
                    f"has already been used. DocNumber={data['DocNumber']} is assigned to "
                    f"TxnType={entity} with TxnId={other['Id']}",
                    element="DocNumber",
                )
