"""The overlay: labels stay readable (inside the image, none over another), captions only when
asked."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from livedigits import Digit, Number, Reading, render
from livedigits.render import add_caption, place_labels


def overlap(a, b) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def narrow_digits(x: int, y: int, count: int, width: int = 8, gap: int = 3):
    """A row of narrow digits (1s), closer than their labels are wide."""
    return [(x + i * (width + gap), y, width, 30) for i in range(count)]


@pytest.mark.parametrize(("x", "y"), [(300, 200), (0, 0), (610, 450)],
                         ids=["middle", "top left corner", "bottom right corner"])
def test_labels_of_narrow_neighbours_neither_overlap_nor_leave_the_image(x, y):
    boxes = narrow_digits(x, y, 3)
    image = (640, 480)
    places = place_labels(boxes, [(46, 14)] * len(boxes), image, obstacles=boxes)
    for a, b in itertools.combinations(places, 2):
        assert overlap(a, b) == 0, (a, b)
    for px, py, w, h in places:
        assert px >= 0 and px + w <= image[0] and py >= 0 and py + h <= image[1]
    # and each stays next to its digit: within three label rows
    for box, label in zip(boxes, places, strict=True):
        top, bottom, height = box[1], box[1] + box[3], label[3]
        assert top - 3 * height - 2 <= label[1] <= bottom + 2 * height + 2


def test_a_label_with_room_sits_just_above_its_digit():
    assert place_labels([(100, 100, 20, 30)], [(40, 14)], (640, 480)) == [(100, 85, 40, 14)]


def test_render_draws_on_a_copy_and_a_caption_only_when_given():
    image = np.full((480, 640, 3), 200, np.uint8)
    digits = tuple(Digit(1, 0.99, box) for box in narrow_digits(300, 200, 4))
    reading = Reading(digits, (Number("1111", (300, 200, 41, 30), 0.99, digits),))
    plain = render(image, reading)
    assert (image == 200).all() and (plain != image).any()
    assert (plain[:30, :200] == 200).all()  # nothing in the corner where a caption would go
    captioned = render(image, reading, caption="12.0 fps")
    assert (captioned[:30, :200] != 200).any()
    np.testing.assert_array_equal(add_caption(plain, "12.0 fps"), captioned)
