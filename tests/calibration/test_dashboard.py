"""Does the dashboard's logic flag exactly the demo assessors generated with a bad tendency, give
the command line's numbers for the same responses and filters, merge imports without duplicates,
and meet bad input with a clear message or a reason instead of a wrong number?"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date

import numpy as np
import pandas as pd
import pytest

from arms_training import agreement
from arms_training.agreement.bootstrap import counts_ci, icc_ci
from arms_training.agreement.icc import icc_layout
from arms_training.agreement.ratings import unit_counts
from arms_training.calibration.dashboard import (
    Dashboard,
    DashboardState,
    SourceError,
    page_of,
    problem_groups,
    sort_table,
)
from arms_training.calibration.demo_data import BAD_TENDENCIES, manifest_path, tendency_of, write_demo
from arms_training.calibration.result import TABLE_NAMES, CalibrationSettings, Filters, tables
from arms_training.cli import main as cli_main
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.reports.calibration import table_csv
from arms_training.responses import Response
from arms_training.scoring.rules import score
from arms_training.store import Store

LIB = load_library()
FW = framework_by_id("arms-2018")
FAST = CalibrationSettings(n_boot=100)
REASON_OF = {
    "over_rates_risk": "over-rates risk",
    "under_credits_protective": "under-credits protective",
    "careless": "exact agreement",
}


def demo_file(tmp_path, trainees=40, each=8, seed=0):
    path = tmp_path / f"demo-{seed}.jsonl"
    write_demo(path, trainees, each, seed=seed, library=LIB)
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = demo_file(tmp_path_factory.mktemp("demo"))
    d = Dashboard(LIB, state=DashboardState(settings=FAST))
    d.import_path(path)
    return d, path


def lines(path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


# ------------------------------------------------------------------------ who is flagged, why


@pytest.mark.parametrize("seed", [0, 3])
def test_flags_exactly_the_assessors_generated_with_a_bad_tendency(tmp_path, seed):
    """The manifest names each assessor's tendency; the flagged set is exactly the bad ones and
    each reason names the tendency's weakness."""
    path = demo_file(tmp_path, seed=seed)
    d = Dashboard(LIB)
    d.import_path(path)
    manifest = json.loads(manifest_path(path).read_text())
    tendency = {a["id"]: a["tendency"] for a in manifest["assessors"]}
    table = d.view("assessors").set_index("trainee_id")
    flagged = set(table.index[table["flagged"]])
    assert flagged == {t for t, k in tendency.items() if k in BAD_TENDENCIES}
    for trainee in flagged:
        assert REASON_OF[tendency[trainee]] in table.loc[trainee, "flag_reasons"]
    # The tendency is also in each response (role "demo:<tendency>"); the dashboard never
    # reads it, but it agrees with the manifest.
    roles = {r.trainee.id: tendency_of(r.trainee.role) for r in map(d.response, range(d.n_loaded))}
    assert roles == tendency
    assert d.summary()["flagged"] == len(flagged)


def test_the_command_line_writes_the_same_tables_and_flags(demo, tmp_path):
    """``arms-training calibrate`` on the same file, with and without filters: every table the
    command line writes is byte for byte what the dashboard exports."""
    d, path = demo
    for argv, state in (
        ([], {}),
        (
            [
                "--agency",
                "police",
                "--area",
                "North",
                "--area",
                "East",
                "--since",
                "2025-03-01",
                "--until",
                "2025-09-30",
            ],
            dict(agency=("police",), area=("North", "East"), since=date(2025, 3, 1), until=date(2025, 9, 30)),
        ),
    ):
        out = tmp_path / f"out{len(argv)}"
        assert (
            cli_main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--n-boot", "100", *argv])
            == 0
        )
        d.state = DashboardState(settings=FAST, **state)
        for name in TABLE_NAMES:
            ours = d.view(name)
            if name == "reliability":  # the dashboard adds only the band columns
                cli_stats = set(pd.read_csv(out / "reliability.csv")["statistic"])
                assert {"gwet_ac1", "icc(2,1)"} <= cli_stats
                ours = ours.drop(columns=["ci_interpretation", "bands"])
            assert table_csv(ours) == (out / f"{name}.csv").read_text(), name
    d.state = DashboardState(settings=FAST)


def test_cohort_is_the_month_of_a_trainees_first_response(demo):
    d, _ = demo
    first = d.scored.groupby("trainee_id")["when"].min().dt.strftime("%Y-%m")
    assert (d.scored["cohort"] == d.scored["trainee_id"].map(first)).all()
    month = sorted(first.unique())[0]
    d.state = DashboardState(settings=FAST, cohort=(month,))
    want = set(first.index[first == month])
    assert set(d.subset()["trainee_id"]) == want
    assert d.filters().cohort == sorted(want)
    same = tables(d.frames, LIB, settings=FAST, filters=Filters(cohort=sorted(want)))
    pd.testing.assert_frame_equal(d.view("assessors"), same.assessors)
    d.state = DashboardState(settings=FAST)


