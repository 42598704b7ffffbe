"""The one list of metrics an evaluation reports, and how each is measured per image.

Every name is `<region>_<kind>` of `kinpaint.metrics` (`hole_psnr`: PSNR over the hole),
except `bits_per_dim`, which only a likelihood model gives. `evaluate_inpainter`,
`evaluate` and a training run's table all measure this list.
"""

import numpy as np

METRICS = ("hole_psnr", "hole_ssim", "image_psnr", "image_ssim", "hole_l1", "hole_l2", "hole_detail",
           "bits_per_dim")
IMAGE_METRICS = METRICS[:-1]  # measured from the pixels of any fill
# Measured on a method's whole set of fills, not per image (`kinpaint.evaluation.realism`; `evaluate(realism=True)`).
SET_METRICS = ("realism",)
HEADERS = {"hole_psnr": "hole PSNR (dB)", "hole_ssim": "hole SSIM", "image_psnr": "image PSNR (dB)",
           "image_ssim": "image SSIM", "hole_l1": "hole L1", "hole_l2": "hole L2", "hole_detail": "hole detail",
           "bits_per_dim": "bits/dim", "realism": "realism (classifier accuracy)"}


def measure(images, filled, masks):
    """`{metric: (B,) float64}` of every metric of `IMAGE_METRICS`, one value per image.

    Args:
        images, filled: `(B, H, W, 3)` in [-1, 1], the truth and the fill.
        masks: `(B, H, W, 1)`, 1 = known, 0 = hole.
    """
    from kinpaint.metrics import METRIC_FUNCTIONS

    values = {}
    for metric in IMAGE_METRICS:
        region, kind = metric.split("_")
        value = METRIC_FUNCTIONS[kind](images, filled, masks if region == "hole" else None)
        values[metric] = np.asarray(value, np.float64)
    return values
