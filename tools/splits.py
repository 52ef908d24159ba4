"""Which MNIST train digits are for training and which for validation: one definition, so that
the training scenes (tools/scenes.py) never show the digits train.py validates on."""

from __future__ import annotations

import numpy as np

VALIDATION = 5000  # MNIST train digits held out for validation


def split_train(count: int, seed: int = 0, n_val: int = VALIDATION, limit: int = 0,
                ) -> tuple[np.ndarray, np.ndarray]:
    """(validation indices, training indices) of `count` MNIST train images, seeded."""
    order = np.random.default_rng(seed).permutation(count)
    if limit:
        order = order[:limit]
    n_val = min(n_val, len(order) // 5)
    return order[:n_val], order[n_val:]
