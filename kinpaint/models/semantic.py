"""Semantic inpainting (Yeh et al. 2017): search the GAN's latent space for the code that fits the border."""

import numpy as np
import tensorflow as tf

from kinpaint.captions.batches import caption_batch, caption_vectors
from kinpaint.inpainting import composite, fill_inputs
from kinpaint.poisson import poisson_blend

CONTEXTUAL = ("l1", "l2")


def contextual_weights(masks, window=7, weighted=True):
    """Yeh et al.'s importance weights `(B, H, W, 1)`: known pixels weighted by the hole around them.

    A known pixel's weight is the fraction of hole pixels in the `window` x `window`
    square around it; hole pixels weigh 0. `weighted=False` gives the plain mask.
    """
    masks = tf.convert_to_tensor(masks, tf.float32)
    if not weighted:
        return masks
    kernel = tf.ones((window, window, 1, 1), tf.float32) / float(window * window)
    hole_fraction = tf.nn.conv2d(1.0 - masks, kernel, strides=1, padding="SAME")
    return masks * hole_fraction


def adam_update(value, gradient, first, second, step, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam step on plain tensors, the formula of `keras.optimizers.Adam`; `step` counts from 1."""
    first = first + (gradient - first) * (1 - beta_1)
    second = second + (tf.square(gradient) - second) * (1 - beta_2)
    rate = learning_rate * tf.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    return value - rate * first / (tf.sqrt(second) + epsilon), first, second


class SemanticInpainter:
    """Fill holes with `G(z)` for the z that best explains the known pixels (Yeh et al. 2017).

    For images y, masks M and captions c, minimises over z, per image and restart,
    `contextual(z) + perceptual_weight * perceptual(z)`, where contextual is the l1 (or l2)
    distance between `W * G(z, c)` and `W * y` (W: the mask, or Yeh's weights by nearness
    to the hole), summed over pixels, and perceptual is `log(1 - D(G(z, c)))`. The caption
    is held fixed; only z moves (Adam). All images and restarts are optimised together in
    one compiled graph; each restart stops once the l1 norm of its gradient falls under
    `tolerance`, or after `steps`. The restart with the lowest loss wins.

    Args:
        generator: a Keras model `[z]` or `[z, caption vector]` -> images in [-1, 1].
        discriminator: a Keras model `[image]` or `[image, caption vector]` -> logits.
        caption_encoder: turns caption strings into the vectors both networks take.
        restarts: z's tried per image (seed 000 used several).
        steps: the step budget.
        learning_rate: Adam's step size on z.
        perceptual_weight: lambda (Yeh et al.: 0.003 with summed contextual loss).
        contextual: `"l1"` (Yeh) or `"l2"`.
        weighted: Yeh's weighted contextual loss; else every known pixel counts alike.
        tolerance: gradient l1 norm under which a restart stops (seed 001: 1e-4); 0 never stops early.
        blend: Poisson-blend the fill into the image.
        seed: seed of the initial z's.

    Example:

    >>> import numpy as np
    >>> from kinpaint.models import DCGAN
    >>> gan = DCGAN(image_size=16, noise_dim=8, generator_widths=(16, 8), precision="float32")
    >>> search = SemanticInpainter(gan.generator, gan.discriminator, restarts=2, steps=3)
    >>> images = np.zeros((1, 16, 16, 3), "float32")
    >>> masks = np.ones((1, 16, 16, 1), "float32")
    >>> masks[:, 4:12, 4:12] = 0
    >>> filled, found = search.inpaint(images, masks, return_all=True)
    >>> filled.shape, found["generated"].shape
    ((1, 16, 16, 3), (1, 2, 16, 16, 3))
    """

    def __init__(self, generator, discriminator=None, caption_encoder=None, restarts=8, steps=500,
                 learning_rate=0.03, perceptual_weight=0.003, contextual="l1", weighted=True, tolerance=1e-4,
                 blend=True, seed=0):
        if contextual not in CONTEXTUAL:
            raise ValueError(f"contextual must be one of {CONTEXTUAL}, got {contextual!r}")
        if int(restarts) < 1 or int(steps) < 0:
            raise ValueError(f"restarts must be at least 1 and steps at least 0; got {restarts} and {steps}")
        self.generator, self.discriminator, self.caption_encoder = generator, discriminator, caption_encoder
        self.noise_dim = int(generator.inputs[0].shape[-1])
        self.caption_dim = int(generator.inputs[1].shape[-1]) if len(generator.inputs) > 1 else None
        self.restarts, self.steps = int(restarts), int(steps)
        self.learning_rate, self.perceptual_weight = float(learning_rate), float(perceptual_weight)
        self.contextual, self.weighted, self.tolerance = contextual, bool(weighted), float(tolerance)
        self.blend, self.seed = bool(blend), int(seed)
        self._search = tf.function(self._search_graph, reduce_retracing=True)

    # The losses, per row of z.

    def _with_caption(self, model, tensor, vectors):
        return model([tensor, vectors] if len(model.inputs) > 1 else [tensor], training=False)

    def losses(self, z, images, weights, vectors):
        """`(contextual, perceptual)`, each `(N,)`, for codes z `(N, noise_dim)` and their targets."""
        generated = tf.cast(self._with_caption(self.generator, z, vectors), tf.float32)
        difference = weights * (generated - images)
        distance = tf.abs(difference) if self.contextual == "l1" else tf.square(difference)
        contextual = tf.reduce_sum(distance, axis=(1, 2, 3))
        if self.discriminator is None or self.perceptual_weight == 0:
            return contextual, tf.zeros_like(contextual)
        logits = tf.reshape(tf.cast(self._with_caption(self.discriminator, generated, vectors), tf.float32), (-1,))
        return contextual, -tf.nn.softplus(logits)  # log(1 - sigmoid(logits))

    def total_and_gradient(self, z, images, weights, vectors):
        """`(total, contextual, perceptual, gradient of total with respect to z)`, one row per z."""
        with tf.GradientTape() as tape:
            tape.watch(z)
            contextual, perceptual = self.losses(z, images, weights, vectors)
            total = contextual + self.perceptual_weight * perceptual
            summed = tf.reduce_sum(total)  # rows are independent: each z gets its own row's gradient
        return total, contextual, perceptual, tape.gradient(summed, z)

    def _search_graph(self, z, images, weights, vectors):
        first, second = tf.zeros_like(z), tf.zeros_like(z)
        active = tf.ones((tf.shape(z)[0], 1), tf.bool)

        def not_done(step, z, first, second, active):
            return tf.logical_and(step < self.steps, tf.reduce_any(active))

        def iterate(step, z, first, second, active):
            _, _, _, gradient = self.total_and_gradient(z, images, weights, vectors)
            active = tf.logical_and(active, tf.reduce_sum(tf.abs(gradient), axis=1, keepdims=True) >= self.tolerance)
            moved, new_first, new_second = adam_update(z, gradient, first, second, tf.cast(step + 1, tf.float32),
                                                       self.learning_rate)
            return (step + 1, tf.where(active, moved, z), tf.where(active, new_first, first),
                    tf.where(active, new_second, second), active)

        steps, z, _, _, _ = tf.while_loop(not_done, iterate, (tf.constant(0), z, first, second, active))
        total, contextual, perceptual, _ = self.total_and_gradient(z, images, weights, vectors)
        return z, total, contextual, perceptual, steps

    # The public call.

    def initial_codes(self, count):
        """The `(count * restarts, noise_dim)` starting z's: N(0, I) from `seed`."""
        return np.random.default_rng(self.seed).standard_normal((count * self.restarts, self.noise_dim)).astype(np.float32)

    def caption_vectors(self, captions, count):
        """`(count, caption_dim)` NumPy vectors of the captions (zeros for None); None unconditioned."""
        if self.caption_dim is None:
            return None
        if captions is not None:
            captions = caption_batch(captions, text=self.caption_encoder is not None)
        return np.asarray(caption_vectors(captions, count, self.caption_dim, self.caption_encoder,
                                          owner="SemanticInpainter"))

    def search(self, images, masks, captions=None, initial_codes=None):
        """Run the latent search; returns a dict of NumPy arrays.

        `"z"` `(B, restarts, noise_dim)`, `"generated"` `(B, restarts, H, W, 3)`, the
        losses `"total"`, `"contextual"`, `"perceptual"` `(B, restarts)`, `"best"` `(B,)`
        the winning restart per image, and `"steps"` taken.
        """
        images, masks = fill_inputs(images, masks, "SemanticInpainter", tuple(self.generator.outputs[0].shape[1:3]))
        count, restarts = len(images), self.restarts
        z = self.initial_codes(count) if initial_codes is None else np.asarray(initial_codes, np.float32).reshape(
            count * restarts, self.noise_dim)
        repeat = lambda values: None if values is None else np.repeat(values, restarts, axis=0)  # noqa: E731
        weights = contextual_weights(masks, weighted=self.weighted)
        vectors = repeat(self.caption_vectors(captions, count))
        vectors = None if vectors is None else tf.constant(vectors)
        z, total, contextual, perceptual, steps = self._search(
            tf.constant(z), tf.constant(repeat(images)), tf.constant(repeat(np.asarray(weights))),
            vectors)
        generated = np.asarray(self._with_caption(self.generator, z, vectors), np.float32)
        shaped = lambda values: np.asarray(values).reshape(count, restarts, *np.shape(values)[1:])  # noqa: E731
        total = shaped(total)
        return {"z": shaped(z), "generated": shaped(generated), "total": total, "contextual": shaped(contextual),
                "perceptual": shaped(perceptual), "best": np.argmin(total, axis=1), "steps": int(steps)}

    def inpaint(self, images, masks, captions=None, return_all=False):
        """Fill the holes with the best restart's `G(z)` (Poisson-blended if `blend`).

        Returns the composite `M * y + (1 - M) * fill` `(B, H, W, 3)`; with `return_all`,
        `(composite, search results)` where every restart's image is in `["generated"]`.
        """
        found = self.search(images, masks, captions)
        filled = self.compose(images, masks, found)
        return (filled, found) if return_all else filled

    def compose(self, images, masks, found, blend=None):
        """The composite of `search`'s best restarts, Poisson-blended if `blend` (default: `self.blend`)."""
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        fills = found["generated"][np.arange(len(images)), found["best"]]
        if self.blend if blend is None else blend:
            return poisson_blend(images, masks, fills)
        return np.asarray(composite(images, masks, fills))
