"""Write tests/data/mnist_small.npz: a seeded random subset of MNIST for the test suite.

    python tools/make_test_subset.py --data ../shared/data/mnist

2,000 test digits (the committed model must reach 99.5% on them) and 1,000 training digits
(the training smoke test), in keras' mnist.npz layout so tools/train.py --data reads it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from mnist import load_mnist


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder with the four MNIST IDX .gz files")
    p.add_argument("--out", type=Path, default=Path("tests/data/mnist_small.npz"))
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--train", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    data = load_mnist(args.data)
    rng = np.random.default_rng(args.seed)
    test = np.sort(rng.choice(len(data["x_test"]), args.test, replace=False))
    train = np.sort(rng.choice(len(data["x_train"]), args.train, replace=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x_train=data["x_train"][train], y_train=data["y_train"][train],
                        x_test=data["x_test"][test], y_test=data["y_test"][test],
                        test_index=test, train_index=train)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
