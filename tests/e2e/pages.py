"""Driving the trainee exercise as a person would, and recording what crosses the websocket.

Selectors are the CSS classes the exercise app puts on its widgets (``arms-*``); the ipywidgets
DOM below them (buttons of a ToggleButtons, the ``<select>`` of a Dropdown) is the library's.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, WebSocket, expect

__all__ = ["ExercisePage", "WsRecorder", "normalise", "PAGE_TIMEOUT", "ACTION_TIMEOUT", "V01_RATINGS"]

# A cold page starts a kernel and imports the package: allow for a slow CI machine.
PAGE_TIMEOUT = 90_000
ACTION_TIMEOUT = 15_000
# A plausible set of ratings for v01-new-partner (numbers a trainee picks, not key text).
V01_RATINGS = {
    "opportunity": 1,
    "sexual_preoccupation": 0,
    "offence_related_sexual_interest": 1,
    "emotional_congruence_children": 1,
    "hostile_orientation": 0,
    "poor_self_management": 1,
    "social_influences": 1,
    "commitment_to_desist": 1,
    "intimate_relationships": 1,
    "employment_positive_routine": 2,
    "social_investment": 1,
}


def normalise(text: str | bytes) -> str:
    """Text as words: JSON escapes, HTML entities and tags undone, punctuation dropped.

    A frame carries widget HTML inside JSON, so the same sentence may arrive as ``don\\u2019t``,
    ``don&#x27;t`` or split by ``<abbr>`` tags; comparing lower-case words finds it either way.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\[nrt]", " ", text).replace('\\"', '"').replace("\\/", "/")
    text = re.sub(r"<[^<>]*>", " ", text)
    text = html.unescape(text)
    return " ".join(re.findall(r"[0-9a-z]+", text.lower()))


@dataclass
class Frame:
    direction: str  # "sent" (browser to server) or "received"
    payload: str | bytes
    at: float

    @property
    def text(self) -> str:
        p = self.payload
        return p.decode("utf-8", errors="replace") if isinstance(p, bytes) else p


@dataclass
class WsRecorder:
    """Every websocket frame of a page, in order, from before the page is opened."""

    frames: list[Frame] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> WsRecorder:
        page.on("websocket", self._on_socket)
        return self

    def _on_socket(self, ws: WebSocket) -> None:
        self.sockets.append(ws.url)
        ws.on("framesent", lambda p: self.frames.append(Frame("sent", p, time.monotonic())))
        ws.on("framereceived", lambda p: self.frames.append(Frame("received", p, time.monotonic())))

    def mark(self) -> int:
        return len(self.frames)

    def containing(self, needles: list[str], start: int = 0, end: int | None = None) -> dict[str, int]:
        """Normalised needle -> index of the first frame (in [start, end)) that contains it."""
        found: dict[str, int] = {}
        for i, frame in enumerate(self.frames[start:end], start):
            words = normalise(frame.payload)
            for needle in needles:
                if needle not in found and needle in words:
                    found[needle] = i
        return found

    def raw_containing(self, snippet: str, start: int = 0) -> list[Frame]:
        return [f for f in self.frames[start:] if snippet in f.text]


