"""The kinds of model a training run builds, one registered entry each, in one TensorFlow-free place.

An entry (`ModelKind`) holds what the recipes, the command line, evaluation and export need
to know about a kind and that is not the model's own business: its class (imported on first
use), its run's file, run defaults, `compile` arguments, CLI flags, image grids, evaluation
name and whether it exports. What a model does (its fill, its export graph) stays in its
class. The command line builds `kinpaint train`'s parser from here without importing
TensorFlow. A new kind is one `register_model_kind` call (docs/runs.md, "Adding a model kind").

>>> kind = model_kind("pixel")
>>> kind.model_file, kind.run_defaults["captions"], kind.class_name
('pixel_inpainter.keras', 'chars', 'GatedPixelInpainter')
>>> model_kind_names()[:2]
('fourier', 'context-encoder')
"""

import dataclasses
import importlib
from types import MappingProxyType
from typing import Callable, Mapping, Optional, Union

from kinpaint.cli.arguments import learning_rate, nonnegative_float, nonnegative_int, positive_int, positive_int_list
from kinpaint.options import RECONSTRUCTIONS

RUN_DEFAULTS = ("captions", "caption_policy", "batch_size", "learning_rate")  # what each kind sets
OPTIMIZERS = ("one", "two")
MODEL_DEFAULT = " (default: the model's)"  # ends the help of a flag whose default is the constructor's


def flag(*names, **options):
    """A CLI flag of a kind: `parser.add_argument(*names, **options)`; `None` (left out) keeps
    the model's default."""
    return names, options


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """One kind of model a run builds (`RunConfig.model`, `kinpaint train NAME`).

    Args:
        name: the kind's name, e.g. `"fourier"`.
        model_class: the class, a `kinpaint.models.InpaintingModel` registered with Keras, or
            its dotted path `"package.module.Class"`, imported on first use.
        model_file: the `.keras` file a run writes into its folder (one per kind).
        help: the one-line help of `kinpaint train NAME`.
        evaluation_name: the model's rows in an evaluation table (`"Fourier inpainter"`); the
            run's table is titled with it.
        run_defaults: `captions`, `caption_policy`, `batch_size` and `learning_rate` of its runs.
        optimizers: `"one"`: `compile(optimizer=Adam(learning_rate, clipnorm=1))`; `"two"`: a
            GAN's `compile(g_optimizer=, d_optimizer=)`, Adam with beta_1 0.5 each.
        compile_settings: the `compile` arguments a run may set besides the optimizers; its
            other settings go to the constructor.
        training_options: constructor arguments that leave the fill's weights as they are,
            with their defaults (None: the model's): fine-tuning (`RunConfig.init`) takes them,
            shipping resets them.
        init_adds_captions: fine-tuning may add captions to a model trained without them.
        flags: its own `kinpaint train NAME` flags, each a `flag(...)`.
        grid_settings: `(model, seed) -> dict` of extra `ImageGrid` arguments, or None.
        latent_search: the model fills holes by a search over its latent code (a DCGAN): a
            run evaluates its first images only, and `kinpaint train` adds the search's flags.
        not_exported: why `kinpaint.export` refuses it; None: it exports (the model's
            `export_function`).
    """

    name: str
    model_class: Union[str, type]
    model_file: str
    help: str
    evaluation_name: str
    run_defaults: Mapping[str, object]
    optimizers: str = "one"
    compile_settings: tuple = ()
    training_options: Mapping[str, object] = dataclasses.field(default_factory=dict)
    init_adds_captions: bool = False
    flags: tuple = ()
    grid_settings: Optional[Callable] = None
    latent_search: bool = False
    not_exported: Optional[str] = None

    def __post_init__(self):
        missing = sorted(set(RUN_DEFAULTS) - set(self.run_defaults))
        if missing:
            raise ValueError(f"model kind {self.name!r}: run_defaults lacks {missing}")
        if self.optimizers not in OPTIMIZERS:
            raise ValueError(f"model kind {self.name!r}: optimizers must be one of {OPTIMIZERS}, "
                             f"got {self.optimizers!r}")
        if not self.model_file.endswith(".keras"):
            raise ValueError(f"model kind {self.name!r}: model_file must end in .keras, got {self.model_file!r}")
        for name in ("run_defaults", "training_options"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "compile_settings", tuple(self.compile_settings))

    @property
    def class_name(self):
        """The class's name, without importing it."""
        return self.model_class.rsplit(".", 1)[-1] if isinstance(self.model_class, str) else self.model_class.__name__

    @property
    def title(self):
        """The evaluation table's title: `evaluation_name`, capitalised."""
        return self.evaluation_name[:1].upper() + self.evaluation_name[1:]

    def load_class(self):
        """The model class (imports it, and with it TensorFlow)."""
        if not isinstance(self.model_class, str):
            return self.model_class
        module, _, name = self.model_class.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def describes(self, model):
        """True when `model` is an instance of exactly this kind's class."""
        kind = type(model)
        if isinstance(self.model_class, str):
            return self.model_class == f"{kind.__module__}.{kind.__qualname__}"
        return kind is self.model_class


