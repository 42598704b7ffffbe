"""Classical hole fills behind `inpaint()`, for the benchmarks (needs the `bench` extra)."""

import numpy as np

from kinpaint.images import to_model_range, to_uint8
from kinpaint.inpainting import composite

METHODS = ("telea", "navier-stokes", "biharmonic")


class ClassicalFill:
    """`cv2.inpaint` (Telea / Navier-Stokes) or scikit-image's biharmonic inpainting."""

    def __init__(self, method):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method

    def inpaint(self, images, masks, captions=None):
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        fills = np.stack([self._fill(image, mask[..., 0] < 0.5) for image, mask in zip(images, masks)])
        return np.asarray(composite(images, masks, fills))

    def _fill(self, image, hole):
        if self.method == "biharmonic":
            from skimage.restoration import inpaint_biharmonic

            return inpaint_biharmonic(image, hole, channel_axis=-1).astype(np.float32)
        import cv2

        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        filled = cv2.inpaint(to_uint8(image), hole.astype(np.uint8), 5, flag)
        return to_model_range(filled)
