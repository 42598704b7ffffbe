"""Captions of a batch as the tensors a model reads: strings for an encoder, else vectors."""

import numpy as np
import tensorflow as tf

from kinpaint.inpainting import as_numpy


def caption_batch(captions, text):
    """`captions` as one batch input: `(B,)` `tf.string` when `text`, else `(B, D)` float32.

    Accepts lists, NumPy arrays and tensors of strings (`text=True`) or of vectors.
    """
    if text:
        return tf.constant(np.asarray(as_numpy(captions), dtype=object).tolist(), dtype=tf.string)
    return np.asarray(as_numpy(captions), np.float32)


def caption_vectors(captions, batch_size, caption_dim, encoder=None, training=False, owner="model"):
    """`(B, caption_dim)` float32 vectors of a batch's captions; zeros stand for `captions=None`.

    With an `encoder`, `captions` are strings it encodes; without, they are precomputed
    vectors whose shape is checked (`owner` names the model in the error).
    """
    if captions is None:
        return tf.zeros((batch_size, caption_dim), tf.float32)
    if encoder is not None:
        return tf.cast(encoder(captions, training=training), tf.float32)
    vectors = tf.convert_to_tensor(captions)
    if vectors.dtype == tf.string:
        raise TypeError(f"{owner} reads precomputed caption vectors (batch, {caption_dim}) and has no caption "
                        "encoder; got caption strings")
    if len(vectors.shape) != 2 or vectors.shape[-1] not in (None, caption_dim):
        raise ValueError(f"{owner} expects caption vectors (batch, {caption_dim}); got shape {tuple(vectors.shape)}")
    return tf.cast(vectors, tf.float32)
