"""Pictures of inpainting: `render_grid`, and the callbacks that write a run's files: `ImageGrid`
(one picture per epoch), `AtomicCheckpoint`, `HistoryCSV`, `LossCurves` and `TimeBudget`."""

import csv
import io
import os
import textwrap
import time

import keras
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kinpaint.files import atomic_path, check_can_write, remove_stale_temporaries, write_text
from kinpaint.images import save_png, to_uint8
from kinpaint.inpainting import as_numpy, check_inpainter, composite
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


def training_step(model):
    """The training steps `model` has taken (a kinpaint model's own count, else its optimizer's
    iterations), or `None` for a model that counts none."""
    counter = getattr(model, "_step_counter", None)
    try:
        value = counter() if counter is not None else model.optimizer.iterations
    except (AttributeError, NotImplementedError):
        return None
    return int(keras.ops.convert_to_numpy(value))


class HistoryCSV(keras.callbacks.Callback):
    """Writes the logs of every epoch to a CSV file, rewritten whole at the end of each epoch
    through a temporary file: a kill never leaves half a row (Keras' `CSVLogger` appends in place).

    Columns: `epoch` (counting from 0), `step` (the model's training steps when the epoch
    ended; `resumed_history` uses it to match a checkpoint), then the logged metrics.

    Args:
        path: the CSV file.
        rows: the rows of the run so far (`read_history_rows`), when it resumes.
        record: a `kinpaint.files.OutputRecord` that notes each version written, or `None`.
    """

    def __init__(self, path, rows=None, record=None):
        super().__init__()
        self.path = os.fspath(path)
        self.rows = [dict(row) for row in rows or []]
        self.record = record
        remove_stale_temporaries(self.path)

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch}
        step = training_step(self.model)
        if step is not None:
            row["step"] = step
        row.update((name, float(value)) for name, value in sorted((logs or {}).items()))
        self.rows.append(row)
        columns = list(dict.fromkeys(name for row in self.rows for name in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.path, text.getvalue(), None if self.record is None else self.record.recorder(self.path))


def read_history_rows(path):
    """The rows of a run's history CSV (`HistoryCSV`, or Keras' `CSVLogger`) as dicts of numbers;
    `[]` when there is no file.

    Raises:
        ValueError: the file is not such a table; the message names it.
    """
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as file:
        try:
            rows = list(csv.DictReader(file))
            return [{name: int(value) if name in ("epoch", "step") else float(value) for name, value in row.items()
                     if value not in (None, "")} for row in rows]
        except (ValueError, TypeError, csv.Error) as error:
            raise ValueError(f"{path} is not a training history written by kinpaint ({error}); move it away to "
                             "resume from the checkpoint alone") from None


def resumed_history(rows, step):
    """The `rows` of a history that a checkpoint taken after `step` training steps has seen: a run
    killed after its history's last row was written but before its checkpoint was renamed into
    place has one row more than the checkpoint. Returns `(rows kept, rows dropped)`."""
    kept = list(rows)
    while kept and step is not None and kept[-1].get("step", 0) > step:
        kept.pop()
    return kept, list(rows[len(kept):])


def history_dict(rows):
    """`{metric: [value per epoch]}` of history rows, as Keras' `History.history`."""
    names = [name for name in dict.fromkeys(name for row in rows for name in row) if name not in ("epoch", "step")]
    return {name: [row.get(name, float("nan")) for row in rows] for name in names}


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


class TimeBudget(keras.callbacks.Callback):
    """Ends training at the end of the epoch after which one more would overrun `seconds`.

    The run is sized to the machine: each epoch is assumed to take as long as the last one.
    After `fit`, `epochs_done` and `last_epoch_seconds` say what fitted and why. `clock`:
    seconds from any fixed start (a test's own clock, say).
    """

    def __init__(self, seconds, clock=time.monotonic):
        super().__init__()
        if not seconds > 0:
            raise ValueError(f"a time budget must be above 0 seconds, got {seconds!r}")
        self.seconds, self.clock = float(seconds), clock
        self.epochs_done, self.last_epoch_seconds, self.elapsed = 0, None, 0.0

    def on_train_begin(self, logs=None):
        self._started = self._epoch_started = self.clock()
        self.epochs_done = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        self.epochs_done += 1
        self.last_epoch_seconds, self.elapsed = now - self._epoch_started, now - self._started
        if self.elapsed + self.last_epoch_seconds > self.seconds:
            self.model.stop_training = True


class TooSlow(RuntimeError):
    """Raised by `StepTimer` to end a run whose steps are too slow; `seconds_per_step` says how slow."""

    def __init__(self, seconds_per_step):
        super().__init__(f"a training step took {seconds_per_step:.3f} s")
        self.seconds_per_step = seconds_per_step


class StepTimer(keras.callbacks.Callback):
    """Times `steps` training steps after the first (which traces the step), then asks `enough`.

    `seconds_per_step` holds their mean. When `enough(seconds_per_step)` is false, `fit` ends
    at once by raising `TooSlow`, before the epoch's end writes anything: a run can then
    start again smaller. `clock`: seconds from any fixed start (a test's own clock, say).
    """

    def __init__(self, steps, enough=lambda seconds_per_step: True, clock=time.monotonic):
        super().__init__()
        if not steps >= 1:
            raise ValueError(f"a step timer times at least 1 step, got {steps!r}")
        self.steps, self.enough, self.clock = int(steps), enough, clock
        self.seconds_per_step = None

    def on_train_begin(self, logs=None):
        self._batches, self._started = 0, None

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        if self._batches == 1:
            self._started = self.clock()
        elif self.seconds_per_step is None and self._batches == self.steps + 1:
            self.seconds_per_step = (self.clock() - self._started) / self.steps
            if not self.enough(self.seconds_per_step):
                raise TooSlow(self.seconds_per_step)
