"""The base of kinpaint's models: what they read from a batch, their captions, metrics and batched `inpaint`.

Each model subclasses `InpaintingModel` (as keras-hub's tasks subclass `Task`): the base
owns caption conditioning (an encoder of strings, or precomputed vectors, with caption
dropout), the batch forms `fit` accepts, masks drawn for plain images, the metric
trackers and `from_config`. The network builders share `caption_vector_input` and
`project_caption`.
"""

import contextlib
import math
import numbers
import re
import types

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

try:  # private to Keras: without it, a failed fit's data iterator waits for a garbage collection
    from keras.src.trainers.epoch_iterator import EpochIterator
except ImportError:
    EpochIterator = ()

from kinpaint.captions.batches import caption_batch, caption_vectors
from kinpaint.data.masks import make_masks
from kinpaint.data.pipeline import check_batch_size
from kinpaint.inpainting import IMAGE_RANGE_SLACK, composite, fill_inputs
from kinpaint.metrics import psnr
from kinpaint.models.losses import DIVERGED, TrainingDiverged, hole_error
from kinpaint.models.serialization import deserialize_optional, serialize_optional
from kinpaint.options import MASK_KINDS

FIT_FORMS = (
    "a dict batch {'image': (B, S, S, 3) in [-1, 1], 'mask': (B, S, S, 1), 'caption': (B,) strings or (B, D)}; "
    "images alone (an array, a tensor or a tf.data.Dataset of image batches; uint8 images are scaled to "
    "[-1, 1], and masks are drawn by the model's mask_kind); or an (images, captions) tuple"
)
MASK_BANK_SIZE = 256  # random masks drawn once per model for batches of plain images
FLOAT_RANGE = "takes float images in [-1, 1]"  # the in-graph checks' messages, which `fit` explains
DRAWN_MASKS = "draws its masks at its image_size for batches without masks"


