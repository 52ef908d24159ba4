"""Train the digit CNN on the reader's own candidates from realistic scenes and on MNIST made to
look like camera crops, export it to ONNX, quantize it.

    pip install -e ".[train]"
    python tools/scenes.py --frames 3000 --out runs/scenes_train.npz
    python tools/scenes.py --split val --frames 500 --out runs/scenes_val.npz
    python tools/train.py --data ../shared/data/mnist --scenes runs/scenes_train.npz \
        --val-scenes runs/scenes_val.npz --out models

Writes into --out: digits_cnn.onnx (fp32), digits_cnn_int8.onnx, the model card digits_cnn.json,
digits_cnn_confusion.png and digits_cnn_errors.png. Every input has the reader's two channels
(``livedigits.normalize.normalize_batch``: the mask and the grey picture); class 10 means "not a
digit". The scene crops (tools/scenes.py) are cut by the reader's own segmentation; the MNIST
share is augmented in mask space and drawn on plain paper (`augment.on_paper`) for its grey
channel.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from augment import NOT_A_DIGIT, augment_digit, make_negative, on_paper
from mnist import load_mnist, mnist_mask
from splits import command_line, split_train

from livedigits.normalize import CHANNELS, SIZE, normalize_batch

CLASSES = [str(d) for d in range(10)] + ["not a digit"]
# Conv channels (--widths); ~97k parameters, ~2 MMAC per digit. A first conv of 16 channels lets
# onnxruntime 1.31 use its fast blocked kernels on this AVX-512 machine (24 first channels cost
# twice the time). 16,64,128 costs ~0.12 ms more than 16,48,96 per batch of 20 on one thread
# (0.52 against 0.40 ms) and, trained alike, made fewer false digits on the validation sets.
WIDTHS = (16, 64, 128)
PARITY_TOL = 1e-4

# Worker processes read the training images from here; set before the pool forks.
_images: np.ndarray | None = None
_labels: np.ndarray | None = None


def model_input(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One mask-space crop as the model sees it: on paper, through the reader's normalize."""
    gray, box = on_paper(mask, rng)
    return normalize_batch([mask], box, gray)[0]


def _make_chunk(job: tuple[tuple[int, ...], np.ndarray, int]) -> tuple[np.ndarray, np.ndarray]:
    """Augment and normalize the digits at `indices` plus `n_neg` negatives, reproducibly."""
    seed, indices, n_neg = job
    rng = np.random.default_rng(seed)
    x = np.empty((len(indices) + n_neg, SIZE, SIZE, CHANNELS), np.float32)
    for i, k in enumerate(indices):
        x[i] = model_input(augment_digit(_images[k], rng), rng)
    for i in range(len(indices), len(x)):
        x[i] = model_input(make_negative(rng, _images, _labels), rng)
    y = np.concatenate([_labels[indices], np.full(n_neg, NOT_A_DIGIT)]).astype(np.int64)
    return x, y


def epoch_jobs(indices: np.ndarray, neg_fraction: float, seed: int, epoch: int, share: float = 1.0,
               chunks: int = 64):
    """Work for the pool: a share of the MNIST digits (a new draw each epoch) and negatives."""
    if share < 1.0:
        rng = np.random.default_rng((seed, epoch, 1))
        indices = np.sort(rng.choice(indices, round(share * len(indices)), replace=False))
    parts = np.array_split(indices, chunks)
    n_neg = round(len(indices) * neg_fraction / chunks)
    return [((seed, epoch, c), p, n_neg) for c, p in enumerate(parts)]


def gather(results) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([r[0] for r in results])
    y = np.concatenate([r[1] for r in results])
    return x, y


def plain_inputs(images: np.ndarray, seed: int) -> np.ndarray:
    """MNIST images through the reference mask, on paper (seeded) and normalize, no augmentation:
    (N, 28, 28, 2)."""
    rng = np.random.default_rng(seed)
    return np.stack([model_input(mnist_mask(im), rng) for im in images])


