"""``arms-training score RESPONSE.json [--key PATH] [--format json|text]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DESCRIPTION = """\
Score one response file (JSON, as the apps write it) against its answer key and print the
score report. The key is the one for the response's vignette in the content folder
(ARMS_TRAINING_CONTENT, default: the shipped library) unless --key names a file.

For many responses (a JSONL or CSV export, a folder, a database) use `arms-training calibrate`.

Exit status: 0 scored; 1 the response, key or framework is invalid or does not fit (the
problems, naming the response id and field, go to stderr)."""

# Files that hold many responses: score takes one.
_MANY = {".jsonl": "JSON lines", ".ndjson": "JSON lines", ".csv": "CSV"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("response", type=Path, metavar="RESPONSE.json", help="one response file")
    p.add_argument(
        "--key",
        type=Path,
        metavar="PATH",
        help="answer key file (default: the key for the vignette in the content folder)",
    )
    p.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json (ScoreReport.to_dict) or text for a reader (default: json)",
    )


def run(args: argparse.Namespace) -> int:
    from arms_training.content import load_key, load_library
    from arms_training.errors import ContentError
    from arms_training.framework import framework_by_id
    from arms_training.locations import content_root, where
    from arms_training.responses import load_response
    from arms_training.scoring.rules import ScoringError, score, unknown_framework_problem

    kind = _MANY.get(args.response.suffix.lower())
    if kind:
        print(
            f"score: {args.response} is {kind}, which holds many responses; score takes one "
            f"response file (.json). For many, run: arms-training calibrate {args.response} --out DIR",
            file=sys.stderr,
        )
        return 1
    try:
        response = load_response(args.response)
        library = load_library()
        key = load_key(args.key) if args.key else None
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        if key is None and response.vignette_id not in library.keys:
            folder = content_root() / "answer_keys"
            print(
                f"{args.response}: response {response.response_id}: vignette_id: no answer key "
                f"for vignette '{response.vignette_id}' {where(folder)}; give one with --key",
                file=sys.stderr,
            )
            return 1
        if key is None:
            from arms_training.scoring.rules import score_response

            report = score_response(response, library=library)
        else:
            try:
                framework = framework_by_id(response.framework)
            except KeyError as exc:
                raise ScoringError(unknown_framework_problem(str(response.response_id), exc)) from None
            report = score(response, key, framework, vignette=library.vignettes.get(response.vignette_id))
    except ScoringError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report.to_dict()))
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def render_text(d: dict) -> str:
    """A plain-text reading of ``ScoreReport.to_dict()`` (for a terminal, not for markup)."""
    lines = [
        f"Response {d['response_id']}: vignette {d['vignette_id']} v{d['vignette_version']}, "
        f"key v{d['key_version']}, {d['framework']}, {d['mode']} mode",
        f"Total {d['total']:.1f} / 100",
    ]
    for name, part in d["parts"].items():
        lines.append(f"  {name:<11} {part['score']:.2f}  (weight {_pct(part['weight'])})")
    lines.append(
        f"Agreement: exact {_pct(d['exact_agreement'])}, within one "
        f"{_pct(d['within_one'])}; bias risk {_signed(d['bias']['risk'])}, protective "
        f"{_signed(d['bias']['protective'])}"
    )
    lines.append("Factors (you / key / panel / credit):")
    for x in d["factors"].values():
        panel = ",".join(str(r) for r in x["panel"])
        lines.append(
            f"  {x['name']:<34} {x['given']!s:>12} {x['expected']!s:>12}  [{panel}]  {x['credit']:.2f}"
        )
    p, pl = d["priorities"], d["priority_level"]
    lines.append(
        f"Priorities: precision {p['precision']:.2f}, recall {p['recall']:.2f}, "
        f"F1 {p['f1']:.2f}; missed {', '.join(p['missed']) or 'none'}; extra "
        f"{', '.join(p['extra']) or 'none'}; priority level {pl['given']} "
        f"(key {pl['expected']})"
    )
    if d["level"]:
        lv = d["level"]
        lines.append(f"Level: {lv['given']} (key {lv['expected']}, matrix {lv['matrix']})")
    if d["plan"]:
        pn = d["plan"]
        lines.append(
            f"Plan: {pn['score']:.2f} (essential {_pct(pn['essential_covered'])}, "
            f"priorities addressed {_pct(pn['priorities_addressed'])}, complete "
            f"actions {_pct(pn['actions_complete'])}, builds a protective factor: "
            f"{'yes' if pn['constructive_for_protective'] else 'no'}, penalty "
            f"{pn['penalty']:.2f})"
        )
    if d["follow_up"]:
        fu = d["follow_up"]
        lines.append(
            f"Follow-up: {fu['score']:.2f} (significant change "
            f"{'right' if fu['significant_change']['correct'] else 'wrong'}, level "
            f"{'right' if fu['level']['correct'] else 'wrong'})"
        )
    fb = d["feedback"]
    lines.append("Feedback:")
    for f, text in fb["factors"].items():
        if d["factors"][f]["credit"] < 1:
            lines.append(f"  - {text}")
    for section in ("priorities", "level", "plan", "follow_up"):
        lines += [f"  - {text}" for text in fb[section]]
    return "\n".join(lines)
