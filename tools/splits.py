"""Which MNIST train digits are for training and which for validation: one definition, so that
the training scenes (tools/scenes.py) never show the digits train.py validates on. And how a
data set or model records the command that made it."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

import numpy as np

VALIDATION = 5000  # MNIST train digits held out for validation
# One split for every training seed: a net trained with --seed 1 must not learn the digits that
# the validation pages (`mnist_pages.py --split val`) and val scenes are made of.
SPLIT_SEED = 0


def split_train(count: int, n_val: int = VALIDATION, limit: int = 0,
                ) -> tuple[np.ndarray, np.ndarray]:
    """(validation indices, training indices) of `count` MNIST train images, the same for every
    training seed."""
    order = np.random.default_rng(SPLIT_SEED).permutation(count)
    if limit:
        order = order[:limit]
    n_val = min(n_val, len(order) // 5)
    return order[:n_val], order[n_val:]


def split_digits(mnist: dict[str, np.ndarray], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of a split: "train" (MNIST train less the validation digits), "val"
    (those validation digits, held out of training) or "test" (MNIST test, for scoring)."""
    if split == "test":
        return mnist["x_test"], mnist["y_test"]
    val_idx, train_idx = split_train(len(mnist["x_train"]))
    chosen = train_idx if split == "train" else val_idx
    return mnist["x_train"][chosen], mnist["y_train"][chosen]


def command_line(script: str, argv: Sequence[str]) -> str:
    """`python tools/<script> ARGS` as run, absolute paths made relative to the working
    directory (the repository, as the README runs the tools): no machine's paths in a card."""
    shown = [os.path.relpath(arg) if os.path.isabs(arg) else arg for arg in argv]
    return f"python tools/{script} {shlex.join(shown)}"