def test_filters_only_subset_and_views_are_cached(demo):
    d, _ = demo
    d.state = DashboardState(settings=FAST, vignette=("v01-new-partner",))
    first = d.view("drift")
    assert d.view("drift") is first
    assert set(d.subset()["vignette_id"]) == {"v01-new-partner"}
    d.set_state(vignette=())
    assert len(d.subset()) == d.n_loaded
    assert d.view("drift") is not first


# ------------------------------------------------------------------------------ the views


def test_factor_summary_matches_the_batch_scores_and_names_the_direction(demo):
    d, _ = demo
    summary = d.view("factor_summary").set_index("factor")
    assert list(summary["share_matching_key"]) == sorted(summary["share_matching_key"])
    for f, row in summary.iterrows():
        assert row["share_matching_key"] == pytest.approx(np.nanmean(d.batch.exact[f]))
        assert row["mean_difference"] == pytest.approx(np.nanmean(d.batch.difference[f]))
        want = (
            "over-rated"
            if row["mean_difference"] >= 0.1
            else ("under-rated" if row["mean_difference"] <= -0.1 else "balanced")
        )
        assert row["direction"] == want
    # The demo cohort leans toward risk and away from strengths, as its tendencies say.
    kinds = summary.groupby("kind")["mean_difference"].mean()
    assert kinds["risk"] > 0 > kinds["protective"]


def test_plan_findings_count_what_score_reports(demo):
    """Recount, with scoring.score, the full responses with each finding the issue names."""
    d, _ = demo
    found = {"unaddressed_priority": 0, "missing_essential": 0, "contraindicated": 0, "incomplete_action": 0}
    n_full = 0
    for row in d.scored.index:
        r = d.response(row)
        if r.mode != "full":
            continue
        n_full += 1
        plan = score(r, LIB.keys[r.vignette_id], FW, vignette=LIB.vignettes[r.vignette_id]).to_dict()["plan"]
        found["unaddressed_priority"] += bool(plan["unaddressed_priorities"])
        found["missing_essential"] += bool(plan["missing_essential"])
        found["contraindicated"] += bool(plan["contraindicated"])
        found["incomplete_action"] += bool(plan["incomplete_actions"])
    table = d.view("plan_findings").set_index("finding")
    for finding, n in found.items():
        assert table.loc[finding, "n_responses"] == n
        assert table.loc[finding, "share"] == pytest.approx(n / n_full)


def test_reliability_has_ac1_and_icc_with_intervals_and_bands(demo):
    d, _ = demo
    rel = d.view("reliability")
    cohort = rel[rel["scope"] == "cohort"].set_index("statistic")
    for stat in ("krippendorff_alpha (ordinal)", "fleiss_kappa", "gwet_ac1", "icc(2,1)"):
        row = cohort.loc[stat]
        assert row["ci_low"] <= row["value"] <= row["ci_high"], stat
        assert row["interpretation"] == agreement.statistic_for_label(stat).interpret(row["value"])
    assert "Krippendorff" in cohort.loc["krippendorff_alpha (ordinal)", "bands"]
    assert "Koo & Li" in cohort.loc["icc(2,1)", "bands"]
    assert "Landis & Koch" in cohort.loc["gwet_ac1", "bands"]
    assert "complete block" in cohort.loc["icc(2,1)", "note"]
    assert set(rel["scope"]) == {"cohort", *LIB.keys}


def test_drill_down_shows_the_assessors_responses_and_their_feedback(demo):
    d, _ = demo
    table = d.view("assessors")
    trainee = table.loc[table["flagged"], "trainee_id"].iloc[0]
    detail = d.assessor_detail(trainee)
    assert detail.summary["flagged"] and detail.summary["flag_reasons"]
    assert len(detail.responses) == table.set_index("trainee_id").loc[trainee, "n"]
    for _, r in detail.responses.iterrows():
        report = d.feedback(r["row"])
        assert report.total == pytest.approx(r["total"], abs=1e-9)
        assert report.feedback["factors"]
    d.state = DashboardState(settings=FAST, vignette=("v01-new-partner",))
    narrowed = d.assessor_detail(trainee)
    assert len(narrowed.responses) + narrowed.n_outside == len(detail.responses)
    d.state = DashboardState(settings=FAST)
    assert d.assessor_detail("nobody").summary is None


