"""Filling every picture of a folder in batches (`kinpaint inpaint --images DIR --out DIR`).

The filled pictures mirror the folder's layout under `out`, one file a picture, each
written atomically and recorded in `out`'s `kinpaint.files.OutputRecord`: a rerun skips those
it wrote and does the rest, `force` fills them again, and a file in `out` that the command
did not write (or that changed since) is never replaced nor counted as done: its picture
fails, naming it. A picture that cannot be filled (unreadable, no mask, a mask of another
size, ...) is reported with its reason and the others go on.
"""

import dataclasses
import os
import re
import sys
import time

from kinpaint.files import OutputRecord, shown_path
from kinpaint.pictures import WHOLE_PICTURE_PIXELS

SUMMARY_LINES = 50  # failures listed in full; more are counted


@dataclasses.dataclass
class FolderSummary:
    """What `inpaint_folder` did.

    Attributes:
        pictures: the pictures found.
        written: the outputs written by this run.
        skipped: the outputs already there (from an earlier run), left as they were.
        failed: `(picture, reason)` for each picture not filled.
        seconds: the run's wall-clock time.
    """

    pictures: int = 0
    written: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)
    failed: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self):
        """True when no picture failed."""
        return not self.failed

    def text(self):
        """A few lines: the counts, the speed, and each failure with its reason; names are shown
        escaped (`kinpaint.files.shown_path`), so a name cannot break a line nor the output's encoding."""
        rate = f", {len(self.written) / self.seconds:.2f} pictures/s" if self.written and self.seconds > 0 else ""
        counts = (f"{self.pictures} picture(s): {len(self.written)} filled, {len(self.skipped)} already done "
                  f"(skipped), {len(self.failed)} failed; {self.seconds:.1f} s{rate}")
        lines = [counts]
        for picture, reason in self.failed[:SUMMARY_LINES]:
            lines.append(f"  failed: {shown_path(picture)}: {shown_path(reason)}")
        if len(self.failed) > SUMMARY_LINES:
            lines.append(f"  ... and {len(self.failed) - SUMMARY_LINES} more")
        return "\n".join(lines)


class ProgressLine:
    """Shows `done/total` on `stream` (standard error by default): redrawn in place on a
    terminal, otherwise one line each tenth of the way."""

    def __init__(self, stream=None, width=30):
        self.stream, self.width, self.shown = stream, width, -1

    def __call__(self, done, total, failed):
        stream = self.stream or sys.stderr
        text = f"inpaint: {done}/{total} pictures" + (f", {failed} failed" if failed else "")
        if getattr(stream, "isatty", lambda: False)():
            filled = self.width * done // max(total, 1)
            stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {text}" + ("\n" if done == total else ""))
            stream.flush()
            return
        tenth = 10 * done // max(total, 1)
        if tenth != self.shown:
            self.shown = tenth
            print(text, file=stream, flush=True)


@dataclasses.dataclass
class _Item:
    picture: str  # the picture's path
    name: str  # its path relative to the folder
    output: str
    pixels: object = None
    masks: object = None


