"""Time ``calibrate`` end to end on 100,000 demo responses, against a raw Krippendorff's alpha.

What is timed (each stage as wall time and as this process's CPU time):

* load+frame - ``calibration.load_frames``, what ``arms-training calibrate`` runs: read the JSONL
           file, validate every record into a Response and pull them into pandas frames, in one
           process per CPU (pieces of the file); also timed in one process (``load`` then
           ``frame``) for comparison;
* tables - ``calibration.tables``: vectorised scoring (the same numbers as ``scoring.score``)
           and all six tables, with bootstrap CIs (500 replicates) for every reliability row;
* write  - the six CSV files (formula-guarded), reported separately.

End to end = load+frame (parallel, as the command runs it) + tables. Not timed: generating the
data (demo-data's generator) and writing the JSONL. The reference is one raw
``krippendorff.alpha`` call (ordinal) on the same cohort rating matrix that the reliability table
uses (raters = assessors, units = vignette x factor), timed in the same run; the ratio is end to
end / alpha. The machine may be shared: the load average is printed with the figures.

    python benchmarks/calibration.py [--responses 100000] [--data FILE.jsonl]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import krippendorff
import numpy as np

from arms_training.calibration.demo_data import write_demo
from arms_training.calibration.reliability import rater_matrix
from arms_training.calibration.result import (
    load_frames,
    load_responses,
    responses_frame,
    tables,
)
from arms_training.calibration.scored import scored_frame
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.reports.calibration_bundle import write_tables
from arms_training.scoring.batch import score_frames


class Clock:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def __call__(self, label: str):
        clock = self

        class _Span:
            def __enter__(self):
                self.w, self.c = time.perf_counter(), time.process_time()

            def __exit__(self, *exc):
                clock.rows.append((label, time.perf_counter() - self.w, time.process_time() - self.c))

        return _Span()

    def get(self, label: str) -> tuple[float, float]:
        return next((w, c) for name, w, c in self.rows if name == label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--each", type=int, default=8, help="responses per assessor")
    parser.add_argument("--data", type=Path, help="reuse (or create) this JSONL file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    library = load_library()
    trainees = max(1, args.responses // args.each)
    tmp = tempfile.TemporaryDirectory()
    data = args.data or Path(tmp.name) / "demo.jsonl"
    if not data.exists():
        t = time.perf_counter()
        write_demo(data, trainees, args.each, seed=args.seed, library=library)
        print(
            f"generated {trainees * args.each:,} responses ({trainees:,} assessors x "
            f"{args.each}) in {time.perf_counter() - t:.1f} s (not timed below)"
        )
    load_before = os.getloadavg()
    clock = Clock()
    with clock("load (1 process)"):
        responses, bad = load_responses(data)
    with clock("frame (1 process)"):
        responses_frame(responses)
    del responses
    with clock(f"load+frame ({os.cpu_count()} processes)"):
        frames, bad = load_frames(data)
    with clock("tables"):
        result = tables(frames, library, bad=bad)
    with clock("write"):
        write_tables(result, Path(tmp.name) / "out")
    # The same cohort matrix the reliability table uses, and a raw alpha call on it.
    fw = framework_by_id("arms-2018")
    batch = score_frames(frames, library.keys, vignettes=library.vignettes)
    scored = scored_frame(frames, batch)
    matrix, units, raters = rater_matrix(scored, frames, fw, sorted(library.keys))
    with clock("alpha"):
        raw = krippendorff.alpha(
            reliability_data=matrix.T, value_domain=[0, 1, 2], level_of_measurement="ordinal"
        )
    load_after = os.getloadavg()
    ours = result.reliability.query("scope == 'cohort'")["value"].iat[0]
    assert np.isclose(raw, ours), (raw, ours)

    print(
        f"calibrate on {result.n_records:,} responses ({result.n_scored:,} scored, "
        f"{result.n_bad} bad), {len(result.assessors):,} assessors; {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after"
    )
    print(f"  {'stage':<28}{'wall s':>9}{'CPU s':>9}   (CPU: this process only)")
    for label, w, c in clock.rows:
        print(f"  {label:<28}{w:>9.2f}{c:>9.2f}")
    stages = (f"load+frame ({os.cpu_count()} processes)", "tables")
    end_w = sum(clock.get(s)[0] for s in stages)
    alpha_w, alpha_c = clock.get("alpha")
    print(f"  {'end to end':<28}{end_w:>9.2f}{'':>9}")
    print(
        f"  raw krippendorff.alpha on the {matrix.shape[0]} units x {matrix.shape[1]:,} raters "
        f"matrix: {alpha_w:.3f} s wall, {alpha_c:.3f} s CPU (alpha {raw:.4f})"
    )
    print(
        f"  ratio end to end / alpha: {end_w / alpha_w:.0f}x wall; tables only / alpha: "
        f"{clock.get('tables')[0] / alpha_w:.0f}x wall, "
        f"{clock.get('tables')[1] / alpha_c:.0f}x CPU"
    )
    print(
        f"  goal <= 3 s end to end: {'met' if end_w <= 3 else 'NOT met'} "
        f"({end_w:.2f} s wall); goal <= 2x alpha: "
        f"{'met' if end_w <= 2 * alpha_w else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
