"""A customer's email and phone are filterable (Intuit's Customer reference marks PrimaryEmailAddr
and PrimaryPhone filterable) and compare by their text, as integrations query them:
``select * from Customer where PrimaryEmailAddr = 'a@b.c'``."""

from __future__ import annotations

from .helpers import ok


def customers(sandbox, where: str) -> list[str]:
    answer = ok(sandbox.query(f"select * from Customer where {where}"))["QueryResponse"]
    return sorted(c["DisplayName"] for c in answer.get("Customer", []))


def test_customers_are_found_by_their_email_and_phone(sandbox):
    for name, email, phone in (
        ("Ann Lee", "ann@contact-fields.test", "217-555-0100"),
        ("Bo Li", "bo@contact-fields.test", ""),
    ):
        body = {"DisplayName": name, "PrimaryEmailAddr": {"Address": email}}
        if phone:
            body["PrimaryPhone"] = {"FreeFormNumber": phone}
        ok(sandbox.post("customer", body))
    assert customers(sandbox, "PrimaryEmailAddr = 'ann@contact-fields.test'") == ["Ann Lee"]
    assert customers(sandbox, "PrimaryEmailAddr like '%@contact-fields.test'") == ["Ann Lee", "Bo Li"]
    assert customers(sandbox, "PrimaryEmailAddr = 'nobody@contact-fields.test'") == []
    assert customers(sandbox, "PrimaryPhone = '217-555-0100'") == ["Ann Lee"]
    assert customers(sandbox, "DisplayName like 'Ann%'") == ["Ann Lee"]
