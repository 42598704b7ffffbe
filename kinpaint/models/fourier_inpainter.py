"""A fully convolutional fill for pictures of any size: the harmonic fill, corrected by Fourier
convolutions that see the whole picture (after LaMa, Suvorov et al. 2022) behind gated
convolutions that know which pixels are valid (DeepFill v2, Yu et al. 2019), and optionally a
caption that scales and shifts the features of every Fourier block (FiLM, Perez et al. 2018)."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from kinpaint.inpainting import composite, hole_depth, known_contrast, known_mean_colour
from kinpaint.layers import CaptionFiLM, FourierConvolution, GatedConv2D
from kinpaint.metrics import psnr
from kinpaint.models.base import (
    InpaintingModel,
    caption_vector_input,
    nonnegative_number,
    project_caption,
)
from kinpaint.models.losses import check_finite, hole_error, replica_mean
from kinpaint.models.optimizers import build_optimizer, default_adam
from kinpaint.models.patch_discriminator import (
    AdversarialTraining,
    build_patch_discriminator,
    discriminator_loss,
    generator_adversarial_loss,
    patch_holes,
    r1_penalty,
    random_phase_crops,
)
from kinpaint.models.precision import resolve_precision
from kinpaint.models.serialization import compile_config, compile_from
from kinpaint.options import RECONSTRUCTIONS
from kinpaint.pictures import boxes_by_shape, hole_box
from kinpaint.poisson import harmonic_fill

DETAIL_CONTEXT = 32  # pixels around the holes that a two-scale fill's full-resolution pass sees
OPACITY_START_LOGIT = -6.0  # an object layer starts at sigmoid(-6), 0.25 % opacity
DISCRIMINATOR_CELL = 8  # pixels per logit of the default patch discriminator (depth 3)


def build_fourier_generator(width=32, blocks=4, downsamples=2, dtype=None, name="generator", caption_dim=None,
                            caption_units=64, object_layer=False):
    """`(B, H, W, 4)` (the contrast-normalized harmonic fill and the mask), and `(B, caption_dim)`
    caption vectors when `caption_dim` is given -> `(B, H, W, 3)` float32 correction, zero at the
    start, and with `object_layer` also `(B, H, W, 4)` float32: a colour in [-1, 1] and an
    opacity in (0, 1), 0.25 % at the start. H and W must be multiples of `2**downsamples`.

    Gated 5x5 convolution, `downsamples` strided gated convolutions doubling the width,
    `blocks` residual Fourier-convolution blocks, nearest upsampling with gated
    convolutions back to full size, a 3x3 convolution to the three channels. With captions,
    the caption is projected to `caption_units` features (dense, leaky ReLU) and a
    `CaptionFiLM` scales and shifts the channels between the two Fourier convolutions of
    every block; without, the layers and their names are those of an uncaptioned generator.
    """
    image_input = keras.Input((None, None, 4), name="prefilled")
    caption_input = caption_vector_input(caption_dim)
    caption = None if caption_input is None else project_caption(caption_input, caption_units, dtype)
    x = GatedConv2D(width, 5, dtype=dtype, name="input_gate")(image_input)
    for index in range(downsamples):
        x = GatedConv2D(width * 2 ** (index + 1), 3, strides=2, dtype=dtype, name=f"down_{index}")(x)
    features = width * 2**downsamples
    for index in range(blocks):
        y = FourierConvolution(features, dtype=dtype, name=f"fourier_{index}_a")(x)
        if caption is not None:
            y = CaptionFiLM(dtype=dtype, name=f"fourier_{index}_caption")([y, caption])
        y = FourierConvolution(features, activation=None, dtype=dtype, name=f"fourier_{index}_b")(y)
        x = layers.Add(dtype=dtype, name=f"fourier_{index}_residual")([x, y])
    for index in reversed(range(downsamples)):
        x = layers.UpSampling2D(2, dtype=dtype, name=f"up_{index}_resize")(x)
        x = GatedConv2D(width * 2**index, 3, dtype=dtype, name=f"up_{index}")(x)
    features = x
    x = layers.Conv2D(3, 3, padding="same", kernel_initializer="zeros", dtype=dtype, name="correction")(x)
    outputs = layers.Activation("linear", dtype="float32", name="fill")(x)
    if object_layer:  # a grey layer at 0.25 % opacity at first, learned from nothing
        colour = layers.Conv2D(3, 3, padding="same", activation="tanh", kernel_initializer="zeros", dtype="float32",
                               name="object_colour")(features)
        opacity = layers.Conv2D(1, 3, padding="same", activation="sigmoid", kernel_initializer="zeros",
                                bias_initializer=keras.initializers.Constant(OPACITY_START_LOGIT), dtype="float32",
                                name="object_opacity")(features)
        outputs = [outputs, layers.Concatenate(dtype="float32", name="object")([colour, opacity])]
    return keras.Model(image_input if caption_input is None else [image_input, caption_input], outputs, name=name)


@keras.saving.register_keras_serializable(package="kinpaint")
class FourierInpainter(InpaintingModel):
    """Fills holes of pictures of any size: harmonic fill plus a learned, contrast-normalized correction.

    The generator sees the harmonic fill minus the border's mean colour, divided by the
    border's contrast (`kinpaint.inpainting.known_contrast`), and its correction is scaled
    back by that contrast, as in the context encoder's photos recipe. Fully convolutional:
    `inpaint` takes pictures of any size (padded by reflection to a multiple of
    `2**downsamples`), though it trains on `image_size` crops.

    Args:
        image_size: side S of the training crops.
        width, blocks, downsamples: the generator (`build_fourier_generator`).
        caption_encoder: a kinpaint caption encoder layer; captions are then strings.
        caption_dim: size of precomputed caption vectors, used when `caption_encoder` is
            None. Neither (the default): a model that does not read captions, built exactly
            as before captions were added, so its older `.keras` files load and fill as they did.
        caption_units: features of the caption's projection, which scales and shifts every
            Fourier block (`CaptionFiLM`, starting as the identity).
        caption_dropout: fraction of training examples whose caption is hidden (a zero
            vector), so the model also fills with `captions=None`.
        caption_guidance: how far a fill with a caption goes from the fill without one
            (classifier-free guidance's form, Ho & Salimans 2022): `none + w * (caption - none)`.
            1 (the default): the captioned fill as it is; below 1 the caption's effect is
            shrunk, which helps when captions name things training never showed (a
            settable attribute: set it on a trained model, then save it).
        object_layer: the generator also paints a layer over its fill, a colour and an
            opacity per pixel: `(1 - opacity) * fill + opacity * colour`, the form of the
            `objects` oracle (`benchmarks/experiments/objects_bounds.py`). Colours are not scaled by the
            border's contrast, so a caption can say "red" whatever the scene. It starts at
            0.25 % opacity.
        coarse_side: `inpaint` fills a picture of at least twice this side whose hole is
            deeper than the training holes (`hole_depth` above `image_size // 4`, the depth
            of the centre hole) at two scales: the picture scaled down so its longer side is
            `coarse_side` sets the fill's coarse colours and shapes, and the fill at full
            resolution adds its detail above that scale (`two_scale_blend`), from a crop of
            the picture's holes' box and `DETAIL_CONTEXT` pixels around it. Shallower
            holes, such as strokes, are filled at full resolution only, as are all holes
            with None (the default).
        adversarial: an `AdversarialTraining` (or its config; None, the default: none): a
            patch discriminator learns to tell the hole's patches from real ones, and the
            generator is also rewarded for fooling it, so it paints texture where the hole
            loss alone paints the mean. A training setting: the discriminator is saved for
            `--resume`, and `ship` leaves it out.
        adversarial_weight, discriminator_stem, discriminator_shift, r1_weight: the fields
            of `adversarial` as flat arguments (`AdversarialTraining.flat`), as older code,
            older saved files and `kinpaint train fourier`'s flags give them; each that is
            not None replaces its field of `adversarial`.
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.
        mask_kind: the holes drawn when `fit` gets images without masks.

    Call: `{"image": (B, H, W, 3) in [-1, 1], "mask": (B, H, W, 1), "caption": (B,) or (B, D)}`
    -> the composite (the caption is optional; a model without captions ignores it).

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
    inpaint_batch_size = 16  # pictures of any size: fewer at once

    def __init__(self, image_size=64, width=32, blocks=4, downsamples=2, caption_encoder=None, caption_dim=None,
                 caption_units=64, caption_dropout=0.1, object_layer=False, coarse_side=None, precision="auto",
                 caption_guidance=1.0, adversarial=None, adversarial_weight=None, discriminator_stem=None,
                 discriminator_shift=None, r1_weight=None, **kwargs):
        super().__init__(image_size, caption_encoder, caption_dim, caption_dropout, **kwargs)
        self.width, self.blocks, self.downsamples = int(width), int(blocks), int(downsamples)
        if self.image_size % 2**self.downsamples:
            raise ValueError(f"image_size {self.image_size} is not divisible by 2^{self.downsamples}")
        self.caption_units = int(caption_units)
        if self.caption_units < 1:
            raise ValueError(f"caption_units must be at least 1, got {caption_units!r}")
        self.object_layer = bool(object_layer)
        if coarse_side is not None and not (isinstance(coarse_side, int) and coarse_side >= 8):
            raise ValueError(f"coarse_side must be None or a whole number of pixels, at least 8; got {coarse_side!r}")
        self.coarse_side = coarse_side
        self.precision = precision
        self.adversarial = AdversarialTraining.of(adversarial, adversarial_weight=adversarial_weight,
                                                  discriminator_stem=discriminator_stem,
                                                  discriminator_shift=discriminator_shift, r1_weight=r1_weight)
        self.generator = build_fourier_generator(self.width, self.blocks, self.downsamples,
                                                 resolve_precision(precision), caption_dim=self.caption_dim,
                                                 caption_units=self.caption_units, object_layer=self.object_layer)
        self.discriminator = None
        if self.adversarial.enabled:
            self.discriminator = build_patch_discriminator(stem=self.adversarial.discriminator_stem,
                                                           dtype=resolve_precision(precision))
        names = ("reconstruction_loss", "hole_psnr")
        if self.discriminator is not None:
            names += ("adversarial_loss", "d_loss")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self._inpaint_function = None
        self.reconstruction = None  # set by compile
        self.d_optimizer = None  # set by compile when there is a discriminator
        self.caption_guidance = caption_guidance
        self.built = True

    @property
    def caption_guidance(self):
        """How far a captioned fill goes from the fill without a caption (see the class doc);
        `inpaint` and `predict` use it, while `fit`'s validation and `evaluate` measure w = 1."""
        return self._caption_guidance

    @caption_guidance.setter
    def caption_guidance(self, value):
        if not nonnegative_number(value):
            raise ValueError(f"caption_guidance must be a finite number at least 0, got {value!r}")
        if value != 1 and not self.conditioned:
            raise ValueError(f"caption_guidance={value!r} needs a model that reads captions")
        self._caption_guidance = float(value)
        self._inpaint_function = self.predict_function = None  # traced with the old value

    def _step_counter(self):
        return self.optimizer.iterations

    def _generate(self, images, masks, vectors=None, training=False):
        """The fill of every pixel; `vectors` `(B, caption_dim)` (None: no caption, as zeros)."""
        start = harmonic_fill(images, masks)
        scale = known_contrast(images, masks)
        seen = ops.concatenate([(start - known_mean_colour(images, masks)) / scale, masks], axis=-1)
        if self.conditioned:
            if vectors is None:
                vectors = ops.zeros((ops.shape(images)[0], self.caption_dim), "float32")
            seen = [seen, vectors]
        outputs = self.generator(seen, training=training)
        correction, painted = outputs if self.object_layer else (outputs, None)  # painted: (B, H, W, 4)
        fill = ops.clip(start + correction * scale, -1.0, 1.0)
        if painted is None:
            return fill
        opacity = painted[..., 3:]
        return (1.0 - opacity) * fill + opacity * painted[..., :3]

    def call(self, inputs, training=False):
        images, masks, captions = self._unpack(inputs)
        vectors = self.caption_vectors(captions, ops.shape(images)[0], training)
        fills = self._generate(images, masks, vectors, training)
        if vectors is not None and captions is not None and not training and self.caption_guidance != 1:
            plain = self._generate(images, masks, None, training)
            fills = ops.clip(plain + self.caption_guidance * (fills - plain), -1.0, 1.0)
        return composite(images, masks, fills)

    def compile(self, optimizer=None, reconstruction="log_l2", d_optimizer=None, **kwargs):
        """Adam (1e-3, clipnorm 1) unless given; the hole loss `reconstruction` (see `losses.hole_error`).
        With a discriminator (`adversarial` weight above 0), `d_optimizer` trains it: Adam
        (2e-4, beta_1 0.5, clipnorm 1) unless given; without, `d_optimizer` is refused."""
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTIONS}, got {reconstruction!r}")
        super().compile(optimizer=None, **kwargs)
        self.optimizer = build_optimizer(optimizer or keras.optimizers.Adam(1e-3, clipnorm=1.0),
                                         self.generator_variables)
        if self.discriminator is not None:
            self.d_optimizer = build_optimizer(d_optimizer or default_adam(), self.discriminator.trainable_variables)
        elif d_optimizer is not None:
            raise ValueError("d_optimizer trains a discriminator, and this model has none: adversarial_weight is 0")
        self.reconstruction = reconstruction

    def train_step(self, data):
        images, masks, captions = self._unpack(data)
        with tf.GradientTape() as tape, tf.GradientTape() as d_tape:
            vectors = self.caption_vectors(captions, ops.shape(images)[0], training=True)
            fills = self._generate(images, masks, vectors, training=True)
            reconstruction = hole_error(images, fills, masks, self.reconstruction)
            per_example = reconstruction
            filled = composite(images, masks, fills)
            if self.discriminator is not None:
                real_images, fake_images, d_masks = images, filled, masks
                if self.adversarial.discriminator_shift:
                    seed = tf.stack([tf.constant(8, tf.int64), tf.cast(self._step_counter(), tf.int64)])
                    real_images, fake_images, d_masks = random_phase_crops([images, filled, masks],
                                                                           DISCRIMINATOR_CELL, seed)
                real = self.discriminator(real_images, training=True)
                fake = self.discriminator(fake_images, training=True)
                holes = patch_holes(d_masks, fake)
                adversarial = generator_adversarial_loss(fake, holes)
                per_example = reconstruction + self.adversarial.weight * adversarial
                d_per_example = discriminator_loss(real, fake, holes)
                if self.adversarial.r1_weight:
                    r1 = r1_penalty(self.discriminator, real_images)
                    d_per_example = d_per_example + self.adversarial.r1_weight * r1
                d_loss, d_logged = replica_mean(d_per_example)
            loss, logged = replica_mean(per_example)
        name = "reconstruction loss" if self.discriminator is None else "generator loss"
        with tf.control_dependencies([check_finite(name, logged)]):
            variables = self.generator_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if self.discriminator is not None:
            with tf.control_dependencies([check_finite("discriminator loss", d_logged)]):
                variables = self.discriminator.trainable_variables
                self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, variables), variables))
            self.trackers["adversarial_loss"].update_state(adversarial)
            self.trackers["d_loss"].update_state(d_logged)
        self.trackers["reconstruction_loss"].update_state(reconstruction)
        self.trackers["hole_psnr"].update_state(psnr(images, filled, masks))
        return self._results()

    def test_step(self, data):
        return self.hole_test_step(data)

    # Fills: `InpaintingModel.inpaint` checks the inputs; these fill them.

    def _fill(self, images, masks, captions, batch_size):
        """The fills of checked pictures of any size, at their own size (`_fill_at_own_size`);
        with `coarse_side`, a big picture's deep holes also at a coarse scale, the two blended.
        Where the coarse fill sets the coarse scale, the fill at full resolution only adds
        detail, and sees only its picture's holes' box and `DETAIL_CONTEXT` pixels around it."""
        deep, small_images, small_masks = self._two_scale_pictures(images, masks)
        if not deep.any():
            return self._fill_at_own_size(images, masks, captions, batch_size)
        filled = np.empty_like(images)
        if not deep.all():
            filled[~deep] = self._fill_at_own_size(images[~deep], masks[~deep], _subset(captions, ~deep), batch_size)
        images, masks, captions = images[deep], masks[deep], _subset(captions, deep)
        coarse = self._fill_at_own_size(small_images[deep], small_masks[deep], captions, batch_size)
        filled[deep] = two_scale_blend(self._detail(images, masks, captions, batch_size), coarse, images, masks)
        return filled

    def _detail(self, images, masks, captions, batch_size):
        """`_fill_at_own_size` of each picture's holes' box and `DETAIL_CONTEXT` pixels around it,
        pasted into the picture; pictures whose boxes have one shape are filled in one batch."""
        step = 2**self.downsamples
        boxes = {index: hole_box(mask[..., 0] >= 0.5, DETAIL_CONTEXT, step) for index, mask in enumerate(masks)}
        detail = images.copy()
        for group in boxes_by_shape(boxes).values():
            crops = [(slice(top, bottom), slice(left, right)) for top, left, bottom, right in map(boxes.get, group)]
            fills = self._fill_at_own_size(np.stack([images[index][crop] for index, crop in zip(group, crops)]),
                                           np.stack([masks[index][crop] for index, crop in zip(group, crops)]),
                                           _subset(captions, np.isin(np.arange(len(images)), group)), batch_size)
            for index, crop, fill in zip(group, crops, fills):
                detail[index][crop] = fill
        return detail

    def _two_scale_pictures(self, images, masks):
        """`(deep, small_images, small_masks)`: which pictures `(B,)` `_fill` fills at two scales
        (see `coarse_side`), and every picture scaled down so its longer side is `coarse_side`
        (None where no picture is)."""
        height, width = images.shape[1:3]
        if self.coarse_side is None or max(height, width) < 2 * self.coarse_side or not len(images):
            return np.zeros(len(images), bool), None, None
        ratio = self.coarse_side / max(height, width)
        small_images, small_masks = scaled_down(images, masks, (max(1, round(height * ratio)),
                                                                max(1, round(width * ratio))))
        usable = small_masks.reshape(len(images), -1).max(axis=1) > 0  # some known pixel left at the coarse scale
        deepest = self.image_size // 4
        return usable & (hole_depth(masks, at_most=deepest + 1) > deepest), small_images, small_masks

    def _fill_at_own_size(self, images, masks, captions, batch_size):
        """The model's fills at the pictures' own size: each batch padded to a multiple of
        `2**downsamples` (by reflection; `"edge"` when the shorter side is that or less), filled,
        cropped back."""
        function, step = self._inference_function(), 2**self.downsamples
        height, width = images.shape[1:3]
        pad = ((0, 0), (0, -height % step), (0, -width % step), (0, 0))
        mode = "reflect" if min(height, width) > step else "edge"

        def fill(inputs):
            padded = {**inputs, "image": np.pad(inputs["image"], pad, mode=mode),
                      "mask": np.pad(inputs["mask"], pad, mode=mode)}
            return np.asarray(function(padded))[:, :height, :width]

        return self._batches(fill, images, masks, captions, batch_size)

    def export_function(self, size=None):
        """The fill as one TensorFlow function of `image, mask` (see `InpaintingModel`): the
        picture padded as `inpaint` pads it, filled, cropped back. A model that reads captions
        is refused: its graph would ignore them."""
        if self.conditioned:
            raise ValueError("cannot export a FourierInpainter that reads caption vectors yet: its graph would "
                             "ignore them; export a ContextEncoder for captions, or a FourierInpainter without")
        step = 2**self.downsamples

        def fill(image, mask):
            image = tf.where(mask >= 0.5, image, tf.zeros_like(image))  # the hole's content is ignored
            rows, columns = padding_indices(image, 1, step), padding_indices(image, 2, step)
            padded_image = tf.gather(tf.gather(image, rows, axis=1), columns, axis=2)
            padded_mask = tf.gather(tf.gather(mask, rows, axis=1), columns, axis=2)
            fills = self._generate(padded_image, padded_mask, training=False)  # (B, H', W', 3), H' >= H
            return composite(image, mask, fills[:, : tf.shape(image)[1], : tf.shape(image)[2]])

        return fill, self.export_signature(size)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "blocks": self.blocks, "downsamples": self.downsamples,
                "caption_units": self.caption_units, "object_layer": self.object_layer, "coarse_side": self.coarse_side,
                "precision": self.precision, "caption_guidance": self.caption_guidance,
                "adversarial": self.adversarial.get_config()}

    @classmethod
    def from_config(cls, config):
        """Also reads older configs: flat adversarial settings, and a `feature_matching_weight`
        of 0 (the option was removed after kinpaint 0.1.0; its figures are in docs/pretrained.md)."""
        config = dict(config)
        matching = config.pop("feature_matching_weight", 0.0)
        if matching:
            raise ValueError(f"this model was saved with feature_matching_weight={matching!r}, an option removed after "
                             "kinpaint 0.1.0: it was measured on val and not kept (docs/pretrained.md, 'Feature "
                             "matching'); load it with kinpaint 0.1.0 as of commit 206bc77, or retrain without it")
        return super().from_config(config)

    def _optimizer_names(self):
        return ("optimizer",) if self.discriminator is None else ("optimizer", "d_optimizer")

    def get_compile_config(self):
        return compile_config(self, self._optimizer_names(), reconstruction=self.reconstruction)

    def compile_from_config(self, config):
        compile_from(self, config, self._optimizer_names())


