"""The documented training runs as functions: the command line calls these, and so can users."""

import csv
import os

import keras

from kinpaint.callbacks import ImageGrid, LossCurves
from kinpaint.data import Store, make_dataset
from kinpaint.evaluation import evaluate_inpainter, format_table
from kinpaint.inpainting import MeanColourFill
from kinpaint.saving import load_model

MODEL_FILE, HISTORY_FILE, CURVES_FILE, TABLE_FILE = "context_encoder.keras", "history.csv", "loss.png", "evaluation.md"
PIXEL_MODEL_FILE, GAN_MODEL_FILE = "pixel_inpainter.keras", "dcgan.keras"


def split_or_whole(store, split):
    """`split` when the store has it, else `None` (the whole store)."""
    return split if split in store.splits else None


def choose_policy(model, policy="random", embeddings=None):
    """The pipeline's caption policy for `model`: `policy` when it reads captions, else `"none"`.

    `"random"` gives one caption per image, drawn afresh every epoch; `"joined"` gives all
    of the image's captions as one text, or, for a model reading cached vectors
    (`embeddings`), the mean of their vectors (see `kinpaint.data.make_dataset`).
    """
    if policy not in ("random", "joined"):
        raise ValueError(f"caption_policy must be 'random' or 'joined', got {policy!r}")
    if not model.conditioned:
        return "none"
    return "mean" if policy == "joined" and embeddings is not None else policy


def caption_setup(store, captions, policy="random"):
    """`(caption_encoder or None, caption_dim or None, cached embedding name or None)` for `captions`.

    `"words"`: a `MeanWordEmbedding` over the training captions' words, trained with the
    model, reading as many words as the longest training text under `policy` has.
    `"none"`: no conditioning. Other names (see `kinpaint.encoders`): read from the store's
    cache when `kinpaint prepare --embed` filled it, else the encoder runs in the model.
    """
    from kinpaint.data.pipeline import CAPTION_SEPARATOR
    from kinpaint.encoders import cache_name, caption_encoder
    from kinpaint.layers import MeanWordEmbedding
    from kinpaint.layers.mean_word_embedding import word_counts

    if captions in (None, "none"):
        return None, None, None
    if not store.has_captions:
        raise ValueError(f"{store.path} has no captions; train with --captions none")
    if captions == "words":
        start, stop = store.split_range(split_or_whole(store, "train"))
        per_image = store.read_captions(start, stop)
        texts = [text for image in per_image for text in image]
        longest = [CAPTION_SEPARATOR.join(image) for image in per_image] if policy == "joined" else texts
        max_words = max(32, int(word_counts(longest).max()))
        return MeanWordEmbedding.from_captions(texts, output_dim=64, min_count=2, max_words=max_words), None, None
    cached = cache_name(captions)
    if cached in store.embedding_names:
        return None, store.read_embeddings(cached, 0, 1)[0].shape[-1], cached
    return caption_encoder(captions), None, None


def train_context_encoder(data, out, captions="words", epochs=10, batch_size=64, widths=(32, 64, 128, 256),
                          precision="auto", adversarial_weight=0.001, learning_rate=1e-3, masks="centre",
                          steps_per_epoch=None, resume=False, force=False, seed=0, verbose="auto",
                          caption_in_decoder=False, caption_policy="joined", prefill=None,
                          contrast_normalized=False, reconstruction="l2"):
    """Train a `ContextEncoder` on a store, writing into `out` (see `train_run`).

    Captions are all of the image's joined by default: on `shapes` that beat one random
    caption per step (docs/benchmarks.md).

    Returns `(model, history dict)`.
    """
    from kinpaint.models import ContextEncoder
    from kinpaint.models.training import default_adam

    def build(store, encoder, caption_dim):
        model = ContextEncoder(image_size=store.image_size, widths=widths, caption_encoder=encoder,
                               caption_dim=caption_dim, caption_in_decoder=caption_in_decoder, prefill=prefill,
                               contrast_normalized=contrast_normalized, precision=precision)
        model.compile(default_adam(learning_rate), default_adam(learning_rate), adversarial_weight=adversarial_weight,
                      reconstruction=reconstruction)
        return model

    return train_run(MODEL_FILE, build, data, out, captions, epochs, batch_size, masks, steps_per_epoch, resume,
                     force, seed, verbose, caption_policy=caption_policy)


