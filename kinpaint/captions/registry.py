"""Caption encoders by name, as the command line and the store's embedding cache know them."""

import os

import tensorflow as tf

from kinpaint.captions.char_cnn_gru import CharCNNGRU
from kinpaint.captions.hub_text_encoder import HubTextEncoder
from kinpaint.captions.mean_word_embedding import MeanWordEmbedding
from kinpaint.captions.sentence_encoder import SentenceEncoder
from kinpaint.options import CAPTION_ENCODER_NAMES


def caption_encoder(name):
    """Build the caption encoder called `name`.

    - `minilm`: the frozen pretrained `SentenceEncoder` (384-d; `text` extra).
    - `chars`: a `CharCNNGRU`, trained with the model.
    - `words:PATH`: a frozen `MeanWordEmbedding` of a GloVe / word2vec text file.
    - `hub:HANDLE`: a frozen `HubTextEncoder` of a SavedModel folder or hub URL.
    """
    kind, _, argument = name.partition(":")
    if kind == "minilm" and not argument:
        return SentenceEncoder()
    if kind == "chars" and not argument:
        return CharCNNGRU()
    if kind == "words" and argument:
        return MeanWordEmbedding.from_word_vectors(argument)
    if kind == "hub" and argument:
        return HubTextEncoder(argument)
    raise ValueError(f"unknown caption encoder {name!r}; expected {CAPTION_ENCODER_NAMES}")


def cache_name(name):
    """The key of `name`'s embeddings in a store: file and folder names lose their path."""
    kind, _, argument = name.partition(":")
    return f"{kind}:{os.path.basename(argument.rstrip('/'))}" if argument else kind


def frozen_caption_encoder(name):
    """`caption_encoder(name)`, refusing encoders whose weights train with a model."""
    encoder = caption_encoder(name)
    if encoder.trainable:
        raise ValueError(f"caption encoder {name!r} is trained with the model; only frozen encoders are cached")
    return encoder


def embed_store(store, name, batch_size=256, overwrite=False, encoder=None):
    """Cache the embedding of every caption of `store` by the frozen encoder `name`."""
    encoder = encoder or frozen_caption_encoder(name)
    encode = tf.function(encoder, reduce_retracing=True)
    store.add_embeddings(
        cache_name(name), lambda texts: encode(tf.constant(texts)).numpy(), batch_size=batch_size, overwrite=overwrite
    )
