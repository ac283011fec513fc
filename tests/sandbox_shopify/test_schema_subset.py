"""The emulator's SDL is a strict subset of the real Admin API 2025-04 schema, and the app's
queries validate against both."""

import re
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    NoDeprecatedCustomRule,
    build_schema,
    parse,
    print_ast,
    specified_rules,
    validate,
)

from sandbox.shopify.emulator import SCHEMA_PATH
from tests import reference as reference_files

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "shopqb_app" / "integrations" / "shopify" / "queries"


@pytest.fixture(scope="module")
def reference():
    [path] = reference_files.require("shopify/admin-2025-04.graphql")
    return build_schema(path.read_text(), assume_valid=True)


@pytest.fixture(scope="module")
def ours():
    return build_schema(SCHEMA_PATH.read_text())


def _default(arg):
    """An argument's default as written in the SDL ('' when it has none).

    graphql-core 3.3 keeps SDL defaults as literals (``arg.default``), not in
    ``default_value``: compare the printed literal.
    """
    node = getattr(arg.ast_node, "default_value", None)
    return print_ast(node) if node is not None else ""


def _differences(ours, reference):
    problems = []
    for name, type_ in ours.type_map.items():
        if name.startswith("__"):
            continue
        ref = reference.type_map.get(name)
        if ref is None:
            problems.append(f"type {name} is not in the reference")
            continue
        if type(ref) is not type(type_):
            problems.append(f"{name} is a {type(type_).__name__}, the reference has {type(ref).__name__}")
            continue
        if isinstance(type_, GraphQLEnumType):
            problems += [f"{name}.{v} not in reference" for v in type_.values if v not in ref.values]
            problems += [
                f"{name}.{v} is deprecated"
                for v in type_.values
                if ref.values.get(v) and ref.values[v].deprecation_reason
            ]
        if isinstance(type_, GraphQLUnionType):
            ref_members = {t.name for t in ref.types}
            problems += [f"{name} member {t.name} not in reference" for t in type_.types if t.name not in ref_members]
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            ref_ifaces = {i.name for i in ref.interfaces}
            problems += [
                f"{name} implements {i.name}: not in reference" for i in type_.interfaces if i.name not in ref_ifaces
            ]
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for fname, field in type_.fields.items():
                rfield = ref.fields.get(fname)
                if rfield is None:
                    problems.append(f"{name}.{fname} not in reference")
                    continue
                if str(field.type) != str(rfield.type):
                    problems.append(f"{name}.{fname}: {field.type} != reference {rfield.type}")
                if getattr(rfield, "deprecation_reason", None):
                    problems.append(f"{name}.{fname} is deprecated in the reference")
                for aname, arg in getattr(field, "args", {}).items():
                    rarg = rfield.args.get(aname)
                    if rarg is None:
                        problems.append(f"{name}.{fname}({aname}) not in reference")
                    elif str(arg.type) != str(rarg.type):
                        problems.append(f"{name}.{fname}({aname}): {arg.type} != reference {rarg.type}")
                    elif _default(arg) != _default(rarg):
                        problems.append(f"{name}.{fname}({aname}) = {_default(arg)} != reference {_default(rarg)}")
                for aname, rarg in getattr(rfield, "args", {}).items():
                    if aname not in getattr(field, "args", {}) and str(rarg.type).endswith("!") and not _default(rarg):
                        problems.append(f"{name}.{fname} lacks the required argument {aname}")
            if isinstance(type_, GraphQLInputObjectType):
                for fname, rfield in ref.fields.items():
                    if fname not in type_.fields and str(rfield.type).endswith("!"):
                        problems.append(f"input {name} lacks the required field {fname}")
    for op in ("query_type", "mutation_type"):
        if getattr(ours, op) is not None and getattr(ours, op).name != getattr(reference, op).name:
            problems.append(f"root {op} differs")
    return problems


def test_every_declared_type_field_argument_and_value_exists_in_the_reference(ours, reference):
    assert _differences(ours, reference) == []


