"""A fully convolutional fill for pictures of any size: the harmonic fill, corrected by Fourier
convolutions that see the whole picture (after LaMa, Suvorov et al. 2022) behind gated
convolutions that know which pixels are valid (DeepFill v2, Yu et al. 2019)."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from kinpaint.inpainting import composite, known_contrast, known_mean_colour
from kinpaint.layers import FourierConvolution, GatedConv2D
from kinpaint.metrics import psnr
from kinpaint.models.base import InpaintingModel, check_image_values
from kinpaint.models.losses import check_finite, hole_error, replica_mean
from kinpaint.models.optimizers import build_optimizer
from kinpaint.models.precision import resolve_precision
from kinpaint.models.serialization import compile_config, compile_from
from kinpaint.options import RECONSTRUCTIONS
from kinpaint.poisson import harmonic_fill


def build_fourier_generator(width=32, blocks=4, downsamples=2, dtype=None, name="generator"):
    """`(B, H, W, 4)` (the contrast-normalized harmonic fill and the mask) -> `(B, H, W, 3)` float32
    correction, zero at the start. H and W must be multiples of `2**downsamples`.

    Gated 5x5 convolution, `downsamples` strided gated convolutions doubling the width,
    `blocks` residual Fourier-convolution blocks, nearest upsampling with gated
    convolutions back to full size, a 3x3 convolution to the three channels.
    """
    inputs = keras.Input((None, None, 4), name="prefilled")
    x = GatedConv2D(width, 5, dtype=dtype, name="input_gate")(inputs)
    for index in range(downsamples):
        x = GatedConv2D(width * 2 ** (index + 1), 3, strides=2, dtype=dtype, name=f"down_{index}")(x)
    features = width * 2**downsamples
    for index in range(blocks):
        y = FourierConvolution(features, dtype=dtype, name=f"fourier_{index}_a")(x)
        y = FourierConvolution(features, activation=None, dtype=dtype, name=f"fourier_{index}_b")(y)
        x = layers.Add(dtype=dtype, name=f"fourier_{index}_residual")([x, y])
    for index in reversed(range(downsamples)):
        x = layers.UpSampling2D(2, dtype=dtype, name=f"up_{index}_resize")(x)
        x = GatedConv2D(width * 2**index, 3, dtype=dtype, name=f"up_{index}")(x)
    x = layers.Conv2D(3, 3, padding="same", kernel_initializer="zeros", dtype=dtype, name="correction")(x)
    outputs = layers.Activation("linear", dtype="float32", name="fill")(x)
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="kinpaint")
class FourierInpainter(InpaintingModel):
    """Fills holes of pictures of any size: harmonic fill plus a learned, contrast-normalized correction.

    The generator sees the harmonic fill minus the border's mean colour, divided by the
    border's contrast (`kinpaint.inpainting.known_contrast`), and its correction is scaled
    back by that contrast, as in the context encoder's photos recipe. Fully convolutional:
    `inpaint` takes pictures of any size (padded by reflection to a multiple of
    `2**downsamples`), though it trains on `image_size` crops. It does not read captions.

    Args:
        image_size: side S of the training crops.
        width, blocks, downsamples: the generator (`build_fourier_generator`).
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.
        mask_kind: the holes drawn when `fit` gets images without masks.

    Call: `{"image": (B, H, W, 3) in [-1, 1], "mask": (B, H, W, 1)}` -> the composite.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    >>> model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    >>> model.compile()
    >>> sorted(model.fit(images, batch_size=2, epochs=1, verbose=0).history)
    ['hole_psnr', 'reconstruction_loss']
    >>> big = np.zeros((1, 40, 24, 3), "float32")
    >>> masks = np.ones((1, 40, 24, 1), "float32")
    >>> masks[:, 10:30, 6:18] = 0
    >>> model.inpaint(big, masks).shape
    (1, 40, 24, 3)
    """

    fills_any_size = True  # `inpaint` takes pictures of any size; kinpaint inpaint fills them at full resolution

    def __init__(self, image_size=64, width=32, blocks=4, downsamples=2, precision="auto", **kwargs):
        kwargs.pop("caption_encoder", None), kwargs.pop("caption_dim", None)
        super().__init__(image_size, None, None, 0.0, **kwargs)
        self.width, self.blocks, self.downsamples = int(width), int(blocks), int(downsamples)
        if self.image_size % 2**self.downsamples:
            raise ValueError(f"image_size {self.image_size} is not divisible by 2^{self.downsamples}")
        self.precision = precision
        self.generator = build_fourier_generator(self.width, self.blocks, self.downsamples,
                                                 resolve_precision(precision))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("reconstruction_loss", "hole_psnr")}
        self._inpaint_function = None
        self.built = True

    def _step_counter(self):
        return self.optimizer.iterations

    def _generate(self, images, masks, training):
        # Conjugate gradients need about as many steps as the picture is wide to reach a hole's middle.
        iterations = tf.maximum(60, tf.reduce_max(tf.shape(images)[1:3]))
        start = harmonic_fill(images, masks, max_iterations=iterations)
        scale = known_contrast(images, masks)
        seen = (start - known_mean_colour(images, masks)) / scale
        correction = self.generator(ops.concatenate([seen, masks], axis=-1), training=training)
        return ops.clip(start + correction * scale, -1.0, 1.0)

    def call(self, inputs, training=False):
        images, masks, _ = self._unpack(inputs)
        return composite(images, masks, self._generate(images, masks, training))

    def compile(self, optimizer=None, reconstruction="log_l2", **kwargs):
        """Adam (1e-3, clipnorm 1) unless given; the hole loss `reconstruction` (see `losses.hole_error`)."""
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTIONS}, got {reconstruction!r}")
        super().compile(optimizer=None, **kwargs)
        self.optimizer = build_optimizer(optimizer or keras.optimizers.Adam(1e-3, clipnorm=1.0),
                                         self.generator.trainable_variables)
        self.reconstruction = reconstruction

    def train_step(self, data):
        images, masks, _ = self._unpack(data)
        with tf.GradientTape() as tape:
            fills = self._generate(images, masks, training=True)
            reconstruction = hole_error(images, fills, masks, self.reconstruction)
            loss, logged = replica_mean(reconstruction)
        with tf.control_dependencies([check_finite("reconstruction loss", logged)]):
            variables = self.generator.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.trackers["reconstruction_loss"].update_state(reconstruction)
        self.trackers["hole_psnr"].update_state(psnr(images, composite(images, masks, fills), masks))
        return self._results()

    def test_step(self, data):
        images, masks, _ = self._unpack(data)
        fills = self._generate(images, masks, training=False)
        self.trackers["reconstruction_loss"].update_state(hole_error(images, fills, masks, self.reconstruction))
        self.trackers["hole_psnr"].update_state(psnr(images, composite(images, masks, fills), masks))
        return self._results()

    def _images(self, images):
        shape = tuple(images.shape)
        if len(shape) != 4 or shape[-1] != 3:
            raise ValueError(f"FourierInpainter takes images (batch, height, width, 3); got shape {shape}")
        if images.dtype in (tf.uint8, "uint8"):
            return ops.cast(images, "float32") / 127.5 - 1.0
        return self._checked_range(ops.cast(images, "float32"))

    def inpaint(self, images, masks, captions=None, batch_size=16):
        """Fill the holes of pictures of any size `(B, H, W, 3)`; NumPy in and out."""
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        if images.ndim != 4 or images.shape[-1] != 3 or masks.shape != (*images.shape[:3], 1):
            raise ValueError(f"FourierInpainter takes images (batch, H, W, 3) and masks (batch, H, W, 1); got "
                             f"{images.shape} and {masks.shape}")
        check_image_values(images, masks, "FourierInpainter")
        images = np.where(masks >= 0.5, images, 0.0).astype(np.float32)  # the hole's content is ignored, NaN too
        if self._inpaint_function is None:
            self._inpaint_function = tf.function(lambda inputs: self(inputs, training=False), reduce_retracing=True)
        step = 2**self.downsamples
        height, width = images.shape[1:3]
        pad = ((0, 0), (0, -height % step), (0, -width % step), (0, 0))
        mode = "reflect" if min(height, width) > step else "edge"
        filled = []
        for start in range(0, len(images), batch_size):
            chunk = {"image": np.pad(images[start : start + batch_size], pad, mode=mode),
                     "mask": np.pad(masks[start : start + batch_size], pad, mode=mode)}
            filled.append(np.asarray(self._inpaint_function(chunk))[:, :height, :width])
        return np.concatenate(filled) if filled else images.copy()

    def get_config(self):
        config = super().get_config()
        for name in ("caption_encoder", "caption_dim", "caption_dropout"):
            config.pop(name)
        return {**config, "width": self.width, "blocks": self.blocks, "downsamples": self.downsamples,
                "precision": self.precision}

    def get_compile_config(self):
        return compile_config(self, ("optimizer",), reconstruction=self.reconstruction)

    def compile_from_config(self, config):
        compile_from(self, config, ("optimizer",))
