"""Read-only HTML views of the emulated companies, for a person checking what the demo wrote."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from .books import TRANSACTIONS, Company

if TYPE_CHECKING:
    from .emulator import QBOEmulator

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}.void{color:#999}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _ref(obj: dict[str, Any] | None, field: str) -> str:
    ref = (obj or {}).get(field) or {}
    return escape(str(ref.get("name") or ref.get("value") or ""))


def _v(value: Any) -> str:
    return escape("" if value is None else str(value))


def index_page(emulator: QBOEmulator) -> str:
    rows = [
        [
            f"<a href='{escape(emulator.base_url)}/_sandbox/qbo/{r}/'>{r}</a>",
            _v(c.preset.company_name),
            _v(c.preset.country),
            _v(c.preset.currency),
        ]
        for r, c in emulator.companies.items()
    ]
    return _page("QuickBooks sandbox", _table(["Realm", "Company", "Country", "Currency"], rows))


# The controls a person may want from the index (all of them: README.md).
_CONTROLS = [
    ("GET", "/_sandbox/qbo/describe", "the companies with their current tokens, as JSON"),
    ("POST", "/_sandbox/qbo/faults", "injected failures: error rate, statuses, latency, hangs, throttling storms"),
    ("POST", "/_sandbox/qbo/clock", '{"advance_seconds": N} moves the clock (token expiry, limits)'),
    ("POST", "/_sandbox/qbo/{realm}/throttle", "the next N API requests of the company are throttled"),
    ("POST", "/_sandbox/qbo/{realm}/expire-tokens", "its access tokens expire now (or after N requests)"),
    ("POST", "/_sandbox/qbo/{realm}/revoke", "its connection is revoked (401 / invalid_grant)"),
    ("POST", "/_sandbox/qbo/{realm}/connect", "a fresh connection with new tokens"),
    ("POST", "/_sandbox/qbo/{realm}/multicurrency", '{"enabled": true} turns multicurrency on or off'),
]


def root_page(emulator: QBOEmulator) -> str:
    """``GET /``: what this server is, its companies' inspectors and its controls."""
    base = escape(emulator.base_url)
    companies = _table(
        ["Company", "Realm", "Country", "Currency", "Inspector"],
        [
            [
                _v(c.preset.company_name),
                _v(r),
                _v(c.preset.country),
                _v(c.preset.currency),
                f"<a href='{base}/_sandbox/qbo/{escape(r)}/'>the books</a>",
            ]
            for r, c in emulator.companies.items()
        ],
    )
    controls = _table(
        ["Method", "Path", "What"],
        [
            [
                method,
                f"<a href='{base}{escape(path)}'><code>{escape(path)}</code></a>"
                if method == "GET"
                else f"<code>{escape(path)}</code>",
                escape(what),
            ]
            for method, path, what in _CONTROLS
        ],
    )
    body = (
        "<p>An emulator of the QuickBooks Online Accounting API (<code>/v3/company/{realm}/...</code>) and "
        "Intuit's OAuth 2.0 (<code>/connect/oauth2</code>, <code>/oauth2/v1/tokens/bearer</code>), for the demo "
        "and the tests; it is not QuickBooks. The sandbox's README.md documents every path.</p>"
        f"<h2>Companies</h2>{companies}<h2>Controls</h2>{controls}"
    )
    return _page("QuickBooks Online sandbox", body)


