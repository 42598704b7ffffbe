"""Realism: can a small CNN, trained afresh, tell a method's fills from the real pictures?

A classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017; the idea behind CoModGAN's
P-IDS), needing no downloaded network:

    result = realism_accuracy(images, filled, masks, photo_ids)
    result.accuracy     # (mean, low, high) over seeds: 0.5 cannot tell, 1.0 always tells

For each seed the pictures are split by photograph (`photo_ids`), never by crop, so a real
crop and its filled copy always land on the same side. A classifier (`build_classifier`)
sees the hole plus a margin (`hole_views`), as 3 colour channels and the hole, learns on
one side's crops and their 8 flips and rotations, and is scored on the other side's crops:
the mean of its accuracy on the real and on the filled copies. The architecture, budget and
seeds are fixed (`RealismSettings`), and every random draw comes from the seed, so a rerun
gives the same figure.

`TruthFill` and `NoiseFill` are the measure's controls: the truth itself (about 0.5) and
noise of the picture's colours pasted into the hole (near 1, although its detail is high).
"""

import dataclasses
import math
import time
import warnings

import numpy as np

from kinpaint.inpainting import known_contrast, known_mean_colour

DIHEDRAL_COPIES = 8  # 4 rotations, each mirrored or not
SEEDS = (0, 1, 2)  # the seeds `kinpaint evaluate --realism` reports the mean of
MIN_PICTURES = 4  # pictures with a hole: some to train on, some to score
FEW_PHOTOGRAPHS = 8  # below this many, which photographs a seed holds out sways its figure


