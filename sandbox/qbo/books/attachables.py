"""Attachables: notes and files linked to transactions and name-list entries.

A note is created on the attachable endpoint; a file through ``POST /upload`` (multipart: the
Attachable's JSON in ``file_metadata_0N`` and the file, base64, in ``file_content_0N``), which answers
``AttachableResponse``. Each AttachableRef's EntityRef must name a live object; an attachable needs a
note or a file. The file's bytes are not kept (downloads are not emulated), only its name, type and size.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from typing import Any

from .. import faults
from ..schema import check_entity
from .checks import Checks
from .rules import ENTITIES, clean, computed_fields

NOTE_MAX = 2000
FILE_NAME_MAX = 1000
# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/attach-images-and-notes
# ("Supported file types": images, PDF, Office documents, text, CSV, XML...)
CONTENT_TYPES = {
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/xml",
    "text/csv",
    "text/plain",
    "text/xml",
    "text/rtf",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "image/gif",
    "image/tiff",
    "image/bmp",
}
MAX_FILE_BYTES = 100 * 1024 * 1024


class Attachables(Checks):
    _uploading = False  # True while an upload creates its Attachable (the file fields are the upload's)

    def _build_attachable(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/attachable
        self._check_string(data, "Note", NOTE_MAX)
        self._check_string(data, "FileName", FILE_NAME_MAX)
        for field in ("FileName", "ContentType", "Size", "FileAccessUri"):
            # The file (and what QBO knows of it) comes only from an upload; an update keeps it.
            if existing is not None and field in existing:
                data[field] = existing[field]
            elif existing is not None or not self._uploading:
                data.pop(field, None)
        if not data.get("Note") and not data.get("FileName"):
            raise faults.required("Note")
        refs = []
        for index, ref in enumerate(data.get("AttachableRef") or []):
            where = f"AttachableRef[{index}].EntityRef"
            entity_ref = (ref or {}).get("EntityRef") or {}
            kind = str(entity_ref.get("type") or "")
            if kind not in ENTITIES or kind in ("TaxCode", "TaxRate"):
                raise faults.invalid_reference(f"{where}.type", kind, "entity")
            holder = {"EntityRef": {"value": entity_ref.get("value")}}
            self._ref(holder, "EntityRef", kind, required=True, where=where)
            refs.append({**ref, "EntityRef": {**holder["EntityRef"], "type": kind}})
        if refs:
            data["AttachableRef"] = refs
        else:
            data.pop("AttachableRef", None)
        return data

    def upload(self, body: bytes, content_type: str) -> dict[str, Any]:
        """``POST /upload``: each file part with its metadata becomes an Attachable."""
        boundary = _boundary(content_type)
        parts = _parts(body, boundary)
        answers = []
        index = 1
        while f"file_content_{index:02d}" in parts:
            headers, raw = parts[f"file_content_{index:02d}"]
            metadata_part = parts.get(f"file_metadata_{index:02d}")
            metadata = json.loads(metadata_part[1] or "{}") if metadata_part else {}
            if not isinstance(metadata, dict):
                raise faults.business(f"file_metadata_{index:02d} must be an Attachable object.", "file_metadata")
            data = _file_bytes(headers, raw, index)
            file_type = str(headers.get("content-type") or metadata.get("ContentType") or "").split(";")[0].strip()
            if file_type not in CONTENT_TYPES:
                raise faults.business(f"Unsupported file type {file_type!r}.", "ContentType")
            if len(data) > MAX_FILE_BYTES:
                raise faults.business("The file is larger than 100 MB.", "file_content")
            answers.append({"Attachable": self._create_file(metadata, file_type, len(data))})
            index += 1
        if not answers:
            raise faults.required("file_content_01")
        return {"AttachableResponse": answers}

    def _create_file(self, metadata: dict[str, Any], file_type: str, size: int) -> dict[str, Any]:
        check_entity("Attachable", metadata)
        payload = {k: v for k, v in clean(copy.deepcopy(metadata)).items() if k not in computed_fields("Attachable")}
        if not payload.get("FileName"):
            raise faults.required("FileName")
        payload["ContentType"] = file_type
        payload["Size"] = size
        with self.lock:
            self._uploading = True
            try:
                created: dict[str, Any] = self.create("Attachable", payload)
            finally:
                self._uploading = False
            # Where QBO serves the file from (the emulator does not serve it).
            stored = {**created, "FileAccessUri": f"/v3/company/{self.realm_id}/download/{created['Id']}"}
            self._store("Attachable", stored)
        return stored


def _boundary(content_type: str) -> str:
    for piece in content_type.split(";"):
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"')
    raise faults.business("An upload is multipart/form-data with a boundary.", "Content-Type")


def _parts(body: bytes, boundary: str) -> dict[str, tuple[dict[str, str], str]]:
    """The named parts of a multipart body: name -> (headers, text)."""
    text = body.decode("utf-8", errors="replace").replace("\r\n", "\n")
    out: dict[str, tuple[dict[str, str], str]] = {}
    for chunk in text.split(f"--{boundary}"):
        chunk = chunk.strip("\n")
        if not chunk or chunk.startswith("--"):
            continue
        head, _, content = chunk.partition("\n\n")
        headers = {}
        for row in head.split("\n"):
            key, _, value = row.partition(":")
            if value:
                headers[key.strip().lower()] = value.strip()
        name = None
        for piece in headers.get("content-disposition", "").split(";"):
            key, _, value = piece.strip().partition("=")
            if key == "name":
                name = value.strip('"')
        if name:
            out[name] = (headers, content.strip("\n"))
    return out


def _file_bytes(headers: dict[str, str], raw: str, index: int) -> bytes:
    if headers.get("content-transfer-encoding", "").lower() == "base64":
        try:
            return base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise faults.business(f"file_content_{index:02d} is not valid base64.", "file_content") from None
    return raw.encode()