class ExercisePage:
    """The trainee exercise page (notebooks/trainee/exercise.ipynb) as a trainee uses it."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    # -- small pieces ----------------------------------------------------------------------
    def cls(self, name: str) -> Locator:
        """The widget carrying class ``name`` (the feedback HTML reuses some class names)."""
        return self.page.locator(f".lm-Widget.{name}")

    def message(self) -> Locator:
        return self.page.locator(".arms-message .arms-msg")

    def open(self, query: str = "") -> ExercisePage:
        self.page.goto(self.url + query)
        self.wait_interactive()
        return self

    def wait_interactive(self) -> None:
        expect(self.cls("arms-start")).to_be_enabled(timeout=PAGE_TIMEOUT)

    def toggle(self, container: str, label: str) -> None:
        """Press the button labelled ``label`` in a ToggleButtons and wait until it is active."""
        button = self.page.locator(f".{container} button", has_text=label).first
        button.click()
        expect(button).to_have_class(re.compile(r"\bmod-active\b"), timeout=ACTION_TIMEOUT)

    def choose(self, container: str, label: str) -> None:
        self.page.locator(f".{container} select").select_option(label=label)

    def fill_text(self, container: str, text: str, *, nth: int = 0) -> None:
        box = self.page.locator(f".{container} textarea, .{container} input").nth(nth)
        box.fill(text)
        box.blur()  # continuous_update=False fields send their value on change

    # -- start screen ----------------------------------------------------------------------
    def start(self, trainee_id: str, agency: str, vignette_id: str, *, mode: str = "full") -> None:
        self.page.locator(".arms-trainee-id input").fill(trainee_id)
        self.choose("arms-agency", agency)
        self.page.locator(f".arms-choose-{vignette_id}").click()
        expect(self.cls(f"arms-card-{vignette_id}")).to_have_class(
            re.compile(r"\barms-card-selected\b"), timeout=ACTION_TIMEOUT
        )
        label = "Full exercise" if mode == "full" else "Quick"
        self.toggle("arms-mode", label)
        self.cls("arms-start").click()
        expect(self.cls("arms-stage-bar")).to_be_visible(timeout=ACTION_TIMEOUT)

    # -- stages ----------------------------------------------------------------------------
    def go(self, stage: str) -> None:
        self.cls(f"arms-stage-{stage}").click()
        expect(self.cls(f"arms-panel-{stage}")).to_be_visible(timeout=ACTION_TIMEOUT)

    def rate(self, factor_id: str, value: int | str) -> None:
        label = "insufficient information" if value == "insufficient" else f"{value} "
        button = self.page.locator(f".arms-rating-{factor_id} button", has_text=label).first
        button.click()
        expect(button).to_have_class(re.compile(r"\bmod-active\b"), timeout=ACTION_TIMEOUT)

    def rated(self, factor_id: str) -> str | None:
        active = self.page.locator(f".arms-rating-{factor_id} button.mod-active")
        return active.inner_text().strip() if active.count() else None

    def prioritise(self, factor_ids: list[str], level_label: str) -> None:
        for fid in factor_ids:
            box = self.page.locator(f".arms-priority-{fid} input[type=checkbox]")
            box.check()
            expect(box).to_be_checked(timeout=ACTION_TIMEOUT)
        self.toggle("arms-priority-level", level_label)

    def add_action(self, catalogue_label: str, *, objective: str, enforcement: str, rationale: str) -> None:
        before = self.page.locator(".arms-plan-actions .arms-action").count()
        self.page.locator(".arms-plan-catalogue select").select_option(label=catalogue_label)
        self.cls("arms-plan-add").click()
        action = self.cls(f"arms-action-{before}")
        expect(action).to_be_visible(timeout=ACTION_TIMEOUT)
        for field_name, text in (
            ("objective", objective),
            ("enforcement", enforcement),
            ("rationale", rationale),
        ):
            box = action.locator(f".arms-action-{field_name} textarea")
            box.fill(text)
            box.blur()

    def wait_saved(self) -> None:
        expect(self.cls("arms-save-status")).to_contain_text("Draft saved", timeout=ACTION_TIMEOUT)

    def screenshot(self, name: str, path: str) -> None:
        """The whole widget ``name``, however tall: Voila scrolls inside its own container, so
        the viewport is made tall enough for the element first."""
        element = self.cls(name)
        self.page.set_viewport_size({"width": 1400, "height": 16000})
        box = element.bounding_box()
        if box is not None and box["y"] + box["height"] > 16000:
            height = min(30000, int(box["y"] + box["height"]) + 50)
            self.page.set_viewport_size({"width": 1400, "height": height})
        element.screenshot(path=path)

    def submit(self) -> None:
        self.cls("arms-submit").click()
        expect(self.cls("arms-feedback-total")).to_be_visible(timeout=PAGE_TIMEOUT)
