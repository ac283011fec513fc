"""Reads Intuit's QBO XSDs (in the reference directory, outside the repo) into field tables.

Used only by tests: the emulator's own field declarations must be a subset.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

XS = "{http://www.w3.org/2001/XMLSchema}"
# The schema files of Intuit's Java SDK that define the entities and their name lists.
XSD_FILES = tuple(
    f"quickbooks/xsd/{name}.xsd"
    for name in ("Finance", "IntuitBaseTypes", "IntuitNamesTypes", "IntuitRestServiceDef", "SalesTax")
)


@dataclass
class XsdType:
    name: str
    base: str | None = None
    elements: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (type, repeated)
    attributes: dict[str, str] = field(default_factory=dict)
    enum: list[str] = field(default_factory=list)
    simple_content: bool = False  # JSON carries the text as "value"


def _local(qname: str | None) -> str | None:
    return qname.split(":")[-1] if qname else None


def _collect(node: ET.Element, t: XsdType) -> None:
    for child in node:
        tag = child.tag
        if tag == f"{XS}element":
            name = child.get("name") or _local(child.get("ref"))
            typ = _local(child.get("type")) or name
            repeated = child.get("maxOccurs", "1") != "1"
            t.elements[name] = (typ, repeated)
        elif tag == f"{XS}attribute":
            t.attributes[child.get("name") or _local(child.get("ref"))] = _local(child.get("type")) or "string"
        elif tag in (f"{XS}extension", f"{XS}restriction"):
            t.base = _local(child.get("base"))
            t.enum += [e.get("value") for e in child if e.tag == f"{XS}enumeration"]
            _collect(child, t)
        elif tag == f"{XS}simpleContent":
            t.simple_content = True
            _collect(child, t)
        elif tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all", f"{XS}complexContent"):
            _collect(child, t)


def load_types(paths: list[Path]) -> dict[str, XsdType]:
    types: dict[str, XsdType] = {}
    for path in sorted(paths):
        root = ET.parse(path).getroot()
        for node in root:
            if node.tag in (f"{XS}complexType", f"{XS}simpleType") and node.get("name"):
                t = XsdType(node.get("name"))
                _collect(node, t)
                types[t.name] = t
        for node in root:
            if node.tag == f"{XS}element" and node.get("name") and node.get("type"):
                name, typ = node.get("name"), _local(node.get("type"))
                types.setdefault(name, types.get(typ, XsdType(name)))
    return types


def all_fields(types: dict[str, XsdType], name: str) -> dict[str, tuple[str, bool]]:
    """Elements and attributes of a type, its base types included."""
    out: dict[str, tuple[str, bool]] = {}
    t = types.get(name)
    if t is not None and t.simple_content:
        out["value"] = ("string", False)
    while t is not None:
        for k, v in t.elements.items():
            out.setdefault(k, v)
        for k, v in t.attributes.items():
            out.setdefault(k, (v, False))
        t = types.get(t.base) if t.base and t.base != t.name else None
    return out


def enum_values(types: dict[str, XsdType], name: str) -> list[str]:
    t = types.get(name)
    return list(t.enum) if t else []
