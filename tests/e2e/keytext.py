"""Distinctive phrases of an answer key, for proving that no key text reaches a trainee early.

A phrase is eight consecutive words of a factor rationale, a plan ``why`` or the follow-up
``why``, chosen so that it appears nowhere in the case material or the framework (which the page
shows legitimately): finding one in a response or a websocket frame means key text got there.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .pages import normalise

__all__ = ["REPO", "key_texts", "key_phrases", "public_text"]

REPO = Path(__file__).resolve().parents[2]
WINDOW = 8


def key_texts(key_path: Path) -> list[str]:
    key = yaml.safe_load(key_path.read_text(encoding="utf-8"))
    texts = [f["rationale"] for f in key["factors"].values() if f.get("rationale")]
    for group in ("essential", "acceptable", "contraindicated"):
        texts += [a["why"] for a in key["plan"].get(group, []) if a.get("why")]
    if key.get("follow_up", {}).get("why"):
        texts.append(key["follow_up"]["why"])
    return texts


def public_text() -> str:
    """Everything a trainee may legitimately see: vignettes and frameworks, normalised."""
    files = [
        *sorted((REPO / "vignettes").glob("*.yaml")),
        *sorted((REPO / "arms_training" / "frameworks").glob("*.yaml")),
    ]
    return " ".join(normalise(p.read_text(encoding="utf-8")) for p in files)


def key_phrases(key_path: Path, per_text: int = 3) -> dict[str, list[str]]:
    """Source text (shortened) -> a few normalised phrases that only the key contains."""
    public = public_text()
    out: dict[str, list[str]] = {}
    for text in key_texts(key_path):
        words = normalise(text).split()
        windows = [" ".join(words[i : i + WINDOW]) for i in range(len(words) - WINDOW + 1)]
        own = [w for w in windows if w not in public]
        if not own:
            continue
        picks = {own[0], own[len(own) // 2], own[-1]} if per_text >= 3 else {own[0]}
        out[text[:60]] = sorted(picks)
    return out