@dataclasses.dataclass(frozen=True)
class RealismSettings:
    """The test's fixed choices.

    Attributes:
        input_side: the classifier's input side; a larger hole-plus-margin view is resized
            down to it (never up).
        margin: the margin around the hole's bounding box, as a fraction of its longer side.
        width: channels of the first convolution (the others 2x and 4x that).
        steps: training steps per seed.
        batch_pairs: pairs (real crop and its fill) per step.
        learning_rate: Adam's, decayed to 0 over `steps` (cosine).
        held_out: the share of the crops (whole photographs) kept to measure accuracy.
    """

    input_side: int = 64
    margin: float = 0.25
    width: int = 16
    steps: int = 300
    batch_pairs: int = 16
    learning_rate: float = 2e-3
    held_out: float = 0.5

    def __post_init__(self):
        for name in ("input_side", "width", "steps", "batch_pairs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RealismSettings.{name} must be a positive integer, got {value!r}")
        if not 0.0 <= self.margin <= 1.0:
            raise ValueError(f"RealismSettings.margin must lie in [0, 1], got {self.margin!r}")
        if not 0.0 < self.held_out < 1.0:
            raise ValueError(f"RealismSettings.held_out must lie strictly between 0 and 1, got {self.held_out!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"RealismSettings.learning_rate must be positive, got {self.learning_rate!r}")


@dataclasses.dataclass
class RealismResult:
    """What `realism_accuracy` measured.

    Attributes:
        accuracy: `(mean, low, high)`: the mean held-out accuracy over seeds and its 95%
            Student-t interval (NaN bounds with one seed).
        per_seed: the held-out accuracy of each seed.
        seeds: the seeds, in order.
        held_out_pairs: how many pairs each seed measured on.
        seconds: wall time of the whole test (every seed).
        settings: the `RealismSettings` used.
    """

    accuracy: tuple
    per_seed: tuple
    seeds: tuple
    held_out_pairs: tuple
    seconds: float
    settings: RealismSettings


def realism_accuracy(real_images, filled_images, masks, photo_ids, seeds=SEEDS, settings=None):
    """Held-out accuracy of a classifier told to separate real pictures from their fills.

    Args:
        real_images, filled_images: `(N, H, W, 3)` in [-1, 1], the truth and the same pictures
            filled by a method (known pixels equal).
        masks: `(N, H, W, 1)`, 1 = known, 0 = hole; pictures without a hole are left out.
        photo_ids: `N` ids (any hashable); crops with one id stay on one side of each split.
        seeds: one classifier and one split per seed.
        settings: `RealismSettings` (the defaults when `None`).

    Returns:
        a `RealismResult`; `result.accuracy` is `(mean, low, high)`.
    """
    settings = RealismSettings() if settings is None else settings
    real, filled, masks, photo_ids = _checked(real_images, filled_images, masks, photo_ids)
    seeds = tuple(int(seed) for seed in seeds)
    if not seeds:
        raise ValueError("realism_accuracy needs at least one seed")
    photographs = len(set(photo_ids))
    if photographs < FEW_PHOTOGRAPHS:
        warnings.warn(f"the realism test's {len(photo_ids)} pictures come from only {photographs} photographs "
                      "(or scenes): each seed holds out whole ones, so the figure depends on which, and its "
                      "interval is wide", stacklevel=2)
    began = time.perf_counter()
    real_views, filled_views = hole_views(real, filled, masks, settings.input_side, settings.margin)
    scores, held_out_pairs = [], []
    for seed in seeds:
        held_out = split_by_photograph(photo_ids, seed, settings.held_out)
        classifier = _train(real_views[~held_out], filled_views[~held_out], settings, seed)
        scores.append(_held_out_accuracy(classifier, real_views[held_out], filled_views[held_out]))
        held_out_pairs.append(int(held_out.sum()))
    return RealismResult(seed_interval(scores), tuple(scores), seeds, tuple(held_out_pairs),
                         time.perf_counter() - began, settings)


def hole_views(real_images, filled_images, masks, side=64, margin=0.25):
    """The square around each hole (its bounding box plus `margin` of its longer side on every
    side, kept inside the picture), resized down to at most `side`, for the truth and the fill.

    Returns:
        `(real_views, filled_views)`, float32 `(N, S, S, 4)`: colours less the mean colour of the
        view's known pixels, over their spread (equal for a crop and its fill, whose known
        pixels are equal; so the classifier judges texture and seams rather than a
        photograph's colours), and the hole (1 in the hole, 0 elsewhere); S is `side`, or the
        largest view's side if smaller.
    """
    import tensorflow as tf

    holes = np.asarray(masks, np.float32)[..., 0] < 0.5
    boxes = [_view_box(hole, margin) for hole in holes]
    view_side = min(int(side), max(box[2] for box in boxes))
    stacked = np.concatenate([real_images, filled_images, holes[..., None].astype(np.float32)], axis=-1)
    views = np.empty((len(stacked), view_side, view_side, 7), np.float32)
    for box_side in sorted({box[2] for box in boxes}):
        chosen = [index for index, box in enumerate(boxes) if box[2] == box_side]
        crops = np.stack([stacked[index, top:top + box_side, left:left + box_side]
                          for index in chosen for top, left, _ in [boxes[index]]])
        if box_side != view_side:
            crops = tf.image.resize(crops, (view_side, view_side), antialias=True).numpy()
        views[chosen] = crops
    hole = views[..., 6:7]
    real, filled = _contrast_normalized(views[..., 0:3], hole), _contrast_normalized(views[..., 3:6], hole)
    return np.concatenate([real, hole], -1), np.concatenate([filled, hole], -1)


def _contrast_normalized(colours, hole):
    """`(N, S, S, 3)` views less their known pixels' mean colour, over their spread (floored)."""
    known = 1.0 - hole
    return ((colours - known_mean_colour(colours, known)) / known_contrast(colours, known)).numpy()


def split_by_photograph(photo_ids, seed, held_out=0.5):
    """A boolean `(N,)`: True for the crops measured on. Whole photographs, drawn in an order
    set by `seed`, are held out until they hold `held_out` of the crops; both sides keep at
    least one photograph."""
    photo_ids = list(photo_ids)
    unique = list(dict.fromkeys(photo_ids))
    if len(unique) < 2:
        raise ValueError(f"photo_ids name {len(unique)} photograph(s); the realism test needs at least 2, "
                         "so that it can measure on photographs it did not learn from")
    counts = {photo: 0 for photo in unique}
    for photo in photo_ids:
        counts[photo] += 1
    order = np.random.default_rng(seed).permutation(len(unique))
    chosen, total = set(), 0
    for position in order[:-1]:  # the last photograph always stays on the training side
        if total >= held_out * len(photo_ids):
            break
        chosen.add(unique[position])
        total += counts[unique[position]]
    return np.array([photo in chosen for photo in photo_ids])


def seed_interval(values, level=0.95):
    """`(mean, low, high)`: the mean of accuracies `values` and its Student-t interval, kept inside
    [0, 1] (NaN bounds for one value).

    >>> seed_interval([0.5, 0.5, 0.5])
    (0.5, 0.5, 0.5)
    """
    values = np.asarray(values, np.float64)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = _student_t_quantile(0.5 + level / 2.0, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return mean, float(max(mean - half, 0.0)), float(min(mean + half, 1.0))  # an accuracy lies in [0, 1]


def build_classifier(side, width=16, seed=0):
    """The fixed classifier: five 3x3 convolutions (`width`, `width`, 2x, 2x, 4x channels; the
    2nd, 4th and 5th with stride 2), each with batch norm and ReLU, then global average and max
    pooling and one logit (positive: filled). `(B, side, side, 4)` -> `(B, 1)`."""
    import keras

    inputs = keras.Input((side, side, 4))
    features = inputs
    for index, (scale, stride) in enumerate(((1, 1), (1, 2), (2, 1), (2, 2), (4, 2))):
        initializer = keras.initializers.HeNormal(seed=seed * 101 + index)
        features = keras.layers.Conv2D(width * scale, 3, strides=stride, padding="same", use_bias=False,
                                       kernel_initializer=initializer)(features)
        features = keras.layers.BatchNormalization(momentum=0.9)(features)
        features = keras.layers.ReLU()(features)
    pooled = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(features),
                                         keras.layers.GlobalMaxPooling2D()(features)])
    logit = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 101 + 99))(pooled)
    return keras.Model(inputs, logit, name="realism_classifier")