def test_sort_and_page():
    t = pd.DataFrame({"a": [2.0, np.nan, 1.0, 3.0], "b": list("wxyz")})
    assert list(sort_table(t, "a")["b"]) == ["y", "w", "z", "x"]
    assert list(sort_table(t, "a", ascending=False)["b"]) == ["z", "w", "y", "x"]
    assert sort_table(t, "nope") is t
    rows, page, pages = page_of(t, 7, 3)
    assert (page, pages, list(rows["b"])) == (1, 2, ["z"])


# ------------------------------------------------------------------------------- importing


def test_jsonl_json_csv_folder_and_store_merge_without_duplicates(demo, tmp_path):
    _, path = demo
    records = lines(path)
    (tmp_path / "a.json").write_text("[" + ",".join(records[:5]) + "]")
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, rec in enumerate(records[3:8]):
        (folder / f"{i}.json").write_text(rec)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["response_id", "response"])
    for rec in records[6:12]:
        writer.writerow([json.loads(rec)["response_id"], rec])
    with Store(f"sqlite:///{tmp_path}/arms.sqlite") as store:
        for rec in records[10:14]:
            r = Response.model_validate_json(rec)
            report = score(r, LIB.keys[r.vignette_id], FW).to_dict()
            store.submit(r, score=report, key_version=r.key_version, framework_version=FW.version)
        d = Dashboard(LIB)
        got = [
            d.import_path(tmp_path / "a.json"),
            d.import_path(folder),
            d.import_bytes(buf.getvalue().encode(), "other-server.csv"),
            d.load_store(store),
        ]
    assert [(r.n_records, r.n_new, r.n_duplicates) for r in got] == [
        (5, 5, 0),
        (5, 3, 2),
        (6, 4, 2),
        (4, 2, 2),
    ]
    assert d.n_loaded == 14 == d.frames.responses["response_id"].nunique()
    assert "duplicates skipped" in got[1].message()
    again = d.import_path(path)
    assert (again.n_new, again.n_duplicates) == (len(records) - 14, 14)


def test_a_stored_record_that_no_longer_validates_is_listed_and_the_rest_load(demo, tmp_path):
    from arms_training.store import schema as t

    _, path = demo
    records = [Response.model_validate_json(rec) for rec in lines(path)[:3]]
    with Store(f"sqlite:///{tmp_path}/arms.sqlite") as store:
        for r in records:
            report = score(r, LIB.keys[r.vignette_id], FW).to_dict()
            store.submit(r, score=report, key_version=r.key_version, framework_version=FW.version)
        broken = records[1].to_json_dict() | {"mode": "sideways"}
        del broken["trainee"]
        with store.engine.begin() as conn:
            conn.execute(
                t.submissions.update()
                .where(t.submissions.c.response_id == str(records[1].response_id))
                .values(response=broken)
            )
        d = Dashboard(LIB)
        report = d.load_store(store)
    # One record with two things wrong is one bad record, listed with both.
    assert (report.n_records, report.n_new, report.n_bad) == (3, 2, 1)
    assert {p.field for p in report.problems} == {"mode", "trainee"}
    assert all(str(records[1].response_id) in p.path for p in report.problems)
    assert "1 record could not be read" in report.message()
    assert d.n_loaded == 2


