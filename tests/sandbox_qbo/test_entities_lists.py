"""Vendors, employees, terms, tax agencies, company currencies, time activities, attachables and
recurring transactions: QBO's rules for each, through raw HTTP and through python-quickbooks."""

from __future__ import annotations

import pytest
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef
from quickbooks.objects.vendor import Vendor

from .conftest import fault_of
from .helpers import ok, one


@pytest.fixture
def us(make_sandbox):
    return make_sandbox(companies=["US"])


def test_customers_vendors_and_employees_share_one_name_list(us):
    taken = us.post("vendor", {"DisplayName": "Walk-in Customer"})
    assert fault_of(taken)["code"] == "6240"
    ok(us.post("employee", {"GivenName": "Ada", "FamilyName": "Lovelace"}))
    assert fault_of(us.post("customer", {"DisplayName": "Ada Lovelace"}))["code"] == "6240"
    assert fault_of(us.post("vendor", {"GivenName": "Ada", "FamilyName": "Lovelace"}))["code"] == "6240"
    created = ok(us.post("vendor", {"DisplayName": "Acme Supplies", "TaxIdentifier": "99-9999999"}))["Vendor"]
    assert created["PrintOnCheckName"] == "Acme Supplies" and created["Balance"] == 0
    # QBO refuses a vendor query on the email address (ruckus/quickbooks-ruby#403).
    by_email = us.query("select * from Vendor where PrimaryEmailAddr = 'books@example.com'")
    assert fault_of(by_email)["code"] == "4001"


def test_employee_rules(us):
    assert fault_of(us.post("employee", {"PrimaryPhone": {"FreeFormNumber": "1"}}))["code"] == "2020"
    made = ok(us.post("employee", {"GivenName": "Grace", "SSN": "123-45-6789", "HiredDate": "2020-07-22"}))
    assert made["Employee"]["SSN"] == "XXX-XX-6789"  # answered masked
    assert fault_of(us.post("employee", {"GivenName": "Alan", "SSN": "12"}))["code"] == "6000"


def test_terms_are_standard_or_date_driven(us):
    names = [t["Name"] for t in ok(us.query("select * from Term"))["QueryResponse"]["Term"]]
    assert names == ["Due on receipt", "Net 15", "Net 30", "Net 60"]
    standard = ok(us.post("term", {"Name": "Net 10", "DueDays": 10}))["Term"]
    assert standard["Type"] == "STANDARD"
    dated = ok(us.post("term", {"Name": "15th of next month", "DayOfMonthDue": 15, "DueNextMonthDays": 5}))["Term"]
    assert dated["Type"] == "DATE_DRIVEN"
    both = us.post("term", {"Name": "Mixed", "DueDays": 10, "DayOfMonthDue": 15})
    assert fault_of(both)["code"] == "6000"
    assert fault_of(us.post("term", {"Name": "x" * 32, "DueDays": 1}))["code"] == "2050"
    assert fault_of(us.post("term", {"Name": "Net 10", "DueDays": 11}))["code"] == "6240"
    assert fault_of(us.post("term", {"Name": "Nothing"}))["code"] == "2020"


def test_tax_agencies_can_be_created_once_per_name(us):
    made = ok(us.post("taxagency", {"DisplayName": "Nevada Department of Taxation"}))["TaxAgency"]
    assert made["TaxTrackedOnSales"] is True
    assert fault_of(us.post("taxagency", {"DisplayName": "nevada department of taxation"}))["code"] == "6240"
    update = us.post("taxagency", {"Id": made["Id"], "SyncToken": "0", "DisplayName": "Other"})
    assert fault_of(update)["code"] == "6000"


def test_company_currencies_need_multicurrency(make_sandbox):
    multi = make_sandbox(companies=["US"], multicurrency=True)
    listed = ok(multi.query("select * from CompanyCurrency"))["QueryResponse"]["CompanyCurrency"]
    assert [(c["Id"], c["Code"], c["Name"]) for c in listed][:2] == [
        ("1", "CAD", "Canadian Dollar"),
        ("2", "EUR", "Euro"),
    ]
    assert ok(multi.post("companycurrency", {"Code": "JPY"}))["CompanyCurrency"]["Name"] == "Japanese Yen"
    assert fault_of(multi.post("companycurrency", {"Code": "JPY"}))["code"] == "6240"
    assert fault_of(multi.post("companycurrency", {"Code": "USD"}))["code"] == "6000"  # the home currency
    single = make_sandbox(companies=["US"])
    assert ok(single.query("select * from CompanyCurrency"))["QueryResponse"] == {}
    assert fault_of(single.post("companycurrency", {"Code": "EUR"}))["code"] == "6000"