class TruthFill:
    """A control: "fills" each hole with the truth itself (it reads the hidden pixels), so the
    realism test must score it about 0.5. `(B, H, W, 3)`, `(B, H, W, 1)` -> float32 `(B, H, W, 3)`."""

    def inpaint(self, images, masks, captions=None):
        return np.asarray(images, np.float32).copy()


class NoiseFill:
    """A control: uniform noise pasted into each hole, spanning the mean colour of the known
    pixels plus or minus twice their spread per channel: high detail, no realism (the test
    must score it near 1). `(B, H, W, 3)`, `(B, H, W, 1)` -> float32 `(B, H, W, 3)`; the same
    `seed` gives the same noise."""

    def __init__(self, seed=0):
        self.seed = seed

    def inpaint(self, images, masks, captions=None):
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        known = np.maximum(masks.sum(axis=(1, 2), keepdims=True), 1.0)
        mean = (images * masks).sum(axis=(1, 2), keepdims=True) / known
        spread = np.sqrt((np.square(images - mean) * masks).sum(axis=(1, 2), keepdims=True) / known)
        noise = np.random.default_rng(self.seed).uniform(-1.0, 1.0, images.shape).astype(np.float32)
        fills = np.clip(mean + 2.0 * spread * noise, -1.0, 1.0)
        return np.where(masks >= 1.0, images, fills).astype(np.float32)


def _checked(real_images, filled_images, masks, photo_ids):
    real = np.asarray(real_images, np.float32)
    filled = np.asarray(filled_images, np.float32)
    masks = np.asarray(masks, np.float32)
    if real.ndim != 4 or real.shape[-1] != 3:
        raise ValueError(f"real_images must have shape (N, H, W, 3), got {real.shape}")
    if filled.shape != real.shape:
        raise ValueError(f"filled_images has shape {filled.shape} but real_images has {real.shape}")
    if masks.shape != real.shape[:-1] + (1,):
        raise ValueError(f"masks must have shape {real.shape[:-1] + (1,)} (1 = known, 0 = hole), got {masks.shape}")
    photo_ids = list(photo_ids)
    if len(photo_ids) != len(real):
        raise ValueError(f"photo_ids has {len(photo_ids)} entries for {len(real)} images")
    with_hole = (masks < 0.5).any(axis=(1, 2, 3))
    if with_hole.sum() < MIN_PICTURES:
        raise ValueError(f"the realism test needs at least {MIN_PICTURES} pictures with a hole; "
                         f"got {int(with_hole.sum())}")
    kept = [photo for photo, keep in zip(photo_ids, with_hole) if keep]
    return real[with_hole], filled[with_hole], masks[with_hole], kept


