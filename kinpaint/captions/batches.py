"""Captions of a batch as the tensors a model reads: strings for an encoder, else vectors."""

import numpy as np
import tensorflow as tf

from kinpaint.inpainting import as_numpy


def caption_batch(captions, text, count=None, owner="model", caption_dim=None):
    """`captions` as one batch input: `(B,)` `tf.string` when `text`, else `(B, D)` float32.

    Accepts lists, NumPy arrays and tensors of strings (`str` or `bytes`; `text=True`) or of
    vectors. Checked here, so a mistake is named rather than failing inside the network:

    Args:
        count: the batch size the captions must match (one caption per image), if known.
        owner: the model named in errors.
        caption_dim: the vector size a model without encoder reads, if known.

    Raises:
        TypeError: a single string for a batch, a caption that is not text, or strings given
            to a model that reads vectors.
        ValueError: not one caption per image, vectors of another size, or NaN vectors.
    """
    if isinstance(captions, (str, bytes)):
        raise TypeError(f"{owner} takes one caption per image (a list of {count or 'B'} strings); got a single "
                        f"{type(captions).__name__} {_shown(captions)}")
    values = as_numpy(captions)
    if text:
        values = np.asarray(values, dtype=object)
        if values.ndim != 1:
            raise ValueError(f"{owner} takes one caption string per image, shape (batch,); got shape {values.shape}")
        for index, value in enumerate(values):
            if not isinstance(value, (str, bytes)):
                raise TypeError(f"{owner} takes captions as strings; caption {index} is not text: {_shown(value)}")
        _check_count(len(values), count, owner)
        return tf.constant(values.tolist(), dtype=tf.string)
    if values.dtype.kind in ("U", "S", "O") and any(isinstance(value, (str, bytes)) for value in values.flat):
        raise TypeError(f"{owner} reads precomputed caption vectors (batch, {caption_dim or 'D'}) and has no caption "
                        "encoder; got caption strings")
    try:
        vectors = np.asarray(values, np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"{owner} takes caption vectors (batch, {caption_dim or 'D'}) of numbers") from None
    if vectors.ndim != 2 or caption_dim not in (None, vectors.shape[1]):
        raise ValueError(f"{owner} expects caption vectors (batch, {caption_dim or 'D'}); got shape {vectors.shape}")
    _check_count(len(vectors), count, owner)
    if not np.isfinite(vectors).all():
        raise ValueError(f"{owner} got caption vectors holding NaN or infinite values")
    return vectors


def _check_count(found, count, owner):
    if count is not None and found != count:
        raise ValueError(f"{owner} takes one caption per image: {count} image(s) but {found} caption(s)")


def _shown(value, length=40):
    text = repr(value)
    return text if len(text) <= length else text[: length - 3] + "..."


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
