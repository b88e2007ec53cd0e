"""Does the coverage report show a trainer exactly what the library lacks?"""

from __future__ import annotations

from arms_training.validation.coverage import REQUIREMENTS, coverage_report, coverage_reports
from arms_training.validation.validate import validate_paths


def test_the_shipped_library_has_no_holes_and_reports_its_framework():
    report = validate_paths()
    (cov,) = coverage_reports(report)
    assert cov.framework.id == "arms-2018" and cov.vignettes >= REQUIREMENTS.min_vignettes
    assert cov.holes == []
    assert "framework arms-2018" in cov.render() and "Holes: none" in cov.render()


def test_leaving_cases_out_names_each_hole():
    report = validate_paths()
    keep = {"v01-new-partner", "v02-online-images"}
    report.vignettes = {k: v for k, v in report.vignettes.items() if k in keep}
    holes = coverage_report(report).holes
    assert f"only 2 vignettes with keys; need {REQUIREMENTS.min_vignettes}" in holes
    assert any(h.startswith("no case with level of risk management") for h in holes)
    assert any(h.startswith("no key rates ") for h in holes)
