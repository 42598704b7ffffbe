"""One table for every method: kinpaint models and classical fills on the same images and masks,
with a caption ablation for every model that reads captions (`kinpaint evaluate`).

    results = kinpaint.evaluate("shapes", ["mean", "harmonic", "runs/demo/context_encoder.keras"],
                                count=256, out="results/shapes")

Per image and method, the metrics of `reported_metrics`: hole PSNR and SSIM, whole-image PSNR
and SSIM, hole L1 and L2, hole detail (the fill's fine detail against the truth's: 1 as sharp,
below 1 blurred), and bits per dimension where the method has a likelihood. Every summary is
a mean over images with a 95% percentile-bootstrap interval (`statistics`: 2,000 resamples
of the images, seeded), so reruns give the same interval.

A caption-aware method is measured three times on the same images and masks: with the
image's own captions (`true`), with the captions of another image of the set (`other`:
image i gets image i+1's, a fixed derangement), and with none (`none`). The gaps
`true - other` and `true - none` are per-image differences, with their own intervals: a
model that ignores its captions shows gaps whose intervals contain zero.
"""

import dataclasses
import os
import time

import numpy as np

from kinpaint.evaluation.methods import condition_captions, resolve_method
from kinpaint.evaluation.realism import MIN_PICTURES
from kinpaint.evaluation.report import REPORT_COMMAND, REPORT_FILES, write_report
from kinpaint.evaluation.reported_metrics import measure
from kinpaint.evaluation.statistics import summarize
from kinpaint.options import CAPTION_SEPARATOR, MASK_KINDS

CONDITIONS = ("true", "other", "none")  # the caption ablation
EVALUATION_CAPTIONS = ("joined", "first")  # which text of an image's captions a method reads


@dataclasses.dataclass
class Evaluation:
    """What `evaluate` measured.

    Attributes:
        records: one dict per method x caption condition x image: `method`, `condition`,
            `image`, the metrics, and `seconds` (the method's time per image in that run).
        summary: `{(method, condition): {metric: (mean, low, high)}, "images/s": value}`.
        gaps: `{method: {"true - other": {metric: (mean, low, high)}, "true - none": ...}}`.
        images, masks: the evaluated truth `(N, S, S, 3)` in [-1, 1] and masks `(N, S, S, 1)`.
        captions: the caption text of each image (or `None`).
        fills: `{method: (N, S, S, 3)}`, each method's fills with the true captions.
        settings: what was evaluated, for the report's header.
        realism: `{method: RealismResult}` when asked for (`evaluate(..., realism=True)`); each
            result's `accuracy` is also the summary's `"realism"` of the row of those fills.
    """

    records: list
    summary: dict
    gaps: dict
    images: np.ndarray
    masks: np.ndarray
    captions: list
    fills: dict
    settings: dict
    realism: dict = dataclasses.field(default_factory=dict)


