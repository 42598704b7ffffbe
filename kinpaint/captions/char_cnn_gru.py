import keras
import numpy as np
import tensorflow as tf

from kinpaint.captions.caption_encoder import CaptionEncoder

# Reed et al. 2016's alphabet: lower-case letters, digits, punctuation and the space.
DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+=<>()[]{} "


@keras.saving.register_keras_serializable(package="kinpaint")
class CharCNNGRU(CaptionEncoder):
    """Character CNN and bidirectional GRU caption encoder (seed 004, after Reed et al. 2016).

    Characters are lower-cased and one-hot encoded over `alphabet`; characters outside it
    (accents, CJK, emoji) and the padding after the caption's end are all-zero columns.
    Then: conv1d 5 'same' (64) -> conv1d 4 stride 2 (64) -> conv1d 5 'same' (32) ->
    conv1d 4 stride 2 (32) -> bidirectional GRU -> dense (output_dim).

    Args:
        length: characters read per caption (256 in the seed).
        output_dim: size of the caption vector (64 in the seed).
        gru_units: units of each direction of the GRU.
        outer_product: return the `(output_dim, output_dim)` outer product of the vector
            with itself, the matrix seed 004 fed to its last layers.
        alphabet: the characters that get a one-hot column.

    Input shape:
        `(batch,)` strings.

    Output shape:
        `(batch, output_dim)`, or `(batch, output_dim, output_dim)` with `outer_product`.

    Example:

    >>> encoder = CharCNNGRU(length=32, output_dim=8)
    >>> encoder(tf.constant(["a red square", "a blue disc"])).shape
    TensorShape([2, 8])
    """

    def __init__(self, length=256, output_dim=64, gru_units=32, outer_product=False,
                 alphabet=DEFAULT_ALPHABET, **kwargs):
        super().__init__(**kwargs)
        self.length = int(length)
        self.output_dim = int(output_dim)
        self.gru_units = int(gru_units)
        self.outer_product = bool(outer_product)
        if len(set(alphabet)) != len(alphabet) or any(ord(char) > 127 for char in alphabet):
            raise ValueError("CharCNNGRU's alphabet must be distinct ASCII characters")
        self.alphabet = alphabet
        table = np.zeros(129, np.int32)  # code point -> column + 1; 0 = no column; 128 = any non-ASCII
        for column, char in enumerate(alphabet.lower()):
            table[ord(char)] = column + 1
        self._columns = tf.constant(table)
        conv = dict(activation="relu", padding="same", dtype=self.dtype_policy)
        self.convolutions = [
            keras.layers.Conv1D(64, 5, name="conv_1", **conv),
            keras.layers.Conv1D(64, 4, strides=2, name="conv_2", **conv),
            keras.layers.Conv1D(32, 5, name="conv_3", **conv),
            keras.layers.Conv1D(32, 4, strides=2, name="conv_4", **conv),
        ]
        self.gru = keras.layers.Bidirectional(
            keras.layers.GRU(self.gru_units, dtype=self.dtype_policy), name="gru", dtype=self.dtype_policy
        )
        self.dense = keras.layers.Dense(self.output_dim, name="dense", dtype=self.dtype_policy)

    def build(self, input_shape):
        shape = (None, self.length, len(self.alphabet))
        for convolution in self.convolutions:
            convolution.build(shape)
            shape = convolution.compute_output_shape(shape)
        self.gru.build(shape)
        self.dense.build((None, 2 * self.gru_units))

    def one_hot(self, captions):
        """`(batch,)` strings -> `(batch, length, len(alphabet))` one-hot characters."""
        text = tf.strings.lower(captions, encoding="utf-8")
        code_points = tf.strings.unicode_decode(text, "UTF-8", errors="replace")[:, : self.length]
        code_points = code_points.to_tensor(default_value=0, shape=[None, self.length])
        columns = tf.gather(self._columns, tf.clip_by_value(code_points, 0, 128))
        return tf.one_hot(columns, len(self.alphabet) + 1, dtype=self.compute_dtype)[..., 1:]

    def encode(self, captions):
        features = self.one_hot(captions)  # (B, length, alphabet)
        for convolution in self.convolutions:
            features = convolution(features)  # ends at (B, length / 4, 32)
        vector = self.dense(self.gru(features))  # (B, output_dim)
        if self.outer_product:
            return vector[:, :, None] * vector[:, None, :]  # (B, output_dim, output_dim)
        return vector

    def compute_output_shape(self, input_shape):
        if self.outer_product:
            return (input_shape[0], self.output_dim, self.output_dim)
        return (input_shape[0], self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "length": self.length,
            "output_dim": self.output_dim,
            "gru_units": self.gru_units,
            "outer_product": self.outer_product,
            "alphabet": self.alphabet,
        }