def inpaint_folder(model, images, out, masks=None, centre=False, batch_size=8, captions=None, method="auto",
                   suffix=".png", force=False, log=print, progress=None, max_pixels=WHOLE_PICTURE_PIXELS,
                   **fill_options):
    """Fill every picture below the folder `images` and write the results below `out`.

    Args:
        model: a `.keras` file, a pretrained name, a loaded model, or `None` (the shipped
            pretrained model), as in `kinpaint.pictures.inpaint_file`.
        images: the folder of pictures (searched recursively; any format `load_image` reads).
        out: the folder to write; `sub/photo.jpg` becomes `out/sub/photo.png` (`suffix`).
            It must not be `images` nor the masks' folder; if it is inside them it is not
            searched for pictures.
        masks: a folder of masks matched by path without suffix (`sub/photo.jpg` takes
            `masks/sub/photo.png` or any other image suffix), or one mask file for every
            picture; white = fill, as in `kinpaint inpaint --mask`.
        centre: fill each picture's centre instead (`picture_centre_mask`).
        batch_size: pictures filled in one call of the model; pictures are batched by size
            (a model of fixed size batches any sizes).
        captions, method, fill_options: as in `inpaint_file`, for every picture.
        suffix: the outputs' format (`kinpaint.images.OUTPUT_FORMATS`); `.png` keeps the known
            pixels exact.
        force: fill again pictures whose output this command wrote before (by default they are
            skipped, so a rerun resumes an interrupted run). Inputs are never replaced, nor a
            file in `out` that the command did not write (`out/.kinpaint-outputs.jsonl` lists
            those it wrote): such a picture fails, naming the file.
        log: where notes and the summary go (a function of one string).
        progress: `progress(done, total, failed)` after each picture, e.g. `ProgressLine()`.
        max_pixels: as in `inpaint_full_resolution`.

    Returns:
        a `FolderSummary`.
    """
    from kinpaint.images import OUTPUT_FORMATS

    started = time.perf_counter()
    if not os.path.isdir(images):
        raise FileNotFoundError(f"--images folder not found: {shown_path(images)}")
    if (masks is None) == (not centre):
        raise ValueError("give masks (a folder or one mask file) or centre=True (--masks or --centre), not both")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    if suffix.lower() not in OUTPUT_FORMATS:
        raise ValueError(f"the output format {suffix!r} is not one of {', '.join(OUTPUT_FORMATS)}")
    if masks is not None and not os.path.exists(masks):
        raise FileNotFoundError(f"masks not found: {shown_path(masks)}")
    mask_folder = masks if masks is not None and os.path.isdir(masks) else None
    _check_out_folder(out, images, mask_folder)
    excluded = [out] + ([mask_folder] if mask_folder else [])
    summary = FolderSummary()
    record = OutputRecord(out, "kinpaint inpaint")
    items = _plan(images, out, suffix, excluded, summary)
    inputs = {_real(item.picture) for item in items}
    mask_table = _mask_table(mask_folder, excluded=[out]) if mask_folder else None
    if mask_table:
        inputs |= {_real(path) for paths in mask_table.values() for path in paths}
    elif masks is not None:
        inputs.add(_real(masks))
    if isinstance(model, (str, os.PathLike)) and os.path.exists(model):
        inputs.add(_real(model))
    pending = []
    for item in items:
        state = record.state(item.output)
        if _real(item.output) in inputs:
            summary.failed.append((item.picture, f"its output {item.output} would overwrite an input"))
        elif state in ("foreign", "changed"):
            summary.failed.append((item.picture, f"its output {record.refusal(item.output)}"))
        elif state == "written" and not force:
            summary.skipped.append(item.output)
        else:
            pending.append(item)
    _remove_stale_temporaries(out, {item.output for item in pending})
    if pending:
        _fill_all(model, pending, masks, mask_table, centre, int(batch_size), captions, method, log, progress,
                  max_pixels, summary, fill_options, record)
    summary.seconds = time.perf_counter() - started
    log(summary.text())
    return summary


def _real(path):
    return os.path.realpath(os.fspath(path))


def _check_out_folder(out, images, mask_folder):
    from kinpaint.images import OUTPUT_FORMATS

    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"--out {shown_path(out)} is a file; with --images, --out is the folder to write the "
                                 "pictures to")
    if not os.path.exists(out) and os.path.splitext(out)[1].lower() in OUTPUT_FORMATS:
        raise ValueError(f"--out {shown_path(out)} looks like a picture's name; with --images, --out is a folder")
    for what, folder in (("--images", images), ("--masks", mask_folder)):
        if folder is not None and _real(out) == _real(folder):
            raise ValueError(f"--out {shown_path(out)} is the {what} folder: the filled pictures would replace its "
                             "files; choose another folder")
    if mask_folder is not None and _real(images) == _real(mask_folder):
        raise ValueError(f"--images {shown_path(images)} and --masks {shown_path(mask_folder)} are the same folder: "
                         "each picture would be its own mask; give the masks' own folder")