def evaluate(data, methods, split="test", masks="centre", count=None, seed=0, batch_size=32, captions="joined",
             embeddings=None, search=None, out=None, force=False, progress=True, command=None, realism=False,
             photo_ids=None):
    """Measure every method on the same images and masks; write a report with `out`.

    Args:
        data: a store written by `kinpaint prepare`, or a built-in name (`"shapes"`, `"photos"`).
        methods: a list of baseline names (`kinpaint.baselines.BASELINES`), `.keras` files
            saved by kinpaint, `(name, inpainter)` pairs, or `Method`s.
        split: the split to read (a store without splits is read whole).
        masks: `"centre"`, `"rectangle"` or `"strokes"`, drawn from `seed`.
        count: evaluate the first `count` images only.
        captions: the text a model reads for an image: `"joined"` (all of its captions,
            as `caption_policy="joined"` trains) or `"first"`.
        embeddings: the store's cached caption vectors, for models that read vectors.
        search: `SemanticInpainter` options for DCGAN files (e.g. `{"restarts": 4, "steps": 200}`).
        out: a folder for `results.md`, `results.csv` and `grid.png`; an existing one is
            refused unless `force`, which replaces only the report files kinpaint evaluate
            wrote there (`check_report_folder`).
        progress: show a progress bar over methods and batches.
        command: the command line to print at the top of `results.md`.
        realism: also measure each method's realism (`kinpaint.evaluation.realism`: a classifier
            trained afresh to tell its fills from the truth, split by photograph; minutes per
            method): `True` for the fixed `RealismSettings`, or a `RealismSettings`.
        photo_ids: each evaluated image's photograph, for the realism test's split; by default
            read from the built-in data, and for a store each image is taken as its own.

    Returns:
        an `Evaluation`.
    """
    from kinpaint.images import to_model_range

    from kinpaint.data.pipeline import check_batch_size

    check_batch_size(batch_size, "evaluate")
    if masks not in MASK_KINDS:
        raise ValueError(f"masks must be one of {MASK_KINDS}, got {masks!r}")
    if captions not in EVALUATION_CAPTIONS:
        raise ValueError(f"captions must be one of {EVALUATION_CAPTIONS}, got {captions!r}")
    if not methods:
        raise ValueError("name at least one method to evaluate")
    if out is not None:
        check_report_folder(out, data, methods, embeddings, force)
    pixels, texts, vectors = read_evaluation_data(data, split, count, seed, captions, embeddings)
    if realism and photo_ids is not None and len(photo_ids) != len(pixels):
        raise ValueError(f"photo_ids has {len(photo_ids)} entries for the {len(pixels)} images evaluated")
    if realism and len(pixels) < MIN_PICTURES:
        raise ValueError(f"realism needs at least {MIN_PICTURES} images, half to train its classifier on "
                         f"and half to score it; {data} ({split}) gives {len(pixels)}")
    resolved = [resolve_method(method, search) for method in methods]
    names = [method.name for method in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"two methods share a name: {names}")
    images = to_model_range(pixels)
    size = images.shape[1]
    for method in resolved:
        fixed_size = not getattr(method.model, "fills_any_size", False)
        if method.model is not None and fixed_size and getattr(method.model, "image_size", size) != size:
            raise ValueError(f"{method.name} fills {method.model.image_size}x{method.model.image_size} images but "
                             f"{data} holds {size}x{size} images")
        condition_captions(method, "true", texts, vectors)  # a method's captions are there before any work
    from kinpaint.data.masks import make_masks

    hole_masks = make_masks(masks, len(images), size, size // 2, seed)
    runs = [(method, condition) for method in resolved
            for condition in (CONDITIONS if method.reads_captions else ("none",))]
    bar = _progress(len(runs) * _batches(len(images), batch_size), progress)
    records, fills = [], {}
    for method, condition in runs:
        method_captions = condition_captions(method, condition, texts, vectors)
        filled, seconds = _fill(method, images, hole_masks, method_captions, batch_size, bar)
        if condition == ("true" if method.reads_captions else "none"):
            fills[method.name] = filled
        bits = _bits_per_dim(method, images, hole_masks, method_captions, batch_size)
        records += _image_records(method.name, condition, images, filled, hole_masks, bits, seconds)
    summary, gaps = summarize(records, seed)
    settings = {"data": str(data), "split": split, "masks": masks, "images": len(images), "seed": seed,
                "captions": captions, "methods": names, "command": command}
    evaluation = Evaluation(records, summary, gaps, images, hole_masks, texts, fills, settings)
    if realism:
        _add_realism(evaluation, realism, photo_ids, count, progress)
    if out is not None:
        write_report(evaluation, out)
    return evaluation


def check_report_folder(out, data, methods, embeddings=None, force=False):
    """Refuse, before any work, an `out` that cannot take `evaluate`'s report
    (`kinpaint.files.check_output_folder`): an existing folder without `force`, a report file
    there that kinpaint evaluate did not write even with it, or one that is an input."""
    from kinpaint.files import check_output_folder
    from kinpaint.pretrained_models import split_side

    inputs = {"--data store": data, "--embeddings file": embeddings}
    for method in methods:
        if isinstance(method, str):
            inputs[f"method {method}"] = split_side(method)[0]
    check_output_folder(out, REPORT_FILES, force=force, inputs=inputs, command=REPORT_COMMAND)


def read_evaluation_data(data, split, count, seed, captions="joined", embeddings=None):
    """`(uint8 images (N, S, S, 3), caption texts or None, caption vectors (N, D) or None)`."""
    from kinpaint.data.builtin import BUILTIN_DATASETS, load_builtin

    vectors = None
    if isinstance(data, str) and data in BUILTIN_DATASETS:
        if embeddings is not None:
            raise ValueError(f"the built-in {data!r} data has no cached caption vectors; prepare a store with "
                             "`kinpaint prepare ... --embed` to evaluate a model that reads vectors")
        pixels, per_image = load_builtin(data, split, count=count, seed=seed)
    else:
        from kinpaint.data.store import Store

        if not os.path.exists(data):
            raise FileNotFoundError(f"no store or built-in dataset called {data!r}; built-in: {BUILTIN_DATASETS}")
        store = Store(data)
        if store.splits and split not in store.splits:
            raise ValueError(f"{data} has no split {split!r}; its splits are {', '.join(store.splits)}")
        start, stop = store.split_range(split if split in store.splits else None)
        stop = stop if count is None else min(stop, start + int(count))
        pixels = store.read_images(start, stop)
        per_image = store.read_captions(start, stop) if store.has_captions else None
        if embeddings is not None:
            cached = store.read_embeddings(embeddings, start, stop)
            vectors = np.stack([values.mean(axis=0) if captions == "joined" else values[0] for values in cached])
    if len(pixels) < 2:
        raise ValueError(f"{data} ({split}) has {len(pixels)} image(s); the evaluation needs at least 2")
    texts = None
    if per_image is not None:
        texts = [CAPTION_SEPARATOR.join(image) if captions == "joined" else image[0] for image in per_image]
    return np.asarray(pixels), texts, vectors


def evaluation_photo_ids(data, split, count, seed):
    """Each image's scene (its photograph, or the photographs of one scene together) in
    `read_evaluation_data`'s order, for the realism test's split, or `None` where the data does
    not say: a store (it keeps a name per crop) and `shapes` (each scene drawn on its own)."""
    from kinpaint.data.builtin import BUILTIN_DATASETS, photo_set

    if not isinstance(data, str) or data not in BUILTIN_DATASETS or data == "shapes":
        return None
    if data == "objects":
        from kinpaint.data.objects import load_objects

        names = [example["photograph"] for example in load_objects(split, count=count, seed=seed)[2]["examples"]]
    else:
        from kinpaint.data.photos import load_photos

        names = load_photos(split, count=count, seed=seed, photos=photo_set(data))[1]
    return photo_scenes(names)


def photo_scenes(names, root=None):
    """The corpus scene of each photograph name (a name outside the corpus is its own scene)."""
    from kinpaint.data.photos import corpus_catalogue

    scenes = {entry.name: entry.scene for entry in corpus_catalogue(root)}
    return [scenes.get(name, name) for name in names]


def _add_realism(evaluation, realism, photo_ids, count, progress):
    """Measure the realism of every method's fills; fill `evaluation.realism`, the summary's
    `"realism"` cells and `settings["realism"]`."""
    from kinpaint.evaluation.realism import SEEDS, RealismSettings, realism_accuracy

    settings = realism if isinstance(realism, RealismSettings) else RealismSettings()
    if photo_ids is None:
        photo_ids = evaluation_photo_ids(evaluation.settings["data"], evaluation.settings["split"], count,
                                         evaluation.settings["seed"])
    split_by = "photograph (a scene's together)" if photo_ids is not None else "image (the data names none)"
    photo_ids = list(range(len(evaluation.images))) if photo_ids is None else list(photo_ids)
    for name, filled in evaluation.fills.items():
        result = realism_accuracy(evaluation.images, filled, evaluation.masks, photo_ids, SEEDS, settings)
        evaluation.realism[name] = result
        condition = "true" if (name, "true") in evaluation.summary else "none"  # the condition of `fills`
        evaluation.summary[(name, condition)]["realism"] = result.accuracy
        if progress:
            print(f"realism of {name}: {result.accuracy[0]:.3f} ({result.seconds:.0f} s)", flush=True)
    evaluation.settings["realism"] = {"seeds": SEEDS, "split_by": split_by, "settings": settings}


def _fill(method, images, masks, captions, batch_size, bar):
    # One untimed batch first, so that no method's time includes building its graphs.
    method.inpainter.inpaint(images[:batch_size], masks[:batch_size], None if captions is None else captions[:batch_size])
    parts, seconds = [], 0.0
    for start in range(0, len(images), batch_size):
        chunk = slice(start, start + batch_size)
        began = time.perf_counter()
        filled = method.inpainter.inpaint(images[chunk], masks[chunk], None if captions is None else captions[chunk])
        parts.append(np.asarray(filled, np.float32))
        seconds += time.perf_counter() - began
        if bar is not None:
            bar.add(1)
    return np.concatenate(parts), seconds


def _bits_per_dim(method, images, masks, captions, batch_size):
    if method.model is None or not hasattr(method.model, "nll"):
        return None
    from kinpaint.models.pixel_inpainter import hole_values

    nats = method.model.nll(images, masks, captions, batch_size=batch_size)
    return np.asarray(nats) / np.maximum(np.asarray(hole_values(masks)), 1.0) / np.log(2.0)


def _image_records(name, condition, images, filled, masks, bits, seconds):
    values = measure(images, filled, masks)
    per_image = seconds / len(images)
    return [{"method": name, "condition": condition, "image": index,
             **{metric: float(values[metric][index]) for metric in values},
             "bits_per_dim": None if bits is None else float(bits[index]), "seconds": per_image}
            for index in range(len(images))]


def _batches(count, batch_size):
    return -(-count // batch_size)


def _progress(target, enabled):
    if not enabled:
        return None
    from keras.utils import Progbar

    return Progbar(target, unit_name="batch")
