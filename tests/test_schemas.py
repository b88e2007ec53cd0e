"""Are the shipped JSON Schemas current, and does the shipped content satisfy them?"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from arms_training.schemas import MODELS, SCHEMA_DIR, generate
from tests.factories import REPO


@pytest.mark.parametrize("name", sorted(MODELS))
def test_shipped_schema_matches_the_models(name):
    shipped = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(generate(name))), (
        f"{name}.schema.json is stale: run python -m arms_training.schemas"
    )


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("framework", "arms_training/frameworks/*.yaml"),
        ("vignette", "vignettes/*.yaml"),
        ("answer-key", "answer_keys/*.yaml"),
        ("survey", "arms_training/data/survey.yaml"),
    ],
)
def test_shipped_content_satisfies_its_schema(name, pattern):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    files = sorted(REPO.glob(pattern))
    assert files
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_schema_rejects_what_the_loader_rejects():
    schema = json.loads((SCHEMA_DIR / "answer-key.schema.json").read_text(encoding="utf-8"))
    key = yaml.safe_load((REPO / "answer_keys" / "v01-new-partner.yaml").read_text())
    key["status"] = "approved"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(key, schema)
