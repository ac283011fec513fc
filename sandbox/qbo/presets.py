"""Company presets: a realistic default chart of accounts, items, tax setup and payment methods.

Account, item and tax-code names follow what a new QBO company of that country
starts with (trimmed). Tax rates are the statutory ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Preset:
    country: str
    company_name: str
    currency: str
    timezone: str
    address: dict[str, str]
    accounts: list[tuple[str, str, str]]  # name, AccountType, AccountSubType
    agencies: list[str]
    rates: list[tuple[str, str, str]]  # name, rate percent, agency name
    tax_codes: list[tuple[str, str, list[str]]]  # name, description, rate names ([] = not taxable)
    default_tax_code: str  # US: the AST combined code; elsewhere the standard-rated code
    items: list[dict[str, object]] = field(default_factory=list)
    exchange_rates: dict[str, str] = field(default_factory=dict)  # foreign currency -> home per unit
    # tax agency -> the liability account its tax is booked to (the general ledger's tax postings)
    tax_accounts: dict[str, str] = field(default_factory=dict)
    # US only. Automated sales tax (Preferences.TaxPrefs.PartnerTaxEnabled): on for every company
    # created since 2017-11-10; off for an older company still on the classic sales tax setup.
    automated_sales_tax: bool = True
    # US automated sales tax: state -> the code AST assigns there (a state where the company has
    # no agency is charged no tax). See books/taxes.py.
    jurisdictions: dict[str, str] = field(default_factory=dict)


_COMMON_ACCOUNTS = [
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Prepaid Expenses", "Other Current Asset", "PrepaidExpenses"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Visa Credit Card", "Credit Card", "CreditCard"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Shipping Income", "Income", "OtherPrimaryIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Refunds given", "Income", "DiscountsRefundsGiven"),
    ("Uncategorized Income", "Income", "ServiceFeeIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Merchant Fees", "Expense", "BankCharges"),
    ("Shipping and Delivery", "Expense", "ShippingFreightDelivery"),
    ("Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
    ("Exchange Gain or Loss", "Other Expense", "ExchangeGainOrLoss"),
]


def _items(income: str = "Sales of Product Income") -> list[dict[str, object]]:
    return [
        {"Name": "Services", "Type": "Service", "IncomeAccount": "Services", "UnitPrice": "0"},
        {"Name": "Sales", "Type": "NonInventory", "IncomeAccount": income, "UnitPrice": "0"},
        {"Name": "Shipping", "Type": "Service", "IncomeAccount": "Shipping Income", "UnitPrice": "0"},
        {
            "Name": "Classic T-Shirt",
            "Type": "Inventory",
            "Sku": "TSHIRT-CLASSIC",
            "IncomeAccount": income,
            "UnitPrice": "25.00",
            "PurchaseCost": "8.00",
            "QtyOnHand": "100",
        },
        {
            "Name": "Coffee Mug",
            "Type": "Inventory",
            "Sku": "MUG-11OZ",
            "IncomeAccount": income,
            "UnitPrice": "12.50",
            "PurchaseCost": "4.00",
            "QtyOnHand": "50",
        },
    ]


PRESETS: dict[str, Preset] = {
    "US": Preset(
        country="US",
        company_name="Sandbox Company US",
        currency="USD",
        timezone="America/Los_Angeles",
        address={
            "Line1": "123 Sierra Way",
            "City": "San Pablo",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "87999",
            "Country": "US",
        },
        accounts=[*_COMMON_ACCOUNTS, ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable")],
        agencies=["California Department of Tax and Fee Administration"],
        rates=[
            ("California", "7.25", "California Department of Tax and Fee Administration"),
            ("Contra Costa County", "1", "California Department of Tax and Fee Administration"),
            ("Contra Costa District", "0.5", "California Department of Tax and Fee Administration"),
        ],
        tax_codes=[
            ("TAX", "TAX", []),
            ("NON", "NON", []),
            (
                "California",
                "California sales tax (automated)",
                ["California", "Contra Costa County", "Contra Costa District"],
            ),
        ],
        default_tax_code="California",
        items=_items(),
        exchange_rates={"CAD": "0.73", "EUR": "1.08", "GBP": "1.27", "AUD": "0.65"},
        tax_accounts={"California Department of Tax and Fee Administration": "Sales Tax Payable"},
        jurisdictions={"CA": "California"},
    ),
    "CA": Preset(
        country="CA",
        company_name="Sandbox Company CA",
        currency="CAD",
        timezone="America/Toronto",
        address={
            "Line1": "100 King St W",
            "City": "Toronto",
            "CountrySubDivisionCode": "ON",
            "PostalCode": "M5X 1A9",
            "Country": "CA",
        },
        accounts=[
            *_COMMON_ACCOUNTS,
            ("GST/HST Payable", "Other Current Liability", "GlobalTaxPayable"),
            ("QST Payable", "Other Current Liability", "GlobalTaxPayable"),
            ("PST Payable (BC)", "Other Current Liability", "GlobalTaxPayable"),
        ],
        # British Columbia's PST is set up (its agency, rate and code), but not a code of GST and
        # PST together: a merchant selling there creates it (ShopQB's Taxes step does, through
        # TaxService).
        agencies=["Canada Revenue Agency", "Revenu Quebec", "Ministry of Finance (BC)"],
        rates=[
            ("GST", "5", "Canada Revenue Agency"),
            ("HST ON", "13", "Canada Revenue Agency"),
            ("HST NS", "14", "Canada Revenue Agency"),
            ("QST", "9.975", "Revenu Quebec"),
            ("PST BC", "7", "Ministry of Finance (BC)"),
            ("GST/HST Zero-rated", "0", "Canada Revenue Agency"),
        ],
        tax_codes=[
            ("GST", "GST 5%", ["GST"]),
            ("HST ON", "HST Ontario 13%", ["HST ON"]),
            ("HST NS", "HST Nova Scotia 14%", ["HST NS"]),
            ("GST/QST QC", "GST 5% + QST 9.975%", ["GST", "QST"]),
            ("PST BC", "PST British Columbia 7%", ["PST BC"]),
            ("Zero-rated", "Zero-rated 0%", ["GST/HST Zero-rated"]),
            ("Exempt", "Exempt", []),
            ("Out of Scope", "Out of scope", []),
        ],
        default_tax_code="HST ON",
        items=_items(),
        exchange_rates={"USD": "1.37", "EUR": "1.48", "GBP": "1.74"},
        tax_accounts={
            "Canada Revenue Agency": "GST/HST Payable",
            "Revenu Quebec": "QST Payable",
            "Ministry of Finance (BC)": "PST Payable (BC)",
        },
    ),
    "UK": Preset(
        country="GB",
        company_name="Sandbox Company UK",
        currency="GBP",
        timezone="Europe/London",
        address={
            "Line1": "1 Regent Street",
            "City": "London",
            "CountrySubDivisionCode": "",
            "PostalCode": "SW1Y 4NR",
            "Country": "GB",
        },
        accounts=[*_COMMON_ACCOUNTS, ("VAT Control", "Other Current Liability", "GlobalTaxPayable")],
        agencies=["HM Revenue & Customs"],
        rates=[
            ("20.0% S", "20", "HM Revenue & Customs"),
            ("5.0% R", "5", "HM Revenue & Customs"),
            ("0.0% Z", "0", "HM Revenue & Customs"),
        ],
        tax_codes=[
            ("20.0% S", "Standard rate 20%", ["20.0% S"]),
            ("5.0% R", "Reduced rate 5%", ["5.0% R"]),
            ("0.0% Z", "Zero rate 0%", ["0.0% Z"]),
            ("Exempt", "Exempt", []),
            ("No VAT", "Outside the scope of VAT", []),
        ],
        default_tax_code="20.0% S",
        items=_items(),
        exchange_rates={"USD": "0.79", "EUR": "0.85"},
        tax_accounts={"HM Revenue & Customs": "VAT Control"},
    ),
    "AU": Preset(
        country="AU",
        company_name="Sandbox Company AU",
        currency="AUD",
        timezone="Australia/Sydney",
        address={
            "Line1": "1 George St",
            "City": "Sydney",
            "CountrySubDivisionCode": "NSW",
            "PostalCode": "2000",
            "Country": "AU",
        },
        accounts=[*_COMMON_ACCOUNTS, ("GST Liabilities Payable", "Other Current Liability", "GlobalTaxPayable")],
        agencies=["Australian Taxation Office"],
        rates=[
            ("GST (sales)", "10", "Australian Taxation Office"),
            ("GST free (sales)", "0", "Australian Taxation Office"),
        ],
        tax_codes=[
            ("GST", "GST 10%", ["GST (sales)"]),
            ("FRE", "GST free", ["GST free (sales)"]),
            ("INP", "Input taxed", []),
            ("N-T", "Not reportable", []),
        ],
        default_tax_code="GST",
        items=_items(),
        exchange_rates={"USD": "1.53", "NZD": "0.92", "EUR": "1.65"},
        tax_accounts={"Australian Taxation Office": "GST Liabilities Payable"},
    ),
}

# An older US company on the classic sales tax setup (automated sales tax off): tax comes from the
# lines' TAX/NON codes and the transaction's tax code, and a TotalTax sent alone is ignored.
PRESETS["US-CLASSIC"] = replace(
    PRESETS["US"], company_name="Sandbox Company US (classic sales tax)", automated_sales_tax=False
)

PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("PayPal", "NON_CREDIT_CARD"),
]
