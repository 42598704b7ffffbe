"""Image conversions and loading: the one place where pixels change representation.

Conventions (used everywhere in kinpaint):

- on disk and in stores, images are `uint8` in [0, 255], shape `(H, W, 3)`;
- inside models, images are `float32` in [-1, 1], channels last.
"""

import os

import numpy as np
from PIL import Image, UnidentifiedImageError


class ImageError(ValueError):
    """An image file that cannot be used; the message names the file.

    Attributes:
        path: the file.
        reason: a short, stable description (for grouping in reports).
    """

    def __init__(self, path, reason, detail=""):
        super().__init__(f"{path}: {reason}" + (f" ({detail})" if detail else ""))
        self.path = path
        self.reason = reason


def to_model_range(images):
    """uint8 [0, 255] -> float32 [-1, 1]. Works on NumPy arrays and tensors."""
    if isinstance(images, np.ndarray):
        return images.astype(np.float32) / 127.5 - 1.0
    import tensorflow as tf

    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images):
    """float [-1, 1] -> uint8 [0, 255], rounded and clipped. Returns a NumPy array."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def centre_crop_resize(image, size):
    """Crop the largest centred square of a PIL image and resize it to `size` x `size`."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    if square.size != (size, size):
        square = square.resize((size, size), Image.Resampling.LANCZOS)
    return square


def load_image(path, size=None, resize=True):
    """Read an image file as uint8 RGB `(H, W, 3)`, explaining every conversion.

    Args:
        path: file to read.
        size: expected side length. `None` keeps the file's own size.
        resize: when the file is not `size` x `size`, centre-crop and resize it
            (`True`) or raise `ImageError` (`False`).

    Returns:
        `(pixels, conversions)`: the array and a list of short notes such as
        `"grayscale->RGB"`, `"16-bit->8-bit"`, `"alpha dropped"`, `"resized 80x60->64x64"`.

    Raises:
        FileNotFoundError: the path does not exist.
        ImageError: the file is unreadable, truncated, or the wrong size.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Image file not found: {path}")
    conversions = []
    try:
        with Image.open(path) as image:
            # Pillow reduces 16-bit RGB to 8 bits silently; its decoder mode tells.
            sixteen_bit_rgb = image.mode == "RGB" and any(";16" in str(tile[3]) for tile in image.tile)
            image.load()
            image, conversions = _to_rgb8(image)
            if sixteen_bit_rgb:
                conversions.append("16-bit->8-bit")
    except Image.DecompressionBombError as error:
        raise ImageError(path, "too many pixels to decode safely (Pillow's decompression-bomb guard)",
                         str(error)) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(path, "unreadable or truncated image", str(error)) from error
    if size is not None and image.size != (size, size):
        if not resize:
            raise ImageError(
                path, f"wrong size: expected {size}x{size}, got {image.size[0]}x{image.size[1]}"
            )
        conversions.append(f"resized {image.size[0]}x{image.size[1]}->{size}x{size}")
        image = centre_crop_resize(image, size)
    return np.asarray(image, dtype=np.uint8), conversions


def _to_rgb8(image):
    """Convert any PIL mode to 8-bit RGB; return the image and what was done."""
    conversions = []
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or array.max() > 255 else 255.0
        array = np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image = Image.fromarray(array, mode="L")
        conversions.append(f"{'16-bit' if top > 255 else mode}->8-bit")
        mode = "L"
    if mode in ("L", "1", "LA"):
        conversions.append("grayscale->RGB")
    elif mode in ("RGBA", "PA") or (mode == "P" and "transparency" in image.info):
        conversions.append("alpha dropped")
    elif mode not in ("RGB", "P"):
        conversions.append(f"{mode}->RGB")
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image, conversions


def save_png(path, pixels):
    """Write uint8 `(H, W, 3)` pixels as a PNG atomically (temporary file, then rename)."""
    from kinpaint.files import atomic_path

    with atomic_path(path) as temporary:
        Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(temporary, format="PNG")
