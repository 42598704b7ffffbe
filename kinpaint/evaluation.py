"""Evaluate any inpainter (see `kinpaint.inpainting`) on batches of a dataset."""

import numpy as np

from kinpaint.inpainting import check_inpainter
from kinpaint.metrics import ImageMetric

EVALUATION_METRICS = (
    ("psnr", "hole"), ("ssim", "hole"), ("l1", "hole"), ("l2", "hole"), ("psnr", "image"), ("ssim", "image"),
)


def evaluate_inpainter(inpainter, dataset, use_captions=True, max_batches=None):
    """Mean metrics of `inpainter.inpaint` over `dataset`'s batches.

    Args:
        inpainter: anything with `inpaint(images, masks, captions=None)`.
        dataset: iterable of `{"image", "mask", ["caption"]}` batches.
        use_captions: pass the batch's captions to `inpaint` (else `None`).
        max_batches: stop after this many batches.

    Returns:
        dict `{"hole_psnr": ..., "hole_ssim": ..., "hole_l1": ..., "hole_l2": ...,
        "image_psnr": ..., "image_ssim": ..., "images": count}`.
    """
    check_inpainter(inpainter)
    trackers = [ImageMetric(kind, region) for kind, region in EVALUATION_METRICS]
    count = 0
    for index, batch in enumerate(dataset):
        if max_batches is not None and index >= max_batches:
            break
        captions = batch.get("caption") if use_captions else None
        filled = inpainter.inpaint(batch["image"], batch["mask"], captions)
        for tracker in trackers:
            tracker.update_state(batch["image"], filled, batch["mask"])
        count += int(batch["image"].shape[0])
    if count == 0:
        raise ValueError("the dataset yielded no batch to evaluate")
    results = {tracker.name: float(tracker.result()) for tracker in trackers}
    results["images"] = count
    return results


def format_table(rows, columns=("hole_psnr", "hole_ssim", "hole_l1", "image_psnr")):
    """A plain-text table of `{method name: evaluate_inpainter results}`."""
    width = max([len("method")] + [len(name) for name in rows])
    cell = {column: max(12, len(column) + 2) for column in columns}
    lines = ["method".ljust(width) + "".join(f"{column:>{cell[column]}}" for column in columns)]
    for name, results in rows.items():
        cells = "".join(
            f"{results[column]:>{cell[column]}.4f}" if isinstance(results.get(column), (float, np.floating))
            else f"{'-':>{cell[column]}}"
            for column in columns
        )
        lines.append(name.ljust(width) + cells)
    return "\n".join(lines)
