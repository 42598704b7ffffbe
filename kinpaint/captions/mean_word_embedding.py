import collections

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kinpaint.captions.caption_encoder import CaptionEncoder, check_captions

PADDING, UNKNOWN = 0, 1  # rows of the embedding matrix before the vocabulary's words


def split_words(captions, max_words):
    """Lower-case, split on anything that is not a letter or a digit, pad with "".

    `(batch,)` strings -> `(batch, max_words)` strings. Accented and CJK letters are
    letters; emoji and punctuation separate words and are dropped.
    """
    return _ragged_words(captions)[:, :max_words].to_tensor(default_value="", shape=[None, max_words])


def word_counts(captions):
    """How many words `split_words` finds in each caption: `(batch,)` strings -> int64 `(batch,)`."""
    return _ragged_words(check_captions(captions, "word_counts")).row_lengths().numpy()


def _ragged_words(captions):
    text = tf.strings.lower(captions, encoding="utf-8")
    text = tf.strings.regex_replace(text, r"[^\p{L}\p{N}]+", " ")
    return tf.strings.split(text)


@keras.saving.register_keras_serializable(package="kinpaint")
class MeanWordEmbedding(CaptionEncoder):
    """Average of the caption's word vectors (seed 000).

    Words outside the vocabulary share one learned "unknown" vector, so a caption of
    unknown words is never silently a zero vector; `coverage()` counts them. A caption
    with no word at all (empty, or only punctuation and emoji) embeds to zeros.

    Args:
        vocabulary: list of distinct lower-case words.
        output_dim: size D of the word vectors.
        max_words: words read per caption; later ones are ignored.
        embeddings_initializer: of the vectors trained from scratch.

    Input shape:
        `(batch,)` strings.

    Output shape:
        `(batch, output_dim)`.

    Example:

    >>> encoder = MeanWordEmbedding(["a", "red", "dog"], output_dim=8)
    >>> encoder(tf.constant(["A red dog.", "a cat"])).shape
    TensorShape([2, 8])

    `MeanWordEmbedding.from_word_vectors("glove.6B.50d.txt")` loads GloVe or word2vec text.
    """

    def __init__(self, vocabulary, output_dim=64, max_words=32, embeddings_initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        self.vocabulary = _check_vocabulary(vocabulary)
        self.output_dim = int(output_dim)
        self.max_words = int(max_words)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.lookup = keras.layers.StringLookup(vocabulary=self.vocabulary, mask_token="", num_oov_indices=1)

    @classmethod
    def from_captions(cls, captions, output_dim=64, min_count=1, max_vocabulary=None, **kwargs):
        """A layer whose vocabulary is the words of `captions` seen at least `min_count` times."""
        counts = collections.Counter(_python_words(captions))
        words = [word for word, count in counts.most_common(max_vocabulary) if count >= min_count]
        return cls(words, output_dim=output_dim, **kwargs)

    @classmethod
    def from_word_vectors(cls, path, trainable=False, limit=None, **kwargs):
        """A layer holding the vectors of a GloVe / word2vec text file, frozen by default.

        The unknown-word vector starts as the mean of the file's vectors.
        """
        from kinpaint.captions.word_vectors import load_word_vectors

        loaded = load_word_vectors(path, limit=limit)
        layer = cls(loaded.words, output_dim=loaded.vectors.shape[1], trainable=trainable, **kwargs)
        layer.build((None,))
        matrix = np.zeros(layer.embeddings.shape, np.float32)
        matrix[UNKNOWN] = loaded.vectors.mean(axis=0)
        matrix[UNKNOWN + 1 :] = loaded.vectors
        layer.embeddings.assign(matrix)
        return layer

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(len(self.vocabulary) + UNKNOWN + 1, self.output_dim),
            initializer=self.embeddings_initializer, name="embeddings",
        )

    def encode(self, captions):
        ids = self.lookup(split_words(captions, self.max_words))  # (B, words)
        vectors = ops.take(self.embeddings, ops.cast(ids, "int32"), axis=0)  # (B, words, D)
        present = ops.cast(ops.not_equal(ids, PADDING), vectors.dtype)[..., None]
        total = ops.sum(vectors * present, axis=1)
        return total / ops.maximum(ops.sum(present, axis=1), 1.0)

    def coverage(self, captions):
        """Count the words of `captions` that are in and out of the vocabulary.

        Returns a dict: `words`, `unknown`, `unknown_fraction` and `most_common_unknown`
        (up to ten `(word, count)` pairs).
        """
        known = set(self.vocabulary)
        words = _python_words(captions, self.max_words)
        unknown = collections.Counter(word for word in words if word not in known)
        total_unknown = sum(unknown.values())
        return {
            "words": len(words),
            "unknown": total_unknown,
            "unknown_fraction": total_unknown / max(len(words), 1),
            "most_common_unknown": unknown.most_common(10),
        }

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": list(self.vocabulary),
            "output_dim": self.output_dim,
            "max_words": self.max_words,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
        }


def _python_words(captions, max_words=10_000):
    """The words kinpaint's tokeniser reads from `captions`, as one Python list."""
    words = []
    captions = check_captions(captions, "MeanWordEmbedding")
    for start in range(0, int(captions.shape[0]), 4096):
        # The ragged words, not `split_words`' (batch, max_words) padding: 4096 x 10,000 mostly
        # empty strings took 13 of the demo's first 35 s.
        batch = _ragged_words(captions[start : start + 4096])[:, :max_words].flat_values.numpy()
        words.extend(word.decode("utf-8") for word in batch if word)
    return words


def _check_vocabulary(vocabulary):
    words = [str(word) for word in vocabulary]
    if not words:
        raise ValueError("MeanWordEmbedding needs a non-empty vocabulary")
    bad = [word for word in words if not word or word != word.lower() or len(word.split()) != 1]
    if bad:
        raise ValueError(
            f"MeanWordEmbedding's vocabulary holds {len(bad)} words the tokeniser never produces "
            f"(empty, upper-case or with spaces), e.g. {bad[:3]}"
        )
    repeated = [word for word, count in collections.Counter(words).items() if count > 1]
    if repeated:
        raise ValueError(f"MeanWordEmbedding's vocabulary repeats {len(repeated)} words, e.g. {repeated[:3]}")
    return words
