"""Evaluate any inpainter (see `kinpaint.inpainting`) on the batches of a dataset, streaming."""

import numpy as np

from kinpaint.evaluation.reported_metrics import IMAGE_METRICS, measure
from kinpaint.evaluation.statistics import means_with_intervals
from kinpaint.inpainting import check_inpainter


def evaluate_inpainter(inpainter, dataset, use_captions=True, max_batches=None, seed=0):
    """Mean metrics of `inpainter.inpaint` over `dataset`'s batches, with 95% intervals.

    Args:
        inpainter: anything with `inpaint(images, masks, captions=None)`.
        dataset: iterable of `{"image", "mask", ["caption"]}` batches.
        use_captions: pass the batch's captions to `inpaint` (else `None`).
        max_batches: stop after this many batches.
        seed: of the bootstrap intervals.

    Returns:
        dict `{"hole_psnr": ..., "hole_ssim": ..., "image_psnr": ..., "image_ssim": ...,
        "hole_l1": ..., "hole_l2": ..., "hole_detail": ..., "images": count}` (the metrics of
        `kinpaint.evaluation.reported_metrics`: means over images) and, beside each metric,
        its percentile-bootstrap interval as `"hole_psnr_low"` and `"hole_psnr_high"`.
    """
    check_inpainter(inpainter)
    per_image = {metric: [] for metric in IMAGE_METRICS}
    for index, batch in enumerate(dataset):
        if max_batches is not None and index >= max_batches:
            break
        captions = batch.get("caption") if use_captions else None
        filled = inpainter.inpaint(batch["image"], batch["mask"], captions)
        for metric, values in measure(batch["image"], filled, batch["mask"]).items():
            per_image[metric].append(values)
    count = sum(len(values) for values in per_image[IMAGE_METRICS[0]])
    if count == 0:
        raise ValueError("the dataset yielded no batch to evaluate")
    results = means_with_intervals({metric: np.concatenate(values) for metric, values in per_image.items()}, seed)
    results["images"] = count
    return results
