"""The calibration tables, one record each: what the dashboard shows and the exports carry.

A :class:`Table` says everything the package knows about one table: its name (the dashboard
view, the CSV file, the workbook sheet), its title (the report's section heading), how to
build it from a :class:`~arms_training.calibration.scored.TableInputs`, and where it goes:
whether ``arms-training calibrate --out`` writes it as CSV (``csv``; the others are the
summaries, in the workbook and the report only), whether the dashboard app computes it only on
request (``on_request``: it is slow), whether the HTML report gives it a section (``report``),
and what columns people read it with (``annotate``). Everything iterates :data:`REGISTRY` in
registration order: :func:`~arms_training.calibration.result.tables`,
:meth:`~arms_training.calibration.dashboard.Dashboard.view`, the export bundle
(:mod:`arms_training.reports.calibration_bundle`: CSV set, workbook sheets, report sections).
Adding a table is therefore one :func:`register` call (plus its builder); nothing else needs
editing.

``bad_records`` (:data:`BAD_RECORDS`: the records left out, from what could not be read or
scored rather than from the scored responses) is not a record: every export carries it last.

A record is checked when it is built and when it is registered (a name that cannot be a file
and sheet name, a title or name already taken), and the built-in records are registered when
this module is imported, so a bad one fails the import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import overload

import pandas as pd

from arms_training.calibration.agencies import agencies_table
from arms_training.calibration.assessors import assessors_table, drift_table
from arms_training.calibration.factors import factor_summary_table, factors_table
from arms_training.calibration.plans import plan_findings_table, plans_table
from arms_training.calibration.reliability import reliability_table, with_bands
from arms_training.calibration.scored import TableInputs

__all__ = [
    "Table",
    "TableInputs",
    "REGISTRY",
    "BAD_RECORDS",
    "BAD_RECORDS_TITLE",
    "register",
    "unregister",
    "table",
    "records",
    "names",
    "title",
    "Names",
]

BAD_RECORDS = "bad_records"
BAD_RECORDS_TITLE = "Records not scored"
# A name is a CSV file name, a workbook sheet name (Excel allows 31 characters; a longer one
# would be cut and could clash) and a CSS class of the dashboard's download links.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")

Builder = Callable[[TableInputs], pd.DataFrame]


@dataclass(frozen=True)
class Table:
    """One calibration table.

    Attributes
    ----------
    name : str
        How code, files and sheets name it: lower case, digits and ``_``, at most 31 characters.
    title : str
        What people read: the report's section heading (a built-in table's section may say
        more, e.g. how many assessors are flagged).
    build : callable
        ``build(inputs: TableInputs) -> DataFrame``. Pure: the same inputs give the same table.
    csv : bool
        ``arms-training calibrate --out`` writes it as ``<name>.csv`` and :func:`tables` always
        builds it; otherwise it is a summary, built with ``tables(..., summaries=True)`` and
        carried by the workbook and the report only.
    on_request : bool
        Slow (reliability's bootstrap): the dashboard app computes it for a large selection
        only when the quality lead asks (:meth:`Dashboard.on_request`).
    report : bool
        The HTML report gives it a section. ``factors`` has none: its summary stands for it
        and the workbook carries it whole.
    annotate : callable, optional
        ``annotate(table) -> table`` with the columns people read it with, added in the
        dashboard's view (so its downloads) and in the report; the command line's CSV and
        workbook keep the table as built. Applying it twice must give what once gives.
    """

    name: str
    title: str
    build: Builder
    csv: bool = True
    on_request: bool = False
    report: bool = True
    annotate: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(
                f"table name={self.name!r} is not valid; allowed: lower case letters, digits and _, "
                "starting with a letter, at most 31 characters (it names a CSV file and a sheet)"
            )
        if self.name == BAD_RECORDS:
            raise ValueError(f"table name={self.name!r} is taken: every export carries it last")
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"table {self.name!r}: title={self.title!r}; a heading is required")
        if not callable(self.build):
            raise ValueError(f"table {self.name!r}: build={self.build!r} is not callable")
        if self.annotate is not None and not callable(self.annotate):
            raise ValueError(f"table {self.name!r}: annotate={self.annotate!r} is not callable")
        for flag in ("csv", "on_request", "report"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"table {self.name!r}: {flag}={getattr(self, flag)!r}; allowed: True, False")

    def shown(self, built: pd.DataFrame) -> pd.DataFrame:
        """``built`` as people read it (:attr:`annotate` applied, if any)."""
        return built if self.annotate is None else self.annotate(built)


_RECORDS: dict[str, Table] = {}
REGISTRY: Mapping[str, Table] = MappingProxyType(_RECORDS)


def register(record: Table) -> Table:
    """Add ``record`` after the others (the order of views, files, sheets and report sections);
    its name and title must be new."""
    if not isinstance(record, Table):
        raise TypeError(f"register needs a Table, got {type(record).__name__}")
    if record.name in _RECORDS:
        raise ValueError(f"table {record.name!r} is already registered")
    for other in _RECORDS.values():
        if other.title.casefold() == record.title.casefold():
            raise ValueError(
                f"table {record.name!r}: title {record.title!r} is already {other.name!r}'s title"
            )
    _RECORDS[record.name] = record
    return record


def unregister(name: str) -> Table:
    """Remove and return the record ``name`` (tests that register one use it to clean up)."""
    return _RECORDS.pop(table(name).name)


def table(name: str) -> Table:
    """The record ``name``; ``ValueError`` naming the registered tables if there is none."""
    try:
        return _RECORDS[name]
    except (KeyError, TypeError):
        raise ValueError(f"table {name!r} is not valid; allowed: {', '.join(_RECORDS)}") from None


def records(*, csv: bool | None = None) -> tuple[Table, ...]:
    """The records in registration order; ``csv=True`` those ``calibrate --out`` writes,
    ``csv=False`` the summaries."""
    return tuple(r for r in _RECORDS.values() if csv is None or r.csv == csv)


def names(*, csv: bool | None = None) -> tuple[str, ...]:
    """The names of :func:`records`."""
    return tuple(r.name for r in records(csv=csv))


def title(name: str) -> str:
    """The heading of table ``name`` (:data:`BAD_RECORDS` included)."""
    return BAD_RECORDS_TITLE if name == BAD_RECORDS else table(name).title


class Names(Sequence[str]):
    """A read-only sequence of table names that reads the registry each time it is used, so a
    constant such as ``TABLE_NAMES`` never lags behind a table registered after import."""

    def __init__(self, pick: Callable[[], tuple[str, ...]]) -> None:
        self._pick = pick

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._pick()[index]

    def __len__(self) -> int:
        return len(self._pick())

    def __iter__(self) -> Iterator[str]:
        return iter(self._pick())

    def __contains__(self, name: object) -> bool:
        return name in self._pick()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._pick() == tuple(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._pick())


# ------------------------------------------------------------------------------- the tables


def _reliability(t: TableInputs) -> pd.DataFrame:
    if t.progress is not None:
        t.progress(0.0, "alpha, kappa and agreement")
    return reliability_table(t.scored, t.frames, t.keys, t.frameworks, t.settings, progress=t.progress)


register(Table("assessors", "Assessors", lambda t: assessors_table(t.scored, t.settings)))
register(
    Table(
        "factors",
        "Factors by vignette",
        lambda t: factors_table(t.scored, t.frames, t.batch, t.keys, t.frameworks),
        report=False,
    )
)
register(Table("reliability", "Reliability", _reliability, on_request=True, annotate=with_bands))
register(
    Table(
        "agencies",
        "Police and probation",
        lambda t: agencies_table(t.scored, t.batch, t.frameworks, t.settings),
    )
)
register(Table("drift", "Drift by month", lambda t: drift_table(t.scored)))
register(
    Table(
        "plans",
        "Plan findings by vignette and item",
        lambda t: plans_table(t.scored, t.batch, t.keys, t.frameworks),
    )
)
register(
    Table(
        "factor_summary",
        "Factors",
        lambda t: factor_summary_table(t.scored, t.batch, t.all_frameworks),
        csv=False,
    )
)
register(
    Table(
        "plan_findings",
        "Plan findings by kind",
        lambda t: plan_findings_table(t.scored, t.batch, t.all_frameworks),
        csv=False,
    )
)
