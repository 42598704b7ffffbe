"""A patch discriminator and its mask-aware losses: the adversarial term that rewards fills
with the texture of real pictures rather than their mean (PatchGAN, Isola et al. 2017, as
LaMa uses it, Suvorov et al. 2022: patches of the hole are fake, known patches real)."""

import keras
import tensorflow as tf
from keras import layers, ops


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


def patch_features(discriminator, images):
    """The activations of every hidden layer of a `build_patch_discriminator` model, then its
    logits: `(B, H, W, 3)` -> a list of `(B, h_i, w_i, C_i)` tensors, from one pass."""
    outputs, x = [], images
    for layer in discriminator.layers[1:]:
        x = layer(x, training=True)
        if isinstance(layer, layers.LeakyReLU):
            outputs.append(x)
    return outputs + [x]


def feature_matching_loss(fake_features, real_features, masks):
    """Per-example `(B,)` feature matching (pix2pixHD, Wang et al. 2018; LaMa): the mean over
    the discriminator's hidden layers of the L1 distance between a filled picture's features
    and its true picture's, over the hole (each position weighed by its hole share); the
    true picture's features are constants, so only the generator learns from it."""
    distances = []
    for fake, real in zip(fake_features, real_features):
        error = ops.mean(ops.abs(ops.cast(fake, "float32") - ops.cast(ops.stop_gradient(real), "float32")),
                         axis=-1, keepdims=True)
        distances.append(_hole_mean(error, patch_holes(masks, fake)))
    return ops.mean(ops.stack(distances), axis=0)


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
