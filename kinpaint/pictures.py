"""Filling a hole in a user's picture of any size with a trained model (`kinpaint inpaint`)."""

import os

import numpy as np
from PIL import Image

from kinpaint.data.masks import centre_mask

SMALLEST_CENTRE_PICTURE = 4  # a centre hole of half the side is then at least 2x2 pixels
WHOLE_PICTURE_PIXELS = 1024 * 1024  # any-size models fill larger pictures by a crop around the hole
CROP_MARGIN = 64  # the least known context kept on each side of the hole's bounding box


def read_mask_file(path, shape):
    """A mask picture (white where to fill: any channel above 127) as a `(H, W, 1)` float32
    mask in kinpaint's convention: 1 = known pixel, 0 = hole. `shape` is the picture's `(H, W)`.

    The file is read as pictures are (`kinpaint.images.load_image`: its EXIF orientation
    applied), so a mask drawn on the picture as a viewer shows it stays aligned.

    Raises:
        ValueError: the mask is another size, marks no pixel to fill, or marks every pixel
            (there would be nothing to fill from); the message names the file.
    """
    from kinpaint.images import load_image

    if os.path.isdir(path):
        raise IsADirectoryError(f"the mask {path} is a folder; a folder of masks goes with a folder of pictures "
                                "(kinpaint inpaint --images DIR --masks DIR)")
    pixels, _ = load_image(path)
    if pixels.shape[:2] != tuple(shape):
        raise ValueError(f"the mask {path} is {pixels.shape[1]}x{pixels.shape[0]} but the picture is "
                         f"{shape[1]}x{shape[0]}")
    known = (pixels.max(axis=-1) <= 127).astype(np.float32)[:, :, None]
    if known.all():
        raise ValueError(f"{path} marks no pixel to fill (white = fill)")
    if not known.any():
        raise ValueError(f"{path} marks every pixel to fill (white = fill): there is no known pixel to fill from")
    return known