def test_time_activity_rules(us):
    employee = ok(us.post("employee", {"GivenName": "Linus"}))["Employee"]["Id"]
    made = ok(
        us.post(
            "timeactivity",
            {"NameOf": "Employee", "EmployeeRef": {"value": employee}, "Hours": 2, "Minutes": 30, "CostRate": 50},
        )
    )["TimeActivity"]
    assert made["BillableStatus"] == "NotBillable" and made["CostRate"] == 50
    assert fault_of(us.post("timeactivity", {"NameOf": "Employee", "Hours": 1}))["code"] == "2020"
    no_time = us.post("timeactivity", {"NameOf": "Employee", "EmployeeRef": {"value": employee}})
    assert fault_of(no_time)["code"] == "2020"
    backwards = us.post(
        "timeactivity",
        {
            "NameOf": "Employee",
            "EmployeeRef": {"value": employee},
            "StartTime": "2026-07-22T11:00:00-07:00",
            "EndTime": "2026-07-22T10:00:00-07:00",
        },
    )
    assert fault_of(backwards)["code"] == "6000"
    billable = us.post(
        "timeactivity",
        {"NameOf": "Employee", "EmployeeRef": {"value": employee}, "Hours": 1, "BillableStatus": "Billable"},
    )
    assert fault_of(billable)["code"] == "6000"
    ok(us.post("timeactivity", {"Id": made["Id"], "SyncToken": "0"}, operation="delete"))


def test_attachable_notes_need_a_note_and_live_references(us):
    vendor = one(us, "select * from Vendor where DisplayName = 'Books by Bessie'")["Id"]
    ref = {"EntityRef": {"type": "Vendor", "value": vendor}}
    made = ok(us.post("attachable", {"Note": "Order list for 2026-03-01", "AttachableRef": [ref]}))["Attachable"]
    assert made["AttachableRef"][0]["EntityRef"]["value"] == vendor
    assert fault_of(us.post("attachable", {"AttachableRef": [ref]}))["code"] == "2020"
    missing = {"EntityRef": {"type": "Invoice", "value": "999"}}
    assert fault_of(us.post("attachable", {"Note": "x", "AttachableRef": [missing]}))["code"] == "2500"
    assert fault_of(us.post("attachable", {"Note": "x" * 2001}))["code"] == "2050"
    # A note can't claim a file: the file fields come from an upload only.
    faked = ok(us.post("attachable", {"Note": "x", "Size": 10}))["Attachable"]
    assert "Size" not in faked
    update = {"Id": faked["Id"], "SyncToken": faked["SyncToken"], "Note": "y", "FileName": "fake.pdf"}
    assert "FileName" not in ok(us.post("attachable", update))["Attachable"]


def test_a_file_is_uploaded_with_its_metadata_as_python_quickbooks_sends_it(us):
    qb = us.client()
    vendor = Vendor.all(max_results=1, qb=qb)[0]
    attachable = Attachable()
    ref = AttachableRef()
    ref.EntityRef = vendor.to_ref()
    attachable.AttachableRef.append(ref)
    attachable.Note = "Orders of the day"
    attachable.FileName = "orders.csv"
    attachable._FileBytes = b"order,total\n#1001,10.00\n"
    attachable.ContentType = "text/csv"
    saved = attachable.save(qb=qb)
    read = Attachable.get(saved.Id, qb=qb)
    assert read.FileName == "orders.csv" and read.ContentType == "text/csv"
    assert read.Size == len(b"order,total\n#1001,10.00\n")
    assert read.AttachableRef[0].EntityRef.value == vendor.Id

    attachable = Attachable()
    attachable.FileName = "run.exe"
    attachable._FileBytes = b"MZ"
    attachable.ContentType = "application/x-msdownload"
    with pytest.raises(Exception, match="Unsupported file type"):
        attachable.save(qb=qb)


