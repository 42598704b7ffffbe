"""Context encoder with optional caption conditioning (seed 003, Pathak et al. 2016)."""

import keras
import tensorflow as tf
from keras import layers, ops

from kinpaint.inpainting import composite, known_contrast, known_mean_colour
from kinpaint.layers import ChannelWiseDense, FusedBatchNormalization, TiledCaptionConcat
from kinpaint.metrics import psnr
from kinpaint.models.base import InpaintingModel, caption_vector_input
from kinpaint.models.losses import binary_cross_entropy, check_finite, hole_error, replica_mean
from kinpaint.models.optimizers import build_optimizer, default_adam
from kinpaint.models.precision import resolve_precision
from kinpaint.models.serialization import compile_config, compile_from
from kinpaint.options import PREFILLS, RECONSTRUCTIONS
from kinpaint.poisson import harmonic_fill


def build_context_generator(image_size, widths, caption_dim=None, caption_units=64, caption_in_decoder=False,
                            residual=False, dtype=None, name="generator"):
    """Encoder of strided 5x5 convolutions, `ChannelWiseDense` bottleneck, mirrored decoder.

    Inputs: `(B, S, S, 4)` the masked (or prefilled) image and its mask, and
    `(B, caption_dim)` when conditioned. Output: `(B, S, S, 3)` float32, a prediction of
    every pixel: in [-1, 1] (tanh), or with `residual` an unbounded correction whose last
    layer starts at zero.
    The encoder's feature map at each scale is added to the decoder's (skip connections).
    The caption is tiled in at the bottleneck and, with `caption_in_decoder`, before
    every decoder convolution too.
    """
    image_input = keras.Input((image_size, image_size, 4), name="masked_image")
    inputs = [image_input]
    x, skips = image_input, []
    for index, width in enumerate(widths):
        x = layers.Conv2D(width, 5, strides=2, padding="same", use_bias=False, dtype=dtype, name=f"encode_{index}")(x)
        x = FusedBatchNormalization(synchronized=True, dtype=dtype, name=f"encode_{index}_norm")(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
        skips.append(x)
    x = ChannelWiseDense(dropout=0.0, dtype=dtype, name="channel_wise_dense")(x)
    caption_input = caption_vector_input(caption_dim)
    if caption_input is not None:
        inputs.append(caption_input)
        x = TiledCaptionConcat(caption_units, dtype=dtype, name="caption_concat")([x, caption_input])
    x = layers.Conv2D(widths[-1], 1, dtype=dtype, name="bottleneck_mix")(x)  # mixes channels after the channel-wise map
    x = layers.ReLU(dtype=dtype)(FusedBatchNormalization(synchronized=True, dtype=dtype, name="bottleneck_norm")(x))
    for index, width in reversed(list(enumerate(widths[:-1]))):
        if caption_input is not None and caption_in_decoder:
            x = TiledCaptionConcat(caption_units, dtype=dtype, name=f"decode_{index}_caption")([x, caption_input])
        x = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False, dtype=dtype,
                                   name=f"decode_{index}")(x)
        x = FusedBatchNormalization(synchronized=True, dtype=dtype, name=f"decode_{index}_norm")(x)
        x = layers.ReLU(dtype=dtype)(layers.Add(dtype=dtype)([x, skips[index]]))
    x = layers.Conv2DTranspose(3, 5, strides=2, padding="same", dtype=dtype, name="decode_pixels",
                               kernel_initializer="zeros" if residual else "glorot_uniform")(x)
    outputs = layers.Activation("linear" if residual else "tanh", dtype="float32", name="fill")(x)
    return keras.Model(inputs, outputs, name=name)


