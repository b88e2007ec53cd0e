"""Is the feedback profile chart drawn from the report it is given?"""

from __future__ import annotations

import io

from matplotlib.image import imread

from arms_training.plots.feedback import profile_png
from arms_training.scoring import score
from tests.factories import FW, KEY, VIGNETTE, perfect


def _pixels(png: bytes):
    return imread(io.BytesIO(png))


def test_the_chart_is_a_png_sized_by_its_dpi_and_changes_with_the_ratings():
    right = score(perfect(KEY), KEY, FW, vignette=VIGNETTE)
    wrong = score(perfect(KEY, ratings={**KEY.ratings, "opportunity": 0}), KEY, FW, vignette=VIGNETTE)
    png = profile_png(right, FW, dpi=50)
    assert png.startswith(b"\x89PNG")
    assert _pixels(png).shape[:2] == (210, 450)  # 9 x 4.2 inches at 50 dpi
    assert _pixels(profile_png(wrong, FW, dpi=50)).tolist() != _pixels(png).tolist()
