"""What a camera sees around and behind the paper: surfaces for the training and validation scenes.

Procedural surfaces (wood grain, carpet, fabric, leather, a dark desk, a painted wall, a mouse
pad with a printed logo, a printed page of words) and scikit-image's bundled textures and
photos (brick, grass, gravel, coffee, a rocket ...; they ship inside its wheel, so nothing is
downloaded). The photos are split: `TRAIN_IMAGES` are for training scenes, `HELD_OUT_IMAGES`
only for validation scenes, so the validation sets show the model backgrounds it never saw.
scikit-image is in the `train` extra only; the reader never imports this module.

Every function returns a float32 BGR image (H, W, 3), 0..255-ish, of the requested size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import cv2
import numpy as np
from compose import FONTS, Size, grain, lowfreq, normalized, surface

TRAIN_IMAGES = ("brick", "grass", "camera", "chelsea", "coffee", "astronaut", "rocket",
                "hubble_deep_field", "immunohistochemistry", "text", "clock", "coins",
                "stereo_motorcycle")
HELD_OUT_IMAGES = ("gravel", "moon", "cat", "page", "cell", "retina")


@cache
def _skimage(name: str) -> np.ndarray:
    """A scikit-image data image as uint8 BGR."""
    import skimage.data

    image = getattr(skimage.data, name)()
    if isinstance(image, tuple):  # stereo pairs
        image = image[0]
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2BGR)


def photo(name: str, size: Size, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a bundled photo, scaled, turned and re-lit to fill the frame."""
    image = _skimage(name).astype(np.float32)
    w, h = size
    zoom = max(w / image.shape[1], h / image.shape[0]) * rng.uniform(1.0, 2.5)
    angle = rng.uniform(-180, 180) if rng.random() < 0.5 else 0.0
    centre = (image.shape[1] * rng.uniform(0.3, 0.7), image.shape[0] * rng.uniform(0.3, 0.7))
    matrix = cv2.getRotationMatrix2D(centre, angle, zoom)
    matrix[:, 2] += (w / 2 - centre[0], h / 2 - centre[1])
    out = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)
    gain, offset = rng.uniform(0.5, 1.1), rng.uniform(-30, 30)
    return out * gain + offset