def _subset(captions, which):
    """The captions (a tensor, an array or None) of the pictures where `which` `(B,)` is true."""
    return None if captions is None else tf.boolean_mask(captions, which)


def padding_indices(image, axis, step):
    """Indices that pad `image`'s `axis` to a multiple of `step` as `FourierInpainter.inpaint`
    pads: `np.pad(mode="reflect")`, or `"edge"` when the picture's shorter side is `step` or less."""
    if None not in image.shape[1:3]:  # a fixed size: constant indices
        side = image.shape[axis]
        indices = np.arange(side + (-side % step))
        mirrored = np.where(indices < side, indices, 2 * (side - 1) - indices)
        reflect = min(image.shape[1:3]) > step
        return tf.constant(mirrored if reflect else np.minimum(indices, side - 1), tf.int32)
    side = tf.shape(image)[axis]
    indices = tf.range(side + (step - side % step) % step)  # not floormod(-side, step): tf2onnx rounds it towards 0
    mirrored = tf.where(indices < side, indices, 2 * (side - 1) - indices)
    return tf.where(tf.reduce_min(tf.shape(image)[1:3]) > step, mirrored, tf.minimum(indices, side - 1))


def scaled_down(images, masks, size):
    """Pictures `(B, H, W, 3)` and masks `(B, H, W, 1)` averaged down to `size` `(h, w)`; a
    pixel there is known only if every pixel it covers is known. NumPy in and out."""
    small = tf.image.resize(images, size, method="area").numpy()
    covered = tf.image.resize(masks, size, method="area").numpy()
    return small, (covered >= 1.0 - 1e-6).astype(np.float32)


def two_scale_blend(full, coarse, images, masks):
    """A fill's coarse scale from `coarse` and its detail from `full`, known pixels kept.

    `full` `(B, H, W, 3)` is filled at full resolution and `coarse` `(B, h, w, 3)` at a
    smaller size; the result is `full` with its own content below the coarse scale (it
    scaled down to `(h, w)` and back up) replaced by `coarse` scaled up: a Laplacian
    pyramid of two levels, in [-1, 1].
    """
    size = full.shape[1:3]
    base = tf.image.resize(tf.image.resize(full, coarse.shape[1:3], method="area"), size, method="bicubic")
    blended = np.clip(full + tf.image.resize(coarse, size, method="bicubic").numpy() - base.numpy(), -1.0, 1.0)
    return np.where(masks >= 0.5, images, blended).astype(np.float32)
