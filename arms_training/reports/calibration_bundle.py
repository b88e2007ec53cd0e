"""The calibration export bundle: one calibration's CSV set, XLSX workbook and HTML report.

The dashboard's Export tab and ``arms-training calibrate --out/--xlsx/--report`` both build a
:class:`CalibrationBundle` from their :class:`~arms_training.calibration.result.CalibrationTables`
and take every file from it, so the two cannot drift apart. What goes in is
:func:`~arms_training.reports.calibration.export_tables`: the six tables, the dashboard's two
summaries (``factor_summary``, ``plan_findings``) when they were computed, and ``bad_records``.
The encodings are those of :mod:`arms_training.reports.calibration` (formula-guarded cells,
``%.6g`` numbers, escaped HTML).

What differs between the two callers is data, not assembly: the command line writes its CSV set
without a byte-order mark and without the summaries (:data:`COMMAND_LINE_CSVS`, as it always
has), the dashboard offers every table with a mark for Excel; the dashboard's reliability table
already carries the band columns, the command line's gains them for the report only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from arms_training.calibration.dashboard import problem_groups
from arms_training.calibration.result import TABLE_NAMES, CalibrationSettings, CalibrationTables
from arms_training.calibration.tabulate import with_bands
from arms_training.io.files import write_atomic
from arms_training.reports.calibration import (
    csv_bytes,
    export_tables,
    report_figures,
    report_html,
    table_csv,
    workbook_bytes,
)

__all__ = ["CalibrationBundle", "COMMAND_LINE_CSVS", "SUMMARY_NAMES", "write_tables"]

# What ``calibrate --out`` writes: the six tables and the records left out.
COMMAND_LINE_CSVS = (*TABLE_NAMES, "bad_records")
SUMMARY_NAMES = ("factor_summary", "plan_findings")


@dataclass(frozen=True)
class CalibrationBundle:
    """Every export of one calibration.

    Attributes
    ----------
    tables : mapping of name to DataFrame
        In export order (:data:`~arms_training.reports.calibration.EXPORT_NAMES`).
    settings : CalibrationSettings
        The thresholds the tables were built with (the report states them).
    described : tuple of str
        What data and filters, one line each, for the top of the report.
    problems : tuple of str
        The records not scored, grouped by kind of problem, for the end of the report.
    """

    tables: Mapping[str, pd.DataFrame]
    settings: CalibrationSettings
    described: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        result: CalibrationTables,
        extra: Mapping[str, pd.DataFrame] | None = None,
        *,
        described: Iterable[str] = (),
    ) -> CalibrationBundle:
        """The bundle of ``result``.

        ``extra`` views (the dashboard's ``factor_summary`` and ``plan_findings``) default to
        those ``result`` carries (``tables(..., summaries=True)``). The problems listed are
        ``result.bad`` then ``result.duplicates``, grouped.
        """
        if extra is None:
            extra = {n: v for n in SUMMARY_NAMES if (v := getattr(result, n)) is not None}
        return cls(
            tables=export_tables(result, extra),
            settings=result.settings,
            described=tuple(described),
            problems=tuple(problem_groups([*result.bad, *result.duplicates])),
        )

    def csv(self, name: str, *, bom: bool = True) -> bytes:
        """One table as CSV bytes; ``bom`` puts a UTF-8 byte-order mark first (Excel then reads
        accents)."""
        frame = self.tables[name]
        return csv_bytes(frame) if bom else table_csv(frame).encode("utf-8")

    def csv_files(self, names: Iterable[str] | None = None, *, bom: bool = True) -> dict[str, bytes]:
        """``{table name: CSV bytes}`` for ``names`` (default: every table, in order)."""
        return {n: self.csv(n, bom=bom) for n in (self.tables if names is None else names)}

    def workbook(self) -> bytes:
        """Every table on its own sheet of one XLSX workbook."""
        return workbook_bytes(self.tables)

    def report_tables(self) -> dict[str, pd.DataFrame]:
        """The tables the report reads: reliability with both ends of each interval read
        against the bands (the dashboard's view has them already)."""
        tables = dict(self.tables)
        if "bands" not in tables["reliability"].columns:
            tables["reliability"] = with_bands(tables["reliability"])
        return tables

    def report(
        self,
        *,
        figures: Mapping[str, bytes | None] | None = None,
        generated: datetime | None = None,
    ) -> str:
        """The self-contained HTML report (figures drawn unless given; ``generated`` defaults
        to now)."""
        tables = self.report_tables()
        return report_html(
            tables,
            figures=figures if figures is not None else report_figures(tables, self.settings),
            settings=self.settings,
            described=self.described,
            problems=self.problems,
            generated=generated,
        )

    def write_csvs(
        self, out_dir: str | Path, names: Iterable[str] = COMMAND_LINE_CSVS, *, bom: bool = False
    ) -> list[Path]:
        """``<name>.csv`` in ``out_dir`` for each of ``names``, each written whole or not at all
        (:func:`~arms_training.io.files.write_atomic`); returns the paths."""
        out = Path(out_dir)
        return [write_atomic(out / f"{n}.csv", data) for n, data in self.csv_files(names, bom=bom).items()]


def write_tables(result: CalibrationTables, out_dir: str | Path) -> list[Path]:
    """Write what ``arms-training calibrate --out`` writes: ``<table>.csv`` for each of
    :data:`~arms_training.calibration.result.TABLE_NAMES` and ``bad_records.csv`` (records left
    out, then duplicates skipped), formula-guarded, without a byte-order mark."""
    return CalibrationBundle.of(result).write_csvs(out_dir)