def test_the_subset_check_catches_a_wrong_type(reference):
    wrong = build_schema(
        "schema { query: QueryRoot }\ntype QueryRoot { shop: Shop }\ntype Shop { name: Int! }\n"
        "enum CurrencyCode { USD NOT_A_CURRENCY }"
    )
    problems = _differences(wrong, reference)
    assert "QueryRoot.shop: Shop != reference Shop!" in problems
    assert "Shop.name: Int! != reference String!" in problems
    assert "CurrencyCode.NOT_A_CURRENCY not in reference" in problems


def _documents():
    """Each operation file, with the fragment files it uses appended (as the app does)."""
    if not QUERIES.exists():
        return []
    files = sorted(QUERIES.rglob("*.graphql"))
    texts = {f: f.read_text() for f in files}
    fragments = "\n".join(t for t in texts.values() if not OPERATION.search(t))
    return [(f.relative_to(ROOT).as_posix(), t + "\n" + fragments) for f, t in texts.items() if OPERATION.search(t)]


OPERATION = re.compile(r"^\s*(query|mutation)\b", re.MULTILINE)
SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_]\w*)")


def _used_only(document):
    """Drop fragments the operations do not reach (unused fragments fail validation)."""
    frags = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def body(node):
        return node.loc.source.body[node.loc.start : node.loc.end]

    todo = [
        n for d in document.definitions if not isinstance(d, FragmentDefinitionNode) for n in SPREAD.findall(body(d))
    ]
    wanted = set()
    while todo:
        name = todo.pop()
        if name in frags and name not in wanted:
            wanted.add(name)
            todo += SPREAD.findall(body(frags[name]))
    keep = [d for d in document.definitions if not isinstance(d, FragmentDefinitionNode) or d.name.value in wanted]
    return DocumentNode(definitions=tuple(keep))


@pytest.mark.parametrize(
    ("name", "text"), _documents() or [pytest.param("none", "", marks=pytest.mark.skip(reason="no app queries yet"))]
)
def test_app_queries_validate_against_the_emulator_and_the_reference(name, text, ours, reference):
    document = _used_only(parse(text))
    rules = [*specified_rules, NoDeprecatedCustomRule]  # deprecated fields are gone in later versions
    assert [e.message for e in validate(reference, document, rules)] == [], f"{name} against the reference"
    assert [e.message for e in validate(ours, document)] == [], f"{name} against the emulator"


def test_the_seeders_operations_are_valid_on_a_real_store(reference, ours):
    from sandbox.shopify import seeder

    batch = "mutation($o0: OrderCreateOrderInput!) { c0: orderCreate(order: $o0) { order { %s } userErrors { field message } } }"
    documents = [
        seeder.SHOP_QUERY,
        seeder.PRODUCTS_QUERY,
        seeder.PRODUCT_CREATE,
        seeder.VARIANTS_CREATE,
        seeder.EXISTING_ORDERS,
        seeder.REFUND,
        seeder.CANCEL,
        batch % seeder.CREATED_FIELDS,
    ]
    rules = [*specified_rules, NoDeprecatedCustomRule]
    for text in documents:
        document = parse(text)
        assert [e.message for e in validate(reference, document, rules)] == [], text
        assert [e.message for e in validate(ours, document)] == [], text


def test_the_subset_check_catches_a_changed_default_and_a_dropped_required_argument(reference):
    sdl = SCHEMA_PATH.read_text()
    changed = sdl.replace("reverse: Boolean = false", "reverse: Boolean = true", 1)
    assert changed != sdl
    assert any("reverse" in p for p in _differences(build_schema(changed), reference))
    dropped = re.sub(r"orderCancel\(([^)]*?)orderId: ID!, ", r"orderCancel(\1", sdl, count=1)
    assert dropped != sdl
    assert any("lacks the required argument orderId" in p for p in _differences(build_schema(dropped), reference))
