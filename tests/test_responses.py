"""Does the response format round-trip and say what is still missing before submission?"""

from __future__ import annotations

import json

import pytest

from arms_training.content import load_library
from arms_training.errors import ContentError
from arms_training.responses import (
    MAX_TEXT,
    Trainee,
    new_response,
    parse_response,
)


@pytest.fixture
def response():
    return new_response(
        Trainee(id="pc-42", agency="police", role="offender manager"), "v01-new-partner", 1, "arms-2018"
    )


def test_json_round_trip(response):
    response.ratings = {"opportunity": 2, "intimate_relationships": "insufficient"}
    again = parse_response(json.loads(response.to_json()))
    assert again == response


def test_long_note_is_refused_with_the_field(response):
    data = response.to_json_dict()
    data["notes"] = {"opportunity": "x" * (MAX_TEXT + 1)}
    with pytest.raises(ContentError, match=r"notes.opportunity: note longer than"):
        parse_response(data, "upload.json")


def test_bad_agency_names_response_and_field(response):
    data = response.to_json_dict()
    data["trainee"]["agency"] = "nca"
    with pytest.raises(ContentError) as err:
        parse_response(data, "upload.json")
    text = str(err.value)
    assert str(response.response_id) in text and "trainee.agency" in text


def test_shipped_vignettes_are_offered():
    assert len(load_library().vignettes) >= 8
