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
from .rules import DOC_NUMBER_UNIQUE, MAX_DOC_NUMBER, ZERO, dec, ref_value


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
        """CurrencyRef and ExchangeRate of a transaction: foreign currency only with multicurrency on;
        the rate, when omitted, is the company's rate for the transaction date."""
        home = self.preset.currency
        currency = ref_value(data, "CurrencyRef") or home
        if currency != home and not self.multicurrency:
            raise faults.business(
                f"Multicurrency is not enabled for this company; CurrencyRef {currency} "
                f"differs from the home currency {home}. Turn on multicurrency in the company's settings "
                "(Account and Settings > Advanced > Currency) to record transactions in other currencies.",
                "CurrencyRef",
            )
        data["CurrencyRef"] = {"value": currency}
        if currency == home:
            data.pop("ExchangeRate", None)
            if self.multicurrency:
                data["ExchangeRate"] = Decimal(1)
            return
        rate = data.get("ExchangeRate")
        # python-quickbooks sends ExchangeRate 1 when it was never set: that means "not given".
        if rate in (None, "", 0, 1) or dec(rate, "ExchangeRate") <= 0:
            rate = self.exchange_rate(currency, str(data.get("TxnDate") or self.today()))
            if rate is None:
                raise faults.business(f"No exchange rate for {currency}: supply ExchangeRate.", "ExchangeRate")
        data["ExchangeRate"] = dec(rate, "ExchangeRate")

    def exchange_rate(self, currency: str, on: str) -> Decimal | None:
        """Home units per ``currency`` unit on date ``on``: the latest rate set on or before it, else the
        preset's market rate (the sandbox's stand-in for the rates QBO downloads daily)."""
        if currency == self.preset.currency:
            return Decimal(1)
        set_rates = self.rate_table.get(currency, {})
        earlier = [day for day in set_rates if day <= on]
        if earlier:
            return set_rates[max(earlier)]
        known = self.preset.exchange_rates.get(currency)
        return Decimal(known) if known is not None else None

    def _check_account_currency(self, account: dict[str, Any], data: dict[str, Any], where: str) -> None:
        """An account a transaction posts money to is in the home currency or the transaction's."""
        home = self.preset.currency
        currency = data["CurrencyRef"]["value"]
        account_currency = ref_value(account, "CurrencyRef") or home
        if account_currency not in (home, currency):
            raise faults.business(
                f"The currency of the account must be either in home currency or the transaction currency: "
                f"{where} {account['Name']!r} is in {account_currency}, the transaction in {currency}.",
                where,
            )

    def _customer_for(self, data: dict[str, Any], *, required: bool) -> dict[str, Any] | None:
        return self._name_for(data, "Customer", required=required)

    def _name_for(self, data: dict[str, Any], entity: str, *, required: bool) -> dict[str, Any] | None:
        """The transaction's customer or vendor (``entity``), which must be in the transaction's currency."""
        name = self._ref(data, f"{entity}Ref", entity, required=required)
        if name is not None:
            name_currency = ref_value(name, "CurrencyRef") or self.preset.currency
            if name_currency != data["CurrencyRef"]["value"]:
                raise faults.business(
                    f"The currency of the transaction ({data['CurrencyRef']['value']}) must match the "
                    f"{entity.lower()}'s currency ({name_currency}).",
                    "CurrencyRef",
                )
        return name

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

    def ar_account(self, currency: str) -> dict[str, Any] | None:
        """The company's A/R account in ``currency``."""
        for account in self.live("Account"):
            if account.get("AccountType") == "Accounts Receivable" and (
                (ref_value(account, "CurrencyRef") or self.preset.currency) == currency
            ):
                return account
        return None

    def _ensure_ar_account(self, currency: str) -> None:
        """QBO adds an A/R account in a foreign currency with the first sale in it."""
        if self.ar_account(currency) is not None:
            return
        home_ar = self.ar_account(self.preset.currency)
        name = f"{(home_ar or {}).get('Name', 'Accounts Receivable (A/R)')} - {currency}"
        self.counters["Account"] += 1
        stamp = self.timestamp()
        account = {
            "Id": str(self.counters["Account"]),
            "Name": name,
            "FullyQualifiedName": name,
            "SubAccount": False,
            "Active": True,
            "Classification": "Asset",
            "AccountType": "Accounts Receivable",
            "AccountSubType": "AccountsReceivable",
            "CurrentBalance": ZERO,
            "CurrentBalanceWithSubAccounts": ZERO,
            "CurrencyRef": {"value": currency},
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        self._store("Account", account)