def train_pixel_inpainter(data, out, captions="chars", epochs=10, batch_size=32, features=64, blocks=16,
                          caption_blocks=True, caption_map=True, precision="auto", learning_rate=1e-3,
                          masks="centre", steps_per_epoch=None, resume=False, force=False, seed=0, verbose="auto",
                          caption_policy="random"):
    """Train a `GatedPixelInpainter` by likelihood on a store, writing into `out` (see `train_run`).

    The image grids show three samples per row at temperature 1. Returns `(model, history dict)`.
    """
    from kinpaint.models import GatedPixelInpainter

    def build(store, encoder, caption_dim):
        model = GatedPixelInpainter(image_size=store.image_size, features=features, bottleneck=features // 2,
                                    blocks=blocks, caption_encoder=encoder, caption_dim=caption_dim,
                                    caption_blocks=caption_blocks, caption_map=caption_map, precision=precision)
        model.compile(keras.optimizers.Adam(learning_rate, clipnorm=1.0))
        return model

    return train_run(PIXEL_MODEL_FILE, build, data, out, captions, epochs, batch_size, masks, steps_per_epoch,
                     resume, force, seed, verbose, grid=lambda model: dict(samples=3, inpainter=model.sampler(1.0)),
                     caption_policy=caption_policy)


def train_dcgan(data, out, captions="words", epochs=10, batch_size=64, noise_dim=100, condition="both",
                d_steps=1, g_steps=1, precision="auto", learning_rate=2e-4, steps_per_epoch=None, resume=False,
                force=False, seed=0, verbose="auto", masks="centre", caption_policy="random"):
    """Train a `DCGAN` on a store's whole images, writing into `out` (see `train_run`).

    The image grids show `G(z, caption)` for a fixed noise batch beside the real images.
    Returns `(model, history dict)`.
    """
    import numpy as np

    from kinpaint.models import DCGAN
    from kinpaint.models.training import default_adam

    def build(store, encoder, caption_dim):
        model = DCGAN(image_size=store.image_size, noise_dim=noise_dim, caption_encoder=encoder,
                      caption_dim=caption_dim, condition=condition if encoder or caption_dim else "none",
                      precision=precision)
        model.compile(default_adam(learning_rate), default_adam(learning_rate), d_steps=d_steps, g_steps=g_steps)
        return model

    def grid(model):
        noise = np.random.default_rng(seed).standard_normal((8, model.noise_dim)).astype(np.float32)
        return dict(inpainter=model.samples(noise), prefix="samples")

    return train_run(GAN_MODEL_FILE, build, data, out, captions, epochs, batch_size, masks, steps_per_epoch,
                     resume, force, seed, verbose, grid=grid, caption_policy=caption_policy)


