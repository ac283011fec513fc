"""The request fields the emulator accepts, by QBO type, named as in Intuit's XSDs.

QBO rejects a JSON property its schema does not define (fault 2010). This table is
the subset of Finance.xsd the emulator understands; tests/sandbox_qbo/test_xsd.py
proves every name and nesting here exists in the XSDs. Leaf types use the XSD's
simple type names; ``X[]`` is a repeated element.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .faults import INVALID_ENUM, INVALID_PROPERTY, QBOFault

LEAF_TYPES = {"anyURI", "string", "decimal", "boolean", "date", "dateTime", "int", "id", "positiveInteger"}


def _fields(spec: str) -> dict[str, str]:
    return dict(item.split(":") for item in spec.split())


_ENTITY = "Id:id SyncToken:string MetaData:ModificationMetaData CustomField:CustomField[] domain:string sparse:boolean"
_TXN = (
    _ENTITY + " DocNumber:string TxnDate:date DepartmentRef:ReferenceType CurrencyRef:ReferenceType"
    " ExchangeRate:decimal PrivateNote:string TxnStatus:string LinkedTxn:LinkedTxn[] Line:Line[]"
    " TxnTaxDetail:TxnTaxDetail TxnSource:string"
)
_SALES = (
    _TXN + " AutoDocNumber:boolean CustomerRef:ReferenceType CustomerMemo:MemoRef BillAddr:PhysicalAddress"
    " ShipAddr:PhysicalAddress FreeFormAddress:boolean ShipFromAddr:PhysicalAddress ClassRef:ReferenceType"
    " SalesTermRef:ReferenceType DueDate:date ShipMethodRef:ReferenceType ShipDate:date TrackingNum:string"
    " GlobalTaxCalculation:GlobalTaxCalculationEnum TotalAmt:decimal HomeTotalAmt:decimal"
    " ApplyTaxAfterDiscount:boolean PrintStatus:PrintStatusEnum EmailStatus:EmailStatusEnum"
    " BillEmail:EmailAddress Balance:decimal HomeBalance:decimal PaymentMethodRef:ReferenceType"
    " PaymentRefNum:string PaymentType:PaymentTypeEnum DepositToAccountRef:ReferenceType"
)
_NAMED = (
    " Title:string GivenName:string MiddleName:string FamilyName:string Suffix:string FullyQualifiedName:string"
    " CompanyName:string DisplayName:string PrintOnCheckName:string Active:boolean PrimaryPhone:TelephoneNumber"
    " AlternatePhone:TelephoneNumber Mobile:TelephoneNumber Fax:TelephoneNumber PrimaryEmailAddr:EmailAddress"
    " WebAddr:WebSiteAddress DefaultTaxCodeRef:ReferenceType"
)

TYPES: dict[str, dict[str, str]] = {
    # entities
    "SalesReceipt": _fields(_SALES),
    "RefundReceipt": _fields(_SALES),
    "CreditMemo": _fields(_SALES + " RemainingCredit:decimal InvoiceRef:ReferenceType"),
    "Invoice": _fields(
        _SALES + " Deposit:decimal AllowIPNPayment:boolean AllowOnlinePayment:boolean"
        " AllowOnlineCreditCardPayment:boolean AllowOnlineACHPayment:boolean InvoiceLink:string"
    ),
    "Payment": _fields(
        _TXN + " CustomerRef:ReferenceType ARAccountRef:ReferenceType DepositToAccountRef:ReferenceType"
        " PaymentMethodRef:ReferenceType PaymentRefNum:string TotalAmt:decimal UnappliedAmt:decimal"
        " ProcessPayment:boolean"
    ),
    "Deposit": _fields(
        _TXN + " DepositToAccountRef:ReferenceType CashBack:CashBackInfo"
        " GlobalTaxCalculation:GlobalTaxCalculationEnum TotalAmt:decimal HomeTotalAmt:decimal"
    ),
    "JournalEntry": _fields(
        _TXN + " Adjustment:boolean GlobalTaxCalculation:GlobalTaxCalculationEnum TotalAmt:decimal HomeTotalAmt:decimal"
    ),
    "Customer": _fields(
        _ENTITY + _NAMED + " Taxable:boolean BillAddr:PhysicalAddress ShipAddr:PhysicalAddress Notes:string"
        " Job:boolean BillWithParent:boolean ParentRef:ReferenceType Level:int PaymentMethodRef:ReferenceType"
        " Balance:decimal OpenBalanceDate:date BalanceWithJobs:decimal CurrencyRef:ReferenceType"
        " PreferredDeliveryMethod:string ResaleNum:string PrimaryTaxIdentifier:string IsProject:boolean"
    ),
    "Item": _fields(
        _ENTITY + " Name:string Sku:string Description:string Active:boolean SubItem:boolean"
        " ParentRef:ReferenceType Level:int FullyQualifiedName:string Taxable:boolean SalesTaxIncluded:boolean"
        " UnitPrice:decimal Type:ItemTypeEnum IncomeAccountRef:ReferenceType PurchaseDesc:string"
        " PurchaseCost:decimal ExpenseAccountRef:ReferenceType AssetAccountRef:ReferenceType"
        " TrackQtyOnHand:boolean QtyOnHand:decimal InvStartDate:date SalesTaxCodeRef:ReferenceType"
        " PurchaseTaxCodeRef:ReferenceType ReorderPoint:decimal ClassRef:ReferenceType"
    ),
    "Account": _fields(
        _ENTITY + " Name:string SubAccount:boolean ParentRef:ReferenceType Description:string"
        " FullyQualifiedName:string Active:boolean Classification:AccountClassificationEnum"
        " AccountType:AccountTypeEnum AccountSubType:string AcctNum:string CurrentBalance:decimal"
        " CurrentBalanceWithSubAccounts:decimal CurrencyRef:ReferenceType TaxCodeRef:ReferenceType"
    ),
    "Class": _fields(
        _ENTITY + " Name:string SubClass:boolean ParentRef:ReferenceType FullyQualifiedName:string Active:boolean"
    ),
    "Department": _fields(
        _ENTITY + " Name:string SubDepartment:boolean ParentRef:ReferenceType FullyQualifiedName:string Active:boolean"
    ),
    "PaymentMethod": _fields(_ENTITY + " Name:string Active:boolean Type:string"),
    # parts
    "Line": _fields(
        "Id:id LineNum:positiveInteger Description:string Amount:decimal LinkedTxn:LinkedTxn[]"
        " DetailType:LineDetailTypeEnum SalesItemLineDetail:SalesItemLineDetail"
        " DiscountLineDetail:DiscountLineDetail SubTotalLineDetail:SubTotalLineDetail"
        " DescriptionLineDetail:DescriptionLineDetail DepositLineDetail:DepositLineDetail"
        " JournalEntryLineDetail:JournalEntryLineDetail TaxLineDetail:TaxLineDetail CustomField:CustomField[]"
    ),
    "SalesItemLineDetail": _fields(
        "ServiceDate:date TaxInclusiveAmt:decimal ItemRef:ReferenceType ClassRef:ReferenceType UnitPrice:decimal"
        " Qty:decimal ItemAccountRef:ReferenceType TaxCodeRef:ReferenceType"
    ),
    "DiscountLineDetail": _fields(
        "ClassRef:ReferenceType TaxCodeRef:ReferenceType PercentBased:boolean DiscountPercent:decimal"
        " DiscountAccountRef:ReferenceType"
    ),
    "SubTotalLineDetail": _fields("ItemRef:ReferenceType"),
    "DescriptionLineDetail": _fields("ServiceDate:date TaxCodeRef:ReferenceType"),
    "DepositLineDetail": _fields(
        "Entity:ReferenceType ClassRef:ReferenceType AccountRef:ReferenceType PaymentMethodRef:ReferenceType"
        " CheckNum:string TxnType:TxnTypeEnum TaxCodeRef:ReferenceType"
    ),
    "JournalEntryLineDetail": _fields(
        "PostingType:PostingTypeEnum Entity:EntityTypeRef AccountRef:ReferenceType ClassRef:ReferenceType"
        " DepartmentRef:ReferenceType TaxCodeRef:ReferenceType TaxApplicableOn:TaxApplicableOnEnum"
        " TaxAmount:decimal"
    ),
    "EntityTypeRef": _fields("Type:EntityTypeEnum EntityRef:ReferenceType"),
    "TxnTaxDetail": _fields("TxnTaxCodeRef:ReferenceType TotalTax:decimal TaxLine:Line[]"),
    "TaxLineDetail": _fields(
        "TaxRateRef:ReferenceType PercentBased:boolean TaxPercent:decimal NetAmountTaxable:decimal"
        " TaxInclusiveAmount:decimal OverrideDeltaAmount:decimal"
    ),
    "ReferenceType": _fields("value:string name:string type:string"),
    "MemoRef": _fields("value:string"),
    "PhysicalAddress": _fields(
        "Id:id Line1:string Line2:string Line3:string Line4:string Line5:string City:string Country:string"
        " CountrySubDivisionCode:string PostalCode:string Lat:string Long:string Note:string"
    ),
    "EmailAddress": _fields("Address:string"),
    "TelephoneNumber": _fields("FreeFormNumber:string"),
    "WebSiteAddress": _fields("URI:anyURI"),
    "LinkedTxn": _fields("TxnId:id TxnType:string TxnLineId:id"),
    "CustomField": _fields("DefinitionId:id Name:string Type:CustomFieldTypeEnum StringValue:string"),
    "ModificationMetaData": _fields("CreateTime:dateTime LastUpdatedTime:dateTime"),
    "CashBackInfo": _fields("AccountRef:ReferenceType Amount:decimal Memo:string"),
    # Preferences: every section of the XSD (reads answer all of them; writes are checked against them).
    "Preferences": _fields(
        _ENTITY + " AccountingInfoPrefs:CompanyAccountingPrefs AdvancedInventoryPrefs:AdvancedInventoryPrefs"
        " ProductAndServicesPrefs:ProductAndServicesPrefs SalesFormsPrefs:SalesFormsPrefs"
        " EmailMessagesPrefs:EmailMessagesPrefs PrintDocumentPrefs:PrintDocumentPrefs"
        " VendorAndPurchasesPrefs:VendorAndPurchasesPrefs TimeTrackingPrefs:TimeTrackingPrefs TaxPrefs:TaxPrefs"
        " FinanceChargesPrefs:FinanceChargePrefs CurrencyPrefs:CurrencyPrefs ReportPrefs:ReportPrefs"
        " OtherPrefs:OtherPrefs"
    ),
    "CompanyAccountingPrefs": _fields(
        "UseAccountNumbers:boolean DefaultARAccount:ReferenceType DefaultAPAccount:ReferenceType"
        " RequiresAccounts:boolean TrackDepartments:boolean DepartmentTerminology:string ClassTrackingPerTxn:boolean"
        " ClassTrackingPerTxnLine:boolean AutoJournalEntryNumber:boolean FirstMonthOfFiscalYear:MonthEnum"
        " TaxYearMonth:MonthEnum TaxForm:string BookCloseDate:date CustomerTerminology:string"
    ),
    "AdvancedInventoryPrefs": _fields(
        "MLIAvailable:boolean MLIEnabled:boolean EnhancedInventoryReceivingEnabled:boolean"
        " TrackingSerialOrLotNumber:boolean TrackingOnSalesTransactionsEnabled:boolean"
        " TrackingOnPurchaseTransactionsEnabled:boolean TrackingOnInventoryAdjustmentEnabled:boolean"
        " TrackingOnBuildAssemblyEnabled:boolean FIFOEnabled:boolean FIFOEffectiveDate:date"
        " RowShelfBinEnabled:boolean BarcodeEnabled:boolean"
    ),
    "ProductAndServicesPrefs": _fields(
        "ForSales:boolean ForPurchase:boolean InventoryAndPurchaseOrder:boolean QuantityWithPriceAndRate:boolean"
        " QuantityOnHand:boolean UOM:UOMFeatureTypeEnum RevenueRecognition:boolean RevenueRecognitionFrequency:string"
    ),
    "SalesFormsPrefs": _fields(
        "UsingProgressInvoicing:boolean CustomTxnNumbers:boolean DelayedCharges:boolean SalesEmailCc:EmailAddress"
        " SalesEmailBcc:EmailAddress EmailCopyToCompany:boolean AllowDeposit:boolean AllowDiscount:boolean"
        " DefaultDiscountAccount:string AllowEstimates:boolean EstimateMessage:string"
        " ETransactionEnabledStatus:ETransactionEnabledStatusEnum ETransactionAttachPDF:boolean"
        " ETransactionPaymentEnabled:boolean IPNSupportEnabled:boolean InvoiceMessage:string AllowServiceDate:boolean"
        " AllowShipping:boolean DefaultShippingAccount:string DefaultItem:ReferenceType DefaultTerms:ReferenceType"
        " DefaultDeliveryMethod:string AutoApplyCredit:boolean AutoApplyPayments:boolean"
        " PrintItemWithZeroAmount:boolean DefaultShipMethodRef:ReferenceType DefaultMarkup:decimal"
        " TrackReimbursableExpensesAsIncome:boolean UsingSalesOrders:boolean UsingPriceLevels:boolean"
        " DefaultFOB:string DefaultCustomerMessage:string"
    ),
    "EmailMessagesPrefs": _fields(
        "NameValue:NameValue[] InvoiceMessage:EmailMessage EstimateMessage:EmailMessage"
        " SalesReceiptMessage:EmailMessage StatementMessage:EmailMessage"
    ),
    "EmailMessage": _fields("Subject:string Message:string"),
    "PrintDocumentPrefs": _fields("NameValue:NameValue[]"),
    "VendorAndPurchasesPrefs": _fields(
        "EnableBills:boolean TrackingByCustomer:boolean BillableExpenseTracking:boolean DefaultTerms:ReferenceType"
        " DefaultMarkup:decimal DefaultMarkupAccount:ReferenceType AutomaticBillPayment:boolean TPAREnabled:boolean"
        " MsgToVendors:string UsingInventory:boolean UsingMultiLocationInventory:boolean DaysBillsAreDue:int"
        " DiscountAccountRef:ReferenceType"
    ),
    "TimeTrackingPrefs": _fields(
        "UseServices:boolean DefaultTimeItem:ReferenceType BillCustomers:boolean ShowBillRateToAll:boolean"
        " WorkWeekStartDate:WeekEnum TimeTrackingEnabled:boolean MarkTimeEntriesBillable:boolean"
        " MarkExpensesAsBillable:boolean"
    ),
    "TaxPrefs": _fields(
        "UsingSalesTax:boolean PartnerTaxEnabled:boolean HideTaxManagement:boolean TaxGroupCodeRef:ReferenceType"
        " TaxRateRef:ReferenceType PaySalesTax:PaySalesTaxEnum NonTaxableSalesTaxCodeRef:ReferenceType"
        " TaxableSalesTaxCodeRef:ReferenceType"
    ),
    "FinanceChargePrefs": _fields(
        "AnnualInterestRate:decimal MinFinChrg:decimal GracePeriod:positiveInteger CalcFinChrgFromTxnDate:boolean"
        " AssessFinChrgForOverdueCharges:boolean FinChrgAccountRef:ReferenceType"
    ),
    "CurrencyPrefs": _fields("MultiCurrencyEnabled:boolean HomeCurrency:ReferenceType"),
    "ReportPrefs": _fields("ReportBasis:ReportBasisEnum CalcAgingReportFromTxnDate:boolean"),
    "OtherPrefs": _fields("NameValue:NameValue[]"),
    "NameValue": _fields("Name:string Value:string"),
}

# Enumerations the emulator checks (each a subset of the XSD's).
ENUMS: dict[str, set[str]] = {
    "GlobalTaxCalculationEnum": {"TaxExcluded", "TaxInclusive", "NotApplicable"},
    "PrintStatusEnum": {"NotSet", "NeedToPrint", "PrintComplete"},
    "EmailStatusEnum": {"NotSet", "NeedToSend", "EmailSent"},
    "PaymentTypeEnum": {"Cash", "Check", "CreditCard", "Other"},
    "ItemTypeEnum": {"Inventory", "NonInventory", "Service"},
    "PostingTypeEnum": {"Debit", "Credit"},
    "EntityTypeEnum": {"Customer", "Vendor", "Employee"},
    "LineDetailTypeEnum": {
        "SalesItemLineDetail",
        "DiscountLineDetail",
        "SubTotalLineDetail",
        "DescriptionOnly",
        "DepositLineDetail",
        "JournalEntryLineDetail",
        "PaymentLineDetail",
        "TaxLineDetail",
    },
    "AccountTypeEnum": {
        "Bank",
        "Other Current Asset",
        "Fixed Asset",
        "Other Asset",
        "Accounts Receivable",
        "Equity",
        "Expense",
        "Other Expense",
        "Cost of Goods Sold",
        "Accounts Payable",
        "Credit Card",
        "Long Term Liability",
        "Other Current Liability",
        "Income",
        "Other Income",
    },
    "AccountClassificationEnum": {"Asset", "Equity", "Expense", "Liability", "Revenue"},
    "TxnTypeEnum": {"ReceivePayment", "SalesReceipt", "CreditMemo", "JournalEntry", "Deposit", "Transfer", "Invoice"},
    "TaxApplicableOnEnum": {"Sales", "Purchase"},
    "CustomFieldTypeEnum": {"StringType", "BooleanType", "NumberType", "DateType"},
    "ReportBasisEnum": {"Accrual", "Cash"},
    "MonthEnum": {
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    },
    "UOMFeatureTypeEnum": {"Disabled", "SinglePerItem", "MultiplePerItem"},
    "PaySalesTaxEnum": {"Annually", "Monthly", "Quarterly"},
    "ETransactionEnabledStatusEnum": {"Enabled", "NotApplicable"},
    "WeekEnum": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}


def check_fields(type_name: str, payload: Any, path: str = "") -> None:
    """Reject any property the type does not define, like QBO's 2010 fault; checks enums and numbers."""
    fields = TYPES[type_name]
    if not isinstance(payload, dict):
        raise _invalid(path or type_name, f"expected an object for {type_name}")
    for key, value in payload.items():
        where = f"{path}.{key}" if path else key
        declared = fields.get(key)
        if declared is None:
            raise _invalid(
                where,
                f'Unrecognized field "{key}" (class com.intuit.schema.finance.v3.{type_name}), not marked as ignorable',
            )
        if value is None:
            continue
        repeated = declared.endswith("[]")
        inner = declared.removesuffix("[]")
        values = value if repeated else [value]
        if repeated and not isinstance(value, list):
            raise _invalid(where, f"expected a list for {key}")
        for item in values:
            _check_value(inner, item, where)


def _check_value(type_name: str, value: Any, where: str) -> None:
    if type_name in TYPES:
        check_fields(type_name, value, where)
    elif type_name in ENUMS:
        if value != "" and value not in ENUMS[type_name]:
            raise QBOFault(
                INVALID_ENUM, "Invalid Enumeration", f"Invalid Enumeration : {value} for {where}", element=where
            )
    elif type_name in ("decimal", "int", "positiveInteger"):
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
            raise _invalid(where, f"{value!r} is not a number")
        if isinstance(value, str) and value != "":
            try:
                Decimal(value)
            except InvalidOperation:
                raise _invalid(where, f"{value!r} is not a number") from None
    elif type_name == "boolean":
        if not isinstance(value, bool) and value not in ("true", "false", ""):
            raise _invalid(where, f"{value!r} is not a boolean")
    elif isinstance(value, dict | list):
        raise _invalid(where, f"{where} is not a {type_name}")


def _invalid(where: str, detail: str) -> QBOFault:
    return QBOFault(
        INVALID_PROPERTY,
        "Request has invalid or unsupported property",
        f"Property Name:{detail} specified is unsupported or invalid",
        element=where,
    )