_KINDS = {}


def register_model_kind(kind, replace=False):
    """Add `kind` (a `ModelKind`) to the kinds runs, the command line, evaluation and export
    know; returns it. A name or model file taken by another kind is refused unless `replace`
    (then the kind of that name is replaced). Register before `kinpaint.cli.main.build_parser`
    for its flags."""
    if not isinstance(kind, ModelKind):
        raise TypeError(f"register_model_kind takes a ModelKind, got {type(kind).__name__}")
    if kind.name in _KINDS and not replace:
        raise ValueError(f"a model kind {kind.name!r} is registered already (replace=True replaces it)")
    for other in _KINDS.values():
        if other.name != kind.name and other.model_file == kind.model_file:
            raise ValueError(f"model kind {other.name!r} writes {kind.model_file} already; a run folder tells its "
                             "kind by its model file")
    _KINDS[kind.name] = kind
    return kind


def unregister_model_kind(name):
    """Remove the kind `name` (a test's, say); returns its entry."""
    return _KINDS.pop(model_kind(name).name)


def model_kind(name):
    """The registered kind `name`; a `ValueError` names the kinds there are."""
    if name not in _KINDS:
        raise ValueError(f"model must be one of {model_kind_names()}, got {name!r}")
    return _KINDS[name]


def model_kinds():
    """Every registered `ModelKind`, in the order registered."""
    return tuple(_KINDS.values())


def model_kind_names():
    return tuple(_KINDS)


def kind_of_model(model):
    """The registered kind whose class `model` is an instance of (exactly), or None."""
    return next((kind for kind in _KINDS.values() if kind.describes(model)), None)


# Image grids.


def _pixel_samples(model, seed):
    """Three samples per row: the pixel model's fills are draws from its distribution."""
    return dict(samples=3, inpainter=model.sampler(1.0))


def _generated_samples(model, seed):
    """`G(z, caption)` of a GAN for eight fixed draws of z."""
    import numpy as np

    noise = np.random.default_rng(seed).standard_normal((8, model.noise_dim)).astype(np.float32)
    return dict(inpainter=model.samples(noise), prefix="samples")


# The kinds kinpaint ships, the model that ships pretrained first.

register_model_kind(ModelKind(
    name="fourier",
    model_class="kinpaint.models.fourier_inpainter.FourierInpainter",
    model_file="fourier_inpainter.keras",
    help="harmonic fill corrected by Fourier and gated convolutions; fills pictures of any size",
    evaluation_name="Fourier inpainter",
    run_defaults=dict(captions="none", caption_policy="random", batch_size=32, learning_rate=1e-3),
    compile_settings=("reconstruction", "discriminator_learning_rate"),
    # `adversarial` (an AdversarialTraining) and its fields as the flags give them; None: none
    training_options=dict(adversarial=None, adversarial_weight=None, discriminator_stem=None, discriminator_shift=None,
                          r1_weight=None),
    init_adds_captions=True,
    flags=(
        flag("--width", type=positive_int, help="features of the first layer, doubled per halving" + MODEL_DEFAULT),
        flag("--blocks", type=positive_int, help="residual Fourier-convolution blocks" + MODEL_DEFAULT),
        flag("--downsamples", type=nonnegative_int, help="halvings before the Fourier blocks" + MODEL_DEFAULT),
        flag("--reconstruction", choices=RECONSTRUCTIONS, help="hole loss (default: log_l2)"),
        flag("--object-layer", action="store_const", const=True,
             help="also paint a layer of colour and opacity over the fill (with --captions: an object)"),
        flag("--adversarial-weight", type=nonnegative_float,
             help="weight of a patch discriminator's loss, which rewards texture where the hole loss alone paints the "
             "mean; with --init the discriminator starts fresh (default: 0, none)"),
        flag("--discriminator-stem", action="store_const", const=True,
             help="with --adversarial-weight: the discriminator starts with a full-resolution convolution"),
        flag("--discriminator-shift", action="store_const", const=True,
             help="with --adversarial-weight: the discriminator sees real and filled pictures cropped at one random "
             "offset per step, so its stride grid meets them at a new phase"),
        flag("--r1-weight", type=nonnegative_float,
             help="with --adversarial-weight: weight of the R1 gradient penalty on real pictures in the "
             "discriminator's loss (default: 0, none)"),
        flag("--discriminator-learning-rate", type=learning_rate,
             help="with --adversarial-weight: the discriminator's Adam step (default 2e-4, beta_1 0.5)"),
        flag("--caption-noise", type=nonnegative_float,
             help="with --captions: Gaussian noise added to each caption vector in training, this many times its root "
             "mean square component, so captions never seen map to fills more smoothly (default: 0, none)"),
    ),
))

