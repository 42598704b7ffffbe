"""One training run's configuration, with the one set of defaults the recipes and the CLI share.

TensorFlow-free, so the command line builds its parser from it at start-up.
"""

import dataclasses
from typing import Optional

from kinpaint.options import MASK_KINDS, MODEL_FILES, PRECISIONS, TRAINING_CAPTION_POLICIES

# What differs between the models' documented runs; every other setting is a field default.
MODEL_RUN_DEFAULTS = {
    "context-encoder": {"captions": "words", "caption_policy": "joined", "batch_size": 64, "learning_rate": 1e-3},
    "pixel": {"captions": "chars", "caption_policy": "random", "batch_size": 32, "learning_rate": 1e-3},
    "dcgan": {"captions": "words", "caption_policy": "random", "batch_size": 64, "learning_rate": 2e-4},
    "fourier": {"captions": "none", "caption_policy": "random", "batch_size": 32, "learning_rate": 1e-3},
}
MODEL_KINDS = tuple(MODEL_FILES)
CAPTION_OPTIONS = ("caption_units", "caption_dropout", "caption_noise")  # of captions added by init
# Model options that leave the fill's weights as they are, so init takes them; their defaults.
TRAINING_OPTIONS = {"fourier": {"adversarial_weight": 0.0, "discriminator_stem": False, "discriminator_shift": False,
                                "r1_weight": 0.0, "feature_matching_weight": 0.0}}


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """A training run of one model on a store, written into a folder.

    Args:
        model: `"context-encoder"`, `"pixel"`, `"dcgan"` or `"fourier"`.
        data: a store written by `kinpaint prepare` (path).
        out: the run's folder.
        captions: `"words"`, `"chars"`, `"none"` or a frozen encoder name (see
            `kinpaint.captions.CaptionSetup`); default per model (`MODEL_RUN_DEFAULTS`).
        caption_policy: `"random"` or `"joined"`; default per model.
        epochs, batch_size, learning_rate, steps_per_epoch: the fit; `batch_size` and
            `learning_rate` default per model, `steps_per_epoch` to one pass.
        masks: `"centre"`, `"rectangle"` or `"strokes"`.
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.
        resume: continue the run in `out`; `force`: replace it.
        init: start from the weights of a trained model of the same kind (a `.keras` path or a
            pretrained name such as `"photos"`), with a fresh optimizer: fine-tuning. Its
            architecture and captions are kept, so `model_options` must be empty but for
            `TRAINING_OPTIONS` (a fourier model's `adversarial_weight`: its discriminator
            starts fresh, and without the option there is none); `captions`
            other than `"none"` add captions to a `"fourier"` model trained without them, and
            then `model_options` may set the new captions' `CAPTION_OPTIONS`.
        seed: seed of the data order, captions and masks.
        verbose: Keras' `fit` verbosity.
        model_options: the model's own constructor arguments (e.g. `{"widths": (32, 64)}`);
            what is left out takes the model's default.
        compile_options: the model's `compile` arguments besides the optimizers.

    Example:

    >>> config = RunConfig("pixel", data="shapes.h5", out="runs/pixel", epochs=3)
    >>> config.batch_size, config.captions, config.model_file
    (32, 'chars', 'pixel_inpainter.keras')
    """

    model: str
    data: str
    out: str
    captions: Optional[str] = None
    caption_policy: Optional[str] = None
    epochs: int = 10
    batch_size: Optional[int] = None
    learning_rate: Optional[float] = None
    masks: str = "centre"
    precision: str = "auto"
    steps_per_epoch: Optional[int] = None
    resume: bool = False
    force: bool = False
    init: Optional[str] = None
    seed: int = 0
    verbose: object = "auto"
    model_options: dict = dataclasses.field(default_factory=dict)
    compile_options: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.model not in MODEL_RUN_DEFAULTS:
            raise ValueError(f"model must be one of {MODEL_KINDS}, got {self.model!r}")
        for name, value in MODEL_RUN_DEFAULTS[self.model].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        choices = {"caption_policy": TRAINING_CAPTION_POLICIES, "masks": MASK_KINDS, "precision": PRECISIONS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.steps_per_epoch is not None and int(self.steps_per_epoch) < 1:
            raise ValueError(f"steps_per_epoch must be at least 1, got {self.steps_per_epoch!r}")
        for name, rate in (("learning_rate", self.learning_rate),
                           ("discriminator_learning_rate", self.compile_options.get("discriminator_learning_rate"))):
            if rate is not None and not 0 < rate <= 1:
                raise ValueError(f"{name} must be above 0 and at most 1, got {rate!r}")
        if self.resume and self.force:
            raise ValueError("resume continues a run and force replaces it: choose one")
        if self.init is not None and self.resume:
            raise ValueError("init starts a new run from a trained model and resume continues the run in out: "
                             "choose one")
        kept = set(CAPTION_OPTIONS) | set(TRAINING_OPTIONS.get(self.model, ()))
        architecture = set(self.model_options) - kept
        if self.init is not None and architecture:
            raise ValueError(f"init keeps the architecture of {self.init}; leave out {sorted(architecture)}")

    @property
    def model_file(self):
        return MODEL_FILES[self.model]
