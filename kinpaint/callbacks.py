"""Pictures of inpainting: `render_grid`, and the `ImageGrid` callback that saves one per epoch."""

import os
import textwrap

import keras
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kinpaint.images import save_png, to_uint8
from kinpaint.inpainting import as_numpy, check_inpainter, composite
from kinpaint.files import atomic_path, check_can_write, remove_stale_temporaries
from kinpaint.plots import plot_history

_HOLE_GREY = 0.0  # the hole is shown as mid-grey (0 in [-1, 1])
_PADDING = 4


def render_grid(images, masks, fills, captions=None, scale=2, headers=True, names=None):
    """One row per image: the masked input, each fill, and the truth, caption underneath.

    Args:
        images: `(B, H, W, 3)` truth in [-1, 1].
        masks: `(B, H, W, 1)`, 1 = known, 0 = hole.
        fills: list of `(B, H, W, 3)` arrays in [-1, 1] (one column each).
        captions: optional `B` strings (bytes are decoded) printed under each row.
        scale: integer upscaling of every picture, for legibility.
        names: column headers of the fills (default "fill", "fill 1", ...).

    Returns:
        uint8 `(height, width, 3)` picture.
    """
    images, masks = as_numpy(images), as_numpy(masks)
    fills = [as_numpy(fill) for fill in fills]
    masked = as_numpy(composite(images, masks, np.full_like(images, _HOLE_GREY)))
    columns = [masked] + fills + [images]
    if names is None:
        names = [f"fill {i + 1}" if len(fills) > 1 else "fill" for i in range(len(fills))]
    names = ["input"] + list(names) + ["truth"]
    tile = images.shape[1] * scale
    font = _font()
    text_height = 12
    width = len(columns) * (tile + _PADDING) + _PADDING
    texts = [_decode(caption) for caption in as_numpy(captions)] if captions is not None else [None] * len(images)
    wrapped = [_wrap(text, width - 2 * _PADDING, font) if text else [] for text in texts]
    header = text_height + _PADDING if headers else 0
    height = header + sum(tile + _PADDING + len(lines) * text_height for lines in wrapped) + _PADDING
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    if headers:
        for index, name in enumerate(names):
            draw.text((_PADDING + index * (tile + _PADDING), _PADDING // 2), _fit(name, tile, font), fill=(0, 0, 0),
                      font=font)
    top = header + _PADDING
    for row, lines in enumerate(wrapped):
        for index, column in enumerate(columns):
            picture = Image.fromarray(to_uint8(column[row])).resize((tile, tile), Image.Resampling.NEAREST)
            canvas.paste(picture, (_PADDING + index * (tile + _PADDING), top))
        top += tile
        for line in lines:
            draw.text((_PADDING, top), line, fill=(0, 0, 0), font=font)
            top += text_height
        top += _PADDING
    return np.asarray(canvas)


class ImageGrid(keras.callbacks.Callback):
    """Saves `render_grid` of a fixed batch at the end of every `every` epochs.

    Files are `<directory>/<prefix>_epoch_<NNNN>.png`, written atomically. An existing
    file of the same name is an error (checked before the epoch trains) unless
    `overwrite=True`.

    Args:
        images, masks, captions: the fixed batch (see `kinpaint.inpainting`).
        directory: where the PNGs go (created if needed).
        samples: fills per row; more than one shows a stochastic model's spread.
        inpainter: what fills the holes; default the model being trained, which
            must offer `inpaint(images, masks, captions=None)`.
    """

    def __init__(self, images, masks, directory, captions=None, samples=1, every=1,
                 prefix="grid", scale=2, inpainter=None, overwrite=False):
        super().__init__()
        self.images = as_numpy(images).astype(np.float32)
        self.masks = as_numpy(masks).astype(np.float32)
        self.captions = captions
        self.directory = os.fspath(directory)
        self.samples = int(samples)
        self.every = int(every)
        self.prefix = prefix
        self.scale = scale
        self.inpainter = inpainter
        self.overwrite = overwrite

    @classmethod
    def from_batch(cls, batch, directory, **kwargs):
        """Build from a `{"image", "mask", ["caption"]}` batch of the data pipeline."""
        return cls(batch["image"], batch["mask"], directory, captions=batch.get("caption"), **kwargs)

    def path_for(self, epoch):
        return os.path.join(self.directory, f"{self.prefix}_epoch_{epoch + 1:04d}.png")

    def _due(self, epoch):
        return (epoch + 1) % self.every == 0

    def on_epoch_begin(self, epoch, logs=None):
        if self._due(epoch):
            check_can_write(self.path_for(epoch), self.overwrite, flag="overwrite=True")

    def on_epoch_end(self, epoch, logs=None):
        if self._due(epoch):
            self.write(epoch)

    def write(self, epoch):
        """Inpaint the fixed batch and save the grid for `epoch` (0-based); return the path."""
        inpainter = check_inpainter(self.inpainter or self.model)
        fills = [inpainter.inpaint(self.images, self.masks, self.captions) for _ in range(self.samples)]
        text = self.captions if self.captions is not None and _are_strings(self.captions) else None
        path = self.path_for(epoch)
        save_png(path, render_grid(self.images, self.masks, fills, text, self.scale))
        return path


def _are_strings(captions):
    values = as_numpy(captions)
    return values.dtype.kind in ("U", "S", "O")


def _decode(caption):
    return caption.decode("utf-8", "replace") if isinstance(caption, bytes) else str(caption)


def _font():
    try:
        return ImageFont.load_default(size=11)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        return ImageFont.load_default()


def _fit(text, width, font):
    """`text`, shortened with an ellipsis until it is at most `width` pixels wide."""
    while len(text) > 1 and font.getlength(text) > width:
        text = text[:-2] + "…"
    return text


def _wrap(text, width, font):
    """Greedy word wrap to `width` pixels."""
    average = max(font.getlength("abcdefghij") / 10, 1)
    return textwrap.wrap(text, max(int(width / average), 10))


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the model to `path` (a `.keras` file) at the end of every epoch, through a
    temporary file in the same folder that is renamed into place: a kill in the middle of a
    save leaves the previous checkpoint whole. Temporary files a killed run left behind are
    removed when the callback is made."""

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        remove_stale_temporaries(self.path)

    def on_epoch_end(self, epoch, logs=None):
        with atomic_path(self.path) as temporary:
            self.model.save(temporary)


class LossCurves(keras.callbacks.Callback):
    """Redraws a PNG of every logged metric (train and `val_`) at the end of each epoch.

    `history` seeds the curves when a run resumes, so the picture covers the whole run.
    """

    def __init__(self, path, history=None):
        super().__init__()
        self.path = os.fspath(path)
        self.history = {name: list(values) for name, values in (history or {}).items()}

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        plot_history(self.history, self.path)
