"""JSON Schemas for the content formats, generated from the models and shipped in the package.

The shipped files document the formats for people and other tools; a test keeps them equal to
what the models generate. Regenerate with ``python -m arms_training.schemas``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from arms_training.content import AnswerKey, Vignette
from arms_training.framework import Framework
from arms_training.responses import Response
from arms_training.session.survey import Survey

__all__ = ["SCHEMA_DIR", "MODELS", "generate", "write"]

SCHEMA_DIR = Path(__file__).parent
MODELS: dict[str, type[BaseModel]] = {
    "framework": Framework,
    "vignette": Vignette,
    "answer-key": AnswerKey,
    "response": Response,
    "survey": Survey,
}


def generate(name: str) -> dict:
    schema = MODELS[name].model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"arms-training/{name}.schema.json",
        **schema,
    }


def write() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    paths = []
    for name in MODELS:
        path = SCHEMA_DIR / f"{name}.schema.json"
        path.write_text(json.dumps(generate(name), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
