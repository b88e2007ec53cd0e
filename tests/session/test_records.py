"""Is a typed or read-aloud session code understood, and a wrong one refused with a reason?"""

from __future__ import annotations

import pytest

from arms_training.errors import SessionError
from arms_training.session.records import CODE_ALPHABET, CODE_LENGTH, new_session_code, normalise_session_code


@pytest.mark.parametrize("typed", ["abc234", "ABC 234", "abc-234", " a b c 2 3 4 "])
def test_case_spaces_and_dashes_do_not_matter(typed):
    assert normalise_session_code(typed) == "ABC234"


@pytest.mark.parametrize("typed", ["ABC23", "ABC2345", "ABCO23", "ABC1I2", "AB<23>"])
def test_a_code_of_the_wrong_length_or_with_ambiguous_letters_is_refused(typed):
    with pytest.raises(SessionError, match=r"without 0, O, 1 or I"):
        normalise_session_code(typed)


def test_new_codes_avoid_ambiguous_characters():
    codes = {new_session_code() for _ in range(200)}
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert len(codes) > 190  # random, not a counter
