"""kinpaint's models: each fills holes through `inpaint(images, masks, captions=None)`."""

from kinpaint.models.base import InpaintingModel
from kinpaint.models.context_encoder import ContextEncoder, build_context_discriminator, build_context_generator
from kinpaint.models.dcgan import DCGAN, build_dcgan_discriminator, build_dcgan_generator
from kinpaint.models.fourier_inpainter import FourierInpainter, build_fourier_generator
from kinpaint.models.patch_discriminator import AdversarialTraining, build_patch_discriminator
from kinpaint.models.pixel_inpainter import GatedPixelInpainter, build_pixel_network, hole_nll
from kinpaint.models.precision import resolve_precision
from kinpaint.models.semantic import SemanticInpainter, contextual_weights
from kinpaint.models.realistic import RealisticInpainter
