"""Escaped HTML shared by the apps and the downloadable reports: one ``esc`` and the base CSS.

Every piece of trainee text or content placed in markup goes through :func:`esc`; the reports
embed :data:`CSS` so a saved page looks like the app it came from.
"""

from __future__ import annotations

import html

__all__ = ["CSS", "esc"]


def esc(text: object) -> str:
    """``text`` as HTML text, quotes included (safe inside attribute values too)."""
    return html.escape(str(text), quote=True)


CSS = """
<style>
.arms-app {font-size: 14px; line-height: 1.45;}
.arms-case-file {border: 1px solid #c9c9c9; padding: 0 10px; background: #fcfcfa;}
.arms-case-file h4 {margin: 12px 0 4px 0;}
.arms-para {margin: 4px 0 8px 0;}
.arms-para-id {font-family: monospace; color: #555; background: #eee; padding: 0 3px;
  margin-right: 4px; border-radius: 3px;}
abbr.arms-term {text-decoration: underline dotted; cursor: help;}
.arms-msg {padding: 6px 10px; margin: 4px 0; border-radius: 4px; border-left: 4px solid;}
.arms-msg-info {background: #eef4fb; border-color: #3a76c4;}
.arms-msg-success {background: #edf7ee; border-color: #2e7d32;}
.arms-msg-warning {background: #fff6e5; border-color: #c77700;}
.arms-msg-error {background: #fdecea; border-color: #c62828;}
.arms-default-note {font-size: 12px; color: #555; font-style: italic;}
.arms-table {border-collapse: collapse; margin: 6px 0;}
.arms-table th, .arms-table td {border: 1px solid #ddd; padding: 3px 6px; vertical-align: top;
  text-align: left;}
.arms-stage-done button, .arms-stage-done {font-weight: normal;}
.arms-stage-current {font-weight: bold; outline: 2px solid #3a76c4;}
.arms-card {border: 1px solid #ccc; border-radius: 6px; padding: 4px 10px; margin: 4px;}
.arms-card-selected {border: 2px solid #3a76c4; background: #eef4fb;}
</style>
"""
