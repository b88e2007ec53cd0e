"""The calibration exports: every table as CSV and as one XLSX workbook, and an HTML report with
the figures embedded, suitable to attach to a quality-assurance record.

Spreadsheet cells go through :func:`arms_training.io.spreadsheet.safe_frame` (a trainee id such as
``=HYPERLINK(...)`` stays text in Excel); CSV has the same columns and ``%.6g`` numbers whether
``arms-training calibrate`` writes it or the dashboard offers it (with a UTF-8 byte-order mark so
Excel reads accents). In HTML every value is escaped. These are the encodings; the files of one
calibration are put together once, in :mod:`arms_training.reports.calibration_bundle`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from arms_training.agreement.registry import band_notes
from arms_training.calibration import catalogue
from arms_training.calibration.catalogue import BAD_RECORDS, Names
from arms_training.calibration.result import CalibrationSettings, CalibrationTables, bad_records_frame
from arms_training.io.spreadsheet import safe_frame

__all__ = [
    "EXPORT_NAMES",
    "export_tables",
    "table_csv",
    "csv_bytes",
    "workbook_bytes",
    "frame_html",
    "cell_html",
    "flagged_row",
    "png_img_html",
    "report_figures",
    "report_html",
    "REPORT_CSS",
]

# Every registered table, then the records not scored (read from the registry each time).
EXPORT_NAMES: Names = Names(lambda: (*catalogue.names(), BAD_RECORDS))
# Columns shown as percentages in HTML (the CSV and XLSX keep the 0-1 numbers).
PERCENT = {
    "exact_agreement",
    "within_one",
    "share_matching_key",
    "share",
    "share_over",
    "share_under",
    "plan_score",
    "plan",
}
SIGNED = ("bias", "diff", "trend", "difference")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def export_tables(
    result: CalibrationTables, extra: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables ``result`` carries (the command-line ones, and the summaries when built), any
    ``extra`` views, and ``bad_records`` (as in ``bad_records.csv``:
    :func:`~arms_training.calibration.result.bad_records_frame`), in :data:`EXPORT_NAMES` order,
    tables that are not registered last."""
    tables = dict(result.tables)
    tables |= dict(extra or {})
    tables[BAD_RECORDS] = bad_records_frame(result)
    names = tuple(EXPORT_NAMES)
    order = [n for n in names if n in tables] + [n for n in tables if n not in names]
    return {n: tables[n] for n in order}