def nonnegative_number(value):
    """True for a finite real number at least 0 (NumPy scalars too; not bools or None)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            and value >= 0)


def _replica_id():
    """This replica's id in a distribution strategy's sync group (0 outside one), int64."""
    replica = tf.distribute.get_replica_context()
    return tf.cast(0 if replica is None else replica.replica_id_in_sync_group, tf.int64)


def caption_vector_input(caption_dim):
    """The `(B, caption_dim)` Keras input of a conditioned network, or `None` unconditioned."""
    return keras.Input((caption_dim,), name="caption_vector") if caption_dim else None


def project_caption(vectors, units, dtype=None):
    """A learned `(B, units)` projection of caption vectors: a dense layer and leaky ReLU."""
    projected = layers.Dense(units, dtype=dtype, name="caption_projection")(vectors)
    return layers.LeakyReLU(0.2, dtype=dtype)(projected)


class InpaintingModel(keras.Model):
    """Base of kinpaint's models; not used on its own.

    Args:
        image_size: side S of the square images.
        caption_encoder: a kinpaint caption encoder layer; captions are then strings.
        caption_dim: size of precomputed caption vectors, used when `caption_encoder` is
            None. Neither: an unconditioned model.
        caption_dropout: fraction of training examples whose caption is hidden (a zero
            vector), so the model also works with `captions=None`.
        caption_noise: in training, Gaussian noise is added to each caption vector, its
            standard deviation per component this many times the vector's root mean square
            component (0: none). Noise on an input acts as a ridge penalty on what reads it
            (Bishop 1995): the model learns a smoother map from captions to fills, one that
            carries over better to captions it never saw.
        mask_kind: the holes drawn for batches that come without masks: `"centre"`,
            `"rectangle"` or `"strokes"` (see `kinpaint.data.masks`).

    A subclass builds its networks, sets `self.trackers` (`{name: keras.metrics.Mean}`)
    and implements `_step_counter()`, a step count that seeds caption dropout and drawn
    masks, so a run resumed from a `.keras` file draws as the uninterrupted one. `inpaint` is
    the one template of a fill: it checks the inputs for every model, then calls `_fill`,
    which a model overrides only where its fill differs (padding and a two-scale blend, fill
    options), and sets `fills_any_size` / `inpaint_batch_size`. A model with one fill graph
    implements `export_function` (and `export_size` when it fills only some sizes) for
    `kinpaint.export`. `from_preset(name)` loads a shipped model of the class.
    """

    fills_any_size = False  # `inpaint` takes pictures of `image_size` only
    inpaint_batch_size = 64  # pictures `inpaint` fills at once unless told
    _inpaint_function = None  # `_inference_function`'s trace

    def __init__(self, image_size=64, caption_encoder=None, caption_dim=None, caption_dropout=0.0,
                 mask_kind="centre", caption_noise=0.0, **kwargs):
        super().__init__(**kwargs)
        self.image_size = int(image_size)
        if mask_kind not in MASK_KINDS:
            raise ValueError(f"mask_kind must be one of {MASK_KINDS}, got {mask_kind!r}")
        self.mask_kind = mask_kind
        self.caption_encoder = caption_encoder
        if caption_encoder is not None:
            if not caption_encoder.built:
                caption_encoder.build((None,))
            caption_dim = caption_encoder.output_dim
        self.caption_dim = None if caption_dim is None else int(caption_dim)
        self.caption_dropout = float(caption_dropout)
        if not nonnegative_number(caption_noise):
            raise ValueError(f"caption_noise must be a finite number at least 0, got {caption_noise!r}")
        self.caption_noise = float(caption_noise)
        if self.caption_noise and self.caption_dim is None:
            raise ValueError(f"caption_noise={caption_noise!r} needs a model that reads captions (a caption encoder "
                             "or caption_dim)")
        self._mask_bank = None

    def _step_counter(self):
        raise NotImplementedError

    @property
    def metrics(self):
        return list(self.trackers.values())

    def hole_test_step(self, data):
        """The test step of a model whose `_generate(images, masks, vectors, training)` fills holes
        and whose `reconstruction` names its hole loss: that loss and the hole PSNR."""
        images, masks, captions = self._unpack(data)
        vectors = self.caption_vectors(captions, ops.shape(images)[0], training=False)
        fills = self._generate(images, masks, vectors, training=False)
        self.trackers["reconstruction_loss"].update_state(hole_error(images, fills, masks, self.reconstruction))
        self.trackers["hole_psnr"].update_state(psnr(images, composite(images, masks, fills), masks))
        return self._results(("reconstruction_loss", "hole_psnr"))

    def _results(self, names=None):
        """The logs a train or test step returns: every tracker's value, or those in `names`."""
        return {name: tracker.result() for name, tracker in self.trackers.items() if names is None or name in names}

    # Captions.

    @property
    def conditioned(self):
        return self.caption_dim is not None

    @property
    def caption_variables(self):
        return self.caption_encoder.trainable_variables if self.caption_encoder is not None else []

    @property
    def generator_variables(self):
        """What the generator's optimizer trains: the generator's variables and a trainable caption encoder's."""
        return self.generator.trainable_variables + self.caption_variables

    def caption_vectors(self, captions, batch_size, training=False):
        """`(B, caption_dim)` float32 vectors, zeros standing for "no caption"; None unconditioned."""
        if not self.conditioned:
            return None
        vectors = caption_vectors(captions, batch_size, self.caption_dim, self.caption_encoder, training,
                                  owner=type(self).__name__)
        if captions is not None and training and self.caption_noise > 0:
            seed = tf.stack([20171 + _replica_id(), tf.cast(self._step_counter(), tf.int64)])  # per replica
            # a constant scale: the root's gradient is infinite at a zero vector (an empty caption)
            spread = self.caption_noise * ops.stop_gradient(ops.sqrt(ops.mean(ops.square(vectors), axis=-1,
                                                                              keepdims=True)))
            vectors = vectors + spread * tf.random.stateless_normal(ops.shape(vectors), seed=seed)
        if captions is not None and training and self.caption_dropout > 0:
            seed = tf.stack([tf.constant(20170, tf.int64), tf.cast(self._step_counter(), tf.int64)])
            keep = tf.random.stateless_uniform((batch_size, 1), seed=seed) >= self.caption_dropout
            vectors = vectors * ops.cast(keep, "float32")
        return vectors

    def _with_caption(self, tensor, vectors):
        """A network's input list: `[tensor, vectors]`, or `[tensor]` unconditioned."""
        return [tensor, vectors] if self.conditioned else [tensor]

    # Batches.

    def _unpack(self, data, masks_needed=True):
        """`(images, masks, captions)` of a `fit` / `evaluate` batch in any of the `FIT_FORMS`."""
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]  # Keras packs `fit(x)` as `(x,)`
        captions = None
        if isinstance(data, dict):
            if "image" not in data:
                raise ValueError(f"{type(self).__name__}.fit: the batch dict has no 'image' (keys: "
                                 f"{sorted(data)}); fit accepts {FIT_FORMS}")
            images, masks, captions = data["image"], data.get("mask"), data.get("caption")
        elif isinstance(data, (tuple, list)) and len(data) == 2 and not isinstance(data[0], dict):
            (images, captions), masks = data, None
        elif isinstance(data, (tuple, list)) or not hasattr(data, "shape"):
            raise TypeError(f"{type(self).__name__}.fit got {_describe(data)}; it accepts {FIT_FORMS}")
        else:
            images, masks = data, None
        images = self._images(images)
        if masks is not None:
            masks = ops.cast(masks, "float32")
        elif masks_needed:
            size = self.image_size
            advice = f"{type(self).__name__} {DRAWN_MASKS} ({size}x{size}): give the masks of other sizes too"
            sides = tuple(images.shape[1:3])
            if None not in sides and sides != (size, size):
                raise ValueError(f"{advice} (these images are {sides[1]}x{sides[0]})")
            if None in sides:  # known when the step runs
                check = tf.debugging.assert_equal(tf.shape(images)[1:3], tf.constant([size, size]), message=advice)
                with tf.control_dependencies([check]):
                    images = tf.identity(images)
            masks = self._draw_masks(ops.shape(images)[0])
        return images, masks, captions

    def _images(self, images):
        size, shape = self.image_size, tuple(images.shape)
        sides = "height, width" if self.fills_any_size else f"{size}, {size}"
        if len(shape) != 4 or shape[-1] != 3 or not (self.fills_any_size or shape[1:3] in ((size, size), (None, None))):
            raise ValueError(f"{type(self).__name__} takes images (batch, {sides}, 3); got shape {shape}")
        if images.dtype in (tf.uint8, "uint8"):
            return ops.cast(images, "float32") / 127.5 - 1.0
        return self._checked_range(ops.cast(images, "float32"))

    def _checked_range(self, images):
        """`images`, after an in-graph check that they are in [-1, 1] (float pictures in [0, 255]
        would train on nonsense: a hole PSNR of -37 dB)."""
        largest = tf.reduce_max(tf.abs(tf.where(tf.math.is_nan(images), tf.zeros_like(images), images)))
        check = tf.debugging.assert_less_equal(
            largest, 1.0 + IMAGE_RANGE_SLACK,
            message=f"{type(self).__name__} {FLOAT_RANGE} (uint8 images are scaled for you)")
        with tf.control_dependencies([check]):
            return tf.identity(images)

    def _draw_masks(self, batch_size):
        """`(B, S, S, 1)` masks of `mask_kind` for a batch that came without masks."""
        if self._mask_bank is None:
            count = 1 if self.mask_kind == "centre" else MASK_BANK_SIZE
            self._mask_bank = make_masks(self.mask_kind, count, self.image_size, self.image_size // 2, seed=0)
        bank = tf.constant(self._mask_bank)
        if len(self._mask_bank) == 1:
            return tf.repeat(bank, batch_size, axis=0)
        # Each replica of a strategy draws its own masks; one replica (id 0) draws as it always did.
        seed = tf.stack([64 + _replica_id(), tf.cast(self._step_counter(), tf.int64)])
        return tf.gather(bank, tf.random.stateless_uniform((batch_size,), seed, 0, len(self._mask_bank), tf.int32))

    def inpainter(self, **options):
        """What fills holes with this model: an object with `inpaint(images, masks, captions=None)`.

        The model itself here; a model with fill options (a DCGAN's latent search, a pixel
        model's sampling) overrides this and takes them as keywords.
        """
        if options:
            raise ValueError(f"{type(self).__name__} takes no fill options; got {', '.join(sorted(options))}")
        return self

    # Fills.

    def inpaint(self, images, masks, captions=None, batch_size=None, **options):
        """Fill the holes of `images` `(B, S, S, 3)` in [-1, 1] where `masks` `(B, S, S, 1)` is 0
        (pictures of any size `(B, H, W, 3)` for a model that `fills_any_size`); NumPy in and out,
        every known pixel returned exactly.

        `captions`: one string per picture for a model with a caption encoder, `(B, D)`
        vectors for one that reads vectors, or None (no caption); ignored by a model without
        captions. `batch_size`: pictures filled at once (default: `inpaint_batch_size`).
        `options`: the model's fill options, if it has any (a pixel model's `fill`).

        The template of every model's fill: the inputs are checked and converted here, once
        (`_fill_inputs`), and the model's `_fill` fills them.
        """
        images, masks, captions, batch_size = self._fill_inputs(images, masks, captions, batch_size)
        return self._fill(images, masks, captions, batch_size, **options)

    def _fill_inputs(self, images, masks, captions, batch_size, reads_hole=False):
        """`inpaint`'s arguments checked: `(images, masks, captions, batch_size)`, the pictures
        and masks float32 NumPy (`kinpaint.inpainting.fill_inputs`: the hole's content set to 0
        unless `reads_hole`), the captions as the model reads them (None for a model without)."""
        owner = type(self).__name__
        batch_size = self.inpaint_batch_size if batch_size is None else batch_size
        check_batch_size(batch_size, f"{owner}.inpaint")
        size = None if self.fills_any_size else (self.image_size, self.image_size)
        images, masks = fill_inputs(images, masks, owner, size, reads_hole)
        if self.conditioned and captions is not None:
            captions = caption_batch(captions, text=self.caption_encoder is not None, count=len(images),
                                     owner=owner, caption_dim=self.caption_dim)
        else:
            captions = None
        return images, masks, captions, batch_size

    def _fill(self, images, masks, captions, batch_size):
        """The composites of checked `inpaint` inputs: the model called on each batch."""
        return self._batches(self._inference_function(), images, masks, captions, batch_size)

    def _inference_function(self):
        """`self(inputs, training=False)` as a TensorFlow function, traced once (a setting that
        changes the graph sets `_inpaint_function` to None)."""
        if self._inpaint_function is None:
            self._inpaint_function = tf.function(lambda inputs: self(inputs, training=False), reduce_retracing=True)
        return self._inpaint_function

    @staticmethod
    def _batches(function, images, masks, captions, batch_size):
        """`function({"image", "mask"[, "caption"]})` over batches of checked inputs; NumPy out."""
        filled = []
        for start in range(0, len(images), batch_size):
            inputs = {"image": images[start : start + batch_size], "mask": masks[start : start + batch_size]}
            if captions is not None:
                inputs["caption"] = captions[start : start + batch_size]
            filled.append(ops.convert_to_numpy(function(inputs)))
        return np.concatenate(filled) if filled else images.copy()

    # Training.

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, *args, **kwargs):
        """Keras' `fit`, on any of the `FIT_FORMS`, with kinpaint's checks explained: a NaN or
        infinite loss raises `TrainingDiverged` naming the epoch and step, float images outside
        [-1, 1] a `ValueError`, and a `batch_size` below 1 is refused."""
        owner = f"{type(self).__name__}.fit"
        if batch_size is not None:
            check_batch_size(batch_size, owner)
        x, y = self._plain_captions(x, y, owner)
        progress = _Progress()
        try:
            return super().fit(x, y, batch_size, epochs, verbose, [*(callbacks or []), progress], *args, **kwargs)
        except tf.errors.InvalidArgumentError as error:
            where = (f"{owner} stopped at epoch {progress.epoch + 1}, batch {progress.batch + 1} of the epoch "
                     f"(training step {int(self._step_counter()) + 1})")
            explained = self._explain_fit_error(error.message, where)
            if explained is None:
                raise
            _free_failed_fit_frames(error.__traceback__)
        raise explained from None  # raised in the `except` block, it would keep TensorFlow's error and frames

    def _explain_fit_error(self, message, where):
        """The error to raise for an in-graph check's failure `message`, which happened at
        `where` ("M.fit stopped at ..."); None for other errors."""
        name = type(self).__name__
        diverged = re.search(rf"([\w -]+?) {re.escape(DIVERGED)}", message)
        if diverged:
            return TrainingDiverged(f"{where}: the {diverged.group(1)} is NaN or infinite "
                                    "(lower the learning rate, or check the data for NaN pixels)")
        if DRAWN_MASKS in message:
            return ValueError(f"{where}: {name} {DRAWN_MASKS} ({self.image_size}x{self.image_size}); give the "
                              "masks of images of other sizes ({'image': ..., 'mask': ...} batches)")
        if FLOAT_RANGE in message:
            return ValueError(f"{where}: {name} {FLOAT_RANGE}, these are not (uint8 images are scaled for you; "
                              "kinpaint.images.to_model_range converts 0-255 pictures)")
        return None

    def _plain_captions(self, x, y, owner):
        """`(x, y)` with the captions of an `(images, captions)` pair, for a model that encodes
        strings, as the object array of `str` Keras slices (it refuses lists, NumPy string arrays
        and bytes), checked to be one string per image."""
        if y is None and isinstance(x, tuple) and len(x) == 2 and hasattr(x[0], "shape") and not isinstance(
                x[1], dict):
            x, y = x
        if self.caption_encoder is not None and (isinstance(y, (list, str, bytes)) or (
                isinstance(y, np.ndarray) and y.dtype.kind in "OUS")):
            caption_batch(y, text=True, count=len(x), owner=owner)
            y = np.array([caption.decode("utf-8", "replace") if isinstance(caption, bytes) else str(caption)
                          for caption in y], dtype=object)
        return x, y

    # Presets.

    @classmethod
    def from_preset(cls, name):
        """The shipped model `name` (`kinpaint.pretrained(name)`), which must be a `cls`:
        `FourierInpainter.from_preset("photos")`. A preset of another class is refused."""
        from kinpaint.pretrained_models import pretrained

        model = pretrained(name)
        if not isinstance(model, cls):
            raise ValueError(f"the preset {name!r} is a {type(model).__name__}, not a {cls.__name__}: load it with "
                             f"{type(model).__name__}.from_preset({name!r}) or kinpaint.pretrained({name!r})")
        return model

    # Export.

    def export_signature(self, size=None):
        """The input specs of an exported fill: `image` `(B, H, W, 3)`, `mask` `(B, H, W, 1)` and,
        for a model that reads captions, `caption` `(B, caption_dim)`, all float32; H and W are
        `size` `(height, width)`, or free (`None`)."""
        height, width = (None, None) if size is None else size
        signature = [tf.TensorSpec((None, height, width, 3), tf.float32, name="image"),
                     tf.TensorSpec((None, height, width, 1), tf.float32, name="mask")]
        if self.conditioned:
            signature.append(tf.TensorSpec((None, self.caption_dim), tf.float32, name="caption"))
        return signature

    def export_function(self, size=None):
        """`(function, input_signature)`: this model's fill as one TensorFlow function of
        `image, mask[, caption]` (`export_signature(size)`) returning the filled `(B, H, W, 3)`
        with every known pixel kept, what `kinpaint.export` writes. Trace it inside
        `kinpaint.export.portable_layers(model)` for a graph that TFLite and ONNX convert. A
        model without one fill graph raises `ValueError`."""
        raise ValueError(f"cannot export a {type(self).__name__}: it has no single fill graph (export_function)")

    def export_size(self, size=None, dynamic=None):
        """The `(height, width)` an exported graph fills, or `None` for any size: `size` when
        given, else any size. A model that fills only some sizes refuses the others."""
        return size

    # Saving.

    def get_config(self):
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "caption_encoder": serialize_optional(self.caption_encoder),
            "caption_dim": None if self.caption_encoder is not None else self.caption_dim,
            "caption_dropout": self.caption_dropout,
            "caption_noise": self.caption_noise,
            "mask_kind": self.mask_kind,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["caption_encoder"] = deserialize_optional(config.get("caption_encoder"))
        return cls(**config)


