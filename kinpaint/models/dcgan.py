"""Caption-conditioned DCGAN (seeds 000-002; Radford et al. 2015)."""

import keras
import tensorflow as tf
from keras import layers, ops

from kinpaint.captions.batches import caption_batch
from kinpaint.layers import FusedBatchNormalization
from kinpaint.models.base import InpaintingModel, caption_vector_input, project_caption
from kinpaint.models.context_encoder import discriminator_features
from kinpaint.models.losses import binary_cross_entropy, check_finite, replica_mean
from kinpaint.models.optimizers import build_optimizer, default_adam
from kinpaint.models.precision import resolve_precision
from kinpaint.models.serialization import compile_config, compile_from
from kinpaint.options import DCGAN_CONDITIONS


def build_dcgan_generator(image_size=64, noise_dim=100, widths=(256, 128, 64, 32), caption_dim=None,
                          caption_units=64, dtype=None, name="generator"):
    """Noise `(B, noise_dim)` [and caption `(B, caption_dim)`] -> images `(B, S, S, 3)` in [-1, 1].

    A dense layer to `(S / 2^n) x (S / 2^n) x widths[0]`, then one 5x5 transposed
    convolution per width after the first, and a last one to 3 channels: n = len(widths).
    Batch norm and ReLU after every layer but the last (tanh).
    """
    start = image_size // 2 ** len(widths)
    noise = keras.Input((noise_dim,), name="noise")
    inputs, x = [noise], noise
    caption = caption_vector_input(caption_dim)
    if caption is not None:
        inputs.append(caption)
        x = layers.Concatenate(dtype=dtype)([noise, project_caption(caption, caption_units, dtype)])
    x = layers.Dense(start * start * widths[0], use_bias=False, dtype=dtype, name="project")(x)
    x = layers.Reshape((start, start, widths[0]), dtype=dtype)(x)
    x = layers.ReLU(dtype=dtype)(FusedBatchNormalization(synchronized=True, dtype=dtype, name="project_norm")(x))
    for index, width in enumerate(widths[1:]):
        x = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False, dtype=dtype,
                                   name=f"up_{index}")(x)
        x = layers.ReLU(dtype=dtype)(FusedBatchNormalization(synchronized=True, dtype=dtype, name=f"up_{index}_norm")(x))
    x = layers.Conv2DTranspose(3, 5, strides=2, padding="same", dtype=dtype, name="to_pixels")(x)
    return keras.Model(inputs, layers.Activation("tanh", dtype="float32", name="image")(x), name=name)


def build_dcgan_discriminator(image_size=64, widths=(32, 64, 128, 256), caption_dim=None, caption_units=64,
                              dtype=None, name="discriminator"):
    """Images `(B, S, S, 3)` [and caption `(B, caption_dim)`] -> logits `(B, 1)`.

    Strided 5x5 convolutions with leaky ReLU (batch norm after the first); the caption
    enters once the image is encoded, beside the flattened features at the dense layer
    (seed 000's suggestion).
    """
    image = keras.Input((image_size, image_size, 3), name="image")
    inputs, x = [image], image
    x = discriminator_features(x, widths, dtype)
    x = layers.Flatten(dtype=dtype)(x)
    caption = caption_vector_input(caption_dim)
    if caption is not None:
        inputs.append(caption)
        x = layers.Concatenate(dtype=dtype)([x, project_caption(caption, caption_units, dtype)])
    return keras.Model(inputs, layers.Dense(1, dtype="float32", name="logit")(x), name=name)


