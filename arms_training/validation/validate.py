"""Validate frameworks, vignettes, answer keys and responses, and their cross-references.

Every file is checked on its own first; a file that fails is reported and left out of the
cross-reference checks rather than half-loaded. Nothing here raises for bad content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from arms_training.content import AnswerKey, Vignette, load_key, load_vignette
from arms_training.errors import ContentError, Problem
from arms_training.framework import Framework, available_frameworks, load_framework
from arms_training.io.documents import read_document
from arms_training.locations import content_root
from arms_training.responses import Response, load_response
from arms_training.validation.checks import check_key, check_response, check_vignette
from arms_training.validation.identifiers import lint_vignette

__all__ = ["ValidationReport", "validate_paths", "default_paths"]


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    vignettes: dict[str, tuple[Path, Vignette]] = field(default_factory=dict)
    keys: dict[str, tuple[Path, AnswerKey]] = field(default_factory=dict)
    responses: list[tuple[Path, Response]] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def default_paths() -> list[Path]:
    root = content_root()
    return [*available_frameworks(), root / "vignettes", root / "answer_keys"]


def _expand(paths: list[Path]) -> tuple[list[Path], bool]:
    """Files to check, and whether a whole library (a folder) was given."""
    files: list[Path] = []
    library = False
    for p in paths:
        if p.is_dir():
            library = True
            for sub in ("frameworks", "vignettes", "answer_keys"):
                if (p / sub).is_dir():
                    files += sorted((p / sub).glob("*.y*ml"))
            files += sorted(x for x in p.glob("*") if x.suffix in (".yaml", ".yml", ".json"))
        else:
            files.append(p)
    return list(dict.fromkeys(files)), library


def _kind(data: object) -> str:
    if not isinstance(data, dict):
        return "unknown"
    if "response_id" in data:
        return "response"
    if "vignette_id" in data:
        return "key"
    if "level_matrix" in data or "rating_scale" in data:
        return "framework"
    if "sections" in data or "cast" in data:
        return "vignette"
    return "unknown"


_LOADERS = {
    "framework": load_framework,
    "vignette": load_vignette,
    "key": load_key,
    "response": load_response,
}


def validate_paths(paths: list[str | Path] | None = None) -> ValidationReport:
    report = ValidationReport()
    given = [Path(p) for p in paths] if paths else default_paths()
    files, library = _expand(given)
    missing = [p for p in given if not p.exists()]
    for p in missing:
        report.problems.append(Problem(str(p), "", "no such file or folder"))
    for path in files:
        if not path.exists():
            continue
        report.files += 1
        try:
            data, _ = read_document(path)
            kind = _kind(data)
            if kind == "unknown":
                raise ContentError.single(
                    str(path),
                    "",
                    "not a framework, vignette, answer key or "
                    "response (no level_matrix, sections, vignette_id or "
                    "response_id field)",
                )
            item = _LOADERS[kind](path)
        except ContentError as exc:
            report.problems += exc.problems
            continue
        if isinstance(item, Framework):
            report.frameworks[item.id] = item
        elif isinstance(item, Vignette):
            _add_unique(report, report.vignettes, item.id, path, item, "id")
        elif isinstance(item, AnswerKey):
            _add_unique(report, report.keys, item.vignette_id, path, item, "vignette_id")
        elif isinstance(item, Response):
            report.responses.append((path, item))
    _cross_check(report, library)
    return report


def _add_unique(report: ValidationReport, table: dict, ident: str, path: Path, item, field: str):
    if ident in table:
        report.problems.append(
            Problem(str(path), field, f"duplicate id '{ident}' (also in {table[ident][0]})")
        )
    else:
        table[ident] = (path, item)


def _framework(report: ValidationReport, framework_id: str, path: Path) -> Framework | None:
    if framework_id in report.frameworks:
        return report.frameworks[framework_id]
    for candidate in available_frameworks():
        try:
            fw = load_framework(candidate)
        except ContentError:
            continue
        if fw.id == framework_id:
            report.frameworks[fw.id] = fw
            return fw
    report.problems.append(
        Problem(
            str(path),
            "framework",
            f"unknown framework '{framework_id}'; "
            f"installed: {', '.join(p.stem for p in available_frameworks())}",
        )
    )
    return None


def _sibling_vignette(key_path: Path, vignette_id: str) -> Vignette | None:
    for candidate in (key_path.parent.parent / "vignettes" / f"{vignette_id}.yaml",):
        if candidate.exists():
            try:
                return load_vignette(candidate)
            except ContentError:
                return None
    return None


def _cross_check(report: ValidationReport, library: bool) -> None:
    for vid, (path, v) in report.vignettes.items():
        fw = _framework(report, v.framework, path)
        if fw is not None:
            report.problems += check_vignette(v, fw, path)
        report.problems += lint_vignette(v, path)
        if library and vid not in report.keys:
            report.problems.append(Problem(str(path), "id", f"no answer key for vignette '{vid}'"))
    for vid, (path, key) in report.keys.items():
        fw = _framework(report, key.framework, path)
        vignette = report.vignettes[vid][1] if vid in report.vignettes else _sibling_vignette(path, vid)
        if fw is not None:
            report.problems += check_key(key, vignette, fw, path)
    for path, response in report.responses:
        fw = _framework(report, response.framework, path)
        vignette = report.vignettes.get(response.vignette_id, (None, None))[1]
        if vignette is None:
            from arms_training.content import load_library

            vignette = load_library().vignettes.get(response.vignette_id)
        if fw is not None:
            report.problems += check_response(response, fw, vignette, str(path))