def _free_failed_fit_frames(traceback):
    """Clear the finished frames of an error `fit` replaces with its own, and close the Keras
    epoch generators they hold, so that Keras' data iterator is freed with the error.

    Those frames outlive `fit` in cycles (the error and the frames that caught it; a Keras
    epoch iterator and its suspended epoch generator), so the tf.data iterator lived on until a
    garbage collection, which in the test suite waited up to 52 s on tf.data's autotuning
    thread. `traceback` starts at `fit`'s own frame, which is left alone, as are its callers.
    """
    fit_frame, frames = traceback.tb_frame, []
    while traceback.tb_next is not None:  # Keras filters its frames out of tracebacks: climb
        traceback = traceback.tb_next  # from the innermost one, through all of them
    frame = traceback.tb_frame
    while frame is not fit_frame:
        if frame is None:  # not below fit: touch nothing
            return
        frames.append(frame)
        frame = frame.f_back
    for frame in frames:
        for value in frame.f_locals.values():
            if isinstance(value, EpochIterator) and isinstance(value._epoch_iterator, types.GeneratorType):
                value._epoch_iterator.close()
        with contextlib.suppress(RuntimeError):  # a frame still running cannot be cleared
            frame.clear()


class _Progress(keras.callbacks.Callback):
    """Where `fit` is: the current epoch and batch (counting from 0), for error messages."""

    epoch = batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.batch = epoch, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.batch = batch


def _describe(data):
    if isinstance(data, (tuple, list)):
        return f"a {type(data).__name__} of {len(data)} ({', '.join(type(item).__name__ for item in data)})"
    return f"a {type(data).__name__}"
