"""What every view shares: callbacks that never raise, and the stage-view contract."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from arms_training.exercise.state import Exercise, InputError
from arms_training.ui.components import Kind, Messages, classed

__all__ = ["guard", "guarded", "sentence", "StageView", "UNEXPECTED", "TRAINEE_ERRORS", "Expected"]

log = logging.getLogger("arms_training.ui")
UNEXPECTED = (
    "Something went wrong on our side. Your work on this page is kept; try again, and "
    "tell your trainer if it happens again."
)


def sentence(text: object) -> str:
    """An exception's text as a sentence for the page: capital first letter, final stop."""
    text = str(text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


# What a person can act on, and how it is shown; anything else is our fault.
Expected = Sequence[tuple[type[BaseException], Kind, Callable[[BaseException], str]]]
TRAINEE_ERRORS: Expected = ((InputError, "warning", str),)


def guard(
    fn: Callable[..., Any],
    messages: Callable[[], Messages],
    *,
    expected: Expected = TRAINEE_ERRORS,
    unexpected: str = UNEXPECTED,
) -> Callable[..., Any]:
    """``fn`` wrapped so that no exception escapes into the kernel's output (and so the page).

    An exception of an ``expected`` type is shown in ``messages()`` as its formatter says, at
    its level; anything else is logged (to the app log, never the page) and shown as
    ``unexpected``. The wrapper returns ``fn``'s result, or None after an error.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the page must survive anything
            for kind, level, text in expected:
                if isinstance(exc, kind):
                    messages().show(text(exc), level)
                    break
            else:
                log.exception("callback %s failed", getattr(fn, "__name__", fn))
                messages().show(unexpected, "error")
        return None

    return wrapper


def guarded(messages: Callable[[], Messages], **options: Any) -> Callable:
    """:func:`guard` as a decorator: ``@guarded(lambda: view.messages)``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        return guard(fn, messages, **options)

    return decorate


class StageView:
    """One stage's panel. Changes go to the Exercise; the app hears of them via ``on_change``."""

    stage = ""

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        self.ex = ex
        self.on_change = on_change
        self.messages = Messages()
        self.messages.widget.add_class("arms-stage-message")
        self.widget = classed(w.VBox([]), "arms-stage-panel", f"arms-panel-{self.stage}")

    def apply(
        self, fn: Callable[..., Any], *args: Any, messages: Messages | None = None, **kwargs: Any
    ) -> bool:
        """Run one state change; show an InputError next to the field; tell the app on success."""
        where = messages or self.messages
        try:
            fn(*args, **kwargs)
        except InputError as exc:
            where.show(str(exc), "warning")
            return False
        except Exception:  # noqa: BLE001
            log.exception("state change failed")
            where.show(UNEXPECTED, "error")
            return False
        where.clear()
        self.on_change()
        return True

    def observe(self, widget: w.Widget, handler: Callable[[Any], object]) -> w.Widget:
        """Bind ``handler(new_value)`` to a widget's value, with every error caught."""

        def changed(change: dict) -> None:
            try:
                handler(change["new"])
            except Exception:  # noqa: BLE001
                log.exception("observer failed")
                self.messages.show(UNEXPECTED, "error")

        widget.observe(changed, names="value")
        return widget

    def on_click(self, button: w.Button, fn: Callable[[], Any]) -> w.Button:
        """Bind a button to ``fn()``, with every error caught."""

        def clicked(_b: w.Button) -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001
                log.exception("click handler failed")
                self.messages.show(UNEXPECTED, "error")

        button.on_click(clicked)
        return button

    def refresh(self) -> None:
        """Redraw anything derived from other fields (default: nothing)."""
