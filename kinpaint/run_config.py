"""One training run's configuration, with the one set of defaults the recipes and the CLI share.

TensorFlow-free, so the command line builds its parser from it at start-up.
"""

import dataclasses
from typing import Optional

from kinpaint.model_kinds import model_kind
from kinpaint.options import MASK_KINDS, PRECISIONS, TRAINING_CAPTION_POLICIES

CAPTION_OPTIONS = ("caption_units", "caption_dropout", "caption_noise")  # of captions added by init


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """A training run of one model on a store, written into a folder.

    Args:
        model: a registered model kind (`kinpaint.model_kinds`): `"fourier"`,
            `"context-encoder"`, `"pixel"` or `"dcgan"`.
        data: a store written by `kinpaint prepare` (path).
        out: the run's folder.
        captions: `"words"`, `"chars"`, `"none"` or a frozen encoder name (see
            `kinpaint.captions.CaptionSetup`); default per model (its kind's `run_defaults`).
        caption_policy: `"random"` or `"joined"`; default per model.
        epochs, batch_size, learning_rate, steps_per_epoch: the fit; `batch_size` and
            `learning_rate` default per model, `steps_per_epoch` to one pass.
        masks: `"centre"`, `"rectangle"` or `"strokes"`.
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.
        resume: continue the run in `out`; `force`: replace it.
        init: start from the weights of a trained model of the same kind (a `.keras` path or a
            pretrained name such as `"photos"`), with a fresh optimizer: fine-tuning. Its
            architecture and captions are kept, so `model_options` must be empty but for
            its kind's `training_options` (a fourier model's `adversarial`, or its flat
            `adversarial_weight`, ...: its discriminator starts fresh, and without them there is
            none); `captions`
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
        kind = model_kind(self.model)  # a ValueError names the kinds
        for name, value in kind.run_defaults.items():
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
        kept = set(CAPTION_OPTIONS) | set(kind.training_options)
        architecture = set(self.model_options) - kept
        if self.init is not None and architecture:
            raise ValueError(f"init keeps the architecture of {self.init}; leave out {sorted(architecture)}")

    @property
    def model_file(self):
        return model_kind(self.model).model_file
