"""Is text placed in markup always text?"""

from __future__ import annotations

from arms_training.reports.markup import CSS, esc


def test_markup_and_quotes_are_escaped():
    assert esc('<b onclick="x">A & B</b>') == "&lt;b onclick=&quot;x&quot;&gt;A &amp; B&lt;/b&gt;"
    assert esc("it's") == "it&#x27;s"  # safe inside single-quoted attributes too
    assert esc(3) == "3"


def test_the_shared_css_is_one_style_block():
    assert CSS.strip().startswith("<style>") and CSS.strip().endswith("</style>")
    assert CSS.count("<style>") == 1