def negatives(count: int, seed: int, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([model_input(make_negative(rng, images, labels), rng) for _ in range(count)])


def made_by(path: Path) -> str:
    """The command that wrote a crops file (tools/scenes.py stores it there), or its name."""
    data = np.load(path)
    return str(data["command"]) if "command" in data.files else f"{path.name}: not recorded"


def load_scenes(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Labelled scene crops written by tools/scenes.py: (N, 28, 28, 2) float32, (N,) int64."""
    if not paths:
        return np.zeros((0, SIZE, SIZE, CHANNELS), np.float32), np.zeros(0, np.int64)
    parts = [np.load(path) for path in paths]
    return (np.concatenate([p["x"] for p in parts]).astype(np.float32),
            np.concatenate([p["y"] for p in parts]).astype(np.int64))


def build_model(keras, widths: tuple[int, ...] = WIDTHS, separable: bool = False):
    """Valid 3x3 conv-BN-ReLU blocks, one per width (default three): small enough for ~0.5 ms
    per batch of 20 on one core.

    separable: depthwise-separable convolutions after the first (wider layers for the same time).
    """
    layers = keras.layers
    image = keras.Input((SIZE, SIZE, CHANNELS), name="image")
    x = image
    for i, width in enumerate(widths):
        conv = layers.SeparableConv2D if separable and i > 0 else layers.Conv2D
        x = conv(width, 3, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if i < len(widths) - 1:
            x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    probs = layers.Dense(len(CLASSES), activation="softmax", name="probs")(x)
    # Functional, not Sequential: tf2onnx 1.17 from_keras fails on a Sequential model.
    return keras.Model(image, probs, name="digits_cnn")


def export_onnx(model, path: Path) -> None:
    import onnx
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, SIZE, SIZE, CHANNELS), tf.float32, name="image"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=17)
    # Name the output `probs` whatever tf2onnx called it.
    old = proto.graph.output[0].name
    for node in proto.graph.node:
        node.output[:] = ["probs" if o == old else o for o in node.output]
    proto.graph.output[0].name = "probs"
    proto.doc_string = "livedigits digit classifier; classes: " + ", ".join(CLASSES)
    onnx.helper.set_model_props(proto, {"classes": json.dumps(CLASSES)})
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def ort_predict(path: Path, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(["probs"], {"image": x[i : i + batch]})[0]
                           for i in range(0, len(x), batch)])


def check_contract(path: Path) -> None:
    """The reader relies on this: input `image` (N, 28, 28, 2) float32, output `probs` (N, 11)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    ok = (inp.name == "image" and inp.type == "tensor(float)"
          and inp.shape[1:] == [SIZE, SIZE, CHANNELS] and not isinstance(inp.shape[0], int)
          and out.name == "probs" and out.shape[1:] == [len(CLASSES)])
    if not ok:
        raise SystemExit(f"{path}: wrong contract {inp.name}{inp.shape} -> {out.name}{out.shape}")


def quantize_int8(fp32: Path, int8: Path, calibration: np.ndarray) -> None:
    """Static int8 (QDQ) calibrated on training crops; dynamic quantization is 4-9x slower here."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(np.array_split(calibration, max(1, len(calibration) // 50)))

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"image": batch}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(int8), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    n = len(CLASSES)
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def draw_confusion(matrix: np.ndarray, path: Path) -> None:
    """A plain OpenCV picture of the confusion matrix (rows: truth, columns: prediction)."""
    n, cell, margin = len(matrix), 44, 60
    img = np.full((margin + n * cell + 10, margin + n * cell + 10, 3), 255, np.uint8)
    short = [*CLASSES[:10], "-"]
    rowsum = np.maximum(matrix.sum(1, keepdims=True), 1)
    for i in range(n):
        for j in range(n):
            x, y = margin + j * cell, margin + i * cell
            share = matrix[i, j] / rowsum[i, 0]
            shade = int(255 * (1 - share)) if i == j else int(255 * (1 - min(1.0, share * 20)))
            colour = (shade, 255, shade) if i == j else (shade, shade, 255)
            cv2.rectangle(img, (x, y), (x + cell - 2, y + cell - 2), colour, -1)
            if matrix[i, j]:
                cv2.putText(img, str(matrix[i, j]), (x + 3, y + 27), cv2.FONT_HERSHEY_PLAIN, 0.9,
                            (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, short[i], (margin + i * cell + 16, margin - 10),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, short[i], (margin - 25, margin + i * cell + 28),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "truth \\ predicted", (4, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    cv2.imwrite(str(path), img)


def draw_errors(x: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, path: Path,
                most: int = 120) -> None:
    """A grid of the misclassified model inputs, captioned truth>predicted ('-' = not a digit)."""
    wrong = np.flatnonzero(y_true != y_pred)[:most]
    cols, tile = 12, 64
    rows = max(1, -(-len(wrong) // cols))
    img = np.full((rows * tile, cols * tile), 40, np.uint8)
    short = [*CLASSES[:10], "-"]
    for k, idx in enumerate(wrong):
        r, c = divmod(k, cols)
        digit = cv2.resize((x[idx, :, :, 0] * 255).astype(np.uint8), (48, 48))
        img[r * tile : r * tile + 48, c * tile + 8 : c * tile + 56] = digit
        cv2.putText(img, f"{short[y_true[idx]]}>{short[y_pred[idx]]}", (c * tile + 12,
                    r * tile + 61), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1, cv2.LINE_AA)
    cv2.imwrite(str(path), img)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_data(source: str | None) -> dict[str, np.ndarray]:
    if source:
        return load_mnist(source)
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # no network, no cache: say what to do instead
        raise SystemExit(
            f"could not download MNIST ({error}); pass --data DIR with the four IDX .gz files "
            "(train-images-idx3-ubyte.gz ...) or an mnist.npz") from None
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with the four MNIST IDX .gz files, or an mnist.npz "
                   "(default: keras.datasets.mnist, which needs the internet)")
    p.add_argument("--out", type=Path, default=Path("models"), help="output folder")
    p.add_argument("--name", default="digits_cnn", help="file name stem of the outputs")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (cosine decay)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--widths", type=lambda s: tuple(int(w) for w in s.split(",")),
                   default=WIDTHS, help="conv channels, comma-separated (default 16,64,128)")
    p.add_argument("--negatives", type=float, default=0.12,
                   help="mask-space not-a-digit crops per epoch, as a fraction of the MNIST digits")
    p.add_argument("--scenes", type=Path, nargs="*", default=[],
                   help="labelled scene crops from tools/scenes.py (.npz), used every epoch")
    p.add_argument("--val-scenes", type=Path, nargs="*", default=[],
                   help="scene crops of the val split (test digits, held-out backgrounds): "
                   "validation, where the model is chosen")
    p.add_argument("--mnist-share", type=float, default=0.5,
                   help="share of the MNIST training digits augmented each epoch (default 0.5)")
    p.add_argument("--scene-negatives", type=float, default=1.0,
                   help="share of the scene not-a-digit crops drawn each epoch (default all)")
    p.add_argument("--separable", action="store_true",
                   help="depthwise-separable convolutions after the first")
    p.add_argument("--val", type=int, default=5000, help="training images held out for validation")
    p.add_argument("--limit", type=int, default=0, help="use only this many training images")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes making augmented data")
    return p.parse_args(argv)


def scene_epoch(scenes: tuple[np.ndarray, np.ndarray], share: float, seed: int, epoch: int,
                ) -> np.ndarray:
    """Indices of the scene crops for one epoch: every digit, a new draw of `share` negatives."""
    y = scenes[1]
    digits, others = np.flatnonzero(y != NOT_A_DIGIT), np.flatnonzero(y == NOT_A_DIGIT)
    rng = np.random.default_rng((seed, epoch, 2))
    return np.concatenate([digits, rng.choice(others, round(share * len(others)), replace=False)])


def fit(args, keras, validation, pool, pending, train_idx, scenes, started):
    """Train the net, a fit call per epoch on fresh augmented data that `pool` makes while the
    last epoch trains (`pending`: the first epoch's, started before TensorFlow was imported),
    plus the scene crops.

    Returns the model, its last validation accuracy and 500 training crops for calibration.
    """
    model = build_model(keras, args.widths, args.separable)
    per_epoch = (round(args.mnist_share * len(train_idx)) * (1 + args.negatives)
                 + len(scene_epoch(scenes, args.scene_negatives, args.seed, 0)))
    steps = args.epochs * -(-int(per_epoch) // args.batch)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps, alpha=0.01)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"{model.count_params()} parameters; {len(train_idx)} MNIST training digits "
          f"({args.mnist_share:.0%} each epoch), {len(scenes[1])} scene crops, "
          f"{len(validation[0])} validation crops", flush=True)
    for epoch in range(args.epochs):
        x, y = gather(pending.get())
        if epoch + 1 < args.epochs:  # make the next epoch's data while this one trains
            pending = pool.map_async(_make_chunk, epoch_jobs(
                train_idx, args.negatives, args.seed, epoch + 1, args.mnist_share))
        if len(scenes[1]):
            chosen = scene_epoch(scenes, args.scene_negatives, args.seed, epoch)
            x, y = np.concatenate([x, scenes[0][chosen]]), np.concatenate([y, scenes[1][chosen]])
        shuffle = np.random.default_rng((args.seed, epoch)).permutation(len(x))
        history = model.fit(x[shuffle], y[shuffle], batch_size=args.batch, epochs=epoch + 1,
                            initial_epoch=epoch, validation_data=validation, verbose=2)
        print(f"epoch {epoch + 1}/{args.epochs} done at {(time.time() - started) / 60:.1f} min",
              flush=True)
    return model, history.history["val_accuracy"][-1], x[:500]


def main(argv=None) -> int:
    global _images, _labels
    args = parse_args(argv)
    started = time.time()
    data = load_data(args.data)
    val_idx, train_idx = split_train(len(data["x_train"]), args.val, args.limit)
    n_val = len(val_idx)
    _images, _labels = data["x_train"], data["y_train"]
    # Fork the augmentation workers before TensorFlow starts its threads.
    pool = mp.get_context("fork").Pool(args.workers)
    pending = pool.map_async(_make_chunk, epoch_jobs(train_idx, args.negatives, args.seed, 0,
                                                     args.mnist_share))
    scenes = load_scenes(args.scenes)
    val_scenes = load_scenes(args.val_scenes)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    n_val_neg = int(n_val * args.negatives)
    x_val = np.concatenate([plain_inputs(_images[val_idx], args.seed + 3),
                            negatives(n_val_neg, args.seed + 1, _images[train_idx],
                                      _labels[train_idx]), val_scenes[0]])
    y_val = np.concatenate([_labels[val_idx], np.full(n_val_neg, NOT_A_DIGIT),
                            val_scenes[1]]).astype(np.int64)

    model, val_accuracy, calibration = fit(args, keras, (x_val, y_val), pool, pending,
                                           train_idx, scenes, started)
    pool.close()
    val_pred = model.predict(x_val, batch_size=1000, verbose=0).argmax(1)
    n_mnist_val = n_val + n_val_neg
    val_report = {
        "mnist_digits": round(float((val_pred[:n_val] == y_val[:n_val]).mean()), 5),
        "mnist_negatives": round(float((val_pred[n_val:n_mnist_val]
                                        == y_val[n_val:n_mnist_val]).mean()), 5)
        if n_val_neg else None,
    }
    if len(val_scenes[1]):
        scene_pred, scene_true = val_pred[n_mnist_val:], y_val[n_mnist_val:]
        is_digit = scene_true != NOT_A_DIGIT
        val_report["scene_digits"] = round(float((scene_pred == scene_true)[is_digit].mean()), 5)
        val_report["scene_not_a_digit"] = round(
            float((scene_pred == scene_true)[~is_digit].mean()), 5)
    print(f"validation: {val_report}", flush=True)

    # The test set only now, for the final report.
    x_test = plain_inputs(data["x_test"], args.seed + 4)
    y_test = data["y_test"].astype(np.int64)
    x_neg = negatives(2000, args.seed + 2, _images[train_idx], _labels[train_idx])

    args.out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = args.out / f"{args.name}.onnx", args.out / f"{args.name}_int8.onnx"
    keras_probs = model.predict(x_test, batch_size=1000, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "candidate.onnx"
        export_onnx(model, candidate)
        check_contract(candidate)
        onnx_probs = ort_predict(candidate, x_test)
        max_diff = float(np.abs(onnx_probs - keras_probs).max())
        same_argmax = bool((onnx_probs.argmax(1) == keras_probs.argmax(1)).all())
        print(f"parity onnxruntime vs keras: max |diff| {max_diff:.2e}, argmax equal {same_argmax}")
        if max_diff > PARITY_TOL or not same_argmax:
            print(f"refusing to export: parity check failed (tolerance {PARITY_TOL})",
                  file=sys.stderr)
            return 1
        fp32.write_bytes(candidate.read_bytes())
    quantize_int8(fp32, int8, calibration)
    check_contract(int8)

    report = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        pred = ort_predict(path, x_test).argmax(1)
        neg_pred = ort_predict(path, x_neg).argmax(1)
        report[name] = {
            "mnist_test_accuracy": round(float((pred == y_test).mean()), 5),
            "mnist_test_read_as_not_a_digit": int((pred == NOT_A_DIGIT).sum()),
            "negatives_rejected": round(float((neg_pred == NOT_A_DIGIT).mean()), 5),
            "size_bytes": path.stat().st_size,
            "sha256": sha256(path),
        }
        print(f"{name}: MNIST test accuracy {report[name]['mnist_test_accuracy']:.4%}, "
              f"negatives rejected {report[name]['negatives_rejected']:.2%}, "
              f"{report[name]['size_bytes'] / 1024:.0f} KB", flush=True)
        if name == "fp32":
            y_all = np.concatenate([y_test, np.full(len(x_neg), NOT_A_DIGIT)])
            draw_confusion(confusion(y_all, np.concatenate([pred, neg_pred])),
                           args.out / f"{args.name}_confusion.png")
            draw_errors(x_test, y_test, pred, args.out / f"{args.name}_errors.png")

    import onnxruntime
    import tf2onnx

    card = {
        "name": args.name,
        "classes": CLASSES,
        "input": {"name": "image", "shape": ["N", SIZE, SIZE, CHANNELS], "dtype": "float32",
                  "channels": ["mask: the candidate's binary ink, 0..1, white ink on black",
                               "grey: the smoothed grey frame under the same map, (grey - "
                               "background) / (ink - background), clipped to -1..2"],
                  "made_by": "livedigits.normalize.normalize_batch(masks, boxes, gray): deskew "
                             "by moments, fit in 20x20 keeping aspect, centre of mass at "
                             "(14, 14) in 28x28; the grey channel sampled through the same "
                             "affine map (a 4 px margin of context around the 20x20 box)"},
        "output": {"name": "probs", "shape": ["N", len(CLASSES)], "meaning": "softmax; class 10 "
                   "= not a digit"},
        "architecture": f"{len(args.widths)} x (conv3x3 valid, BN, ReLU) with widths "
                        f"{list(args.widths)}"
                        + (", separable (depthwise + pointwise) after the first"
                           if args.separable else "")
                        + ", maxpool after all but the last, dropout 0.3, dense softmax",
        "parameters": int(model.count_params()),
        "data": {
            "train": f"{len(scenes[1])} scene crops ({int((scenes[1] != NOT_A_DIGIT).sum())} "
                     f"digits; tools/scenes.py, MNIST train digits, the reader's own "
                     f"segmentation; {args.scene_negatives:.0%} of the not-a-digit crops drawn "
                     f"each epoch) and MNIST train, {len(train_idx)} images "
                     f"({args.mnist_share:.0%} drawn each epoch), augmented anew each epoch "
                     f"to look like camera crops and drawn on paper, plus "
                     f"{args.negatives:.0%} generated not-a-digit crops",
            "scenes": [f"{path.name} ({len(np.load(path)['y'])} crops)" for path in args.scenes]
            + [f"{path.name} ({len(np.load(path)['y'])} crops, validation)"
               for path in args.val_scenes],
            "scenes_made_by": [made_by(path) for path in [*args.scenes, *args.val_scenes]],
            "validation": f"{n_val} held-out MNIST train images (+{n_val_neg} negatives), "
                          f"not augmented, and {len(val_scenes[1])} scene crops of the val "
                          "split (the held-out MNIST train digits on backgrounds held out of "
                          "training)",
            "test": "MNIST test, 10000 images, each via tools/mnist.py mnist_mask (2x "
                    "upscale, threshold 128) drawn on paper (augment.on_paper, seeded) and "
                    "normalize_batch; 2000 generated negatives (other seed)",
        },
        "validation": val_report,
        "augmentation": "elastic distortion, rotation +-15 deg, shear +-0.3, scale 1.2-3.5x with "
                        "+-15% aspect, blur and re-threshold at 25-60%, dilate (marker) or erode "
                        "(ballpoint), broken strokes",
        "negatives": "specks, near-horizontal lines and ruled-line pieces, paper edges, open "
                     "rings, OpenCV-font letters and symbols, left halves of round digits, two "
                     "digits run together, textured noise",
        "epochs": args.epochs,
        "batch": args.batch,
        "learning_rate": f"Adam, cosine decay from {args.lr}",
        "seed": args.seed,
        "final_validation_accuracy": round(float(val_accuracy), 5),
        "onnx_parity": {"max_abs_diff": max_diff, "argmax_equal": same_argmax},
        "fp32": report["fp32"],
        "int8": {**report["int8"], "quantization": "onnxruntime static QDQ, per-channel int8 "
                 "weights, uint8 activations, calibrated on 500 training crops"},
        "training_minutes": round((time.time() - started) / 60, 1),
        "date": datetime.date.today().isoformat(),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                     "tf2onnx": tf2onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "command": command_line("train.py", sys.argv[1:] if argv is None else argv),
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {fp32}, {int8} and {args.name}.json in {card['training_minutes']} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
