"""Callbacks never raise into the kernel: the person sees a message they can act on, or a
friendly one while the traceback goes to the app log."""

from __future__ import annotations

import logging

from arms_training.exercise.state import InputError
from arms_training.store import SessionError, StoreError
from arms_training.ui.base import UNEXPECTED, guard, guarded, sentence
from arms_training.ui.components import Messages


def test_a_result_passes_through_and_clears_nothing():
    messages = Messages()
    assert guard(lambda a, b=1: a + b, lambda: messages)(2, b=3) == 5
    assert messages.text == ""


def test_an_input_error_is_the_trainees_to_fix_and_shown_as_is():
    messages = Messages()

    @guarded(lambda: messages)
    def choose() -> None:
        raise InputError("Choose a case from the cards.")

    assert choose() is None
    assert messages.text == "Choose a case from the cards."
    assert "arms-msg-warning" in messages.widget.value


def test_expected_errors_are_matched_in_order_with_their_level_and_wording():
    messages = Messages()
    expected = ((SessionError, "warning", sentence), (StoreError, "error", sentence))
    guard(
        lambda: (_ for _ in ()).throw(StoreError("the database is busy")), lambda: messages, expected=expected
    )()
    assert messages.text == "The database is busy."
    assert "arms-msg-error" in messages.widget.value
    guard(
        lambda: (_ for _ in ()).throw(SessionError("session ABC234 is closed")),
        lambda: messages,
        expected=expected,
    )()
    assert messages.text == "Session ABC234 is closed."
    assert "arms-msg-warning" in messages.widget.value


def test_anything_else_is_logged_and_shown_as_the_friendly_message(caplog):
    messages = Messages()
    secret = "answer key rationale text"

    def broken() -> None:
        raise KeyError(secret)

    with caplog.at_level(logging.ERROR, logger="arms_training.ui"):
        assert guard(broken, lambda: messages, unexpected="Try again.")() is None
    assert messages.text == "Try again."
    assert secret not in messages.widget.value
    assert "callback broken failed" in caplog.text and secret in caplog.text
    guard(broken, lambda: messages)()
    assert messages.text == UNEXPECTED


def test_sentence():
    assert sentence("  no such session ") == "No such session."
    assert sentence("Already done!") == "Already done!"
    assert sentence("") == ""