def train_run(model_file, build, data, out, captions, epochs, batch_size, masks="centre", steps_per_epoch=None,
              resume=False, force=False, seed=0, verbose="auto", grid=None, caption_policy="random"):
    """Fit the model `build(store, caption_encoder, caption_dim)` returns, writing into `out`:

    `model_file` (every epoch, with the optimizers' state: `resume=True` continues it),
    `history.csv`, `loss.png` and `grids/grid_epoch_NNNN.png`. An existing run in `out`
    is an error unless `resume` (continue it) or `force` (replace it). `grid(model)`
    gives extra `ImageGrid` arguments; `caption_policy` is `"random"` (one caption per
    image) or `"joined"` (all of them as one text). Returns `(model, history dict)`.
    """
    store = Store(data)
    paths = {name: os.path.join(out, name) for name in (model_file, HISTORY_FILE, CURVES_FILE, "grids")}
    existing = os.path.exists(paths[model_file])
    if existing and not (resume or force):
        raise FileExistsError(f"{paths[model_file]} exists: pass --resume to continue it or --force to replace it")
    if resume and not existing:
        raise FileNotFoundError(f"nothing to resume: {paths[model_file]} does not exist")
    os.makedirs(out, exist_ok=True)

    history = _read_history(paths[HISTORY_FILE]) if resume else {}
    if resume:
        model = load_model(paths[model_file])
        embeddings = _embeddings_of(model, store, captions)
    else:
        encoder, caption_dim, embeddings = caption_setup(store, captions, caption_policy)
        model = build(store, encoder, caption_dim)
        if os.path.exists(paths[HISTORY_FILE]):
            os.remove(paths[HISTORY_FILE])  # --force: the old run's log goes with its model
    initial_epoch = len(next(iter(history.values()), []))
    policy = choose_policy(model, caption_policy, embeddings)
    train_split = split_or_whole(store, "train")
    start, stop = store.split_range(train_split)
    if stop - start < batch_size:
        raise ValueError(f"{store.path} has {stop - start} training images, fewer than one batch of {batch_size}")
    steps_per_epoch = steps_per_epoch or (stop - start) // batch_size
    train = make_dataset(store, train_split, batch_size, policy, embeddings, masks=masks, seed=seed,
                         drop_remainder=True).repeat()
    validation = None
    if "val" in store.splits:
        validation = make_dataset(store, "val", batch_size, policy, embeddings, masks=masks, shuffle=False, seed=seed)
    sample_data = make_dataset(store, split_or_whole(store, "val"), 8, policy, embeddings, masks=masks, shuffle=False)
    sample = next(iter(sample_data))
    callbacks = [
        keras.callbacks.ModelCheckpoint(paths[model_file]),
        keras.callbacks.CSVLogger(paths[HISTORY_FILE], append=resume),
        LossCurves(paths[CURVES_FILE], history),
        ImageGrid.from_batch(sample, paths["grids"], overwrite=True, **(grid(model) if grid else {})),
        keras.callbacks.TerminateOnNaN(),
    ]
    result = model.fit(train, validation_data=validation, epochs=initial_epoch + epochs, initial_epoch=initial_epoch,
                       steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=verbose)
    for name, values in result.history.items():
        history.setdefault(name, []).extend(values)
    return model, history


MODEL_NAMES = {"ContextEncoder": "context encoder", "GatedPixelInpainter": "pixel inpainter (mean fill)",
               "DCGAN": "semantic inpainting"}


def evaluate_model(model, data, split="test", batch_size=64, captions="words", masks="centre", max_batches=None,
                   inpainter=None, caption_policy="random"):
    """Rows of hole metrics: the model with captions (given as in training: `caption_policy`),
    without, and the mean-colour fill.

    `inpainter` fills the holes when the model does not itself (a DCGAN's
    `semantic_inpainter()`). A likelihood model's rows also hold its `bits_per_dim`.
    """
    store = Store(data)
    embeddings = _embeddings_of(model, store, captions)
    name = MODEL_NAMES.get(type(model).__name__, type(model).__name__)
    inpainter = inpainter or model
    settings = [(f"{name}, captions", True), (f"{name}, no captions", False)] if model.conditioned else [(name, False)]
    rows = {}
    for row, use_captions in settings:
        policy = choose_policy(model, caption_policy, embeddings) if use_captions else "none"
        test = make_dataset(store, split, batch_size, policy, embeddings, masks=masks, shuffle=False)
        rows[row] = evaluate_inpainter(inpainter, test, use_captions, max_batches)
        if hasattr(model, "nll"):
            logs = model.evaluate(test if max_batches is None else test.take(max_batches), verbose=0, return_dict=True)
            rows[row]["bits_per_dim"] = logs["bits_per_dim"]
    test = make_dataset(store, split, batch_size, "none", masks=masks, shuffle=False)
    rows["mean colour fill"] = evaluate_inpainter(MeanColourFill(), test, False, max_batches)
    return rows


def write_table(rows, path, title):
    """The evaluation table as Markdown; returns the text."""
    from kinpaint.files import atomic_path

    columns = ("hole_psnr", "hole_ssim", "hole_l1", "image_psnr")
    if any("bits_per_dim" in row for row in rows.values()):
        columns += ("bits_per_dim",)
    text = f"# {title}\n\n```\n{format_table(rows, columns)}\n```\n"
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
    return text


def _embeddings_of(model, store, captions):
    """The cached embedding name a model of precomputed vectors reads, else None."""
    if model.caption_encoder is not None or not model.conditioned:
        return None
    from kinpaint.encoders import cache_name

    name = cache_name(captions)
    if name not in store.embedding_names:
        raise KeyError(f"the model reads cached caption vectors but {store.path} has no {name!r} cache; "
                       f"run `kinpaint prepare ... --embed {captions}`")
    return name


def _read_history(path):
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {name: [float(row[name]) for row in rows] for name in (rows[0] if rows else {}) if name != "epoch"}

