"""Which properties a QBO query may name in its ``where`` clause, per entity.

Intuit's API reference marks each attribute "filterable" or not; a condition on any
other property is refused with 4001 "Invalid query", Detail "QueryValidationError:
property 'X' is not queryable" (QBO's answer quoted in ruckus/quickbooks-ruby#403 and
#258). The emulator is strict only where a source says so: an entity has a complete
list here only where one is published, and otherwise only the properties QBO was seen
refusing are refused. The sources, and what stays allowed unconfirmed, are in the
sandbox README ("Fidelity").
"""

from __future__ import annotations

# Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
ALWAYS = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")


def _with_always(*names: str) -> frozenset[str]:
    return frozenset(name.lower() for name in (*ALWAYS, *names))


# Complete lists: a condition on anything else is refused.
FILTERABLE: dict[str, frozenset[str]] = {
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
    # (as transcribed in intuit/quickbooks-online-mcp-server, src/tools/search-accounts.tool.ts).
    # FullyQualifiedName and CurrentBalanceWithSubAccounts are marked @filterable in Nytely-Official's
    # quickbooks-api (src/types/classes/account); AccountSubType and FullyQualifiedName are filtered on
    # by python-quickbooks' own integration tests, which pass against Intuit's sandbox company
    # (test_billpayment.py, test_item.py, test_transfer.py).
    "Account": _with_always(
        "Name",
        "SubAccount",
        "ParentRef",
        "Description",
        "Active",
        "Classification",
        "AccountType",
        "AccountSubType",
        "FullyQualifiedName",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
    ),
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item
    # (intuit/quickbooks-online-mcp-server, src/tools/search-items.tool.ts; CData's QuickBooks Online
    # Items table agrees: FullyQualifiedName, Description, ParentRef, UnitPrice are not filterable)
    "Item": _with_always("Name", "Active", "Type", "Sku"),
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
    # (Nytely-Official/quickbooks-api src/types/enums/filters.ts, plus PrimaryPhone from the MCP server)
    "Customer": _with_always(
        "DisplayName",
        "GivenName",
        "MiddleName",
        "FamilyName",
        "CompanyName",
        "FullyQualifiedName",
        "PrintOnCheckName",
        "PrimaryEmailAddr",
        "PrimaryPhone",
        "Balance",
        "Active",
    ),
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
    # (intuit/quickbooks-online-mcp-server, src/tools/search-invoices.tool.ts, "derived from Quickbooks
    # Invoice entity docs"; ProjectRef and SalesTermRef from Nytely-Official/quickbooks-api)
    "Invoice": _with_always(
        "DocNumber",
        "TxnDate",
        "DueDate",
        "CustomerRef",
        "ClassRef",
        "DepartmentRef",
        "ProjectRef",
        "SalesTermRef",
        "Balance",
        "TotalAmt",
    ),
}

# Entities without a complete list: the properties QBO was seen refusing.
NOT_QUERYABLE: dict[str, frozenset[str]] = {
    # Reference: https://github.com/ruckus/quickbooks-ruby/issues/258 (QBO's answer to UnappliedAmt != '0.0')
    "Payment": frozenset({"unappliedamt"}),
    # Reference: https://github.com/ruckus/quickbooks-ruby/issues/403 (QBO's answer to a Vendor PrimaryEmailAddr filter)
    "Vendor": frozenset({"primaryemailaddr"}),
}


def queryable(entity: str, path: str) -> bool:
    """Whether ``where <path> ...`` is allowed on ``entity`` (names compare case-insensitively, as QBO's do).

    Line details are never filterable: a query finds documents by their header only.
    """
    # Reference: https://github.com/laf-rge/quickbooks-mcp/issues/8 ("Line sub-fields are never filterable")
    name = path.lower()
    if name.split(".")[0] == "line":
        return False
    listed = FILTERABLE.get(entity)
    if listed is not None:
        return name in listed
    return name not in NOT_QUERYABLE.get(entity, frozenset())