def _view_box(hole, margin):
    """`(top, left, side)` of the square view around `hole` (H, W) bool, inside the picture."""
    height, width = hole.shape
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    longer = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    side = min(longer + 2 * int(round(margin * longer)), height, width)
    top = int(np.clip((rows[0] + rows[-1] + 1 - side) // 2, 0, height - side))
    left = int(np.clip((cols[0] + cols[-1] + 1 - side) // 2, 0, width - side))
    return top, left, side


def _dihedral(views, copy):
    """The `copy`-th (0-7) of the 8 rotations and mirrors of `(B, S, S, C)` views."""
    turned = np.rot90(views, copy % 4, axes=(1, 2))
    return turned[:, :, ::-1] if copy >= 4 else turned


def _train(real_views, filled_views, settings, seed):
    classifier = _fresh_classifier(real_views.shape[1], settings, seed)
    rng = np.random.default_rng([seed, 1])
    count = len(real_views)
    labels = np.concatenate([np.zeros(settings.batch_pairs), np.ones(settings.batch_pairs)])[:, None]
    order = np.empty(0, np.int64)
    for _ in range(settings.steps):
        if len(order) < settings.batch_pairs:  # each (pair, copy) once per pass
            order = np.concatenate([order, rng.permutation(count * DIHEDRAL_COPIES)])
        chosen, order = order[:settings.batch_pairs], order[settings.batch_pairs:]
        pairs, copies = chosen % count, chosen // count
        real = np.concatenate([_dihedral(real_views[[pair]], copy) for pair, copy in zip(pairs, copies)])
        filled = np.concatenate([_dihedral(filled_views[[pair]], copy) for pair, copy in zip(pairs, copies)])
        classifier.train_on_batch(np.concatenate([real, filled]), labels)
    return classifier


_compiled = {}  # (side, settings) -> the last compiled classifier, so its training step is traced once


def _fresh_classifier(side, settings, seed):
    """The compiled classifier for `side` and `settings`, holding `seed`'s initial weights and a
    new optimizer state: what building and compiling it afresh would give, without tracing its
    training step again for every seed and method."""
    import keras

    initial = build_classifier(side, settings.width, seed)
    key = (side, settings)
    if key not in _compiled:
        _compiled.clear()
        schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, settings.steps)
        initial.compile(optimizer=keras.optimizers.Adam(schedule),
                        loss=keras.losses.BinaryCrossentropy(from_logits=True), jit_compile=False)
        _compiled[key] = initial
        return initial
    classifier = _compiled[key]
    classifier.set_weights(initial.get_weights())
    for variable in classifier.optimizer.variables:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    return classifier


def _held_out_accuracy(classifier, real_views, filled_views, batch_size=256):
    """Mean of the accuracy on the real and on the filled views; each view's logit is the mean
    over its 8 rotations and mirrors."""

    def logits(views):
        total = np.zeros(len(views), np.float64)
        for copy in range(DIHEDRAL_COPIES):
            turned = np.ascontiguousarray(_dihedral(views, copy))
            for start in range(0, len(views), batch_size):
                total[start:start + batch_size] += np.asarray(
                    classifier(turned[start:start + batch_size], training=False))[:, 0]
        return total / DIHEDRAL_COPIES

    return float(((logits(real_views) < 0).mean() + (logits(filled_views) > 0).mean()) / 2.0)


def _student_t_quantile(probability, degrees):
    """The `probability` quantile of Student's t with `degrees` degrees of freedom (bisection on
    its CDF, integrated numerically; accurate to about 1e-4)."""
    log_scale = math.lgamma((degrees + 1) / 2) - math.lgamma(degrees / 2) - 0.5 * math.log(degrees * math.pi)

    def cdf(value):
        grid = np.linspace(0.0, value, 20001)
        density = np.exp(log_scale - (degrees + 1) / 2 * np.log1p(grid**2 / degrees))
        return 0.5 + float(np.sum((density[1:] + density[:-1]) / 2 * np.diff(grid)))

    low, high = 0.0, 1000.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < probability else (low, middle)
    return (low + high) / 2
