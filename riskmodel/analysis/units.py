"""Money on screen: every printed table and the report show amounts in one unit of the reporting currency
(thousands, millions, billions or trillions, as the amounts' size asks); files keep raw amounts."""
from __future__ import annotations


def money_unit(scale: float, ccy: str) -> tuple[float, str]:
    """(divisor, name) for amounts of about ``scale``: thousands, millions, billions or trillions of ``ccy``."""
    scale = max(abs(scale), 1.0)
    for f, name in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if scale / f >= 100:
            return f, f"{ccy} {name}".strip()
    return 1.0, ccy


def money(x: float, f: float, digits: int = 3) -> str:
    """``x`` in the unit of divisor ``f``: 1.234e11 with f = 1e9 is '123.400'."""
    return f"{x / f:,.{digits}f}"
