"""Gated-residual likelihood inpainter with caption conditioning (seed 004)."""

import itertools
import math

import keras
import tensorflow as tf
from keras import layers, ops

from kinpaint.inpainting import composite
from kinpaint.layers import CaptionMap, GatedResidualBlock
from kinpaint.models.base import InpaintingModel, caption_vector_input
from kinpaint.models.losses import check_finite, replica_mean
from kinpaint.models.optimizers import build_optimizer
from kinpaint.models.precision import resolve_precision
from kinpaint.models.serialization import compile_config, compile_from
from kinpaint.options import PIXEL_FILLS

LEVELS = 256  # values of an 8-bit channel


def build_pixel_network(image_size, features=64, bottleneck=32, blocks=16, head=32, caption_dim=None,
                        caption_blocks=True, caption_map=True, dtype=None, name="pixel_network"):
    """7x7 convolution, `blocks` gated residual blocks, two 1x1 convolutions, 256-way logits.

    Inputs: `(B, S, S, 4)` the masked image and its mask, and `(B, caption_dim)` when
    conditioned. The caption conditions every block (`caption_blocks`) and/or enters the
    last layers as a `CaptionMap` (`caption_map`, seed 004's outer product).
    Output: float32 logits `(B, S, S, 3, 256)`, one distribution per channel value.
    """
    image_input = keras.Input((image_size, image_size, 4), name="masked_image")
    inputs = [image_input]
    x = layers.Conv2D(features, 7, padding="same", dtype=dtype, name="input_conv")(image_input)
    caption = caption_vector_input(caption_dim)
    if caption is not None:
        inputs.append(caption)
    for index in range(blocks):
        conditional = caption is not None and caption_blocks
        block = GatedResidualBlock(bottleneck, conditional=conditional, dtype=dtype, name=f"gated_block_{index}")
        x = block([x, caption] if conditional else x)
    x = layers.ReLU(dtype=dtype)(x)
    if caption is not None and caption_map:
        x = layers.Concatenate(dtype=dtype)([x, CaptionMap(image_size, dtype=dtype, name="caption_map")(caption)])
    for index in range(2):
        x = layers.Conv2D(head, 1, activation="relu", dtype=dtype, name=f"head_{index}")(x)
    x = layers.Conv2D(3 * LEVELS, 1, dtype="float32", name="logits")(x)
    logits = layers.Reshape((image_size, image_size, 3, LEVELS), dtype="float32", name="per_channel")(x)
    return keras.Model(inputs, logits, name=name)


def pixel_levels(images):
    """float [-1, 1] images -> int32 levels 0..255 (the classes the network predicts)."""
    return ops.cast(ops.clip(ops.round((ops.cast(images, "float32") + 1.0) * 127.5), 0, LEVELS - 1), "int32")


def hole_nll(logits, images, masks):
    """Per-example `(B,)` negative log-likelihood in nats of the hole's true values.

    Args:
        logits: `(B, H, W, 3, 256)`.
        images: `(B, H, W, 3)` in [-1, 1].
        masks: `(B, H, W, 1)`, 0 marks the hole.
    """
    per_value = ops.sparse_categorical_crossentropy(pixel_levels(images), logits, from_logits=True)  # (B, H, W, 3)
    hole = 1.0 - ops.cast(masks, "float32")
    return ops.sum(per_value * hole, axis=(1, 2, 3))


def hole_values(masks):
    """Per-example `(B,)` count of hidden channel values (3 per hole pixel)."""
    return 3.0 * ops.sum(1.0 - ops.cast(masks, "float32"), axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="kinpaint")
