"""Which cases a trainee may open, and (for the submit handler only) their answer keys.

Candidates to move into :mod:`arms_training.content` (``load_vignettes`` without keys and
``key_for``), since the session and calibration apps need the same two things.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from ..content import AnswerKey, Vignette, content_root, load_key
from ..exercise_state import load_vignettes
from ..framework import Framework

__all__ = ["available_cases", "load_answer_key"]

log = logging.getLogger("arms_training.ui")


def available_cases(framework_for: Callable[[str], Framework],
                    vignettes: Mapping[str, Vignette] | None = None) -> dict[str, Vignette]:
    """The vignettes (never the keys) whose framework is installed, by id."""
    if vignettes is None:
        vignettes, problems = load_vignettes(content_root())
        for p in problems:
            log.warning("vignette not loaded: %s", p)
    out = {}
    for vid, v in vignettes.items():
        try:
            framework_for(v.framework)
        except Exception:  # noqa: BLE001 - a case for a missing framework is simply not offered
            log.warning("vignette %s needs framework %s, which is not installed", vid,
                        v.framework)
            continue
        out[vid] = v
    return out


def load_answer_key(vignette_id: str, root: Path | None = None) -> AnswerKey:
    """The key for one vignette; call only after the trainee's response is stored."""
    folder = (root or content_root()) / "answer_keys"
    direct = folder / f"{vignette_id}.yaml"
    candidates = [direct] if direct.is_file() else sorted(folder.glob("*.y*ml"))
    for path in candidates:
        key = load_key(path)
        if key.vignette_id == vignette_id:
            return key
    raise FileNotFoundError(f"no answer key for vignette '{vignette_id}' in {folder}")
