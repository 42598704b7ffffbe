"""Reusable Keras layers of kinpaint (`from kinpaint import layers`)."""

from kinpaint.layers.channel_wise_dense import ChannelWiseDense
from kinpaint.layers.composite import Composite
from kinpaint.layers.gated_residual_block import GatedResidualBlock
from kinpaint.layers.tiled_caption_concat import TiledCaptionConcat
