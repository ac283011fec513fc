"""The emulator accepts, and answers with, only what Intuit's XSDs define."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quickbooks.objects import (
    account,
    creditmemo,
    customer,
    deposit,
    detailline,
    invoice,
    item,
    journalentry,
    payment,
    paymentmethod,
    refundreceipt,
    salesreceipt,
    tax,
    trackingclass,
)
from quickbooks.objects import base as qb_base
from quickbooks.objects import department as qb_department

from sandbox.qbo.schema import ENUMS, LEAF_TYPES, TYPES, check_fields
from tests import reference

from .conftest import fault_of
from .xsd import XSD_FILES, all_fields, enum_values, load_types


@pytest.fixture(scope="module")
def xsd():
    return load_types(reference.require(*XSD_FILES))


def test_every_declared_field_exists_in_the_xsd_with_the_same_type(xsd):
    problems = []
    for type_name, fields in TYPES.items():
        assert type_name in xsd, f"{type_name} is not an XSD type"
        known = all_fields(xsd, type_name)
        for name, declared in fields.items():
            if name not in known:
                problems.append(f"{type_name}.{name} is not in the XSD")
                continue
            xsd_type, repeated = known[name]
            if name == "value":
                continue  # a simpleContent text
            if declared.endswith("[]") != repeated:
                problems.append(f"{type_name}.{name}: repeated is {repeated} in the XSD")
            inner = declared.removesuffix("[]")
            if inner != xsd_type:
                problems.append(f"{type_name}.{name}: declared {inner}, XSD says {xsd_type}")
            if inner not in TYPES and inner not in ENUMS and inner not in LEAF_TYPES:
                problems.append(f"{type_name}.{name}: type {inner} is neither declared nor a leaf")
    assert problems == []


def test_checked_enumerations_are_subsets_of_the_xsd(xsd):
    for name, values in ENUMS.items():
        allowed = set(enum_values(xsd, name))
        assert allowed, name
        assert values <= allowed, (name, values - allowed)


def _walk(xsd, type_name: str, value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, list):
        for item_value in value:
            _walk(xsd, type_name, item_value, path, problems)
        return
    if not isinstance(value, dict):
        return
    known = all_fields(xsd, type_name)
    for key, child in value.items():
        if key not in known:
            problems.append(f"{path}.{key} ({type_name})")
            continue
        _walk(xsd, known[key][0], child, f"{path}.{key}", problems)


def test_everything_the_emulator_answers_is_in_the_xsd(sandbox, xsd):
    # A small book of every document kind, then every object of every company.
    from .test_tax import write_every_kind

    write_every_kind(sandbox)
    problems: list[str] = []
    for company in sandbox.emulator.companies.values():
        _walk(xsd, "CompanyInfo", company.company_info(), "CompanyInfo", problems)
        _walk(xsd, "Preferences", company.preferences(), "Preferences", problems)
        for entity, objects in company.objects.items():
            for obj in objects.values():
                _walk(xsd, entity, obj, f"{entity}[{obj['Id']}]", problems)
    assert sorted(set(problems)) == []


@pytest.mark.parametrize(
    ("entity", "cls"),
    [
        ("SalesReceipt", salesreceipt.SalesReceipt),
        ("RefundReceipt", refundreceipt.RefundReceipt),
        ("Invoice", invoice.Invoice),
        ("CreditMemo", creditmemo.CreditMemo),
        ("Payment", payment.Payment),
        ("Deposit", deposit.Deposit),
        ("JournalEntry", journalentry.JournalEntry),
        ("Customer", customer.Customer),
        ("Item", item.Item),
        ("Account", account.Account),
        ("Class", trackingclass.Class),
        ("Department", qb_department.Department),
        ("PaymentMethod", paymentmethod.PaymentMethod),
    ],
)
def test_python_quickbooks_defaults_pass_the_field_check(entity, cls):
    obj = cls()
    line_classes = {
        "Deposit": deposit.DepositLine,
        "JournalEntry": journalentry.JournalEntryLine,
        "Payment": payment.PaymentLine,
    }
    if hasattr(obj, "Line"):
        line = line_classes.get(entity, detailline.SalesItemLine)()
        if entity in ("SalesReceipt", "RefundReceipt", "Invoice", "CreditMemo"):
            line.SalesItemLineDetail = detailline.SalesItemLineDetail()
            line.SalesItemLineDetail.ItemRef = qb_base.Ref()
            obj.TxnTaxDetail = tax.TxnTaxDetail()
            obj.BillAddr = qb_base.Address()
            obj.CustomerRef = qb_base.Ref()
        if entity == "Deposit":
            line.DepositLineDetail = deposit.DepositLineDetail()
        if entity == "JournalEntry":
            line.JournalEntryLineDetail = journalentry.JournalEntryLineDetail()
            line.JournalEntryLineDetail.Entity = journalentry.Entity()
        obj.Line = [line]
    if entity == "Customer":
        obj.BillAddr = qb_base.Address()
        obj.PrimaryEmailAddr = qb_base.EmailAddress()
        obj.PrimaryPhone = qb_base.PhoneNumber()
    check_fields(entity, json.loads(obj.to_json()))


def test_unknown_fields_are_rejected_with_2010(sandbox):
    response = sandbox.post("customer", {"DisplayName": "X", "Nickname": "x"})
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "2010"
    assert "Nickname" in error["Detail"]
    nested = sandbox.post(
        "salesreceipt",
        {
            "Line": [
                {
                    "Amount": 1,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Colour": "red"},
                }
            ]
        },
    )
    assert fault_of(nested)["code"] == "2010"
    assert fault_of(nested)["element"] == "Line.SalesItemLineDetail.Colour"
    wrong_shape = sandbox.post("customer", {"DisplayName": "Y", "PrimaryEmailAddr": "y@example.com"})
    assert fault_of(wrong_shape)["code"] == "2010"
    bad_enum = sandbox.post("item", {"Name": "Z", "Type": "Bundle"})
    assert fault_of(bad_enum)["code"] == "2030"
