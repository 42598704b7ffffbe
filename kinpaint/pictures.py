"""Filling a hole in a user's picture of any size with a trained model (`kinpaint inpaint`)."""

import os

import numpy as np
from PIL import Image

from kinpaint.data.masks import centre_mask


def read_mask_file(path, shape):
    """A mask picture (white where to fill: any channel above 127) as a `(H, W, 1)` float32
    mask in kinpaint's convention: 1 = known pixel, 0 = hole. `shape` is the picture's `(H, W)`."""
    from kinpaint.images import load_image

    pixels, _ = load_image(path)
    if pixels.shape[:2] != tuple(shape):
        raise ValueError(f"the mask {path} is {pixels.shape[1]}x{pixels.shape[0]} but the picture is "
                         f"{shape[1]}x{shape[0]}")
    known = (pixels.max(axis=-1) <= 127).astype(np.float32)[:, :, None]
    if known.all():
        raise ValueError(f"{path} marks no pixel to fill (white = fill)")
    return known


def picture_centre_mask(shape):
    """The `(H, W, 1)` mask hiding the centred rectangle of half the picture's height and width."""
    height, width = shape
    return centre_mask((height, width), (height // 2, width // 2))


def inpaint_full_resolution(inpainter, pixels, masks, size, caption=None):
    """Fill the holes of a picture of any size with a model that works at `size` x `size`.

    The picture is resized to the model's size, filled, and the fill is resized back and
    pasted into the hole only: every known pixel keeps its exact value. With `size=None`
    (a model that fills any size), the picture is filled at its own resolution.

    Args:
        inpainter: anything with `inpaint(images, masks, captions=None)`.
        pixels: uint8 `(H, W, 3)`.
        masks: `(H, W, 1)` or `(H, W)`, 1 = known pixel, 0 = hole.
        size: the model's image side, or `None` to fill at the picture's own size.
        caption: one caption string (or vector), or `None`.

    Returns:
        uint8 `(H, W, 3)`.
    """
    from kinpaint.images import to_model_range, to_uint8

    pixels = np.asarray(pixels, np.uint8)
    known = np.asarray(masks, np.float32).reshape(np.shape(masks)[:2]) >= 0.5
    if known.shape != pixels.shape[:2]:
        raise ValueError(f"the mask is {known.shape[1]}x{known.shape[0]} but the image is "
                         f"{pixels.shape[1]}x{pixels.shape[0]}")
    if known.all():
        return pixels.copy()
    captions = None if caption is None else ([caption] if isinstance(caption, str) else np.asarray(caption)[None])
    if size is None:
        filled = inpainter.inpaint(to_model_range(pixels[None]), known[None, :, :, None].astype(np.float32), captions)
        return np.where(known[:, :, None], pixels, to_uint8(np.asarray(filled)[0]))
    height, width = known.shape
    small = np.asarray(Image.fromarray(pixels).resize((size, size), Image.BICUBIC))
    # A model pixel is known only if every picture pixel it covers is known.
    coverage = np.asarray(Image.fromarray(known.astype(np.float32)).resize((size, size), Image.BOX))
    small_masks = (coverage >= 1.0 - 1e-6).astype(np.float32)[None, :, :, None]
    filled = inpainter.inpaint(to_model_range(small[None]), small_masks, captions)
    fill = to_uint8(np.asarray(filled)[0])
    large = np.asarray(Image.fromarray(fill).resize((width, height), Image.BICUBIC))
    return np.where(known[:, :, None], pixels, large)


def inpaint_file(model, image, out, mask=None, captions=None, method="auto", force=False, log=print,
                 **fill_options):
    """Fill a picture file's hole with a saved model and write the result as a PNG.

    Args:
        model: a `.keras` file saved by kinpaint (or a loaded model).
        image: the picture file (PNG, JPEG, ...), any size.
        out: the PNG to write; an existing file is replaced only with `force`, and never
            when it is one of the inputs.
        mask: a mask picture of the same size, white where to fill; `None`: the centre.
        captions: what the hidden part shows (a list of texts, joined into one), or `None`.
        method: `"auto"` (the model's own fill) or `"semantic"` (latent search; DCGAN only).
        log: where notes go (a function of one string).
        fill_options: the model's fill options (`InpaintingModel.inpainter`), e.g.
            `restarts=`, `steps=`, `blend=` for a DCGAN, `fill=`, `temperature=` for a pixel model.

    Returns:
        the filled uint8 `(H, W, 3)` picture.
    """
    from kinpaint.captions.text import join_captions
    from kinpaint.files import check_can_write
    from kinpaint.images import load_image, save_png
    from kinpaint.saving import load_model

    inputs = [path for path in (model, image, mask) if isinstance(path, (str, os.PathLike))]
    if os.path.abspath(out) in {os.path.abspath(path) for path in inputs}:
        raise ValueError(f"--out {out} would overwrite an input")
    check_can_write(out, force)
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model)
    if not hasattr(model, "inpainter"):
        raise ValueError(f"{type(model).__name__} is not a kinpaint model (it has no inpainter()); kinpaint inpaint "
                         "fills with models saved by kinpaint")
    pixels, conversions = load_image(image)
    if conversions:
        log(f"{image}: {', '.join(conversions)}")
    masks = picture_centre_mask(pixels.shape[:2]) if mask is None else read_mask_file(mask, pixels.shape[:2])
    if method == "semantic" and not hasattr(model, "semantic_inpainter"):
        raise ValueError(f"method 'semantic' searches a DCGAN's latent space; the model is a {type(model).__name__}")
    if method not in ("auto", "semantic"):
        raise ValueError(f"method must be 'auto' or 'semantic', got {method!r}")
    caption = join_captions(captions, what="--caption")
    if caption is not None and not model.conditioned:
        log("note: this model does not read captions; --caption is ignored")
    size = None if getattr(model, "fills_any_size", False) else model.image_size
    filled = inpaint_full_resolution(model.inpainter(**fill_options), pixels, masks, size, caption)
    save_png(out, filled)
    return filled