def table_csv(frame: pd.DataFrame) -> str:
    """One table as CSV text, formula-guarded, numbers as ``%.6g``."""
    return safe_frame(frame).to_csv(index=False, float_format="%.6g")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """:func:`table_csv` as UTF-8 with a byte-order mark (Excel then reads accents)."""
    return ("\ufeff" + table_csv(frame)).encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN would make Excel report a damaged file
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()  # Excel has no time zones
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    if isinstance(value, bool | int | float):
        return value
    return _ILLEGAL_XLSX.sub("", str(value))


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Every table on its own sheet of one XLSX workbook (header frozen, filter buttons on, so
    a quality lead can sort in Excel); text cells formula-guarded."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, frame in tables.items():
        ws = wb.create_sheet(title=name[:31])
        safe = safe_frame(frame)
        ws.append([str(c) for c in safe.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in safe.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
        ws.freeze_panes = "A2"
        if len(safe.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(safe.columns))}{len(safe) + 1}"
        for i, column in enumerate(safe.columns, 1):
            longest = max([len(str(column)), *(len(str(v)) for v in safe[column].head(200))])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------------- HTML


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


NA_HTML = '<span class="arms-cal-na" title="not computable: see the note">&ndash;</span>'


def cell_html(column: str, value: Any) -> str:
    """One value for people: shares as %, differences signed, missing as a dash; escaped."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return NA_HTML
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return NA_HTML
        if column in PERCENT:
            return f"{value * 100:.0f}%"
        if any(s in column for s in SIGNED):
            return f"{value:+.2f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"
    if isinstance(value, pd.Timestamp | datetime):
        return esc(value.strftime("%Y-%m-%d %H:%M"))
    return esc(value)


def frame_html(
    frame: pd.DataFrame,
    *,
    css: str = "arms-table",
    columns: Sequence[str] | None = None,
    max_rows: int | None = None,
    row_class: Callable[[Mapping], str] | None = None,
    empty: str = "No rows.",
) -> str:
    """A table as escaped HTML; ``row_class(row)`` may add a CSS class to a row."""
    columns = [c for c in (columns or frame.columns) if c in frame.columns]
    if frame.empty:
        return f'<p class="arms-cal-empty">{esc(empty)}</p>'
    shown = frame if max_rows is None else frame.head(max_rows)
    head = "".join(f"<th>{esc(str(c).replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in shown[columns].to_dict("records"):
        klass = row_class(row) if row_class else ""
        attr = f' class="{esc(klass)}"' if klass else ""
        cells = "".join(f"<td>{cell_html(str(c), row[c])}</td>" for c in columns)
        body.append(f"<tr{attr}>{cells}</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f'<p class="arms-cal-more">{len(frame) - max_rows} more rows in the CSV and XLSX exports.</p>'
    return (
        f'<table class="{esc(css)}"><thead><tr>{head}</tr></thead><tbody>'
        f"{''.join(body)}</tbody></table>{more}"
    )


def flagged_row(row: Mapping) -> str:
    return "arms-cal-flagged-row" if row.get("flagged") is True else ""


def png_img_html(png: bytes | None, alt: str, css: str = "arms-cal-report-figure") -> str:
    if not png:
        return f"<p>({esc(alt)}: the figure could not be drawn.)</p>"
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="{esc(css)}" alt="{esc(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">'
    )


def report_figures(
    tables: Mapping[str, pd.DataFrame], settings: CalibrationSettings | None = None
) -> dict[str, bytes | None]:
    """PNG figures for the report, one per view; a figure that fails is ``None``."""
    from arms_training.plots import calibration as plots

    makers: dict[str, Callable[[], Any]] = {
        "assessors": lambda: plots.assessors_figure(tables["assessors"], settings),
        "factor_summary": lambda: plots.factors_figure(tables["factor_summary"]),
        "reliability": lambda: plots.reliability_figure(tables["reliability"]),
        "agencies": lambda: plots.agencies_figure(tables["agencies"]),
        "drift": lambda: plots.drift_figure(tables["drift"]),
        "plan_findings": lambda: plots.plans_figure(tables["plan_findings"]),
    }
    out: dict[str, bytes | None] = {}
    for name, make in makers.items():
        if name not in tables:
            continue
        try:
            out[name] = plots.figure_png(make())
        except Exception:  # noqa: BLE001 - a figure must not cost the report
            out[name] = None
    return out


REPORT_CSS = """
body {font-family: system-ui, sans-serif; max-width: 1150px; margin: 1em auto; padding: 0 1em;
  color: #222; line-height: 1.45;}
.arms-table {border-collapse: collapse; margin: 8px 0; font-size: 13px;}
.arms-table th, .arms-table td {border: 1px solid #ddd; padding: 3px 6px; text-align: left;
  vertical-align: top;}
.arms-table th {background: #f3f3f3;}
.arms-cal-flagged-row td {background: #fdecea;}
.arms-cal-na {color: #888;}
.arms-cal-note, .arms-cal-more {font-size: 12px; color: #555; font-style: italic;}
"""


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{esc(title)}</h2>{''.join(parts)}</section>"


# The built-in tables the report lays out in sections of their own (below); every other
# registered table with ``report`` set gets a plain section titled by its record, in
# registration order, before the records not scored.
_LAID_OUT = frozenset(
    {"assessors", "factor_summary", "reliability", "agencies", "drift", "plans", "plan_findings"}
)


def _assessors_section(tables: Mapping[str, pd.DataFrame], figures: Mapping[str, bytes | None]) -> str:
    assessors = tables["assessors"]
    flagged = assessors[assessors["flagged"]] if len(assessors) else assessors
    return _section(
        f"Assessors flagged ({len(flagged)} of {len(assessors)})",
        png_img_html(figures.get("assessors"), "Assessors against the key"),
        frame_html(
            flagged,
            columns=[
                "trainee_id",
                "agency",
                "area",
                "n",
                "exact_agreement",
                "within_one",
                "risk_bias",
                "protective_bias",
                "plan_score",
                "trend",
                "flag_reasons",
            ],
            empty="No assessor is flagged.",
        ),
    )


def _reliability_section(rel: pd.DataFrame, figures: Mapping[str, bytes | None], max_rows: int) -> str:
    return _section(
        catalogue.title("reliability"),
        png_img_html(figures.get("reliability"), "Reliability, cohort"),
        frame_html(
            rel,
            columns=[
                "statistic",
                "scope",
                "value",
                "ci_low",
                "ci_high",
                "interpretation",
                "ci_interpretation",
                "n_units",
                "n_raters",
                "note",
            ],
            max_rows=max_rows * 2,
            empty="No agreement statistic: no response in this selection.",
        ),
        "".join(f'<p class="arms-cal-note">{esc(b)}</p>' for b in band_notes(rel["statistic"]))
        if "bands" in rel
        else "",
    )


def _plans_section(
    tables: Mapping[str, pd.DataFrame], figures: Mapping[str, bytes | None], max_rows: int
) -> str:
    parts = [png_img_html(figures.get("plan_findings"), "Plan findings")]
    if "plan_findings" in tables:
        parts.append(frame_html(tables["plan_findings"]))
    parts.append("<h3>Most often failed, by vignette</h3>")
    parts.append(frame_html(tables["plans"], max_rows=max_rows))
    return _section("Risk management plans", *parts)


def report_html(
    tables: Mapping[str, pd.DataFrame],
    *,
    figures: Mapping[str, bytes | None] | None = None,
    settings: CalibrationSettings | None = None,
    described: Iterable[str] = (),
    problems: Iterable[str] = (),
    generated: datetime | None = None,
    max_rows: int = 40,
) -> str:
    """One self-contained HTML page: what data and filters, who is flagged and why, factors,
    reliability with its bands, agencies, drift, plans, a section per other registered table
    (titled by its record), and the records not scored.

    Long tables are cut at ``max_rows`` (the exports carry them whole); every flagged assessor
    is listed.
    """
    s = settings or CalibrationSettings()
    figures = figures if figures is not None else report_figures(tables, s)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    thresholds = (
        f"exact agreement < {s.exact_agreement_min:.2f}; within one < "
        f"{s.within_one_min:.2f}; bias on risk factors > {s.risk_bias_max:+.2f}; bias "
        f"on protective factors < {s.protective_bias_min:+.2f}; plan score < "
        f"{s.plan_score_min:.2f}; assessed from {s.min_responses} responses"
    )
    items = "".join(f"<li>{esc(d)}</li>" for d in described)
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>ARMS calibration report {esc(when)}</title><style>{REPORT_CSS}</style>",
        "</head><body>",
        "<h1>ARMS calibration report</h1>",
        f"<p>Generated {esc(when)} by arms-training.</p><ul>{items}</ul>",
        f'<p class="arms-cal-note">Flags: {esc(thresholds)}. Bootstrap intervals: {s.n_boot} '
        f"replicates, {s.confidence:.0%} confidence, seed {s.seed}. The case library and answer "
        "keys are illustrative; scale wording, level matrix and scoring weights are project "
        "defaults.</p>",
        _assessors_section(tables, figures),
    ]
    if "factor_summary" in tables:
        parts.append(
            _section(
                "Factors rated least reliably",
                png_img_html(figures.get("factor_summary"), "Factors"),
                frame_html(tables["factor_summary"], max_rows=max_rows),
            )
        )
    parts.append(_reliability_section(tables["reliability"], figures, max_rows))
    parts.append(
        _section(
            catalogue.title("agencies"),
            png_img_html(figures.get("agencies"), "Police and probation"),
            frame_html(tables["agencies"]),
        )
    )
    parts.append(
        _section(
            catalogue.title("drift"), png_img_html(figures.get("drift"), "Drift"), frame_html(tables["drift"])
        )
    )
    parts.append(_plans_section(tables, figures, max_rows))
    for name, frame in tables.items():
        record = catalogue.REGISTRY.get(name)
        if record is not None and record.report and name not in _LAID_OUT:
            parts.append(_section(record.title, frame_html(frame, max_rows=max_rows)))
    lines = "".join(f"<li>{esc(p)}</li>" for p in problems)
    parts.append(
        _section(
            catalogue.title(BAD_RECORDS),
            f"<ul>{lines}</ul>" if lines else "<p>Every record was scored.</p>",
        )
    )
    parts.append("</body></html>")
    return "".join(parts)
