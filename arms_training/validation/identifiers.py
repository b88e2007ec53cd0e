"""The identifier linter for case material.

Vignettes must be fictional and anonymised: no real-looking postcodes, phone numbers, emails,
National Insurance or PNC numbers, dates of birth, number plates or house-numbered addresses,
and no named person who is not in the vignette's declared cast. The patterns favour catching a
planted identifier over silence; the shipped library must still pass with no false alarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from arms_training.content import Vignette
from arms_training.errors import Problem

__all__ = ["Finding", "lint_text", "lint_vignette", "RULES"]

_STREET = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Court|Place|Terrace|"
    r"Gardens|Grove|Square|Walk|Row|Mews|Parade|View|Rise"
)
_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_DATE = rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\s+\d{{4}})"

RULES: dict[str, re.Pattern[str]] = {
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"),
    "phone number": re.compile(
        r"(?<![\w/])(?:\+44\s?\(?0?\)?\s?\d{2,4}|\(?0\d{2,4}\)?)[\s-]?\d{3,4}[\s-]?\d{3,4}\b"
    ),
    "email address": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    # Any two letters, not only HMRC's valid prefixes: the specimen "QQ" must be caught too.
    "National Insurance number": re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"),
    "PNC or case number": re.compile(r"\b(?:\d{2}|\d{4})/\d{4,8}[A-Z]\b|\b[A-Z]{2,4}/\d{4,}/\d{2,}\b"),
    "date of birth": re.compile(
        rf"\b(?:DOB|D\.O\.B\.?|date of birth|born(?: on)?)\b[:\s]*{_DATE}|\b\d{{1,2}}/\d{{1,2}}/\d{{4}}\b",
        re.IGNORECASE,
    ),
    "vehicle registration": re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b|\b[A-Z]\d{1,3}\s[A-Z]{3}\b"),
    "street address": re.compile(rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){{1,3}}(?:{_STREET})\b"),
}

# A possessive ('s) is not part of the name: "Mrs Fenwick's" names the cast's Fenwick.
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+([A-Z][A-Za-z-]*(?:'[A-Za-z]{2,}[A-Za-z-]*)?)")
_FULL_NAME = re.compile(r"\b([A-Z][a-z]+)\s+([A-Z][a-z-]*(?:'[A-Za-z]{2,}[a-z-]*)?)\b")


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    def __str__(self) -> str:
        return f"possible {self.kind} '{self.text}'"


@cache
def _given_names() -> frozenset[str]:
    path = Path(__file__).resolve().parents[1] / "data" / "given_names.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def _cast_words(cast_names: list[str]) -> set[str]:
    return {word.strip(".,'") for name in cast_names for word in name.split()}


def lint_text(text: str, cast_names: list[str] = ()) -> list[Finding]:  # type: ignore[assignment]
    """Return the identifiers in ``text`` that are not allowed in case material."""
    findings = [Finding(kind, m.group(0)) for kind, rx in RULES.items() for m in rx.finditer(text)]
    cast_words = _cast_words(list(cast_names))
    for m in _TITLED.finditer(text):
        if m.group(1) not in cast_words:
            findings.append(Finding("name not in the cast", m.group(0)))
    given = _given_names()
    full_cast = {" ".join(n.split()) for n in cast_names}
    for m in _FULL_NAME.finditer(text):
        first, last = m.group(1), m.group(2)
        if first in given and m.group(0) not in full_cast and last not in cast_words:
            findings.append(Finding("name not in the cast", m.group(0)))
    return findings


def lint_vignette(v: Vignette, path: str | Path) -> list[Problem]:
    """Lint every paragraph (and the summary) of a vignette; one Problem per finding."""
    cast = [c.name for c in v.cast]
    out: list[Problem] = []
    texts = [("summary", v.summary)] + [
        (f"{section}.{para.id}", para.text) for section, para in v.iter_paragraphs(include_follow_up=True)
    ]
    for field, text in texts:
        for finding in lint_text(text, cast):
            out.append(
                Problem(
                    str(path),
                    field,
                    f"{finding}: case material must be anonymised; "
                    "declare fictional names in cast, and remove real identifiers",
                )
            )
    return out