@keras.saving.register_keras_serializable(package="kinpaint")
class DCGAN(InpaintingModel):
    """A GAN over whole images, optionally conditioned on captions, for semantic inpainting.

    Args:
        image_size: side S of the square images.
        noise_dim: size of the noise z ~ N(0, I).
        generator_widths: widths of the generator from its smallest map up (S / 2^n with n of them).
        discriminator_widths: widths of the discriminator's strided convolutions.
        caption_encoder, caption_dim: as for `ContextEncoder`.
        condition: `"both"` (generator and discriminator see the caption), `"generator"`
            (the discriminator judges images alone) or `"none"`.
        caption_units: size of each network's caption projection.
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.

    Call: `{"noise": (B, noise_dim), ["caption"]}` -> images `(B, S, S, 3)`.
    `fit` takes whole images (any form in `kinpaint.models.base.FIT_FORMS`; masks are
    ignored).

    Example (the keras.io DCGAN idiom: `fit` on images alone):

    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    >>> gan = DCGAN(image_size=16, noise_dim=8, generator_widths=(16, 8), discriminator_widths=(8, 16),
    ...             precision="float32")
    >>> gan.compile()
    >>> sorted(gan.fit(images, batch_size=2, epochs=1, verbose=0).history)
    ['d_loss', 'fake_score', 'g_loss', 'real_score']
    >>> gan({"noise": np.zeros((2, 8), "float32")}).shape
    TensorShape([2, 16, 16, 3])
    """

    def __init__(self, image_size=64, noise_dim=100, generator_widths=(256, 128, 64, 32),
                 discriminator_widths=(32, 64, 128, 256), caption_encoder=None, caption_dim=None, condition="both",
                 caption_units=64, caption_dropout=0.0, precision="auto", **kwargs):
        if condition not in DCGAN_CONDITIONS:
            raise ValueError(f"condition must be one of {DCGAN_CONDITIONS}, got {condition!r}")
        if condition == "none":
            caption_encoder, caption_dim = None, None
        super().__init__(image_size, caption_encoder, caption_dim, caption_dropout, **kwargs)
        self.noise_dim = int(noise_dim)
        self.generator_widths = tuple(int(width) for width in generator_widths)
        self.discriminator_widths = tuple(int(width) for width in discriminator_widths)
        if self.image_size % 2 ** len(self.generator_widths):
            raise ValueError(f"image_size {self.image_size} is not divisible by 2^{len(self.generator_widths)} "
                             "(one doubling per generator width)")
        self.condition = condition if self.conditioned else "none"
        self.caption_units = int(caption_units)
        self.precision = precision
        policy = resolve_precision(precision)
        self.generator = build_dcgan_generator(self.image_size, self.noise_dim, self.generator_widths,
                                               self.caption_dim, self.caption_units, policy)
        self.discriminator = build_dcgan_discriminator(self.image_size, self.discriminator_widths,
                                                       self.caption_dim if self.condition == "both" else None,
                                                       self.caption_units, policy)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "real_score", "fake_score")}
        self.built = True

    def _step_counter(self):
        return self.g_optimizer.iterations + self.d_optimizer.iterations

    def _judge(self, images, vectors, training):
        inputs = [images, vectors] if self.condition == "both" else [images]
        return self.discriminator(inputs, training=training)

    def generate(self, noise, vectors=None, training=False):
        """Images `(B, S, S, 3)` from noise `(B, noise_dim)` and caption vectors (zeros if None)."""
        vectors = vectors if vectors is not None or not self.conditioned else ops.zeros((ops.shape(noise)[0], self.caption_dim))
        return self.generator(self._with_caption(noise, vectors), training=training)

    def call(self, inputs, training=False):
        noise = ops.cast(inputs["noise"], "float32")
        vectors = self.caption_vectors(inputs.get("caption"), ops.shape(noise)[0], training)
        return self.generate(noise, vectors, training)

    # Training.

    def compile(self, d_optimizer=None, g_optimizer=None, d_steps=1, g_steps=1, **kwargs):
        """Adam (2e-4, beta_1 0.5, clipnorm 1) for both unless given.

        The schedule: `d_steps` batches train the discriminator, then `g_steps` batches the
        generator (seeds 000/001 used 30/10 and 15/10). With 1/1, every batch trains both;
        only 1/1 runs on several replicas (`tf.distribute`).
        """
        if int(d_steps) < 1 or int(g_steps) < 1:
            raise ValueError(f"d_steps and g_steps must be at least 1, got {d_steps} and {g_steps}")
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = build_optimizer(d_optimizer or default_adam(), self.discriminator.trainable_variables)
        self.g_optimizer = build_optimizer(g_optimizer or default_adam(), self.generator_variables)
        self.d_steps, self.g_steps = int(d_steps), int(g_steps)

    def _noise(self, batch_size):
        """N(0, I) noise, fresh each step, drawn for the global batch and sliced per replica,
        so N replicas see the noise one replica would on the same global batch."""
        replica = tf.distribute.get_replica_context()
        replica_id = replica.replica_id_in_sync_group if replica is not None else 0
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        step = tf.cast(self.g_optimizer.iterations + self.d_optimizer.iterations, tf.int64)
        noise = tf.random.stateless_normal((batch_size * replicas, self.noise_dim), seed=tf.stack([step, 1_000_003]))
        return noise[replica_id * batch_size : (replica_id + 1) * batch_size]

    def _discriminator_step(self, images, vectors):
        noise = self._noise(ops.shape(images)[0])
        fakes = self.generate(noise, vectors, training=True)
        with tf.GradientTape() as tape:
            real = self._judge(images, vectors, training=True)
            fake = self._judge(fakes, vectors, training=True)
            loss, logged = replica_mean(binary_cross_entropy(real, 1.0) + binary_cross_entropy(fake, 0.0))
        with tf.control_dependencies([check_finite("discriminator loss", logged)]):
            variables = self.discriminator.trainable_variables
            self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.trackers["d_loss"].update_state(logged)
        self.trackers["real_score"].update_state(ops.mean(ops.sigmoid(real)))
        self.trackers["fake_score"].update_state(ops.mean(ops.sigmoid(fake)))

    def _generator_step(self, images, captions):
        with tf.GradientTape() as tape:
            vectors = self.caption_vectors(captions, ops.shape(images)[0], training=True)
            judged = None if vectors is None else ops.stop_gradient(vectors)
            fake = self._judge(self.generate(self._noise(ops.shape(images)[0]), vectors, training=True), judged, True)
            loss, logged = replica_mean(binary_cross_entropy(fake, 1.0))
        with tf.control_dependencies([check_finite("generator loss", logged)]):
            variables = self.generator_variables
            self.g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.trackers["g_loss"].update_state(logged)

    def train_step(self, data):
        images, _, captions = self._unpack(data, masks_needed=False)
        if self.d_steps == 1 and self.g_steps == 1:
            vectors = self.caption_vectors(captions, ops.shape(images)[0], training=False)
            self._discriminator_step(images, None if vectors is None else ops.stop_gradient(vectors))
            self._generator_step(images, captions)
        else:
            if tf.distribute.get_strategy().num_replicas_in_sync > 1:
                raise NotImplementedError(
                    f"the {self.d_steps}/{self.g_steps} discriminator/generator schedule branches on the step count, "
                    "and tf.distribute cannot synchronise replicas inside such a branch; train on several replicas "
                    "with compile(d_steps=1, g_steps=1)")
            batches = self.d_optimizer.iterations + self.g_optimizer.iterations
            on_discriminator = batches % (self.d_steps + self.g_steps) < self.d_steps

            def discriminator_branch():
                vectors = self.caption_vectors(captions, ops.shape(images)[0], training=False)
                self._discriminator_step(images, None if vectors is None else ops.stop_gradient(vectors))
                return tf.constant(0)

            def generator_branch():
                self._generator_step(images, captions)
                return tf.constant(0)

            tf.cond(on_discriminator, discriminator_branch, generator_branch)
        return self._results()

    def test_step(self, data):
        images, _, captions = self._unpack(data, masks_needed=False)
        vectors = self.caption_vectors(captions, ops.shape(images)[0], training=False)
        fakes = self.generate(self._noise(ops.shape(images)[0]), vectors)
        real, fake = self._judge(images, vectors, False), self._judge(fakes, vectors, False)
        self.trackers["d_loss"].update_state(ops.mean(binary_cross_entropy(real, 1.0) + binary_cross_entropy(fake, 0.0)))
        self.trackers["g_loss"].update_state(ops.mean(binary_cross_entropy(fake, 1.0)))
        self.trackers["real_score"].update_state(ops.mean(ops.sigmoid(real)))
        self.trackers["fake_score"].update_state(ops.mean(ops.sigmoid(fake)))
        return self._results()

    # Inpainting.

    def semantic_inpainter(self, **options):
        """A `SemanticInpainter` over this GAN's networks and caption encoder."""
        from kinpaint.models.semantic import SemanticInpainter

        return SemanticInpainter(self.generator, self.discriminator, caption_encoder=self.caption_encoder, **options)

    def inpainter(self, **options):
        """Semantic inpainting: `semantic_inpainter(**options)` (a GAN does not fill holes itself)."""
        return self.semantic_inpainter(**options)

    def samples(self, noise):
        """`inpaint`-shaped sampling for `ImageGrid`: an object whose fills are `G(noise, caption)`."""
        return _Samples(self, noise)

    # Saving.

    def get_config(self):
        return {
            **super().get_config(),
            "noise_dim": self.noise_dim,
            "generator_widths": list(self.generator_widths),
            "discriminator_widths": list(self.discriminator_widths),
            "condition": self.condition,
            "caption_units": self.caption_units,
            "precision": self.precision,
        }

    def get_compile_config(self):
        return compile_config(self, ("d_optimizer", "g_optimizer"), d_steps=self.d_steps, g_steps=self.g_steps)

    def compile_from_config(self, config):
        compile_from(self, config, ("d_optimizer", "g_optimizer"))


class _Samples:
    """Fills every image's whole frame with `G(noise[i], caption[i])` (the masks are ignored)."""

    def __init__(self, gan, noise):
        self.gan, self.noise = gan, ops.convert_to_tensor(noise, "float32")

    def inpaint(self, images, masks, captions=None):
        inputs = {"noise": self.noise[: len(images)]}
        if captions is not None and self.gan.conditioned:
            inputs["caption"] = caption_batch(captions, text=self.gan.caption_encoder is not None)
        return ops.convert_to_numpy(self.gan(inputs, training=False))
