"""Image conversions and loading: the one place where pixels change representation.

Conventions (used everywhere in kinpaint):

- on disk and in stores, images are `uint8` in [0, 255], shape `(H, W, 3)`;
- inside models, images are `float32` in [-1, 1], channels last.

Pictures from a user are read in raster formats only (`READ_FORMATS`): Pillow is told which
plugins it may use, so a PostScript, PDF or any other file never reaches another plugin, and
never an external program such as Ghostscript (`open_picture`).
"""

import os
import struct

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Picture formats kinpaint writes, by file suffix (Pillow's format names).
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
                  ".tiff": "TIFF"}
LOSSY_FORMATS = ("JPEG",)  # WEBP is written lossless
EXIF_ROTATED = "rotated by its EXIF orientation"
# Picture formats kinpaint reads from a user (Pillow's names): raster formats whose Pillow
# plugins decode in-process. EPS (which Pillow hands to Ghostscript) and every other plugin are
# never tried. A JPEG with several pictures in it (a phone's MPO) opens as its first one.
READ_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
READ_FORMATS_TEXT = "PNG, JPEG, WebP, BMP, TIFF and GIF"
UNREADABLE = "unreadable or truncated image"
# Files users upload by mistake that no Pillow plugin reads, by their first bytes, to name them
# when refusing (Pillow's plugins' own signature checks name the rest: `sniff_format`).
_OTHER_SIGNATURES = ((b"%PDF-", "PDF"), (b"\xc5\xd0\xd3\xc6", "EPS"), (b"{\\rtf", "RTF"), (b"PK\x03\x04", "ZIP"))
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")


class ImageError(ValueError):
    """An image file that cannot be used; the message names the file.

    Attributes:
        path: the file.
        reason: a short, stable description (for grouping in reports).
        detail: what Pillow said, or "".
    """

    def __init__(self, path, reason, detail="", message=None):
        super().__init__(message or f"{path}: {reason}" + (f" ({detail})" if detail else ""))
        self.path = path
        self.reason = reason
        self.detail = detail


class UnreadFormatError(ImageError):
    """A picture in a format kinpaint does not read (`READ_FORMATS`); `format` names it
    (Pillow's name where Pillow knows it: `EPS`, `ICO`, `PSD`, ...)."""

    def __init__(self, path, format):
        reason = f"in {format} format; kinpaint reads only {READ_FORMATS_TEXT}"
        super().__init__(path, reason, message=f"{path} is {reason}")
        self.format = format


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
        ImageError: the file is unreadable, truncated, or the wrong size;
            `UnreadFormatError` when it is not one of `READ_FORMATS` (naming its format).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Image file not found: {path}")
    with open_picture(path) as image:
        image, conversions = picture_rgb8(image, path)
    if size is not None and image.size != (size, size):
        if not resize:
            raise ImageError(
                path, f"wrong size: expected {size}x{size}, got {image.size[0]}x{image.size[1]}"
            )
        conversions.append(f"resized {image.size[0]}x{image.size[1]}->{size}x{size}")
        image = centre_crop_resize(image, size)
    return np.asarray(image, dtype=np.uint8), conversions


def open_picture(source, name=None):
    """Open a picture from a user lazily (Pillow reads the header: size and mode, no pixels),
    in one of `READ_FORMATS` only: Pillow tries no other plugin, so no file reaches Ghostscript
    or another external program. Use it as a context manager; `picture_rgb8` decodes it.

    Args:
        source: a path, or a binary file object (`io.BytesIO` of an upload).
        name: what errors call it (default: the path).

    Raises:
        UnreadFormatError: the file is in another format (named, where its first bytes tell).
        ImageError: the file is no picture at all, or one too large for Pillow's
            decompression-bomb guard.
    """
    if name is None:
        name = os.fspath(source) if isinstance(source, (str, bytes, os.PathLike)) else "the picture"
    try:
        return Image.open(source, formats=READ_FORMATS)
    except Image.DecompressionBombError as error:
        raise _bomb(name, error) from error
    except UnidentifiedImageError:
        format = sniff_format(_first_bytes(source), name)
        if format in READ_FORMATS:
            raise ImageError(name, UNREADABLE, f"it starts as a {format} file, but its header is damaged") from None
        if format is not None:
            raise UnreadFormatError(name, format) from None
        raise ImageError(name, UNREADABLE, f"not a {READ_FORMATS_TEXT.replace(' and ', ' or ')} file") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(name, UNREADABLE, str(error)) from error