class GatedPixelInpainter(InpaintingModel):
    """Predicts a 256-way distribution for every hidden channel value, from the border and a caption.

    A PixelCNN-style stack without causal masks (seed 004): every hole value is
    predicted independently given the known pixels and the caption. The output is a
    softmax over the 256 levels, as in the seed: it is exact for 8-bit data, its
    likelihood needs no binning, and the mode and mean read straight from it.

    Args:
        image_size: side S of the square images.
        features, bottleneck, blocks: width, inner width (default: half the width) and
            number of gated residual blocks (64, 32 and 16 in seed 004).
        head: width of the two 1x1 convolutions before the logits.
        caption_encoder: a kinpaint caption encoder (e.g. `CharCNNGRU`); captions are strings.
        caption_dim: size of precomputed caption vectors, when no encoder is given.
        caption_blocks: the caption conditions every gated block.
        caption_map: the caption's outer-product map enters the last layers (seed 004).
        caption_dropout: fraction of training captions hidden (zero vector).
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.

    Call: `{"image", "mask", ["caption"]}` -> logits `(B, S, S, 3, 256)`. Training
    minimises the hole's negative log-likelihood; metrics `nll` (nats per image's hole)
    and `bits_per_dim`. `inpaint(images, masks, captions=None, batch_size=32, fill="mean",
    temperature=1.0, seed=None)` fills with the distribution's mean, mode or a sample (`_fill`).

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")
    >>> model = GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=1, head=8, precision="float32")
    >>> model.compile()
    >>> sorted(model.fit(images, batch_size=2, epochs=1, verbose=0).history)
    ['bits_per_dim', 'nll']
    >>> masks = np.ones((4, 8, 8, 1), "float32")
    >>> masks[:, 2:6, 2:6] = 0
    >>> model.inpaint(images, masks, fill="mode").shape
    (4, 8, 8, 3)
    """

    inpaint_batch_size = 32

    def __init__(self, image_size=64, features=64, bottleneck=None, blocks=16, head=32, caption_encoder=None,
                 caption_dim=None, caption_blocks=True, caption_map=True, caption_dropout=0.1, precision="auto",
                 **kwargs):
        super().__init__(image_size, caption_encoder, caption_dim, caption_dropout, **kwargs)
        bottleneck = int(features) // 2 if bottleneck is None else bottleneck
        self.features, self.bottleneck, self.blocks, self.head = int(features), int(bottleneck), int(blocks), int(head)
        self.caption_blocks, self.caption_map = bool(caption_blocks), bool(caption_map)
        self.precision = precision
        self.network = build_pixel_network(self.image_size, self.features, self.bottleneck, self.blocks, self.head,
                                           self.caption_dim, self.caption_blocks, self.caption_map,
                                           resolve_precision(precision))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("nll", "bits_per_dim")}
        self._fill_functions = {}
        self._sample_calls = 0
        self.built = True

    def _step_counter(self):
        return self.optimizer.iterations

    def call(self, inputs, training=False):
        return self._logits(*self._unpack(inputs), training=training)

    def _logits(self, images, masks, captions, training):
        vectors = self.caption_vectors(captions, ops.shape(images)[0], training)
        masked = ops.concatenate([images * masks, masks], axis=-1)  # (B, S, S, 4)
        return self.network(self._with_caption(masked, vectors), training=training)

    # Training: the ordinary compile(optimizer); the loss is the likelihood.

    def compile(self, optimizer="adam", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.optimizer = build_optimizer(self.optimizer, self.trainable_variables)

    def _track(self, logits, images, masks):
        """Update the metrics; return the per-example loss, nats per hidden value `(B,)`."""
        nats = hole_nll(logits, images, masks)
        per_value = nats / ops.maximum(hole_values(masks), 1.0)
        self.trackers["nll"].update_state(nats)
        self.trackers["bits_per_dim"].update_state(per_value / math.log(2.0))
        return per_value

    def train_step(self, data):
        images, masks, captions = self._unpack(data)
        with tf.GradientTape() as tape:
            logits = self._logits(images, masks, captions, training=True)
            loss, logged = replica_mean(self._track(logits, images, masks))
        with tf.control_dependencies([check_finite("negative log-likelihood", logged)]):
            variables = self.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._results()

    def test_step(self, data):
        images, masks, captions = self._unpack(data)
        self._track(self._logits(images, masks, captions, training=False), images, masks)
        return self._results()

    def nll(self, images, masks, captions=None, batch_size=32):
        """Per-image NLL `(B,)` in nats of the true hole values (NumPy in and out)."""
        images, masks, captions, batch_size = self._fill_inputs(images, masks, captions, batch_size, reads_hole=True)
        return self._batches(self._fill_function("nll"), images, masks, captions, batch_size)

    # Fills: `InpaintingModel.inpaint` checks the inputs and passes its fill options here.

    def _fill(self, images, masks, captions, batch_size, fill="mean", temperature=1.0, seed=None):
        """Fill the holes: `"mean"` (expected value), `"mode"` (most likely level) or `"sample"`.

        Samples are drawn at `temperature` (logits divided by it; near 0 gives the mode).
        `seed` fixes them; by default every call draws new ones.
        """
        if fill not in PIXEL_FILLS:
            raise ValueError(f"fill must be one of {PIXEL_FILLS}, got {fill!r}")
        if fill == "sample":
            if not temperature > 0:
                raise ValueError(f"temperature must be positive, got {temperature!r}")
            if seed is None:
                seed, self._sample_calls = self._sample_calls, self._sample_calls + 1
            function, batches = self._fill_function(fill), itertools.count()

            def draw(inputs):  # each batch its own stream of the seed
                seeds = tf.constant([int(seed), next(batches)], tf.int64)
                return function(inputs, tf.constant(float(temperature)), seeds)

            return self._batches(draw, images, masks, captions, batch_size)
        return self._batches(self._fill_function(fill), images, masks, captions, batch_size)

    def inpainter(self, fill="mean", temperature=1.0):
        """What fills holes with this model's `fill` (see `inpaint`) at `temperature`."""
        return self.sampler(temperature, fill)

    def sampler(self, temperature=1.0, fill="sample"):
        """An object whose `inpaint(images, masks, captions)` draws a fill (for `ImageGrid(inpainter=...)`)."""
        return _Sampler(self, fill, temperature)

    def _fill_function(self, kind):
        if kind not in self._fill_functions:
            self._fill_functions[kind] = tf.function(_FILL_GRAPHS[kind](self), reduce_retracing=True)
        return self._fill_functions[kind]

    # Saving.

    def get_config(self):
        return {
            **super().get_config(),
            "features": self.features,
            "bottleneck": self.bottleneck,
            "blocks": self.blocks,
            "head": self.head,
            "caption_blocks": self.caption_blocks,
            "caption_map": self.caption_map,
            "precision": self.precision,
        }

    def get_compile_config(self):
        return compile_config(self, ("optimizer",))

    def compile_from_config(self, config):
        compile_from(self, config, ("optimizer",))


def _levels_to_images(levels):
    return ops.cast(levels, "float32") / 127.5 - 1.0


def _mean_fill(model):
    def fill(inputs):
        probabilities = ops.softmax(model(inputs, training=False), axis=-1)
        expected = ops.sum(probabilities * ops.arange(LEVELS, dtype="float32"), axis=-1)
        return composite(inputs["image"], inputs["mask"], _levels_to_images(expected))

    return fill


def _mode_fill(model):
    def fill(inputs):
        levels = ops.argmax(model(inputs, training=False), axis=-1)
        return composite(inputs["image"], inputs["mask"], _levels_to_images(levels))

    return fill


def _sample_fill(model):
    def fill(inputs, temperature, seed):
        logits = model(inputs, training=False) / temperature
        # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits).
        uniform = tf.random.stateless_uniform(tf.shape(logits), seed=seed, minval=1e-12, maxval=1.0)
        levels = ops.argmax(logits - ops.log(-ops.log(uniform)), axis=-1)
        return composite(inputs["image"], inputs["mask"], _levels_to_images(levels))

    return fill


def _nll(model):
    def nll(inputs):
        return hole_nll(model(inputs, training=False), inputs["image"], inputs["mask"])

    return nll


_FILL_GRAPHS = {"mean": _mean_fill, "mode": _mode_fill, "sample": _sample_fill, "nll": _nll}


class _Sampler:
    def __init__(self, model, fill, temperature):
        self.model, self.fill, self.temperature = model, fill, temperature

    def inpaint(self, images, masks, captions=None):
        return self.model.inpaint(images, masks, captions, fill=self.fill, temperature=self.temperature)
