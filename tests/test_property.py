"""Random frames of random sizes and dtypes never raise and never exceed the candidate cap."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from livedigits.segment import MAX_CANDIDATES, MAX_SPLITS, binarize, find_candidates, to_gray

DTYPES = (np.uint8, np.uint16, np.float32, np.float64, bool)


@st.composite
def frames(draw):
    height = draw(st.integers(1, 300))
    width = draw(st.integers(1, 300))
    channels = draw(st.sampled_from([None, 1, 3, 4]))
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["noise", "blocks", "flat"]))
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels is None else (height, width, channels)
    if kind == "noise":
        values = rng.random(shape)
    elif kind == "blocks":
        values = np.kron(rng.random((8, 8)), np.ones((40, 40)))[:height, :width]
        values = values if channels is None else np.repeat(values[..., None], channels, 2)
    else:
        values = np.full(shape, rng.random())
    if dtype is bool:
        return values > 0.5
    if np.issubdtype(dtype, np.integer):
        return (values * np.iinfo(dtype).max).astype(dtype)
    return values.astype(dtype)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
@example(np.array([[162], [68], [10], [4]], np.uint8))  # 4 values: OpenCV took it for a scalar
def test_random_frames_never_raise_and_respect_the_cap(reader, frame):
    reading = reader.read(frame)
    assert len(reading.digits) <= MAX_CANDIDATES + 2 * MAX_SPLITS  # wholes, parts for splits
    for dark in (True, False):
        mask = binarize(to_gray(frame), dark)
        assert mask.shape == frame.shape[:2] and mask.dtype == np.uint8
        assert len(find_candidates(mask).boxes) <= MAX_CANDIDATES
    height, width = frame.shape[:2]
    for digit in reading.digits:
        x, y, w, h = digit.box
        assert x >= 0 and y >= 0 and x + w <= width + 1 and y + h <= height + 1