def _rotate(field: np.ndarray, rng: np.random.Generator, most: float = 90) -> np.ndarray:
    """A texture field turned by a random angle up to `most` degrees either way (cropped from a
    larger one: no corners)."""
    h, w = field.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-most, most), 1.0)
    return cv2.warpAffine(field, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def wood(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Wood grain: long streaks, growth rings bent by a slow warp, pores; light to dark."""
    w, h = size
    yy = np.mgrid[0:h, 0:w][0].astype(np.float32)
    bend = 40 * lowfreq(size, 3, rng) + 8 * lowfreq(size, 12, rng)
    rings = np.sin((yy + bend) * (2 * math.pi / rng.uniform(8, 40)))
    streaks = grain(size, rng, sx=rng.uniform(20, 60), sy=rng.uniform(0.6, 1.5))
    pores = grain(size, rng, sx=6, sy=0.5)
    texture = rng.uniform(6, 22) * rings + rng.uniform(6, 18) * streaks + 6 * pores
    base = np.array([(60, 100, 150), (40, 70, 110), (90, 140, 185), (30, 45, 70)]
                    [rng.integers(4)], np.float32) + rng.uniform(-15, 15, 3)
    return surface(base, _rotate(texture, rng))


def carpet(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Carpet: dense loops (strong fine noise) over blotches of wear."""
    base = rng.uniform(40, 170, 3).astype(np.float32)
    loops = grain(size, rng, sx=rng.uniform(0.8, 1.8), sy=rng.uniform(0.8, 1.8))
    return surface(base, rng.uniform(12, 30) * loops + 10 * lowfreq(size, 8, rng))


def fabric(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Woven cloth: a fine weave, sometimes stripes or a check of another colour."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(3, 8)
    weave = np.sin(xx * 2 * math.pi / period) * np.sin(yy * 2 * math.pi / period)
    base = rng.uniform(30, 200, 3).astype(np.float32)
    out = surface(base, rng.uniform(8, 20) * weave + 6 * grain(size, rng))
    if rng.random() < 0.6:  # stripes or a check
        band = rng.uniform(20, 80)
        stripes = (np.sin(xx * 2 * math.pi / band) > 0.3).astype(np.float32)
        if rng.random() < 0.5:
            stripes = np.maximum(stripes, (np.sin(yy * 2 * math.pi / band) > 0.3))
        out += stripes[..., None] * (rng.uniform(-80, 80, 3).astype(np.float32))
    return _rotate(out, rng)


def leather(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Leather: a dark, cell-like grain of creases and a soft sheen."""
    cells = grain(size, rng, sx=2.5, sy=2.5)
    creases = -np.abs(grain(size, rng, sx=4, sy=4))
    base = np.array([(25, 25, 28), (30, 45, 75), (20, 30, 50), (60, 60, 65)][rng.integers(4)],
                    np.float32) + rng.uniform(-8, 8, 3)
    return surface(base, 8 * cells + 14 * creases + 12 * lowfreq(size, 3, rng))


def dark_desk(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A dark, nearly plain desk or table top, with a little sheen and dust."""
    base = rng.uniform(15, 70, 3).astype(np.float32)
    return surface(base, 10 * lowfreq(size, 3, rng) + 3 * grain(size, rng))


def wall(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A painted wall: light like paper, with plaster grain, and a gradient of light."""
    base = np.array([(215, 220, 225), (180, 200, 215), (200, 210, 200), (150, 160, 170)]
                    [rng.integers(4)], np.float32) + rng.uniform(-20, 10, 3)
    plaster = grain(size, rng, sx=1.5, sy=1.5) + 0.5 * grain(size, rng, sx=5, sy=5)
    return surface(base, 5 * plaster + 12 * lowfreq(size, 2, rng))


def mouse_pad(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A black pad with light printed letters: a logo of the opposite polarity to pen ink."""
    out = dark_desk(size, rng) * 0.5
    canvas = np.zeros(size[::-1], np.uint8)
    w, h = size
    for _ in range(int(rng.integers(1, 4))):
        text = "".join(rng.choice(list("ABCDEGHKLMNPRSTUVWXYZ"), int(rng.integers(2, 7))))
        font = FONTS[rng.integers(len(FONTS))]
        scale = rng.uniform(0.03, 0.12) * h / cv2.getTextSize("A", font, 1.0, 1)[0][1]
        thickness = max(1, round(scale * rng.uniform(1, 3)))
        origin = (int(rng.integers(0, w * 3 // 4)), int(rng.integers(h // 8, h)))
        cv2.putText(canvas, text, origin, font, scale, 255, thickness, cv2.LINE_AA)
    colour = rng.uniform(160, 250, 3).astype(np.float32)
    alpha = canvas.astype(np.float32)[..., None] / 255
    return out + (colour - out) * alpha


LETTERS = "abcdefghiklmnoprstuvwxyz" * 3 + "ABCDEFGHKLMNOPRSTUVWXYZ" + " " * 12 + ".,;:-()"


def printed_page(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A printed page of words, often turned, also upside down: its o, l, b, s and g read as 0,
    1, 6, 5 and 9 one by one, and the model must learn them in words (letters beside them) as no
    digit."""
    w, h = size
    canvas = np.zeros((h, w), np.uint8)
    font = FONTS[rng.integers(len(FONTS))] | (cv2.FONT_ITALIC if rng.random() < 0.2 else 0)
    letter = rng.uniform(0.02, 0.08) * h  # cap height in pixels
    scale = letter / cv2.getTextSize("A", font, 1.0, 1)[0][1]
    weight = max(1, round(scale * rng.uniform(1, 2.5)))
    for y in np.arange(rng.uniform(0.5, 2) * letter, 1.2 * h, rng.uniform(1.6, 2.4) * letter):
        text = "".join(rng.choice(list(LETTERS), int(1.5 * w / letter)))
        cv2.putText(canvas, text, (int(-rng.uniform(0, 3) * letter), int(y)), font, scale, 255,
                    weight, cv2.LINE_AA)
    ink = canvas.astype(np.float32) / 255
    ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.3, 1.5))
    base = rng.uniform(170, 240)
    page = surface((base, base, base), 6 * lowfreq(size, 3, rng) + 2 * grain(size, rng))
    out = page - ink[..., None] * (base - rng.uniform(20, 90))
    # Any way round: a page lying upside down reads "h" as 4 and "t" as 7 (most false digits
    # on held-out surfaces, where the bundled page photo is turned all round).
    return _rotate(out, rng, 180) if rng.random() < 0.5 else out


def noise_field(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Cluttered mid-frequency noise in colour: foliage, a busy poster, gravel."""
    fields = [normalized(grain(size, rng, sx=s, sy=s)) for s in rng.uniform(1, 6, 3)]
    return np.stack(fields, axis=-1) * rng.uniform(20, 50) + rng.uniform(60, 180, 3)


PROCEDURAL: dict[str, Callable[[Size, np.random.Generator], np.ndarray]] = {
    "wood": wood, "carpet": carpet, "fabric": fabric, "leather": leather,
    "dark_desk": dark_desk, "wall": wall, "mouse_pad": mouse_pad, "noise": noise_field,
    "printed_page": printed_page,
}


def background(size: Size, rng: np.random.Generator, held_out: bool = False) -> np.ndarray:
    """A random surface: procedural (60%) or a bundled photo of the split asked for (40%)."""
    if rng.random() < 0.6:
        names = sorted(PROCEDURAL)
        return PROCEDURAL[names[rng.integers(len(names))]](size, rng).astype(np.float32)
    names = HELD_OUT_IMAGES if held_out else TRAIN_IMAGES
    return photo(names[rng.integers(len(names))], size, rng).astype(np.float32)