def discriminator_features(images, widths, dtype=None):
    """DCGAN-style image encoder: a strided 5x5 convolution per width, leaky ReLU, batch norm
    after the first. `(B, S, S, 3)` -> `(B, S / 2^n, S / 2^n, widths[-1])`."""
    x = images
    for index, width in enumerate(widths):
        x = layers.Conv2D(width, 5, strides=2, padding="same", use_bias=index == 0, dtype=dtype, name=f"conv_{index}")(x)
        if index:
            x = FusedBatchNormalization(synchronized=True, dtype=dtype, name=f"conv_{index}_norm")(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    return x


def build_context_discriminator(image_size, widths, caption_dim=None, caption_units=64, dtype=None,
                                name="discriminator"):
    """Strided 5x5 convolutions to `(S / 2^depth)^2 x widths[-1]`, caption tiled in, a dense logit.

    Inputs: `(B, S, S, 3)` images, and `(B, caption_dim)` when conditioned. Output `(B, 1)` logits.
    """
    image_input = keras.Input((image_size, image_size, 3), name="image")
    inputs, x = [image_input], image_input
    x = discriminator_features(x, widths, dtype)
    caption_input = caption_vector_input(caption_dim)
    if caption_input is not None:
        inputs.append(caption_input)
        x = TiledCaptionConcat(caption_units, dtype=dtype, name="caption_concat")([x, caption_input])
    logits = layers.Dense(1, dtype="float32", name="logit")(layers.Flatten(dtype=dtype)(x))
    return keras.Model(inputs, logits, name=name)


@keras.saving.register_keras_serializable(package="kinpaint")
class ContextEncoder(InpaintingModel):
    """Adversarial context encoder that fills holes from the border and, optionally, a caption.

    Args:
        image_size: side S of the square images; a power-of-two multiple of 2^len(widths).
        widths: encoder widths, one strided 5x5 convolution each (64 -> 4 for the default).
        caption_encoder: a kinpaint caption encoder layer; captions are then strings.
        caption_dim: size of precomputed caption vectors (from the store's cache); used
            when `caption_encoder` is None. Neither: an unconditioned model.
        caption_units: features of the tiled caption projection.
        caption_in_decoder: also tile the caption in before every decoder convolution.
        caption_dropout: fraction of training examples whose caption is hidden (zero
            vector), so the model also fills well with `captions=None`.
        prefill: `None` (the seed's model: the generator sees the hole as zeros and paints
            it), or `"harmonic"`: the hole is first filled by `kinpaint.poisson.harmonic_fill`
            and the generator learns a correction to that fill, starting from none.
        contrast_normalized: with a prefill, the generator sees the prefilled picture minus
            its border's mean colour, divided by the border's contrast
            (`kinpaint.inpainting.known_contrast`), and its correction is scaled back by
            that contrast: a faint picture gets a faint correction.
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"` for the two networks.
        mask_kind: the holes drawn when `fit` gets images without masks (see `InpaintingModel`).

    Call: `{"image": (B, S, S, 3) in [-1, 1], "mask": (B, S, S, 1), "caption": (B,) or (B, D)}`
    -> `(B, S, S, 3)`, the image with its holes (mask 0) filled and known pixels kept exactly.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    >>> model = ContextEncoder(image_size=16, widths=(8, 16), precision="float32")
    >>> model.compile()
    >>> history = model.fit(images, batch_size=2, epochs=1, verbose=0)  # plain images: centre holes
    >>> masks = np.ones((4, 16, 16, 1), "float32")
    >>> masks[:, 4:12, 4:12] = 0
    >>> filled = model.inpaint(images, masks)
    >>> filled.shape, bool((filled[:, :4] == images[:, :4]).all())
    ((4, 16, 16, 3), True)
    """

    def __init__(self, image_size=64, widths=(32, 64, 128, 256), caption_encoder=None, caption_dim=None,
                 caption_units=64, caption_in_decoder=False, caption_dropout=0.1, prefill=None,
                 contrast_normalized=False, precision="auto", **kwargs):
        super().__init__(image_size, caption_encoder, caption_dim, caption_dropout, **kwargs)
        self.widths = tuple(int(width) for width in widths)
        if self.image_size % 2 ** len(self.widths):
            raise ValueError(f"image_size {self.image_size} is not divisible by 2^{len(self.widths)} (one per width)")
        self.caption_units = int(caption_units)
        self.caption_in_decoder = bool(caption_in_decoder)
        if prefill not in PREFILLS:
            raise ValueError(f"prefill must be one of {PREFILLS}, got {prefill!r}")
        self.prefill = prefill
        if contrast_normalized and prefill is None:
            raise ValueError("contrast_normalized=True scales a correction to a prefill; give prefill='harmonic'")
        self.contrast_normalized = bool(contrast_normalized)
        self.precision = precision
        policy = resolve_precision(precision)
        self.generator = build_context_generator(self.image_size, self.widths, self.caption_dim,
                                                 self.caption_units, self.caption_in_decoder,
                                                 residual=prefill is not None, dtype=policy)
        self.discriminator = build_context_discriminator(self.image_size, self.widths, self.caption_dim,
                                                         self.caption_units, policy)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("g_loss", "d_loss", "reconstruction_loss", "hole_psnr")}
        self.built = True

    def _step_counter(self):
        return self.g_optimizer.iterations

    # The forward pass.

    def _generate(self, images, masks, vectors, training):
        if self.prefill is None:
            masked = ops.concatenate([images * masks, masks], axis=-1)  # (B, S, S, 4)
            return self.generator(self._with_caption(masked, vectors), training=training)
        start = harmonic_fill(images, masks)
        seen, scale = start, 1.0
        if self.contrast_normalized:
            scale = known_contrast(images, masks)
            seen = (start - known_mean_colour(images, masks)) / scale
        correction = self.generator(self._with_caption(ops.concatenate([seen, masks], axis=-1), vectors),
                                    training=training)
        return ops.clip(start + correction * scale, -1.0, 1.0)

    def call(self, inputs, training=False):
        images, masks, captions = self._unpack(inputs)
        vectors = self.caption_vectors(captions, ops.shape(images)[0], training)
        return composite(images, masks, self._generate(images, masks, vectors, training))

    # Training.

    def compile(self, g_optimizer=None, d_optimizer=None, reconstruction_weight=0.999, adversarial_weight=0.001,
                reconstruction="l2", **kwargs):
        """Adam (beta_1 0.5, clipnorm 1) for both networks unless given; L2 + adversarial loss.

        `reconstruction` is `"l2"`, `"l1"` or `"log_l2"` (see `kinpaint.models.losses.hole_error`).
        `adversarial_weight=0` trains the generator alone (the discriminator is skipped).
        """
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTIONS}, got {reconstruction!r}")
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = build_optimizer(g_optimizer or default_adam(), self.generator_variables)
        self.d_optimizer = build_optimizer(d_optimizer or default_adam(), self.discriminator.trainable_variables)
        self.reconstruction_weight = float(reconstruction_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.reconstruction = reconstruction

    def train_step(self, data):
        images, masks, captions = self._unpack(data)
        batch_size = ops.shape(images)[0]
        adversarial = self.adversarial_weight > 0
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            vectors = self.caption_vectors(captions, batch_size, training=True)
            fills = self._generate(images, masks, vectors, training=True)
            filled = composite(images, masks, fills)
            reconstruction = hole_error(images, fills, masks, self.reconstruction)
            g_per_example = self.reconstruction_weight * reconstruction
            if adversarial:
                judged = None if vectors is None else ops.stop_gradient(vectors)
                real = self.discriminator(self._with_caption(images, judged), training=True)
                fake = self.discriminator(self._with_caption(filled, judged), training=True)
                g_per_example += self.adversarial_weight * binary_cross_entropy(fake, 1.0)
                d_loss, d_logged = replica_mean(binary_cross_entropy(real, 1.0) + binary_cross_entropy(fake, 0.0))
            g_loss, g_logged = replica_mean(g_per_example)
        with tf.control_dependencies([check_finite("generator loss", g_logged)]):
            variables = self.generator_variables
            self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, variables), variables))
        if adversarial:
            variables = self.discriminator.trainable_variables
            self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, variables), variables))
            self.trackers["d_loss"].update_state(d_logged)
        self.trackers["g_loss"].update_state(g_logged)
        self.trackers["reconstruction_loss"].update_state(reconstruction)
        self.trackers["hole_psnr"].update_state(psnr(images, filled, masks))
        return self._results([name for name in self.trackers if adversarial or name != "d_loss"])

    def test_step(self, data):
        return self.hole_test_step(data)

    # Export.

    def export_function(self, size=None):
        """The fill as one TensorFlow function of `image, mask[, caption]` (see `InpaintingModel`)."""

        def fill(image, mask, caption=None):
            image = tf.where(mask >= 0.5, image, tf.zeros_like(image))  # the hole's content is ignored
            return composite(image, mask, self._generate(image, mask, caption, training=False))

        return fill, self.export_signature(size)

    def export_size(self, size=None, dynamic=None):
        """`(image_size, image_size)`, the only size it fills; any other is refused."""
        square = (self.image_size, self.image_size)
        if dynamic or (size is not None and tuple(size) != square):
            raise ValueError(f"a ContextEncoder fills {square[0]}x{square[1]} pictures only (its bottleneck is a "
                             f"channel-wise dense map of that size); export it at --size {square[0]} {square[1]}, "
                             f"not {'any size' if dynamic else f'{size[0]}x{size[1]}'}")
        return square

    # Saving.

    def get_config(self):
        return {
            **super().get_config(),
            "widths": list(self.widths),
            "caption_units": self.caption_units,
            "caption_in_decoder": self.caption_in_decoder,
            "prefill": self.prefill,
            "contrast_normalized": self.contrast_normalized,
            "precision": self.precision,
        }

    def get_compile_config(self):
        return compile_config(self, ("g_optimizer", "d_optimizer"), reconstruction_weight=self.reconstruction_weight,
                              adversarial_weight=self.adversarial_weight, reconstruction=self.reconstruction)

    def compile_from_config(self, config):
        compile_from(self, config, ("g_optimizer", "d_optimizer"))
