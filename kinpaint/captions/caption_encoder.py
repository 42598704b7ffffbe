import keras
import numpy as np
import tensorflow as tf


class CaptionEncoder(keras.layers.Layer):
    """Base of kinpaint's caption encoders: a batch of caption strings in, vectors out.

    Subclasses set `self.output_dim` and implement `encode(captions)`, which receives a
    checked `tf.string` tensor of shape `(batch,)`.

    Input shape:
        `(batch,)` strings (a `(batch, 1)` tensor is accepted and flattened).

    Output shape:
        `(batch, output_dim)`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.supports_jit = False  # string ops have no XLA kernels

    def call(self, captions):
        return self.encode(check_captions(captions, type(self).__name__))

    def encode(self, captions):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def compute_output_spec(self, captions):
        return keras.KerasTensor(self.compute_output_shape(captions.shape), dtype=self.compute_dtype)


def check_captions(captions, owner="caption encoder"):
    """`captions` as a `tf.string` tensor of shape `(batch,)`, or a clear error naming the problem."""
    if isinstance(captions, (list, tuple)):
        captions = np.array(captions, dtype=object)
    if isinstance(captions, np.ndarray) and captions.dtype.kind in "OUS":
        strange = {type(item).__name__ for item in captions.flat if not isinstance(item, (str, bytes))}
        if strange:
            raise TypeError(f"{owner} takes caption strings; got a list holding {', '.join(sorted(strange))}")
        captions = tf.constant(captions.tolist(), dtype=tf.string, shape=captions.shape)
    dtype = getattr(captions, "dtype", None)
    if dtype != tf.string and dtype != "string":
        raise TypeError(
            f"{owner} takes captions as strings (tf.string, shape (batch,)); got dtype {dtype}. "
            "Pass the raw text, not token ids or vectors."
        )
    rank = captions.shape.rank
    if rank == 2 and captions.shape[1] == 1:
        return tf.reshape(captions, (-1,))
    if rank != 1:
        raise ValueError(f"{owner} takes captions of shape (batch,); got shape {tuple(captions.shape)}")
    return captions
