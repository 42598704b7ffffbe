"""What every caption-conditioned kinpaint model shares: caption input, dropout, batched `inpaint`."""

import numpy as np
import tensorflow as tf
from keras import ops

from kinpaint.inpainting import as_numpy
from kinpaint.models.training import deserialize_optional, serialize_optional


class CaptionConditioned:
    """Mixin for a `keras.Model` that takes a caption encoder or precomputed caption vectors.

    The model sets `self.image_size`, `self.trackers` (`{name: keras.metrics.Mean}`) and
    calls `_init_captions` in `__init__`; it provides `_dropout_step()` (a step counter
    that seeds caption dropout, so a run resumed from a `.keras` file draws the same).
    """

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _results(self, names=None):
        """The logs a train or test step returns: every tracker's value, or those in `names`."""
        return {name: tracker.result() for name, tracker in self.trackers.items() if names is None or name in names}

    def _init_captions(self, caption_encoder, caption_dim, caption_dropout):
        self.caption_encoder = caption_encoder
        if caption_encoder is not None:
            if not caption_encoder.built:
                caption_encoder.build((None,))
            caption_dim = caption_encoder.output_dim
        self.caption_dim = None if caption_dim is None else int(caption_dim)
        self.caption_dropout = float(caption_dropout)

    @property
    def conditioned(self):
        return self.caption_dim is not None

    @property
    def caption_variables(self):
        return self.caption_encoder.trainable_variables if self.caption_encoder is not None else []

    def caption_vectors(self, captions, batch_size, training=False):
        """`(B, caption_dim)` float32 vectors, zeros standing for "no caption"; None unconditioned."""
        if not self.conditioned:
            return None
        if captions is None:
            return ops.zeros((batch_size, self.caption_dim), "float32")
        if self.caption_encoder is not None:
            vectors = self.caption_encoder(captions, training=training)
        else:
            vectors = captions
            if len(vectors.shape) != 2 or vectors.shape[-1] not in (None, self.caption_dim):
                raise ValueError(f"{type(self).__name__} expects caption vectors (batch, {self.caption_dim}); "
                                 f"got shape {tuple(vectors.shape)}")
        vectors = ops.cast(vectors, "float32")
        if training and self.caption_dropout > 0:
            seed = tf.stack([tf.constant(20170, tf.int64), tf.cast(self._dropout_step(), tf.int64)])
            keep = tf.random.stateless_uniform((batch_size, 1), seed=seed) >= self.caption_dropout
            vectors = vectors * ops.cast(keep, "float32")
        return vectors

    def _with_caption(self, tensor, vectors):
        """A network's input list: `[tensor, vectors]`, or `[tensor]` unconditioned."""
        return [tensor, vectors] if self.conditioned else [tensor]

    @staticmethod
    def _unpack(data):
        if isinstance(data, (tuple, list)):
            data = data[0]
        masks = ops.cast(data["mask"], "float32") if "mask" in data else None
        return ops.cast(data["image"], "float32"), masks, data.get("caption")

    def _caption_config(self):
        return {
            "caption_encoder": serialize_optional(self.caption_encoder),
            "caption_dim": None if self.caption_encoder is not None else self.caption_dim,
            "caption_dropout": self.caption_dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["caption_encoder"] = deserialize_optional(config.get("caption_encoder"))
        return cls(**config)

    def _inpaint_batches(self, function, images, masks, captions, batch_size):
        """Run `function({"image", "mask", ["caption"]})` over batches; NumPy in, NumPy out."""
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        size = self.image_size
        if images.shape[1:] != (size, size, 3) or masks.shape[1:] != (size, size, 1) or len(masks) != len(images):
            raise ValueError(f"{type(self).__name__} takes images (batch, {size}, {size}, 3) and masks "
                             f"(batch, {size}, {size}, 1); got {images.shape} and {masks.shape}")
        if not self.conditioned:
            captions = None
        elif captions is not None:
            captions = np.asarray(as_numpy(captions), dtype=object if self.caption_encoder is not None else np.float32)
        filled = []
        for start in range(0, len(images), batch_size):
            inputs = {"image": images[start : start + batch_size], "mask": masks[start : start + batch_size]}
            if captions is not None:
                chunk = captions[start : start + batch_size]
                inputs["caption"] = tf.constant(chunk.tolist()) if self.caption_encoder is not None else chunk
            filled.append(ops.convert_to_numpy(function(inputs)))
        return np.concatenate(filled) if filled else images.copy()
