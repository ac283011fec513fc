"""QBO's error answers: the Fault JSON shape and the codes the emulator uses.

Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
"""

from __future__ import annotations

from typing import Any

# Codes as QBO sends them (strings in the JSON).
AUTHENTICATION = "3200"
THROTTLE = "3001"
UNSUPPORTED_OPERATION = "500"
OBJECT_NOT_FOUND = "610"
INVALID_REFERENCE = "2500"
INVALID_PROPERTY = "2010"
REQUIRED_MISSING = "2020"
INVALID_ENUM = "2030"
INVALID_STRING_LENGTH = "2050"
BUSINESS_VALIDATION = "6000"
STALE_OBJECT = "5010"
DUPLICATE_DOC_NUMBER = "6140"
DUPLICATE_NAME = "6240"
AMOUNT_MISMATCH = "6070"
QUERY_PARSER = "4000"
QUERY_INVALID = "4001"
BATCH_LIMIT = "1040"
INTERNAL = "10000"
UNAVAILABLE = "10002"


class QBOFault(Exception):
    """An error answer: raise it anywhere in request handling; the emulator renders it."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str | None = None,
        status: int = 400,
        fault_type: str = "ValidationFault",
    ):
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail or message
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict[str, Any]:
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def not_found(entity: str, object_id: str) -> QBOFault:
    return QBOFault(
        OBJECT_NOT_FOUND,
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} Id {object_id})",
    )


def invalid_reference(field: str, value: Any, entity: str) -> QBOFault:
    return QBOFault(
        INVALID_REFERENCE,
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} assigned to this transaction has been deleted or does not exist: "
        f"{field} {value!r}",
        element=field,
    )


def required(field: str) -> QBOFault:
    return QBOFault(
        REQUIRED_MISSING,
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {field} is missing in the request",
        element=field,
    )


def stale(entity: str, object_id: str, current: str, given: Any) -> QBOFault:
    return QBOFault(
        STALE_OBJECT,
        "Stale Object Error",
        f"Stale Object Error : You and sandbox@example.com were working on this at the same time. "
        f"sandbox@example.com finished before you did, so your work was not saved. "
        f"({entity} Id {object_id} is at SyncToken {current}, request had {given})",
        element="SyncToken",
    )


def business(detail: str, element: str | None = None) -> QBOFault:
    return QBOFault(
        BUSINESS_VALIDATION,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def auth_failed(detail: str) -> QBOFault:
    """The API gateway's 401: QBO answers it with a lower-case ``fault`` document."""
    return QBOFault(
        AUTHENTICATION,
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        status=401,
        fault_type="AUTHENTICATION",
    )


def throttled(detail: str, status: int = 429) -> QBOFault:
    """QBO's throttle fault; the emulator renders it as XML, as QBO does even when JSON was asked for."""
    return QBOFault(
        THROTTLE,
        f"message=ThrottleExceeded; errorCode=003001; statusCode={status}",
        detail,
        status=status,
        fault_type="SERVICE",
    )