def company_page(emulator: QBOEmulator, company: Company) -> str:
    base = f"{escape(emulator.base_url)}/_sandbox/qbo/{company.realm_id}"
    parts = [
        f"<p>{_v(company.preset.company_name)} &middot; realm {company.realm_id} &middot; "
        f"{_v(company.preset.currency)} &middot; multicurrency {'on' if company.multicurrency else 'off'}</p>"
    ]
    ledger = company.ledger()
    parts.append(
        "<h2>Chart of accounts</h2><p>Balances from the general ledger: in the account's own currency, "
        f"and in the home currency ({_v(company.preset.currency)}). As JSON: "
        f'<a href="{base}/ledger">{base}/ledger</a>.</p>'
        + _table(
            ["Id", "Name", "Type", "Detail type", "Currency", "Balance", "Home balance", "Active"],
            [
                [
                    _v(a["Id"]),
                    _v(a["FullyQualifiedName"]),
                    _v(a["AccountType"]),
                    _v(a.get("AccountSubType")),
                    _v(ledger[a["Id"]].currency),
                    _v(ledger[a["Id"]].natural),
                    _v(ledger[a["Id"]].natural_home),
                    _v(a.get("Active")),
                ]
                for a in company.live("Account")
            ],
            {5, 6},
        )
    )
    parts.append(
        "<h2>Products and services</h2>"
        + _table(
            ["Id", "Name", "Type", "SKU", "Price", "Qty on hand", "Income account", "Active"],
            [
                [
                    _v(i["Id"]),
                    _v(i["Name"]),
                    _v(i["Type"]),
                    _v(i.get("Sku")),
                    _v(i.get("UnitPrice")),
                    _v(i.get("QtyOnHand")),
                    _ref(i, "IncomeAccountRef"),
                    _v(i.get("Active")),
                ]
                for i in company.live("Item")
            ],
            {4, 5},
        )
    )
    parts.append(
        "<h2>Customers</h2>"
        + _table(
            ["Id", "Display name", "Email", "Currency", "Active"],
            [
                [
                    _v(c["Id"]),
                    _v(c["DisplayName"]),
                    _v((c.get("PrimaryEmailAddr") or {}).get("Address")),
                    _ref(c, "CurrencyRef"),
                    _v(c.get("Active")),
                ]
                for c in company.live("Customer")
            ],
        )
    )
    parts.append(
        "<h2>Tax codes</h2>"
        + _table(
            ["Id", "Name", "Description", "Rates"],
            [
                [
                    _v(t["Id"]),
                    _v(t["Name"]),
                    _v(t.get("Description")),
                    ", ".join(
                        f"{_v(company.objects['TaxRate'][d['TaxRateRef']['value']]['Name'])} "
                        f"{_v(company.objects['TaxRate'][d['TaxRateRef']['value']]['RateValue'])}%"
                        for d in t.get("SalesTaxRateList", {}).get("TaxRateDetail", [])
                    ),
                ]
                for t in company.live("TaxCode")
            ],
        )
    )
    for entity in ("Class", "Department", "PaymentMethod"):
        objs = company.live(entity)
        if objs:
            parts.append(
                f"<h2>{entity}</h2>"
                + _table(["Id", "Name", "Active"], [[_v(o["Id"]), _v(o["Name"]), _v(o.get("Active"))] for o in objs])
            )
    for entity in TRANSACTIONS:
        docs = list(company.objects[entity].values())
        if not docs:
            continue
        rows = []
        for d in docs:
            if d.get("status") == "Deleted":
                rows.append([_v(d["Id"]), "(deleted)", "", "", "", "", ""])
                continue
            link = f"<a href='{base}/{entity}/{d['Id']}'>{_v(d['Id'])}</a>"
            rows.append(
                [
                    link,
                    _v(d.get("TxnDate")),
                    _v(d.get("DocNumber")),
                    _ref(d, "CustomerRef") or _ref(d, "VendorRef") or _ref(d, "EntityRef"),
                    _v(d.get("TotalAmt", d.get("Amount"))),
                    _v((d.get("TxnTaxDetail") or {}).get("TotalTax")),
                    _v(d.get("TxnStatus") or d.get("PrivateNote")),
                ]
            )
        parts.append(
            f"<h2>{entity} ({len(docs)})</h2>"
            + _table(["Id", "Date", "No.", "Customer / vendor", "Total", "Tax", "Status / memo"], rows, {4, 5})
        )
    return _page(f"{company.preset.company_name} ({company.realm_id})", "".join(parts))


def document_page(emulator: QBOEmulator, company: Company, entity: str, doc: dict[str, Any]) -> str:
    rows = []
    for line in doc.get("Line", []):
        detail_type = line.get("DetailType", "")
        detail = line.get(detail_type) or line.get("DescriptionLineDetail") or {}
        target = _ref(detail, "ItemRef") or _ref(detail, "AccountRef") or _ref(detail, "DiscountAccountRef")
        rows.append(
            [
                _v(line.get("Id")),
                _v(detail_type),
                target,
                _v(line.get("Description")),
                _v(detail.get("Qty")),
                _v(detail.get("UnitPrice")),
                _ref(detail, "TaxCodeRef"),
                _v(detail.get("PostingType")),
                _v(line.get("Amount")),
            ]
        )
    tax = doc.get("TxnTaxDetail") or {}
    tax_rows = [
        [
            _ref(t.get("TaxLineDetail"), "TaxRateRef"),
            _v((t.get("TaxLineDetail") or {}).get("TaxPercent")),
            _v((t.get("TaxLineDetail") or {}).get("NetAmountTaxable")),
            _v(t.get("Amount")),
        ]
        for t in tax.get("TaxLine", [])
    ]
    head = _table(
        ["Field", "Value"],
        [
            [k, _v(v if not isinstance(v, dict) else v.get("name") or v.get("value"))]
            for k, v in doc.items()
            if k not in ("Line", "TxnTaxDetail", "MetaData")
        ],
    )
    body = (
        head
        + "<h2>Lines</h2>"
        + _table(
            ["#", "Type", "Item / account", "Description", "Qty", "Rate", "Tax code", "Posting", "Amount"],
            rows,
            {4, 5, 8},
        )
        + "<h2>Tax</h2>"
        + _table(["Rate", "%", "Taxable", "Tax"], tax_rows, {1, 2, 3})
        + f"<p>Total tax {_v(tax.get('TotalTax'))} &middot; Total {_v(doc.get('TotalAmt'))}</p>"
        + f"<p><a href='{escape(emulator.base_url)}/_sandbox/qbo/{company.realm_id}/'>back</a></p>"
    )
    return _page(f"{entity} {doc['Id']}", body)


def consent_page(emulator: QBOEmulator, args: dict[str, str]) -> str:
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
        for k, v in args.items()
        if k in ("client_id", "redirect_uri", "state", "scope", "response_type")
    )
    options = "".join(
        f"<label><input type='radio' name='realm_id' value='{r}' {'checked' if i == 0 else ''}> "
        f"{_v(c.preset.company_name)} ({r})</label><br>"
        for i, (r, c) in enumerate(emulator.companies.items())
    )
    return _page(
        "Connect to QuickBooks (sandbox)",
        (
            f"<p>An app wants to read and write this company's accounting data ({_v(args.get('scope'))}).</p>"
            f"<form method='post'>{hidden}{options}"
            "<button name='decision' value='allow' id='connect'>Connect</button> "
            "<button name='decision' value='deny' id='cancel'>Cancel</button></form>"
        ),
    )
