"""What a frame handed to the Reader may be: an image array or the path of an image file.

One place decides what counts as an image, so that the API and the command agree and a wrong
argument fails with a message that says what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

ImageLike = np.ndarray | str | os.PathLike


def load_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as BGR uint8 (gray, BGRA and 16-bit files too, as the command reads them).

    FileNotFoundError when there is no such file, ValueError when OpenCV cannot decode it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such image file: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ValueError(f"{path}: not an image OpenCV can read (empty or corrupt?)")
    return image


def as_image(frame: ImageLike) -> np.ndarray:
    """`frame` as an image array: a path is loaded, an array is checked, anything else refused.

    Accepted arrays: (H, W), (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA; bool, integer or float.
    """
    if isinstance(frame, str | os.PathLike):
        return load_image(frame)
    if frame is None:
        raise ValueError("frame is None: cv2.imread returns None for a file it cannot read "
                         "(check the path and the working directory), or pass the path itself")
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"frame must be an image array or a path, not {type(frame).__name__}")
    if not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (1, 3, 4))) or \
            frame.dtype.kind not in "biuf":
        raise ValueError(f"not an image: an array of shape {frame.shape} and dtype {frame.dtype}"
                         "; expected (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, numbers")
    return frame
