"""A real (tiny) Keras training run through tools/train.py: export, parity, quantization."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import DATA, ROOT

pytest.importorskip("tensorflow", reason="the train extra is not installed")
pytest.importorskip("tf2onnx", reason="the train extra is not installed")


def test_training_smoke_run_exports_a_model_with_the_contract(tmp_path):
    """Scene crops made by tools/scenes.py, then one epoch of real Keras training on them and
    on augmented MNIST, exported with tf2onnx and quantized."""
    pytest.importorskip("skimage", reason="the train extra is not installed")
    scenes = tmp_path / "scenes.npz"
    made = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "scenes.py"), "--data", str(DATA / "mnist_small.npz"),
         "--frames", "6", "--workers", "1", "--out", str(scenes)],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert made.returncode == 0 and scenes.is_file(), made.stderr[-3000:]
    out = tmp_path / "model"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "train.py"), "--data", str(DATA / "mnist_small.npz"),
         "--out", str(out), "--epochs", "1", "--val", "200", "--workers", "1", "--seed", "1",
         "--scenes", str(scenes), "--val-scenes", str(scenes)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]

    from livedigits.classify import Classifier

    for name in ("digits_cnn.onnx", "digits_cnn_int8.onnx"):
        classifier = Classifier(out / name)  # raises unless (N, 28, 28, 2) -> (N, 11)
        assert classifier.input_name == "image" and classifier.output_name == "probs"
        inputs = classifier.session.get_inputs()[0]
        assert not isinstance(inputs.shape[0], int), "the batch dimension must be dynamic"
    card = json.loads((out / "digits_cnn.json").read_text())
    assert card["onnx_parity"]["max_abs_diff"] <= 1e-4 and card["onnx_parity"]["argmax_equal"]
    assert card["seed"] == 1 and card["epochs"] == 1 and "--epochs 1" in card["command"]
    # How the crops were made travels with them; neither command holds this machine's paths.
    made_by = card["data"]["scenes_made_by"]
    assert len(made_by) == 2 and all("tools/scenes.py" in c and "--frames 6" in c for c in made_by)
    assert not any(arg.startswith("/") for c in [card["command"], *made_by] for arg in c.split())
    assert card["input"]["shape"] == ["N", 28, 28, 2] and "scene_digits" in card["validation"]
    for picture in ("digits_cnn_confusion.png", "digits_cnn_errors.png"):
        assert (out / picture).is_file()


def test_no_data_and_no_network_gives_a_clear_message():
    """Without --data, keras downloads MNIST; failing that, the tool says what to do."""
    code = ("import sys; sys.path.insert(0, 'tools'); import train; "
            "import keras; keras.datasets.mnist.load_data = lambda: 1/0; train.load_data(None)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode != 0 and "--data" in result.stderr
