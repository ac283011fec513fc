"""A non-null field that comes out null is reported in errors, as GraphQL requires."""

from graphql import build_schema

from sandbox.shopify.executor import Executor

SCHEMA = build_schema(
    """
    type Query { account: Account }
    type Account { id: ID! summary: Summary! }
    type Summary { total: String! note: String }
    """
)


def run(account):
    executor = Executor(SCHEMA, {("Query", "account"): lambda *_: account}, lambda value: value["__typename"])
    request, errors = executor.prepare("{ account { id summary { total note } } }", None, None)
    assert errors == []
    return executor.run(request, {})


def test_a_missing_non_null_field_nulls_its_parent_and_says_why():
    result = run({"__typename": "Account", "id": "1", "summary": {"__typename": "Summary", "note": "x"}})
    assert result["data"] == {"account": None}
    [error] = result["errors"]
    assert error["message"] == "Cannot return null for non-nullable field total."
    assert error["path"] == ["account", "summary", "total"]


def test_complete_values_have_no_errors():
    result = run(
        {"__typename": "Account", "id": "1", "summary": {"__typename": "Summary", "total": "9.5", "note": None}}
    )
    assert "errors" not in result
    assert result["data"] == {"account": {"id": "1", "summary": {"total": "9.5", "note": None}}}
