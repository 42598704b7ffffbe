"""Image-quality metrics over the hole or the whole image.

Conventions, the same for every function and metric here:

- inputs are images in kinpaint's model range, float in [-1, 1], `(B, H, W, 3)`;
- they are measured as [0, 1] images: PSNR uses a peak of 1 (the same number as a
  uint8 image with peak 255), SSIM uses `max_val=1` with `tf.image.ssim`'s defaults
  (11x11 Gaussian window, sigma 1.5, k1 0.01, k2 0.03), L1 / L2 are the mean absolute
  / squared error of [0, 1] values;
- `masks` `(B, H, W, 1)` follow the mask convention (1 = known, 0 = hole). With masks,
  a metric covers only hole pixels (SSIM: windows centred on hole pixels); with
  `masks=None`, the whole image.
- every function returns one value per image, `(B,)`.

`detail` is not an error but a measure of sharpness: a blurred fill can score well on
PSNR, so it says how much of the truth's fine detail a fill has.
"""

import keras
import tensorflow as tf

_FILTER_SIZE = 11
_FILTER_SIGMA = 1.5
_K1, _K2 = 0.01, 0.03
_MIN_MSE = 1e-10  # caps PSNR at 100 dB for identical images
_FLAT = (0.5 / 255) ** 2  # a truth whose neighbours differ less than half a uint8 step has no detail to match


def _unit(images):
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def _region_mean(values, masks):
    """Per-image mean of `values` (B, H, W, C) over the hole, or everywhere."""
    if masks is None:
        return tf.reduce_mean(values, axis=[1, 2, 3])
    hole = 1.0 - tf.cast(masks, tf.float32)
    hole = tf.broadcast_to(hole, tf.shape(values))
    return tf.reduce_sum(values * hole, axis=[1, 2, 3]) / tf.maximum(
        tf.reduce_sum(hole, axis=[1, 2, 3]), 1.0
    )


def l1_error(images, predictions, masks=None):
    """Mean absolute error on the [0, 1] scale, `(B,)`."""
    return _region_mean(tf.abs(_unit(images) - _unit(predictions)), masks)


def l2_error(images, predictions, masks=None):
    """Mean squared error on the [0, 1] scale, `(B,)`."""
    return _region_mean(tf.square(_unit(images) - _unit(predictions)), masks)


def psnr(images, predictions, masks=None):
    """Peak signal-to-noise ratio in dB (peak 1 on the [0, 1] scale), `(B,)`."""
    mse = tf.maximum(l2_error(images, predictions, masks), _MIN_MSE)
    return -10.0 * tf.math.log(mse) / tf.math.log(10.0)


def ssim_map(images, predictions):
    """Local SSIM of every full 11x11 window, `(B, H - 10, W - 10, 3)`.

    Same formula and constants as `tf.image.ssim`, whose value is the mean of this map.
    """
    x, y = _unit(images), _unit(predictions)
    coordinates = tf.range(_FILTER_SIZE, dtype=tf.float32) - (_FILTER_SIZE - 1) / 2.0
    gaussian = tf.exp(-tf.square(coordinates) / (2.0 * _FILTER_SIGMA**2))
    gaussian /= tf.reduce_sum(gaussian)
    kernel = tf.tensordot(gaussian, gaussian, axes=0)[:, :, None, None]
    channels = x.shape[-1] or 3
    kernel = tf.tile(kernel, [1, 1, channels, 1])

    def blur(values):
        return tf.nn.depthwise_conv2d(values, kernel, [1, 1, 1, 1], "VALID")

    c1, c2 = _K1**2, _K2**2
    mean_x, mean_y = blur(x), blur(y)
    mean_product = mean_x * mean_y
    mean_squares = tf.square(mean_x) + tf.square(mean_y)
    luminance = (2.0 * mean_product + c1) / (mean_squares + c1)
    contrast_structure = (2.0 * (blur(x * y) - mean_product) + c2) / (
        blur(tf.square(x) + tf.square(y)) - mean_squares + c2
    )
    return luminance * contrast_structure


def ssim(images, predictions, masks=None):
    """Structural similarity, `(B,)`; over the hole: windows centred on hole pixels."""
    local = ssim_map(images, predictions)
    if masks is not None:
        border = _FILTER_SIZE // 2
        masks = tf.cast(masks, tf.float32)[:, border:-border, border:-border, :]
    return _region_mean(local, masks)


def detail(images, predictions, masks=None):
    """Fine detail of `predictions` against `images`, `(B,)`: the root mean square difference
    between neighbouring pixels (across and down) of the prediction, divided by the truth's.
    Over the hole: the pairs of neighbours with a hole pixel in them, so a seam at the hole's
    edge counts as detail. 1: as much detail as the truth; a blur scores below 1, noise
    above. 0 where the truth has no detail there (its neighbours differ by less than half a
    uint8 step in root mean square) or there is no hole."""

    def energy(values):
        values = _unit(values)
        across, down = values[:, :, 1:] - values[:, :, :-1], values[:, 1:] - values[:, :-1]
        if masks is None:
            return (_region_mean(tf.square(across), None) + _region_mean(tf.square(down), None)) / 2.0
        known = tf.cast(masks, tf.float32)
        return (_region_mean(tf.square(across), known[:, :, 1:] * known[:, :, :-1])
                + _region_mean(tf.square(down), known[:, 1:] * known[:, :-1])) / 2.0

    truth = energy(images)
    return tf.where(truth > _FLAT, tf.sqrt(energy(predictions) / tf.maximum(truth, _FLAT)), 0.0)


METRIC_FUNCTIONS = {"psnr": psnr, "ssim": ssim, "l1": l1_error, "l2": l2_error, "detail": detail}


@keras.saving.register_keras_serializable(package="kinpaint")
class ImageMetric(keras.metrics.Mean):
    """Running mean of one image metric, over the hole or over the whole image.

    Args:
        kind: `"psnr"`, `"ssim"`, `"l1"`, `"l2"` or `"detail"`.
        region: `"hole"` (needs masks in `update_state`) or `"image"`.
        name: defaults to `"<region>_<kind>"`, e.g. `"hole_psnr"`.

    Call `update_state(images, predictions, masks=None)` with [-1, 1] images.
    """

    def __init__(self, kind="psnr", region="hole", name=None, dtype=None):
        if kind not in METRIC_FUNCTIONS:
            raise ValueError(f"unknown metric kind {kind!r}; choose one of {tuple(METRIC_FUNCTIONS)}")
        if region not in ("hole", "image"):
            raise ValueError(f"region must be 'hole' or 'image', got {region!r}")
        super().__init__(name=name or f"{region}_{kind}", dtype=dtype)
        self.kind = kind
        self.region = region

    def update_state(self, images, predictions, masks=None, sample_weight=None):
        if self.region == "hole" and masks is None:
            raise ValueError(f"{self.name} measures the hole: pass masks")
        values = METRIC_FUNCTIONS[self.kind](
            images, predictions, masks if self.region == "hole" else None
        )
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "region": self.region}