def _walk_images(folder, excluded):
    """Image files below `folder`, sorted, leaving out the subtrees `excluded` and hidden files."""
    from kinpaint.data.records import IMAGE_EXTENSIONS

    excluded = [_real(path) for path in excluded if path is not None]
    found = []
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = [name for name in subfolders if _real(os.path.join(directory, name)) not in excluded]
        found.extend(os.path.join(directory, name) for name in files
                     if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."))
    return sorted(found)


def _plan(images, out, suffix, excluded, summary):
    """One `_Item` a picture; pictures whose output name another picture already took fail."""
    items, taken = [], {}
    for picture in _walk_images(images, excluded):
        name = os.path.relpath(picture, images)
        output = os.path.join(out, os.path.splitext(name)[0] + suffix)
        summary.pictures += 1
        if output in taken:
            summary.failed.append((picture, f"its output {output} is also {taken[output]}'s (same name, other suffix)"))
            continue
        taken[output] = picture
        items.append(_Item(picture, name, output))
    return items


def _mask_table(folder, excluded):
    """`{path without suffix: [mask files]}` of a mask folder."""
    table = {}
    for path in _walk_images(folder, excluded):
        table.setdefault(os.path.splitext(os.path.relpath(path, folder))[0], []).append(path)
    return table


def _remove_stale_temporaries(out, outputs):
    """Remove what a killed run left of the temporary files of `outputs` (`kinpaint.files.atomic_path`)."""
    pattern = re.compile(r"^\.(?P<name>.+)\.[^.]+\.tmp(\.[^.]*)?$")
    if not os.path.isdir(out):
        return
    wanted = {_real(path) for path in outputs}
    for directory, _, files in os.walk(out):
        for name in files:
            match = pattern.match(name)
            if match and _real(os.path.join(directory, match["name"])) in wanted:
                os.remove(os.path.join(directory, name))


def _fill_all(model, pending, masks, mask_table, centre, batch_size, captions, method, log, progress, max_pixels,
              summary, fill_options, record):
    from kinpaint.images import ImageError, load_image, save_image
    from kinpaint.pictures import fill_settings, inpaint_pictures, load_inpainter_model, picture_centre_mask

    model = load_inpainter_model(model)
    inpainter, size, caption = fill_settings(model, method, captions, log, **fill_options)
    done, total = 0, len(pending)
    buckets = {}

    def report(count=1):
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total, len(summary.failed))

    def flush(key):
        batch = buckets.pop(key)
        try:
            filled = inpaint_pictures(inpainter, [item.pixels for item in batch], [item.masks for item in batch],
                                      size, caption, max_pixels=max_pixels)
        except ValueError as error:
            summary.failed.extend((item.picture, f"the fill failed: {error}") for item in batch)
            return report(len(batch))
        for item, pixels in zip(batch, filled):
            try:
                save_image(item.output, pixels, before_rename=record.recorder(item.output))
                summary.written.append(item.output)
            except OSError as error:
                summary.failed.append((item.picture, f"could not write {item.output}: {error}"))
            item.pixels = item.masks = None
        report(len(batch))

    mask_cache = {}
    for item in pending:
        try:
            item.pixels, _ = load_image(item.picture)
            item.masks = _masks_for(item, masks, mask_table, centre, mask_cache, picture_centre_mask)
        except (ImageError, FileNotFoundError, ValueError, OSError) as error:
            summary.failed.append((item.picture, _reason(error, item.picture)))
            report()
            continue
        height, width = item.pixels.shape[:2]
        key = "resized" if size is not None else ("cropped" if height * width > max_pixels else (height, width))
        buckets.setdefault(key, []).append(item)
        if len(buckets[key]) >= batch_size:
            flush(key)
        elif sum(len(batch) for batch in buckets.values()) >= 2 * batch_size:  # many sizes: bound the memory
            flush(max(buckets, key=lambda name: len(buckets[name])))
    for key in list(buckets):
        flush(key)


def _masks_for(item, masks, mask_table, centre, cache, picture_centre_mask):
    """The `(H, W, 1)` mask of one picture: its centre, the one mask file, or its match in the folder."""
    from kinpaint.pictures import read_mask_file

    shape = item.pixels.shape[:2]
    if centre:
        return picture_centre_mask(shape)
    if mask_table is None:
        path = masks
    else:
        key = os.path.splitext(item.name)[0]
        found = mask_table.get(key, [])
        if not found:
            raise FileNotFoundError(f"no mask: {os.path.join(masks, key)}.* is missing")
        if len(found) > 1:
            raise ValueError(f"two masks match it: {', '.join(found)}")
        path = found[0]
    if mask_table is not None:
        return read_mask_file(path, shape)
    if shape not in cache:  # one mask for every picture: read once a picture size
        try:
            cache[shape] = read_mask_file(path, shape)
        except (ValueError, OSError) as error:
            cache[shape] = error
    if isinstance(cache[shape], Exception):
        raise cache[shape]
    return cache[shape]


def _reason(error, picture):
    """An error's message without the picture's own path in front (the summary names it)."""
    message = str(error)
    return message[len(picture) + 2:] if message.startswith(f"{picture}: ") else message
