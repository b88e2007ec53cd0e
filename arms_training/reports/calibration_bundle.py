"""The calibration export bundle: one calibration's CSV set, XLSX workbook and HTML report.

The dashboard's Export tab and ``arms-training calibrate --out/--xlsx/--report`` both build a
:class:`CalibrationBundle` from their :class:`~arms_training.calibration.result.CalibrationTables`
and take every file from it, so the two cannot drift apart. What goes in is
:func:`~arms_training.reports.calibration.export_tables`: every table of the result (one per
record of :mod:`arms_training.calibration.catalogue`: those the command line writes as CSV,
the summaries such as ``factor_summary`` and ``plan_findings`` when they were computed), and
``bad_records``.
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

from arms_training.calibration import catalogue
from arms_training.calibration.catalogue import BAD_RECORDS, Names
from arms_training.calibration.dashboard import problem_groups
from arms_training.calibration.result import CalibrationSettings, CalibrationTables
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

# What ``calibrate --out`` writes: the tables whose record says ``csv``, and the records left
# out; the summaries are the others (both read from the registry each time).
COMMAND_LINE_CSVS: Names = Names(lambda: (*catalogue.names(csv=True), BAD_RECORDS))
SUMMARY_NAMES: Names = Names(lambda: catalogue.names(csv=False))


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
        """The bundle of ``result``: every table it carries (the summaries too when built:
        ``tables(..., summaries=True)``, ``Dashboard.result(summaries=True)``) and any ``extra``
        views. The problems listed are ``result.bad`` then ``result.duplicates``, grouped.
        """
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
        """The tables the report reads, as people read them (each record's ``annotate``:
        reliability with both ends of each interval read against the bands; the dashboard's
        views have them already, and annotating twice changes nothing)."""
        return {
            n: catalogue.REGISTRY[n].shown(t) if n in catalogue.REGISTRY else t
            for n, t in self.tables.items()
        }

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
    :data:`COMMAND_LINE_CSVS` (the tables whose record says ``csv``, then ``bad_records.csv``:
    records left out, then duplicates skipped), formula-guarded, without a byte-order mark."""
    return CalibrationBundle.of(result).write_csvs(out_dir)
