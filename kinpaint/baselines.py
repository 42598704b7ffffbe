"""Classical hole fills: the baselines every learned model is measured against.

Each answers the shared call of `kinpaint.inpainting`:

    inpaint(images, masks, captions=None) -> images

with `images` float32 `(B, H, W, 3)` in [-1, 1], `masks` `(B, H, W, 1)` (1 = known,
0 = hole), captions ignored, and the known pixels returned exactly. The inputs are checked
and a soft mask rounded at 0.5 as for the models (`kinpaint.inpainting.fill_inputs`): a
value of at least 0.5 is known, masks outside [0, 1] or NaN are refused.

- `MeanColourFill`: the mean colour of the image's known pixels;
- `HarmonicFill`: the smoothest continuation of the border (`kinpaint.poisson.harmonic_fill`);
- `ClassicalFill("telea" | "navier-stokes" | "biharmonic")`: OpenCV's `cv2.inpaint` and
  scikit-image's biharmonic inpainting. These two libraries come with the `bench` extra
  (`pip install "kinpaint[bench]"`) and are imported only when such a fill runs.
- `PatchMatchFill`: PatchMatch (Barnes et al. 2009), texture copied from the picture's own
  known pixels, through the `pypatchmatch` wheel (InvokeAI's infill; Python 3.11 and newer),
  also in the `bench` extra.

`baseline(name)` builds one by its name in `BASELINES`.
"""

import importlib

import numpy as np
import tensorflow as tf

from kinpaint.images import to_model_range, to_uint8
from kinpaint.inpainting import composite, fill_inputs, known_mean_colour
from kinpaint.poisson import harmonic_fill

BASELINES = ("mean", "harmonic", "biharmonic", "telea", "navier-stokes", "patchmatch")


class BaselineFill:
    """The `inpaint` of every baseline: its inputs checked and its masks rounded as a model's
    (`fill_inputs`), then the subclass's `_fill(images, masks)` on float32 NumPy images and
    binary masks."""

    def inpaint(self, images, masks, captions=None):
        images, masks = fill_inputs(images, masks, type(self).__name__)
        return self._fill(images, masks)

    def _fill(self, images, masks):
        raise NotImplementedError


class MeanColourFill(BaselineFill):
    """Fill each image's hole with the mean colour of its known pixels.

    `(B, H, W, 3)`, `(B, H, W, 1)` -> float32 tensor `(B, H, W, 3)`; an image with no
    known pixel is filled with zeros.
    """

    def _fill(self, images, masks):
        fills = tf.broadcast_to(known_mean_colour(images, masks), tf.shape(images))
        return composite(images, masks, fills)


class HarmonicFill(BaselineFill):
    """Fill each hole with the harmonic function that meets its border (every hole pixel the
    mean of its 4 neighbours), solved to `tolerance` (see `kinpaint.poisson.harmonic_fill`).

    `(B, H, W, 3)`, `(B, H, W, 1)` -> NumPy float32 `(B, H, W, 3)`.
    """

    def __init__(self, max_iterations=5000, tolerance=1e-6):
        self.max_iterations, self.tolerance = max_iterations, tolerance

    def _fill(self, images, masks):
        return np.asarray(harmonic_fill(images, masks, self.max_iterations, self.tolerance))


class ClassicalFill(BaselineFill):
    """OpenCV's `cv2.inpaint` (`"telea"`, `"navier-stokes"`, radius 5, on the 8-bit image)
    or scikit-image's `inpaint_biharmonic` (`"biharmonic"`, in float), one image at a time.

    `(B, H, W, 3)`, `(B, H, W, 1)` -> NumPy float32 `(B, H, W, 3)`. Needs the `bench` extra
    when it fills, not when it is built.
    """

    METHODS = ("telea", "navier-stokes", "biharmonic")

    def __init__(self, method):
        if method not in self.METHODS:
            raise ValueError(f"ClassicalFill method must be one of {', '.join(self.METHODS)}; got {method!r}")
        self.method = method

    def _fill(self, images, masks):
        fill = self._biharmonic if self.method == "biharmonic" else self._opencv
        fills = np.stack([fill(image, mask[..., 0] < 0.5) for image, mask in zip(images, masks)])
        return np.asarray(composite(images, masks, fills))

    def _biharmonic(self, image, hole):
        restoration = _bench_import("skimage.restoration", "scikit-image", self.method)
        return restoration.inpaint_biharmonic(image, hole, channel_axis=-1).astype(np.float32)

    def _opencv(self, image, hole):
        cv2 = _bench_import("cv2", "OpenCV (opencv-python-headless)", self.method)
        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        return to_model_range(cv2.inpaint(to_uint8(image), hole.astype(np.uint8), 5, flag))


class PatchMatchFill(BaselineFill):
    """PatchMatch (Barnes et al., SIGGRAPH 2009): each hole pixel takes the pixel of the best
    matching patch of known pixels, found by randomised search and propagation, coarse to
    fine; `pypatchmatch`'s `inpaint` on the 8-bit image, one image at a time, its random
    search seeded with `seed` before each image (so a rerun fills alike).

    `(B, H, W, 3)`, `(B, H, W, 1)` -> NumPy float32 `(B, H, W, 3)`. `patch_size` is the
    patches' radius (InvokeAI's 3: 7x7 patches). Needs the `bench` extra (Python 3.11 and
    newer) when it fills, not when it is built.
    """

    def __init__(self, patch_size=3, seed=0):
        self.patch_size, self.seed = int(patch_size), int(seed)

    def _fill(self, images, masks):
        patch_match = _bench_import("patchmatch.patch_match", "pypatchmatch (Python 3.11 or newer)", "patchmatch")
        if not patch_match.patchmatch_available:
            raise ModuleNotFoundError("the 'patchmatch' fill needs pypatchmatch's native library, which failed to "
                                      'load; reinstall it: pip install --force-reinstall "kinpaint[bench]"',
                                      name="patchmatch")
        fills = []
        for image, mask in zip(images, masks):
            patch_match.set_random_seed(self.seed)
            hole = (mask[..., 0] < 0.5).astype(np.uint8)
            fills.append(to_model_range(patch_match.inpaint(to_uint8(image), hole, patch_size=self.patch_size)))
        return np.asarray(composite(images, masks, np.stack(fills)))


def _bench_import(module, package, method):
    """Import `module` of the `bench` extra, or say which package is missing and how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"the {method!r} fill needs {package}, which could not be imported ({error}); "
            'pip install "kinpaint[bench]"',
            name=module,
        ) from error


def baseline(name):
    """The baseline fill called `name`, one of `BASELINES`."""
    if name == "mean":
        return MeanColourFill()
    if name == "harmonic":
        return HarmonicFill()
    if name in ClassicalFill.METHODS:
        return ClassicalFill(name)
    if name == "patchmatch":
        return PatchMatchFill()
    raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
