"""User-facing errors: every problem found, each naming where and which rule.

A user mistake ends in :class:`InputError` (CLI exit code 2) listing all
problems; nothing is simulated or written. Bugs stay ordinary exceptions.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

#: Rows listed per (source, column, rule) before the rest are counted.
MAX_ROWS_SHOWN = 10


class RiskModelError(Exception):
    """Base class of the errors riskmodel raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One broken rule in one place of the input.

    ``row`` is the 1-based position of the record in its table (the first data
    row is row 1); ``line`` is the line or sheet row in the file where one
    exists (the header is line 1). ``key`` is the record's id when known.
    """

    source: str  # file name (or "<DataFrame>")
    table: str  # exporters | importers | covers | scenario | master_scale | ...
    rule: str  # what must hold, and how to fix it
    column: str | None = None
    row: int | None = None
    line: int | None = None
    key: str | None = None
    value: object = None

    def where(self) -> str:
        parts = [self.source if self.source == self.table else f"{self.source} [{self.table}]"]
        if self.row is not None:
            r = f"row {self.row}"
            if self.line is not None:
                r += f" (line {self.line})"
            if self.key is not None:
                r += f" ({self.key})"
            parts.append(r)
        if self.column is not None:
            parts.append(f"{'key' if self.table == 'scenario' else 'column'} '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        got = "" if self.value is None else f", got {self.value!r}"
        return f"{self.where()}: {self.rule}{got}"


class InputError(RiskModelError):
    """Invalid input: carries every :class:`Problem` found, not only the first."""

    def __init__(self, problems: list[Problem], context: str = "input"):
        self.problems = list(problems)
        self.context = context
        super().__init__(self.report())

    def report(self, max_rows: int = MAX_ROWS_SHOWN) -> str:
        """All problems, grouped by (source, table, column, rule); long groups are counted."""
        groups: dict[tuple, list[Problem]] = defaultdict(list)
        for p in self.problems:
            groups[(p.source, p.table, p.column, p.rule)].append(p)
        n = len(self.problems)
        lines = [f"invalid {self.context}: {n} problem{'s' if n != 1 else ''} found; nothing was simulated or written"]
        for ps in groups.values():
            for p in ps[:max_rows]:
                lines.append(f"  - {p}")
            if len(ps) > max_rows:
                lines.append(f"  - ... and {len(ps) - max_rows} more rows with the same problem")
        return "\n".join(lines)


def raise_if(problems: list[Problem], context: str = "input") -> None:
    if problems:
        raise InputError(problems, context)
