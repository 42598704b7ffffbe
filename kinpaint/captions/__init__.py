"""Captions: the encoder layers, word-vector files, encoders by name, and a run's caption setup.

Every encoder is a Keras layer from `(B,)` caption strings to `(B, D)` vectors;
`kinpaint.layers` re-exports them beside the image layers.
"""

from kinpaint.captions.caption_encoder import CaptionEncoder, check_captions
from kinpaint.captions.caption_setup import CaptionSetup
from kinpaint.captions.char_cnn_gru import CharCNNGRU
from kinpaint.captions.hub_text_encoder import HubTextEncoder
from kinpaint.captions.mean_word_embedding import MeanWordEmbedding
from kinpaint.captions.registry import cache_name, caption_encoder, embed_store, frozen_caption_encoder
from kinpaint.captions.sentence_encoder import SentenceEncoder
from kinpaint.captions.text import join_captions
from kinpaint.captions.word_vectors import load_word_vectors
