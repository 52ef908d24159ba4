"""MNIST loading and the reference MNIST-image-to-mask step shared by training, tests and tools.

The reader never imports this module; it exists so that the model is trained and scored on
MNIST digits that went through the same binary mask -> :func:`normalize` path as camera crops.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path) as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    if magic == 2051:  # images: count, rows, cols
        count, rows, cols = (int.from_bytes(data[i : i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    if magic == 2049:  # labels: count
        return np.frombuffer(data, np.uint8, offset=8)
    raise ValueError(f"{path}: not an IDX image or label file (magic {magic})")


def load_mnist(source: str | Path) -> dict[str, np.ndarray]:
    """Load MNIST from a folder of the four IDX .gz files or from an ``mnist.npz``.

    Returns uint8 arrays ``x_train, y_train, x_test, y_test`` (images white on black, 28x28).
    """
    source = Path(source)
    if source.is_file():
        with np.load(source) as npz:
            return {key: npz[key] for key in IDX_FILES}
    missing = [name for name in IDX_FILES.values() if not (source / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{source}: missing {', '.join(missing)}")
    return {key: _read_idx(source / name) for key, name in IDX_FILES.items()}


def mnist_mask(image: np.ndarray, upscale: int = 2, threshold: int = 128) -> np.ndarray:
    """The plain (non-augmented) binary mask of one MNIST image, as a camera crop would give it.

    Upscaling before thresholding keeps the strokes smooth, like a crop a few times MNIST's size.
    """
    big = cv2.resize(image, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_LINEAR)
    return np.where(big >= threshold, np.uint8(255), np.uint8(0))
