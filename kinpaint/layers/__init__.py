"""Reusable Keras layers of kinpaint (`from kinpaint import layers`)."""

from kinpaint.layers.caption_encoder import CaptionEncoder, check_captions
from kinpaint.layers.caption_map import CaptionMap
from kinpaint.layers.channel_wise_dense import ChannelWiseDense
from kinpaint.layers.char_cnn_gru import CharCNNGRU
from kinpaint.layers.composite import Composite
from kinpaint.layers.fused_batch_norm import FusedBatchNormalization
from kinpaint.layers.gated_residual_block import GatedResidualBlock
from kinpaint.layers.hub_text_encoder import HubTextEncoder
from kinpaint.layers.mean_word_embedding import MeanWordEmbedding
from kinpaint.layers.sentence_encoder import SentenceEncoder
from kinpaint.layers.tiled_caption_concat import TiledCaptionConcat
