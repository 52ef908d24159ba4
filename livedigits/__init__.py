"""livedigits: read handwritten digits and numbers from a live camera in real time.

    from livedigits import Reader

    reader = Reader()                      # loads the shipped ONNX model once
    reading = reader.read("samples/frames/frame_12.jpg")   # a path or a BGR image array
    for number in reading.numbers:
        print(number.text, number.box, f"{number.confidence:.2f}")
"""

from .classify import ModelError
from .reader import Reader
from .render import Style, render
from .sources import open_source
from .track import NO_SMOOTHING, Tracker, TrackerSettings
from .types import Box, Detections, Digit, Number, Reading

__version__ = "0.2.0"
__all__ = ["NO_SMOOTHING", "Box", "Detections", "Digit", "ModelError", "Number", "Reader",
           "Reading", "Style", "Tracker", "TrackerSettings", "__version__", "open_source",
           "render"]