def test_progress_is_reported_while_a_large_file_is_read(tmp_path):
    path = demo_file(tmp_path, trainees=700, each=8, seed=5)
    seen: list[tuple[float, str]] = []
    Dashboard(LIB).import_path(path, progress=lambda f, label: seen.append((f, label)))
    fractions = [f for f, _ in seen]
    assert len(seen) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0 <= f <= 1 for f in fractions)
    assert any("reading" in label for _, label in seen)


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("scores.xlsx", b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a text file"),
        (
            "arms-session-ABC234-responses.csv",
            b"session_code,trainee,total,score_source,response_id\r\nABC,t1,50,scored,x\r\n",
            "session responses CSV",
        ),
        ("assessors.csv", b"trainee_id,agency,flagged,flag_reasons\nt1,police,False,\n", "calibration table"),
        ("people.csv", b"name,age\nx,3\n", "no 'response' column"),
        (
            "manifest.jsonl",
            b'{"generator": "arms-training demo-data", "seed": 0}\n',
            "none of its 1 records is a response",
        ),
        ("broken.json", b'[{"response_id": ', "not valid JSON"),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused_with_a_clear_message(name, content, says):
    d = Dashboard(LIB)
    with pytest.raises(SourceError, match=says):
        d.import_bytes(content, name)
    assert d.n_loaded == 0 and not d.reports


def test_a_missing_path_is_a_clear_message(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        Dashboard(LIB).import_path(tmp_path / "nope.jsonl")
    with pytest.raises(SourceError, match="no .json files"):
        Dashboard(LIB).import_path(tmp_path)


def test_uninstalled_vignettes_frameworks_and_bad_lines_are_listed_not_scored(demo):
    _, path = demo
    good = [json.loads(x) for x in lines(path)[:20]]
    odd = dict(good[0], response_id=str(uuid.uuid4()), vignette_id="v99-not-installed")
    old = dict(good[1], response_id=str(uuid.uuid4()), framework="arms-1999")
    version = dict(good[2], response_id=str(uuid.uuid4()), vignette_version=99)
    text = "\n".join([*map(json.dumps, [*good, odd, old, version]), "{not json", '{"a": 1}'])
    d = Dashboard(LIB)
    report = d.import_bytes(text.encode(), "mixed.jsonl")
    assert (report.n_records, report.n_new, report.n_bad) == (25, 23, 2)
    s = d.summary()
    assert (s["loaded"], s["scored"], s["not_scored"], s["unreadable"]) == (23, 20, 3, 2)
    groups = "\n".join(problem_groups(d.problems))
    assert "no answer key for vignette 'v99-not-installed'" in groups
    assert "arms-1999" in groups and "vignette_version" in groups and "malformed JSON" in groups
    assert len(d.view("assessors")) == len({g["trainee"]["id"] for g in good})


def test_a_filter_that_leaves_nothing_gives_empty_views_not_errors(demo):
    d, _ = demo
    d.state = DashboardState(settings=FAST, since=date(2031, 1, 1))
    assert len(d.subset()) == 0
    for name in (
        "assessors",
        "factor_summary",
        "factors",
        "reliability",
        "agencies",
        "drift",
        "plans",
        "plan_findings",
    ):
        view = d.view(name)
        assert name == "agencies" or view.empty, name
    assert d.view("agencies")["police_n"].eq(0).all()
    assert d.summary()["matching"] == 0
    result = d.result()
    assert result.n_scored == 0
    d.state = DashboardState(settings=FAST)


def test_one_assessor_with_one_response_is_not_computable_with_reasons(demo):
    d0, path = demo
    d = Dashboard(LIB, state=DashboardState(settings=FAST))
    d.import_bytes(lines(path)[0].encode(), "one.jsonl")
    a = d.view("assessors").iloc[0]
    assert not a["flagged"] and "not assessed" in a["note"]
    rel = d.view("reliability")
    among = rel[~rel["statistic"].str.startswith("cohen_kappa")]
    assert among["value"].isna().all()
    assert among["note"].str.contains("fewer than 2 raters").all()
    assert (among["interpretation"] == "").all() and (among["ci_interpretation"] == "").all()
    assert d.view("agencies")["note"].str.contains("no CI").all()
    assert d.view("factor_summary")["n"].eq(1).all()
    assert len(d.view("drift")) == 1


# ---------------------------------------------------------------------- AC1 and ICC maths


def ratings_matrix(seed: int, units: int = 12, raters: int = 6, missing: float = 0.15):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=(units, 1))
    x = np.clip(
        truth + rng.integers(-1, 2, size=(units, raters)) * (rng.random((units, raters)) < 0.4), 0, 2
    ).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ac1_interval_equals_agreement_bootstrap_ci(seed):
    x = ratings_matrix(seed)
    levels = np.array([0.0, 1.0, 2.0])
    want = agreement.bootstrap_ci(agreement.gwet_ac, x, n_boot=300, seed=seed, categories=levels)
    got = counts_ci("gwet_ac1", unit_counts(x, levels), n_boot=300, seed=seed)
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_icc_interval_equals_agreement_bootstrap_ci(seed):
    x = ratings_matrix(seed, missing=0.0)
    want = agreement.bootstrap_ci(agreement.icc, x, n_boot=300, seed=seed, form="2,1")
    assert icc_ci(x, n_boot=300, seed=seed) == pytest.approx(want, abs=1e-9)


def test_icc_layout_drops_rarely_rated_units_then_incomplete_raters():
    x = np.array([[0, 1, 2, 1], [np.nan, np.nan, np.nan, 1], [1, 1, np.nan, 2], [2, 2, 2, 2.0]])
    block, note = icc_layout(x)
    assert block.tolist() == [[0, 1, 1], [1, 1, 2], [2, 2, 2]]
    assert note == "complete block: 3 of 4 units, 3 of 4 raters"


def test_icc_interval_of_identical_ratings_is_refused():
    with pytest.raises(agreement.AgreementError, match="degenerate"):
        icc_ci(np.ones((5, 3)), n_boot=50)
