"""A patch discriminator and its mask-aware losses: the adversarial term that rewards fills
with the texture of real pictures rather than their mean (PatchGAN, Isola et al. 2017, as
LaMa uses it, Suvorov et al. 2022: patches of the hole are fake, known patches real)."""

import dataclasses

import keras
import tensorflow as tf
from keras import layers, ops

from kinpaint.models.base import nonnegative_number

# The flat constructor arguments of a `FourierInpainter` (and the `kinpaint train fourier`
# flags' settings) that older code and older saved files use, and the field each sets.
FLAT_ADVERSARIAL_NAMES = {"adversarial_weight": "weight", "discriminator_stem": "discriminator_stem",
                          "discriminator_shift": "discriminator_shift", "r1_weight": "r1_weight"}


@keras.saving.register_keras_serializable(package="kinpaint")
@dataclasses.dataclass(frozen=True)
class AdversarialTraining:
    """How a `FourierInpainter` trains against a patch discriminator: one training setting,
    which leaves the fill's weights as they are (`ship` resets it, `--init` starts it fresh).

    Args:
        weight: weight of the adversarial term in the generator's loss (0, the default:
            none, and no discriminator): a patch discriminator (`build_patch_discriminator`)
            learns to tell the hole's patches from real ones, and the generator is also
            rewarded for fooling it (`generator_adversarial_loss`).
        discriminator_stem: the discriminator starts with a full-resolution convolution
            (`build_patch_discriminator(stem=True)`).
        discriminator_shift: the discriminator sees real and filled pictures cropped at the
            same random offset each step (`random_phase_crops`, one cell smaller), so its
            stride grid meets them at a new phase.
        r1_weight: weight of the R1 penalty on real pictures in the discriminator's loss
            (`r1_penalty`; 0, the default: none).

    The last three need a discriminator (`weight` above 0). Errors name the flat arguments
    (`adversarial_weight`, ...), which `FourierInpainter` and `kinpaint train fourier` take too.

    >>> AdversarialTraining(weight=0.3, discriminator_shift=True).flat()["adversarial_weight"]
    0.3
    >>> AdversarialTraining.from_config(AdversarialTraining(weight=1.0, r1_weight=0.01).get_config()).r1_weight
    0.01
    """

    weight: float = 0.0
    discriminator_stem: bool = False
    discriminator_shift: bool = False
    r1_weight: float = 0.0

    def __post_init__(self):
        for name in ("weight", "r1_weight"):
            value = getattr(self, name)
            if not nonnegative_number(value):
                raise ValueError(f"{_flat_name(name)} must be a finite number at least 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in ("discriminator_stem", "discriminator_shift"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        for name in ("discriminator_stem", "discriminator_shift", "r1_weight"):
            value = getattr(self, name)
            if value and not self.weight:
                raise ValueError(f"{_flat_name(name)}={value} needs a discriminator: adversarial_weight above 0")

    @property
    def enabled(self):
        """True when there is a discriminator to train (`weight` above 0)."""
        return self.weight > 0

    @classmethod
    def of(cls, value=None, **flat):
        """The setting from `value` (an `AdversarialTraining`, its `get_config()` dict, or None
        for none), with the flat arguments in `flat` (`adversarial_weight=...`, see
        `FLAT_ADVERSARIAL_NAMES`) that are not None replacing the fields they name."""
        if value is None:
            value = cls()
        elif isinstance(value, dict):
            value = cls.from_config(value)
        elif not isinstance(value, cls):
            raise TypeError(f"adversarial must be an AdversarialTraining, its config or None, got "
                            f"{type(value).__name__}")
        unknown = sorted(set(flat) - set(FLAT_ADVERSARIAL_NAMES))
        if unknown:
            raise TypeError(f"unknown adversarial settings {unknown}; the flat ones are {list(FLAT_ADVERSARIAL_NAMES)}")
        given = {FLAT_ADVERSARIAL_NAMES[name]: setting for name, setting in flat.items() if setting is not None}
        return dataclasses.replace(value, **given) if given else value

    def flat(self):
        """The setting as the flat arguments: `{"adversarial_weight": ..., ...}`."""
        return {name: getattr(self, field) for name, field in FLAT_ADVERSARIAL_NAMES.items()}

    def get_config(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _flat_name(field):
    return next(name for name, value in FLAT_ADVERSARIAL_NAMES.items() if value == field)


def build_patch_discriminator(width=32, depth=3, stem=False, dtype=None, name="discriminator"):
    """`(B, H, W, 3)` pictures in [-1, 1] -> `(B, H / 2^depth, W / 2^depth, 1)` float32 logits,
    one per `2^depth`-pixel cell, for any H and W; each sees a window around its cell (54
    pixels wide at depth 3, 56 with the stem), and `patch_holes` labels it by its cell.

    `depth` strided 4x4 convolutions doubling `width` (at most 8x), leaky ReLU, then a 3x3
    convolution and a 3x3 logit. With `stem`, a 3x3 convolution at full resolution comes
    first, so patterns of a few pixels' period are seen before any stride can alias them.
    No normalization, so a logit depends on its window only, not on the rest of the batch.
    """
    image_input = keras.Input((None, None, 3), name="image")
    x = image_input
    if stem:
        x = layers.Conv2D(width, 3, padding="same", dtype=dtype, name="patch_stem")(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    for index in range(depth):
        x = layers.Conv2D(width * 2 ** min(index, 3), 4, strides=2, padding="same", dtype=dtype,
                          name=f"patch_down_{index}")(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    x = layers.Conv2D(width * 2 ** min(depth, 3), 3, padding="same", dtype=dtype, name="patch_features")(x)
    x = layers.LeakyReLU(0.2, dtype=dtype)(x)
    logits = layers.Conv2D(1, 3, padding="same", dtype="float32", name="patch_logit")(x)
    return keras.Model(image_input, logits, name=name)


def random_phase_crops(tensors, cell, seed):
    """The same random crop of each `(B, H, W, C)` tensor, `cell` pixels smaller in H and W, at
    an offset in [0, cell] drawn from the stateless `seed` `(2,)`: the discriminator's stride
    grid falls on the pictures at a new phase each step, so a pattern in step with that grid
    cannot fool it (the translation of DiffAugment, Zhao et al. 2020)."""
    offset = tf.random.stateless_uniform((2,), seed, 0, cell + 1, tf.int32)
    height, width = ops.shape(tensors[0])[1] - cell, ops.shape(tensors[0])[2] - cell
    return [tf.image.crop_to_bounding_box(tensor, offset[0], offset[1], height, width) for tensor in tensors]


def r1_penalty(discriminator, images):
    """Per-example `(B,)` R1 penalty (Mescheder et al. 2018, as LaMa uses it): the squared norm
    of the gradient of a real picture's summed logits with respect to its pixels, `images`
    `(B, H, W, 3)`. Keeps the discriminator smooth around real pictures, so it cannot learn
    them by heart; call it inside the discriminator's gradient tape."""
    images = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        summed = ops.sum(discriminator(images, training=True))
    gradients = tape.gradient(summed, images)
    return ops.sum(ops.square(ops.cast(gradients, "float32")), axis=(1, 2, 3))


def patch_holes(masks, logits):
    """The hole's share of each patch: masks `(B, H, W, 1)` (1 = known) -> `(B, h, w, 1)` in
    [0, 1] at the logits' resolution (area average)."""
    size = ops.shape(logits)[1:3]
    return ops.image.resize(1.0 - ops.cast(masks, "float32"), size, interpolation="area")


def discriminator_loss(real_logits, fake_logits, holes):
    """Per-example `(B,)` non-saturating loss: real pictures' patches, and a filled picture's
    known patches (weighed by `1 - holes`), are real; its hole patches (weighed by their
    hole share `holes`) are fake. Fake patches weigh as much as all real ones together,
    however small the hole, so the discriminator cannot win by calling every patch real."""
    known = 1.0 - holes
    patches = ops.cast(ops.prod(ops.shape(real_logits)[1:]), "float32")
    real = (ops.sum(ops.softplus(-real_logits), axis=(1, 2, 3))
            + ops.sum(known * ops.softplus(-fake_logits), axis=(1, 2, 3))) / (patches + ops.sum(known, axis=(1, 2, 3)))
    return real + _hole_mean(ops.softplus(fake_logits), holes)


def generator_adversarial_loss(fake_logits, holes):
    """Per-example `(B,)` non-saturating loss of the fill: its hole patches should look real
    (the mean of softplus(-logit) weighted by hole share; 0 without a hole)."""
    return _hole_mean(ops.softplus(-fake_logits), holes)


def _hole_mean(values, holes):
    """Per-example `(B,)` mean of `values` `(B, h, w, 1)` weighted by `holes`; 0 without a hole."""
    return ops.sum(holes * values, axis=(1, 2, 3)) / ops.maximum(ops.sum(holes, axis=(1, 2, 3)), 1e-6)
