"""Words on the merchant's pages."""


def counted(count: int, one: str, many: str = "") -> str:
    """``counted(1, "order")`` -> "1 order"; ``counted(3, "order")`` -> "3 orders": never "order(s)"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