def picture_centre_mask(shape):
    """The `(H, W, 1)` mask hiding the centred rectangle of half the picture's height and width.

    Raises:
        ValueError: a picture smaller than 4x4 (`SMALLEST_CENTRE_PICTURE`), whose centre hole
            would be under 2x2 pixels or empty.
    """
    height, width = shape
    if min(height, width) < SMALLEST_CENTRE_PICTURE:
        raise ValueError(f"a centre hole needs a picture of at least {SMALLEST_CENTRE_PICTURE}x"
                         f"{SMALLEST_CENTRE_PICTURE} pixels (it hides half the height and width); this one is "
                         f"{width}x{height}")
    return centre_mask((height, width), (height // 2, width // 2))


def hole_crop(known, margin=CROP_MARGIN, multiple=1):
    """The box `(top, left, bottom, right)` of a picture to fill instead of the whole picture.

    It is the bounding box of the hole (`known` false) grown on every side by
    `max(margin, the box's longer side)` pixels of context (as `hole_box` grows it).
    """
    bounds = _hole_bounds(known)
    if bounds is None:
        return 0, 0, *known.shape
    top, left, bottom, right = bounds
    return _grown(bounds, known.shape, max(int(margin), bottom - top, right - left), multiple)


def hole_box(known, context, multiple=1):
    """The bounding box `(top, left, bottom, right)` of the hole (`known` `(H, W)` false) grown
    on every side by `context` pixels, clipped to the picture, then grown (inside the picture)
    until its height and width are multiples of `multiple` where the picture is large enough,
    so a model that pads to such multiples needs no padding. The whole picture without a hole.
    """
    bounds = _hole_bounds(known)
    return (0, 0, *known.shape) if bounds is None else _grown(bounds, known.shape, context, multiple)


def _hole_bounds(known):
    """The hole's tight box `(top, left, bottom, right)`, or None without a hole."""
    rows, columns = np.nonzero(~known)
    if not len(rows):
        return None
    return int(rows.min()), int(columns.min()), int(rows.max()) + 1, int(columns.max()) + 1


def _grown(bounds, shape, context, multiple):
    """`bounds` grown by `context` on every side inside a picture of `shape`, then to multiples of `multiple`."""
    (top, left, bottom, right), (height, width) = bounds, shape
    top, bottom = _round_span(max(0, top - context), min(height, bottom + context), height, multiple)
    left, right = _round_span(max(0, left - context), min(width, right + context), width, multiple)
    return int(top), int(left), int(bottom), int(right)


def boxes_by_shape(boxes):
    """`{index: (top, left, bottom, right)}` -> `{(height, width): [index, ...]}`: the boxes a
    model can fill in one batch, in order."""
    groups = {}
    for index, (top, left, bottom, right) in boxes.items():
        groups.setdefault((bottom - top, right - left), []).append(index)
    return groups


def _round_span(start, end, limit, multiple):
    """Grow `[start, end)` inside `[0, limit)` to a length that is a multiple of `multiple`, where it fits."""
    length = min(limit, -(-(end - start) // multiple) * multiple)
    end = min(limit, start + length)
    return end - length, end


def inpaint_full_resolution(inpainter, pixels, masks, size, caption=None, max_pixels=WHOLE_PICTURE_PIXELS,
                            margin=CROP_MARGIN):
    """Fill the holes of a picture of any size with a model that works at `size` x `size`.

    The picture is resized to the model's size, filled, and the fill is resized back and
    pasted into the hole only: every known pixel keeps its exact value. With `size=None`
    (a model that fills any size), the picture is filled at its own resolution; one of more
    than `max_pixels` pixels is filled by a crop around the hole (`hole_crop`), at full
    resolution, so a large photograph needs no more memory than its hole and context.

    Args:
        inpainter: anything with `inpaint(images, masks, captions=None)`.
        pixels: `(H, W, 3)`: uint8 (or other integers) from 0 to 255, or floats from 0 to 1
            (`check_picture`); a hole's content is never read.
        masks: `(H, W, 1)` or `(H, W)` in [0, 1], 1 = known pixel, 0 = hole; a soft mask is
            rounded at 0.5 (at least 0.5 is known), as the models' `inpaint` does.
        size: the model's image side, or `None` to fill at the picture's own size.
        caption: one caption string (or vector), or `None`.
        max_pixels: with `size=None`, the largest picture filled whole.
        margin: the least context kept around the hole in a crop.

    Returns:
        `(H, W, 3)` in the picture's own range: uint8 for integer pictures, floats in [0, 1]
        of the picture's dtype for float ones; every known pixel is returned exactly.

    Raises:
        ValueError: the mask is another size, holds values outside [0, 1], or marks every
            pixel as hole (there is no known pixel to fill from); the picture's known pixels
            are outside its dtype's range (floats in the models' [-1, 1] are refused, not
            taken for black).
    """
    return inpaint_pictures(inpainter, [pixels], [masks], size, caption, max_pixels, margin)[0]


def inpaint_pictures(inpainter, pictures, masks, size, caption=None, max_pixels=WHOLE_PICTURE_PIXELS,
                     margin=CROP_MARGIN):
    """`inpaint_full_resolution` for several pictures, batched: the model fills in one call all
    the pictures (or crops) of one size, and with a fixed `size` all of them.

    Args:
        pictures: a list of `(H, W, 3)` pictures as in `inpaint_full_resolution`; sizes and
            dtypes may differ.
        masks: a list of masks as in `inpaint_full_resolution`, one a picture.
        the rest: as in `inpaint_full_resolution`; `caption` goes with every picture.

    Returns:
        a list of pictures, in order, each in its own range (uint8, or floats in [0, 1]).
    """
    if len(pictures) != len(masks):
        raise ValueError(f"got {len(pictures)} pictures but {len(masks)} masks")
    given = [np.asarray(pixels) for pixels in pictures]
    knowns = [_known(pixels, mask) for pixels, mask in zip(given, masks)]
    pictures = [check_picture(pixels, known) for pixels, known in zip(given, knowns)]
    results = [pixels.copy() for pixels in pictures]
    pending = [index for index, known in enumerate(knowns) if not known.all()]
    if pending:
        _fill_pending(inpainter, pictures, knowns, results, pending, size, caption, max_pixels, margin)
    return [_in_given_range(result, original, known) for result, original, known in zip(results, given, knowns)]


def check_picture(pixels, known):
    """A picture's uint8 `(H, W, 3)` pixels, from uint8 (or other integers) in [0, 255] or floats
    in [0, 1] (rounded to the nearest level); only the known pixels (`known` true) are checked,
    the hole's values are clipped into range (NaN there is 0).

    Raises:
        ValueError: another dtype, or known pixels outside the dtype's range or not finite; a
            float picture in the models' [-1, 1] is refused rather than taken for black.
    """
    if pixels.dtype == np.uint8:
        return pixels
    integer = np.issubdtype(pixels.dtype, np.integer)
    if pixels.dtype == bool or not (integer or np.issubdtype(pixels.dtype, np.floating)):
        raise ValueError(f"a picture is uint8 from 0 to 255 or floats from 0 to 1; got {pixels.dtype}")
    values = pixels[np.broadcast_to(known[:, :, None], pixels.shape)]
    top = 255 if integer else 1
    if not integer and not np.isfinite(values).all():
        raise ValueError(f"the picture holds {int((~np.isfinite(values)).sum())} NaN or infinite values in its known "
                         "pixels")
    if values.size and (values.min() < 0 or values.max() > top):
        raise ValueError(f"{'an integer' if integer else 'a float'} picture is from 0 to {top}; this {pixels.dtype} "
                         f"one holds values from {values.min():g} to {values.max():g}"
                         + ("" if integer else " (images in the models' [-1, 1] go to the model's inpaint; "
                            "kinpaint.images.to_uint8 converts them)"))
    if integer:
        return np.clip(pixels, 0, 255).astype(np.uint8)
    return np.round(np.clip(np.nan_to_num(pixels), 0, 1) * 255.0).astype(np.uint8)


def _in_given_range(result, original, known):
    """uint8 `result` back in the range of the picture the caller gave: uint8 for integers, the
    picture's own floats in [0, 1] (its known pixels exactly) for floats."""
    if not np.issubdtype(original.dtype, np.floating):
        return result
    return np.where(known[:, :, None], original, result / 255.0).astype(original.dtype)


def _fill_pending(inpainter, pictures, knowns, results, pending, size, caption, max_pixels, margin):
    """Fill `results[index]` for each index in `pending`, in batches of one size."""
    if size is not None:
        fills = _fill_resized(inpainter, [pictures[i] for i in pending], [knowns[i] for i in pending], size, caption)
        for index, fill in zip(pending, fills):
            results[index] = np.where(knowns[index][:, :, None], pictures[index], fill)
        return
    multiple = 2 ** int(getattr(inpainter, "downsamples", 0))
    boxes = {index: (hole_crop(knowns[index], margin, multiple) if knowns[index].size > max_pixels
                     else (0, 0, *knowns[index].shape)) for index in pending}
    for group in boxes_by_shape(boxes).values():
        crops = [_crop(pictures[index], boxes[index]) for index in group]
        crop_knowns = [_crop(knowns[index], boxes[index]) for index in group]
        fills = _fill(inpainter, np.stack(crops), np.stack(crop_knowns), caption)
        for index, crop, known, fill in zip(group, crops, crop_knowns, fills):
            top, left, bottom, right = boxes[index]
            results[index][top:bottom, left:right] = np.where(known[:, :, None], crop, fill)


def _known(pixels, masks):
    """The boolean `(H, W)` known pixels of a mask in [0, 1] (at least 0.5 is known), checked
    against its picture."""
    from kinpaint.inpainting import SOFT_MASK_THRESHOLD  # TensorFlow loads only for a fill

    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"a picture is (height, width, 3); got shape {pixels.shape}")
    values = np.asarray(masks, np.float32)
    if values.size and not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1):
        raise ValueError("a mask is in [0, 1] (1 = known pixel, 0 = hole; at least 0.5 is known); this one holds "
                         + ("NaN or infinite values" if not np.isfinite(values).all()
                            else f"values from {values.min():g} to {values.max():g}"))
    known = values.reshape(np.shape(masks)[:2]) >= SOFT_MASK_THRESHOLD
    if known.shape != pixels.shape[:2]:
        raise ValueError(f"the mask is {known.shape[1]}x{known.shape[0]} but the image is "
                         f"{pixels.shape[1]}x{pixels.shape[0]}")
    if not known.any():
        raise ValueError("the mask marks every pixel as hole: there is no known pixel to fill from")
    return known


def _crop(array, box):
    top, left, bottom, right = box
    return array[top:bottom, left:right]


def _captions(caption, count):
    if caption is None:
        return None
    if isinstance(caption, str):
        return [caption] * count
    return np.repeat(np.asarray(caption)[None], count, axis=0)


def _fill(inpainter, pixels, known, caption):
    """The model's uint8 fills of same-size pictures `(B, H, W, 3)` with known pixels `(B, H, W)`."""
    from kinpaint.images import to_model_range, to_uint8

    filled = inpainter.inpaint(to_model_range(pixels), known[..., None].astype(np.float32),
                               _captions(caption, len(pixels)))
    return to_uint8(np.asarray(filled))


def _fill_resized(inpainter, pictures, knowns, size, caption):
    """Fill pictures of any sizes with a model at `size` x `size`: resized there, fills resized back."""
    smalls, small_knowns = [], []
    for pixels, known in zip(pictures, knowns):
        smalls.append(np.asarray(Image.fromarray(pixels).resize((size, size), Image.BICUBIC)))
        # A model pixel is known only if every picture pixel it covers is known.
        coverage = np.asarray(Image.fromarray(known.astype(np.float32)).resize((size, size), Image.BOX))
        small_knowns.append(coverage >= 1.0 - 1e-6)
    fills = _fill(inpainter, np.stack(smalls), np.stack(small_knowns), caption)
    return [np.asarray(Image.fromarray(fill).resize(known.shape[::-1], Image.BICUBIC))
            for fill, known in zip(fills, knowns)]


def check_output_file(out, inputs, force=False):
    """Refuse an `--out` picture kinpaint must not write: a folder, an unknown suffix, one of the
    command's own `inputs` (`{what: path}`, even with `force`), or an existing file without `force`."""
    from kinpaint.files import check_can_write, same_file
    from kinpaint.images import output_format

    if os.path.isdir(out):
        raise IsADirectoryError(f"--out {out} is a folder; give the picture to write, such as "
                                f"{os.path.join(out, 'filled.png')} (a folder of pictures goes with --images)")
    for what, path in inputs.items():
        if isinstance(path, (str, os.PathLike)) and same_file(out, path):
            raise ValueError(f"--out {out} would overwrite an input (the {what} {path}); --force never replaces "
                             "one of the command's inputs")
    output_format(out)
    check_can_write(out, force)


def load_inpainter_model(model):
    """A loaded kinpaint model from a `.keras` path, a pretrained name, a model, or `None`
    (the shipped pretrained model, `kinpaint.pretrained_models.resolve_model`)."""
    from kinpaint.pretrained_models import resolve_model

    try:
        loaded = resolve_model(model)
    except FileNotFoundError as error:
        if model is None:
            raise FileNotFoundError(f"{error}; give a model file with --model M.keras") from None
        raise
    if not hasattr(loaded, "inpainter"):
        raise ValueError(f"{type(loaded).__name__} is not a kinpaint model (it has no inpainter()); kinpaint inpaint "
                         "fills with models saved by kinpaint")
    return loaded


def fill_settings(model, method="auto", captions=None, log=print, **fill_options):
    """What `inpaint_file` and `kinpaint.folders.inpaint_folder` share: `(inpainter, size, caption)`
    for a loaded model, its fill `method`, `captions` and fill options, checked."""
    from kinpaint.captions.text import join_captions

    if method not in ("auto", "semantic"):
        raise ValueError(f"method must be 'auto' or 'semantic', got {method!r}")
    if method == "semantic" and not hasattr(model, "semantic_inpainter"):
        raise ValueError(f"method 'semantic' searches a DCGAN's latent space; the model is a {type(model).__name__}")
    caption = join_captions(captions, what="--caption")
    if caption is not None and not model.conditioned:
        log("note: this model does not read captions; --caption is ignored")
    size = None if getattr(model, "fills_any_size", False) else model.image_size
    return model.inpainter(**fill_options), size, caption


def inpaint_file(model, image, out, mask=None, captions=None, method="auto", force=False, log=print,
                 max_pixels=WHOLE_PICTURE_PIXELS, **fill_options):
    """Fill a picture file's hole with a saved model and write the result.

    Args:
        model: a `.keras` file saved by kinpaint, a pretrained name (`"photos"`), a loaded
            model, or `None`: the pretrained model that ships with kinpaint.
        image: the picture file (PNG, JPEG, ...), any size; its EXIF orientation is applied.
        out: the picture to write, in the format its suffix names (`kinpaint.images.OUTPUT_FORMATS`:
            `.png`, `.jpg`, `.webp`, `.bmp`, `.tif`); an existing file is replaced only with
            `force`, and never when it is one of the inputs.
        mask: a mask picture of the same size, white where to fill; `None`: the centre.
        captions: what the hidden part shows (a list of texts, joined into one), or `None`.
        method: `"auto"` (the model's own fill) or `"semantic"` (latent search; DCGAN only).
        log: where notes go (a function of one string).
        max_pixels: a model that fills any size fills larger pictures by a crop around the hole.
        fill_options: the model's fill options (`InpaintingModel.inpainter`), e.g.
            `restarts=`, `steps=`, `blend=` for a DCGAN, `fill=`, `temperature=` for a pixel model.

    Returns:
        the filled uint8 `(H, W, 3)` picture.
    """
    from kinpaint.images import LOSSY_FORMATS, load_image, output_format, save_image

    check_output_file(out, {"model": model, "image": image, "mask": mask}, force)
    pixels, conversions = load_image(image)
    if conversions:
        log(f"{image}: {', '.join(conversions)}")
    if mask is not None:
        masks = read_mask_file(mask, pixels.shape[:2])
    else:
        try:
            masks = picture_centre_mask(pixels.shape[:2])
        except ValueError as error:
            raise ValueError(f"{image}: {error}") from None
    model = load_inpainter_model(model)
    inpainter, size, caption = fill_settings(model, method, captions, log, **fill_options)
    filled = inpaint_full_resolution(inpainter, pixels, masks, size, caption, max_pixels=max_pixels)
    if output_format(out) in LOSSY_FORMATS:
        log(f"note: {output_format(out)} is lossy: the known pixels of {out} are close to the picture's, not exact "
            "(write .png to keep them exactly)")
    save_image(out, filled)
    return filled
