"""Does the identifier linter catch planted identifiers and stay quiet on the shipped library?"""

from __future__ import annotations

import pytest

from arms_training.content import load_library
from arms_training.validation.identifiers import lint_text, lint_vignette

CAST = ["Owen Tallis", "Priya Marsh", "Marlow Cross"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("He gave his address as flat 2, postcode MC4 7QX.", "postcode"),
        ("Contact him on 07700 900123 after six.", "phone number"),
        ("His landline is 0161 496 0018.", "phone number"),
        ("He emails owen.t@example.org weekly.", "email address"),
        ("NI number QQ 12 34 56 C was checked.", "National Insurance number"),
        ("PNC 04/123456X shows two convictions.", "PNC or case number"),
        ("DOB 04/11/1979 confirmed against the passport.", "date of birth"),
        ("He was born on 4 November 1979 in the town.", "date of birth"),
        ("The car, MA21 XKT, was parked outside.", "vehicle registration"),
        ("He moved to 14 Cedar Road last spring.", "street address"),
        ("Mr Hargreaves from the housing team attended.", "name not in the cast"),
        ("He met Sarah Jennings at the club.", "name not in the cast"),
        ("Dr Okafor reviewed his medication.", "name not in the cast"),
    ],
)
def test_planted_identifier_is_caught(text, kind):
    kinds = [f.kind for f in lint_text(text, CAST)]
    assert kind in kinds, kinds


@pytest.mark.parametrize(
    "text",
    [
        "Tallis attended on 3 occasions in week 6 of his licence.",
        "Mr Tallis and Ms Marsh attended the MAPPA level 2 meeting.",
        "Priya Marsh, his probation practitioner, saw him in Marlow Cross.",
        "OSP/C places him in the medium category; Risk Matrix 2000 was used before.",
        "Children's Services and the Probation Service shared the OASys summary.",
        "He scored 12/20 on the programme's end-of-block review.",
        "He lives in a two-bedroom flat above a shop on the High Street.",
    ],
)
def test_ordinary_case_file_language_is_not_flagged(text):
    assert lint_text(text, CAST) == []


def test_no_false_alarm_on_the_shipped_library():
    lib = load_library()
    assert lib.vignettes, "the shipped library is empty"
    findings = [str(p) for vid, v in lib.vignettes.items() for p in lint_vignette(v, lib.vignette_paths[vid])]
    assert findings == []
