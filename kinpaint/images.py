"""Image conversions and loading: the one place where pixels change representation.

Conventions (used everywhere in kinpaint):

- on disk and in stores, images are `uint8` in [0, 255], shape `(H, W, 3)`;
- inside models, images are `float32` in [-1, 1], channels last.
"""

import os

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Picture formats kinpaint writes, by file suffix (Pillow's format names).
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
                  ".tiff": "TIFF"}
LOSSY_FORMATS = ("JPEG",)  # WEBP is written lossless
EXIF_ROTATED = "rotated by its EXIF orientation"


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
        `"grayscale->RGB"`, `"16-bit->8-bit"`, `"alpha dropped"`, `"resized 80x60->64x64"`,
        `"rotated by its EXIF orientation"`. A camera's orientation tag is applied, so the
        pixels are upright as a viewer shows them (a mask drawn on the shown picture is read
        the same way and stays aligned).

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
            image, conversions = upright_rgb8(image)
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


def upright_rgb8(image):
    """A loaded PIL image as 8-bit RGB, turned as its EXIF orientation says (as a viewer shows it);
    returns the image and the conversions made (`load_image`'s notes)."""
    rotated = _exif_orientation(image) in range(2, 9)
    image, conversions = _to_rgb8(ImageOps.exif_transpose(image) if rotated else image)
    return image, conversions + ([EXIF_ROTATED] if rotated else [])


def _exif_orientation(image):
    """The EXIF orientation tag (1 = upright, 2-8 = flipped or rotated); 1 when absent or unreadable
    (a damaged EXIF block does not make the pixels unusable)."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # noqa: BLE001  (Pillow's EXIF parser raises many kinds on damaged tags)
        return 1


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


def output_format(path):
    """Pillow's format name for a picture file `path`, chosen by its suffix (`OUTPUT_FORMATS`).

    Raises:
        ValueError: an unknown suffix; the message names the path and the suffixes accepted.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"{path}: kinpaint writes pictures as {', '.join(OUTPUT_FORMATS)} (chosen by the suffix); "
                         f"{'the suffix ' + repr(suffix) if suffix else 'no suffix'} is not one of them")
    return OUTPUT_FORMATS[suffix]


def save_image(path, pixels):
    """Write uint8 `(H, W, 3)` pixels atomically in the format `path`'s suffix names
    (`.png`, `.jpg` / `.jpeg` at quality 95, `.webp` lossless, `.bmp`, `.tif` / `.tiff`)."""
    from kinpaint.files import atomic_path

    format = output_format(path)
    options = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}.get(format, {})
    with atomic_path(path) as temporary:
        Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(temporary, format=format, **options)
