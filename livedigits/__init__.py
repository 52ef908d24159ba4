"""livedigits: read handwritten digits and numbers from a live camera in real time.

    import cv2
    from livedigits import Reader

    reader = Reader()                      # loads the shipped ONNX model once
    reading = reader.read(cv2.imread("samples/frames/frame_12.jpg"))
    for number in reading.numbers:
        print(number.text, number.box, f"{number.confidence:.2f}")
"""

from .classify import ModelError
from .reader import Reader
from .render import Style, render
from .types import Box, Digit, Number, Reading

__version__ = "0.1.0"
__all__ = ["Box", "Digit", "ModelError", "Number", "Reader", "Reading", "Style", "__version__",
           "render"]
