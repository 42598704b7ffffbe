"""Reusable Keras layers of kinpaint (`from kinpaint import layers`).

The image layers live here; the caption encoders live in `kinpaint.captions` and are
re-exported so that `from kinpaint.layers import CharCNNGRU` keeps working.
"""

from kinpaint.captions import CaptionEncoder, CharCNNGRU, HubTextEncoder, MeanWordEmbedding, SentenceEncoder
from kinpaint.captions import check_captions
from kinpaint.layers.caption_map import CaptionMap
from kinpaint.layers.caption_film import CaptionFiLM
from kinpaint.layers.channel_wise_dense import ChannelWiseDense
from kinpaint.layers.composite import Composite
from kinpaint.layers.fourier_convolution import FourierConvolution
from kinpaint.layers.fused_batch_norm import FusedBatchNormalization
from kinpaint.layers.gated_conv2d import GatedConv2D
from kinpaint.layers.gated_residual_block import GatedResidualBlock
from kinpaint.layers.tiled_caption_concat import TiledCaptionConcat
from kinpaint.layers.patch_texture import PatchTexture
