"""Exceptions scm raises on purpose; the CLI turns each into one `error:` line and an exit code."""

from __future__ import annotations

import reprlib


class ScmError(Exception):
    """Base class of every error scm raises on purpose."""

    exit_code = 1


class InputError(ScmError):
    """A table or option is wrong. Exit code 2.

    The message names the file (or table), the column, the first offending rows or
    series, and how to fix it.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        rows: list | None = None,
        fix: str | None = None,
    ) -> None:
        self.source = source
        self.column = column
        self.rows = rows
        self.fix = fix
        parts = []
        if source:
            parts.append(f"{source}:")
        if column:
            parts.append(f"column '{column}':")
        parts.append(message)
        if rows:
            parts.append(f"(rows/series {reprlib.repr(list(rows))})")
        text = " ".join(parts)
        if fix:
            text += f"; {fix}"
        super().__init__(text)


class InfeasibleError(ScmError):
    """The planning problem has no feasible plan. Exit code 3.

    `diagnosis` names what makes it infeasible (resource and period, or series and period).
    """

    exit_code = 3

    def __init__(self, message: str, diagnosis: list[str] | None = None) -> None:
        self.diagnosis = diagnosis or []
        super().__init__(message)


class SolverError(ScmError):
    """The solver stopped without any feasible plan (time limit, numerical trouble). Exit code 3."""

    exit_code = 3


def fmt_items(items, limit: int = 5) -> str:
    """A short, readable list of the first `limit` items and how many there are in all."""
    items = list(items)
    shown = ", ".join(str(x) for x in items[:limit])
    if len(items) > limit:
        shown += f", … ({len(items)} in all)"
    return shown