def recurring_invoice(sandbox, name: str = "Monthly retainer", **schedule) -> dict:
    customer = one(sandbox, "select * from Customer where DisplayName = 'Walk-in Customer'")["Id"]
    return {
        "Invoice": {
            "CustomerRef": {"value": customer},
            "Line": [
                {"Amount": 100, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
            ],
            "RecurringInfo": {
                "Name": name,
                "RecurType": "Automated",
                "Active": True,
                "ScheduleInfo": {
                    "IntervalType": "Monthly",
                    "NumInterval": 1,
                    "DayOfMonth": 1,
                    "StartDate": "2026-02-01",
                    **schedule,
                },
            },
        }
    }


def test_recurring_templates_are_checked_but_post_nothing(us):
    answer = ok(us.post("recurringtransaction", recurring_invoice(us)))["RecurringTransaction"]
    template = answer["Invoice"]
    assert template["TotalAmt"] == 100 and template["RecurringInfo"]["ScheduleInfo"]["DayOfMonth"] == 1
    assert ok(us.query("select * from Invoice"))["QueryResponse"] == {}  # no invoice was made
    read = ok(us.get(f"recurringtransaction/{template['Id']}"))["RecurringTransaction"]
    assert read == {"Invoice": template}
    by_type = ok(us.query("select * from RecurringTransaction where Type = 'Invoice'"))["QueryResponse"]
    assert by_type["RecurringTransaction"] == [{"Invoice": template}]
    assert ok(us.query("select * from RecurringTransaction where Type = 'Bill'"))["QueryResponse"] == {}

    assert fault_of(us.post("recurringtransaction", recurring_invoice(us)))["code"] == "6240"  # same name
    weekly = recurring_invoice(us, "Weekly", IntervalType="Weekly")
    assert fault_of(us.post("recurringtransaction", weekly))["code"] == "2020"  # DayOfWeek
    no_info = recurring_invoice(us, "No info")
    del no_info["Invoice"]["RecurringInfo"]
    assert fault_of(us.post("recurringtransaction", no_info))["code"] == "2020"
    bad_line = recurring_invoice(us, "Bad line")
    bad_line["Invoice"]["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] = "999"
    assert fault_of(us.post("recurringtransaction", bad_line))["code"] == "2500"
    two = {**recurring_invoice(us, "Two"), "Bill": {}}
    assert fault_of(us.post("recurringtransaction", two))["code"] == "6000"

    changed = {"Invoice": {**template, "Line": [template["Line"][0] | {"Amount": 250}]}}
    updated = ok(us.post("recurringtransaction", changed))["RecurringTransaction"]["Invoice"]
    assert updated["TotalAmt"] == 250 and updated["SyncToken"] == "1"
    assert fault_of(us.post("recurringtransaction", changed))["code"] == "5010"
    deleted = us.post("recurringtransaction", {"Invoice": {"Id": updated["Id"], "SyncToken": "1"}}, operation="delete")
    assert ok(deleted)["RecurringTransaction"]["Invoice"]["status"] == "Deleted"
    assert ok(us.query("select * from RecurringTransaction"))["QueryResponse"] == {}


def test_the_new_entities_survive_a_restart(make_sandbox, tmp_path):
    first = make_sandbox(state_dir=tmp_path, companies=["US"], multicurrency=True)
    vendor = ok(first.post("vendor", {"DisplayName": "Kept Supplies"}))["Vendor"]["Id"]
    bank_charges = one(first, "select * from Account where Name = 'Bank Charges'")["Id"]
    line = {
        "Amount": "12.00",
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": bank_charges}},
    }
    bill = ok(first.post("bill", {"VendorRef": {"value": vendor}, "Line": [line]}))["Bill"]
    template = ok(first.post("recurringtransaction", recurring_invoice(first)))["RecurringTransaction"]["Invoice"]
    currency = ok(first.post("companycurrency", {"Code": "JPY"}))["CompanyCurrency"]
    first.emulator.close()
    first.server.stop()

    second = make_sandbox(state_dir=tmp_path, companies=["US"], multicurrency=True)
    assert ok(second.get(f"bill/{bill['Id']}"))["Bill"] == bill
    assert ok(second.get(f"recurringtransaction/{template['Id']}"))["RecurringTransaction"] == {"Invoice": template}
    assert ok(second.get(f"companycurrency/{currency['Id']}"))["CompanyCurrency"]["Code"] == "JPY"
    assert ok(second.post("term", {"Name": "Net 7", "DueDays": 7}))["Term"]["Id"] == "5"  # counters restored
    made = ok(second.post("recurringtransaction", recurring_invoice(second, "Another")))["RecurringTransaction"]
    assert int(made["Invoice"]["Id"]) > int(template["Id"])