def picture_rgb8(image, name):
    """Decode a picture `open_picture` opened: an 8-bit RGB PIL image, upright, and the
    conversions made (`load_image`'s notes). A damaged file raises `ImageError` naming `name`."""
    try:
        # Pillow reduces 16-bit RGB to 8 bits silently; its decoder mode tells.
        sixteen_bit_rgb = image.mode == "RGB" and any(";16" in str(tile[3]) for tile in image.tile)
        image.load()
        image, conversions = upright_rgb8(image)
    except Image.DecompressionBombError as error:
        raise _bomb(name, error) from error
    except (OSError, SyntaxError, ValueError, IndexError, struct.error, EOFError) as error:
        raise ImageError(name, UNREADABLE, str(error)) from error
    return image, conversions + (["16-bit->8-bit"] if sixteen_bit_rgb else [])


def sniff_format(prefix, name=None):
    """The name of the format that `prefix` (a file's first bytes) starts like, or `None`:
    Pillow's name where one of its plugins knows the signature (`PNG`, `EPS`, `ICO`, ...; only
    the signature check runs, no plugin opens anything), else one of a few formats Pillow does
    not read (`PDF`, `SVG`, `HEIF`, ...), else the format the suffix of the file's `name` says
    where Pillow has no signature for it (`.tga`)."""
    head = prefix[:1024]
    if head.startswith(b"%!PS"):
        return "EPS" if b"EPSF" in head.split(b"\n", 1)[0] else "PostScript"
    for signature, format in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return format
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    Image.init()
    for format in [*READ_FORMATS, *(format for format in Image.ID if format not in READ_FORMATS)]:
        _, accept = Image.OPEN[format]
        try:
            if accept is not None and accept(prefix[:16]):
                # An icon's 4-byte signature is also how a TGA starts; an icon holds at least one.
                if format not in ("ICO", "CUR") or int.from_bytes(prefix[4:6], "little") > 0:
                    return format
        except Exception:  # noqa: BLE001  (a signature check that cannot read these bytes: not this format)
            continue
    suffix = os.path.splitext(name)[1].lower() if isinstance(name, str) else ""
    format = Image.registered_extensions().get(suffix)
    return format if format is not None and Image.OPEN.get(format, (None, None))[1] is None else None


def _first_bytes(source, count=1024):
    try:
        if isinstance(source, (str, bytes, os.PathLike)):
            with open(source, "rb") as handle:
                return handle.read(count)
        source.seek(0)
        return source.read(count)
    except (OSError, ValueError, AttributeError):
        return b""


def _bomb(name, error):
    return ImageError(name, "too many pixels to decode safely (Pillow's decompression-bomb guard)", str(error))


def upright_rgb8(image):
    """A loaded PIL image as 8-bit RGB, turned as its EXIF orientation says (as a viewer shows it);
    returns the image and the conversions made (`load_image`'s notes)."""
    rotated = _exif_orientation(image) in range(2, 9)
    image, conversions = _to_rgb8(ImageOps.exif_transpose(image) if rotated else image)
    return image, conversions + ([EXIF_ROTATED] if rotated else [])


def upright_size(image):
    """`(width, height)` of an opened picture as a viewer shows it (its EXIF orientation applied),
    from its header: nothing is decoded."""
    width, height = image.size
    return (height, width) if _exif_orientation(image) in range(5, 9) else (width, height)


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


def save_image(path, pixels, before_rename=None):
    """Write uint8 `(H, W, 3)` pixels atomically in the format `path`'s suffix names
    (`.png`, `.jpg` / `.jpeg` at quality 95, `.webp` lossless, `.bmp`, `.tif` / `.tiff`);
    `before_rename` as in `kinpaint.files.atomic_path`."""
    from kinpaint.files import atomic_path

    format = output_format(path)
    options = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}.get(format, {})
    with atomic_path(path, before_rename=before_rename) as temporary:
        Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(temporary, format=format, **options)
