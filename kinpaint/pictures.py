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
    `max(margin, the box's longer side)` pixels of context, clipped to the picture, then grown
    (inside the picture) until its height and width are multiples of `multiple` where the
    picture is large enough, so a model that pads to such multiples needs no padding.
    """
    height, width = known.shape
    rows, columns = np.nonzero(~known)
    if not len(rows):
        return 0, 0, height, width
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    grow = max(int(margin), bottom - top, right - left)
    top, left = max(0, top - grow), max(0, left - grow)
    bottom, right = min(height, bottom + grow), min(width, right + grow)
    top, bottom = _round_span(top, bottom, height, multiple)
    left, right = _round_span(left, right, width, multiple)
    return int(top), int(left), int(bottom), int(right)


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
        pixels: uint8 `(H, W, 3)`.
        masks: `(H, W, 1)` or `(H, W)`, 1 = known pixel, 0 = hole.
        size: the model's image side, or `None` to fill at the picture's own size.
        caption: one caption string (or vector), or `None`.
        max_pixels: with `size=None`, the largest picture filled whole.
        margin: the least context kept around the hole in a crop.

    Returns:
        uint8 `(H, W, 3)`.

    Raises:
        ValueError: the mask is another size, or marks every pixel as hole (there is no
            known pixel to fill from).
    """
    return inpaint_pictures(inpainter, [pixels], [masks], size, caption, max_pixels, margin)[0]


def inpaint_pictures(inpainter, pictures, masks, size, caption=None, max_pixels=WHOLE_PICTURE_PIXELS,
                     margin=CROP_MARGIN):
    """`inpaint_full_resolution` for several pictures, batched: the model fills in one call all
    the pictures (or crops) of one size, and with a fixed `size` all of them.

    Args:
        pictures: a list of uint8 `(H, W, 3)` pictures; sizes may differ.
        masks: a list of masks as in `inpaint_full_resolution`, one a picture.
        the rest: as in `inpaint_full_resolution`; `caption` goes with every picture.

    Returns:
        a list of uint8 pictures, in order.
    """
    if len(pictures) != len(masks):
        raise ValueError(f"got {len(pictures)} pictures but {len(masks)} masks")
    pictures = [np.asarray(pixels, np.uint8) for pixels in pictures]
    knowns = [_known(pixels, mask) for pixels, mask in zip(pictures, masks)]
    results = [pixels.copy() for pixels in pictures]
    pending = [index for index, known in enumerate(knowns) if not known.all()]
    if not pending:
        return results
    if size is not None:
        fills = _fill_resized(inpainter, [pictures[i] for i in pending], [knowns[i] for i in pending], size, caption)
        for index, fill in zip(pending, fills):
            results[index] = np.where(knowns[index][:, :, None], pictures[index], fill)
        return results
    multiple = 2 ** int(getattr(inpainter, "downsamples", 0))
    boxes = {index: (hole_crop(knowns[index], margin, multiple) if knowns[index].size > max_pixels
                     else (0, 0, *knowns[index].shape)) for index in pending}
    by_shape = {}
    for index, (top, left, bottom, right) in boxes.items():
        by_shape.setdefault((bottom - top, right - left), []).append(index)
    for group in by_shape.values():
        crops = [_crop(pictures[index], boxes[index]) for index in group]
        crop_knowns = [_crop(knowns[index], boxes[index]) for index in group]
        fills = _fill(inpainter, np.stack(crops), np.stack(crop_knowns), caption)
        for index, crop, known, fill in zip(group, crops, crop_knowns, fills):
            top, left, bottom, right = boxes[index]
            results[index][top:bottom, left:right] = np.where(known[:, :, None], crop, fill)
    return results


def _known(pixels, masks):
    """The boolean `(H, W)` known pixels of a mask, checked against its picture."""
    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"a picture is uint8 (height, width, 3); got shape {pixels.shape}")
    known = np.asarray(masks, np.float32).reshape(np.shape(masks)[:2]) >= 0.5
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
    from kinpaint.files import check_can_write
    from kinpaint.images import output_format

    if os.path.isdir(out):
        raise IsADirectoryError(f"--out {out} is a folder; give the picture to write, such as "
                                f"{os.path.join(out, 'filled.png')} (a folder of pictures goes with --images)")
    for what, path in inputs.items():
        if isinstance(path, (str, os.PathLike)) and _same_file(out, path):
            raise ValueError(f"--out {out} would overwrite an input (the {what} {path}); --force never replaces "
                             "one of the command's inputs")
    output_format(out)
    check_can_write(out, force)


def _same_file(first, second):
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist
        return False


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
