"""The digit classifier: one onnxruntime session, one run per frame for all its candidates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .normalize import CHANNELS, SIZE

NOT_A_DIGIT = 10
CLASSES = 11
MODEL_NAME = "digits_cnn.onnx"
INT8_MODEL_NAME = "digits_cnn_int8.onnx"


def confident(probs: np.ndarray, min_confidence: float) -> np.ndarray:
    """The rows of `probs` (N, CLASSES) where a digit wins with at least `min_confidence`."""
    labels = probs.argmax(axis=1)
    confidence = probs[np.arange(len(probs)), labels]
    return np.flatnonzero((labels != NOT_A_DIGIT) & (confidence >= min_confidence))


class ModelError(ValueError):
    """The model file is missing, unreadable or does not take (N, 28, 28, 2) -> (N, 11)."""


def default_model(int8: bool = False) -> Path:
    """The model shipped inside the package (installed from the repository's models/ folder)."""
    name = INT8_MODEL_NAME if int8 else MODEL_NAME
    try:
        return Path(str(resources.files("livedigits.models") / name))
    except ModuleNotFoundError:  # running from a source tree that was never installed
        return Path(__file__).resolve().parent.parent / "models" / name


class Classifier:
    """Loads the model once and checks it takes what ``normalize_batch`` makes.

    threads: onnxruntime intra-op threads; 1 is fastest for the few dozen 28x28 crops of a frame
    (threads cost more to wake than the work they share), None lets onnxruntime choose.
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = 1):
        path = Path(model) if model is not None else default_model()
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises several types for a bad file
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise ModelError(f"cannot load model {path}: {reason}") from None
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        shape = inputs[0].shape if len(inputs) == 1 else None
        expected = f"(N, {SIZE}, {SIZE}, {CHANNELS}) float32 -> (N, {CLASSES})"
        if shape is not None and list(shape[1:]) == [SIZE, SIZE, 1]:
            raise ModelError(f"{path}: a model of the old contract (one channel, the mask only); "
                             f"this livedigits needs {expected}: the mask and the grey picture. "
                             "Retrain it with tools/train.py or use the shipped model.")
        if (shape is None or len(shape) != 4 or list(shape[1:]) != [SIZE, SIZE, CHANNELS]
                or inputs[0].type != "tensor(float)" or outputs[0].shape[-1] != CLASSES):
            got = ", ".join(f"{i.name}{i.shape}" for i in inputs)
            raise ModelError(f"{path}: expected {expected}, got {got} -> {outputs[0].shape}")
        self.path = path
        self.input_name = inputs[0].name
        self.output_name = outputs[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 2) float32 -> (N, 11) probabilities; no model call for an empty batch."""
        if len(batch) == 0:
            return np.zeros((0, CLASSES), np.float32)
        return self.session.run([self.output_name], {self.input_name: batch})[0]