register_model_kind(ModelKind(
    name="context-encoder",
    model_class="kinpaint.models.context_encoder.ContextEncoder",
    model_file="context_encoder.keras",
    help="adversarial context encoder, optionally caption-conditioned (seed 003)",
    evaluation_name="context encoder",
    run_defaults=dict(captions="words", caption_policy="joined", batch_size=64, learning_rate=1e-3),
    optimizers="two",
    compile_settings=("adversarial_weight", "reconstruction", "reconstruction_weight"),
    flags=(
        flag("--widths", type=positive_int_list,
             help="encoder widths, one per halving, e.g. 32,64,128,256" + MODEL_DEFAULT),
        flag("--adversarial-weight", type=nonnegative_float, help="weight of the adversarial loss" + MODEL_DEFAULT),
        flag("--caption-in-decoder", action="store_const", const=True,
             help="tile the caption in before every decoder convolution, not only at the bottleneck"),
        flag("--prefill", choices=("harmonic",),
             help="fill the hole with its harmonic (smoothest) fill first; the network learns a correction"),
        flag("--contrast-normalized", action="store_const", const=True,
             help="with --prefill: the network sees the picture in units of its border's contrast, and its "
             "correction is scaled back by it"),
        flag("--reconstruction", choices=RECONSTRUCTIONS,
             help="hole loss; log_l2 (log of each image's squared error) is what a mean PSNR rewards" + MODEL_DEFAULT),
    ),
))

register_model_kind(ModelKind(
    name="pixel",
    model_class="kinpaint.models.pixel_inpainter.GatedPixelInpainter",
    model_file="pixel_inpainter.keras",
    help="gated-residual likelihood inpainter, optionally caption-conditioned (seed 004)",
    evaluation_name="pixel inpainter (mean fill)",
    run_defaults=dict(captions="chars", caption_policy="random", batch_size=32, learning_rate=1e-3),
    flags=(
        flag("--features", type=positive_int, help="features of the gated blocks (bottleneck half)" + MODEL_DEFAULT),
        flag("--blocks", type=positive_int, help="number of gated residual blocks" + MODEL_DEFAULT),
        flag("--no-caption-blocks", dest="caption_blocks", action="store_const", const=False,
             help="the caption does not condition every block"),
        flag("--no-caption-map", dest="caption_map", action="store_const", const=False,
             help="no outer-product caption map in the last layers"),
    ),
    grid_settings=_pixel_samples,
    not_exported="the pixel model predicts a 256-way distribution for every hidden value and its fills read it "
                 "three ways (mean, mode, or a random sample with a temperature and a seed); export writes the one "
                 "fill of a FourierInpainter or a ContextEncoder",
))

register_model_kind(ModelKind(
    name="dcgan",
    model_class="kinpaint.models.dcgan.DCGAN",
    model_file="dcgan.keras",
    help="DCGAN over whole images, optionally caption-conditioned, for semantic inpainting (seeds 000-002)",
    evaluation_name="semantic inpainting",
    run_defaults=dict(captions="words", caption_policy="random", batch_size=64, learning_rate=2e-4),
    optimizers="two",
    compile_settings=("d_steps", "g_steps"),
    flags=(
        flag("--noise-dim", type=positive_int, help="size of the noise z" + MODEL_DEFAULT),
        flag("--condition", choices=("both", "generator"),
             help="which networks see the caption (with --captions other than none)" + MODEL_DEFAULT),
        flag("--d-steps", type=positive_int, help="discriminator batches per round (seeds: 30, 15)" + MODEL_DEFAULT),
        flag("--g-steps", type=positive_int, help="generator batches per round (seeds: 10)" + MODEL_DEFAULT),
    ),
    grid_settings=_generated_samples,
    latent_search=True,
    not_exported="a DCGAN fills a hole by semantic inpainting, a search over its latent code (hundreds of gradient "
                 "steps per picture with their own optimiser state), not one forward graph; export a "
                 "FourierInpainter or a ContextEncoder, or the generator alone with `model.generator.export(path)` "
                 "if G(z) is what you need",
))
