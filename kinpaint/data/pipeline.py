"""`tf.data` pipelines yielding batches `{"image", "mask", "caption"}`.

- `image`: float32 `(B, H, W, 3)` in [-1, 1];
- `mask`: float32 `(B, H, W, 1)`, 1 = known pixel, 0 = hole;
- `caption`: `tf.string` `(B,)`, or float32 `(B, D)` when cached embeddings are used;
  absent when the policy is `"none"`.

Caption policies (from the IFT6266 write-ups):

- `"random"`: one caption per image, drawn afresh every epoch;
- `"all"`: one example per caption (the image repeated for each of its captions);
- `"mean"`: the mean of the image's caption embeddings (needs `embeddings=`);
- `"joined"`: all of the image's captions as one text, joined by `CAPTION_SEPARATOR`
  (caption strings only: with embeddings, `"mean"` is the counterpart);
- `"none"`: no caption.

Reading is done in contiguous blocks (h5py serialises reads, so parallel random
access gains nothing), blocks are visited in a seeded random order, and examples are
shuffled again in a buffer of a few blocks. A store is streamed, never loaded whole.
"""

import itertools

import numpy as np
import tensorflow as tf

from kinpaint.data.builtin import BUILTIN_DATASETS, load_builtin
from kinpaint.data.masks import check_masks, make_masks
from kinpaint.data.store import Store
from kinpaint.images import to_model_range
from kinpaint.options import CAPTION_SEPARATOR

CAPTION_POLICIES = ("random", "all", "mean", "joined", "none")


class ArraySource:
    """In-memory data with the same read interface as `Store`.

    Args:
        images: uint8 `(N, H, W, 3)`.
        captions: optional list of N caption lists.
        embeddings: optional `{name: list of N arrays (captions of image i, D)}`.
    """

    def __init__(self, images, captions=None, embeddings=None):
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"images must be uint8 (N, H, W, 3), got {images.dtype} {images.shape}"
            )
        if images.shape[1] != images.shape[2]:
            raise ValueError(f"images must be square, got {images.shape[1]}x{images.shape[2]}")
        for what, values in (("captions", captions), *((f"embeddings[{k!r}]", v) for k, v in (embeddings or {}).items())):
            if values is not None and len(values) != len(images):
                raise ValueError(f"{what} has {len(values)} entries for {len(images)} images")
        self.images = images
        self.captions = captions
        self.embeddings = dict(embeddings or {})
        self.image_size = images.shape[1]
        self.embedding_names = tuple(self.embeddings)
        self.path = "<arrays>"

    def __len__(self):
        return len(self.images)

    @property
    def has_captions(self):
        return self.captions is not None

    def split_range(self, split=None):
        if split is not None:
            raise KeyError(f"in-memory arrays have no splits; got split={split!r}")
        return 0, len(self.images)

    def read_images(self, start, stop):
        return self.images[start:stop]

    def read_names(self, start, stop):
        return [f"image {index}" for index in range(start, stop)]

    def read_captions(self, start, stop):
        if self.captions is None:
            raise ValueError("these arrays have no captions")
        return self.captions[start:stop]

    def read_embeddings(self, name, start, stop):
        if name not in self.embeddings:
            raise KeyError(f"no embeddings {name!r}; have {list(self.embeddings)}")
        return self.embeddings[name][start:stop]


def check_batch_size(batch_size, owner):
    """Raise a `ValueError` naming `owner` unless `batch_size` is an integer of at least 1."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{owner}: batch_size must be an integer of at least 1, got {batch_size!r}")


def open_source(source, split=None, seed=0):
    """Resolve `source` to `(source object, split left to select in it)`.

    A `Store` or `ArraySource` is used as is, a string names a store file or a
    built-in dataset (whose split is generated, so nothing is left to select).
    """
    if isinstance(source, (Store, ArraySource)):
        return source, split
    if isinstance(source, str) and source in BUILTIN_DATASETS:
        if split is None:
            raise ValueError(f"name a split of the built-in dataset {source!r}, e.g. split='train'")
        images, captions = load_builtin(source, split, seed=seed)
        return ArraySource(images, captions), None
    return Store(source), split


def make_dataset(
    source,
    split=None,
    batch_size=64,
    caption_policy=None,
    embeddings=None,
    masks="centre",
    hole=None,
    shuffle=True,
    seed=0,
    block_size=256,
    drop_remainder=False,
    fixed=False,
):
    """Batches of `{"image", "mask", "caption"}` from a store, arrays or a built-in name.

    Args:
        source: a `Store`, a store path, an `ArraySource`, or `"shapes"` / `"photos"`.
        split: the split to read (`None`: the whole store).
        caption_policy: one of `"random"`, `"all"`, `"mean"`, `"joined"`, `"none"`;
            default `"random"` when the source has captions, else `"none"`.
        embeddings: name of cached caption embeddings to yield instead of strings.
        masks: `"centre"`, `"rectangle"`, `"strokes"`, or an array of masks
            `(K, H, W, 1)` to draw from.
        hole: hole side for generated masks (default: half the image side).
        shuffle: visit blocks and examples in a seeded random order.
        seed: seed of every random choice (order, captions, masks).
        block_size: images per contiguous read.
        fixed: every pass reads the same order, masks and captions, so that scores of
            different epochs compare (validation); otherwise each pass draws anew.

    Returns:
        a `tf.data.Dataset`.
    """
    check_batch_size(batch_size, "make_dataset")
    source, split = open_source(source, split, seed)
    start, stop = source.split_range(split)
    policy = _resolve_policy(caption_policy, source, embeddings)
    size = source.image_size
    if isinstance(masks, str):
        bank = make_masks(masks, 1 if masks == "centre" else 1024, size, hole or size // 2, seed)
    else:
        bank = check_masks(np.asarray(masks, np.float32), (None, size, size, 3))
        bank = bank[None] if bank.ndim == 3 else bank
    caption_spec = _caption_spec(policy, source, embeddings)
    blocks = _BlockReader(source, start, stop, policy, embeddings, len(bank), shuffle, seed, block_size, fixed)

    signature = {
        "image": tf.TensorSpec((None, size, size, 3), tf.uint8),
        "mask_index": tf.TensorSpec((None,), tf.int32),
    }
    if caption_spec is not None:
        signature["caption"] = caption_spec
    dataset = tf.data.Dataset.from_generator(blocks, output_signature=signature).unbatch()
    if shuffle:
        dataset = dataset.shuffle(4 * block_size, seed=seed, reshuffle_each_iteration=not fixed)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    bank = tf.constant(bank, tf.float32)

    def finish(batch):
        example = {"image": to_model_range(batch["image"]), "mask": tf.gather(bank, batch["mask_index"])}
        if "caption" in batch:
            example["caption"] = batch["caption"]
        return example

    dataset = dataset.map(finish, num_parallel_calls=2).prefetch(2)
    # tf.data's autotuning thread sleeps in doubling periods (10 ms, 20 ms, ... 10.24 s) and
    # deleting an iterator waits out its current sleep: a `fit` whose 20 steps trained in
    # 7.3 s returned at 10.23 s. Fixed parallelism keeps that thread from starting.
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _resolve_policy(policy, source, embeddings):
    if policy is None:
        policy = "random" if source.has_captions else "none"
    if policy not in CAPTION_POLICIES:
        raise ValueError(f"unknown caption_policy {policy!r}; choose one of {CAPTION_POLICIES}")
    if policy != "none" and not source.has_captions:
        raise ValueError(f"caption_policy={policy!r} but {source.path} has no captions")
    if policy == "mean" and embeddings is None:
        raise ValueError("caption_policy='mean' averages caption embeddings: pass embeddings=<name>")
    if policy == "joined" and embeddings is not None:
        raise ValueError("caption_policy='joined' joins caption strings; with embeddings use 'mean'")
    if embeddings is not None and embeddings not in source.embedding_names:
        raise KeyError(
            f"{source.path} has no cached embeddings {embeddings!r}; it has {list(source.embedding_names)}"
        )
    return policy


def _caption_spec(policy, source, embeddings):
    if policy == "none":
        return None
    if embeddings is None:
        return tf.TensorSpec((None,), tf.string)
    dimension = source.read_embeddings(embeddings, 0, 1)[0].shape[-1]
    return tf.TensorSpec((None, dimension), tf.float32)


class _BlockReader:
    """Callable generator of blocks; epoch `e` uses `default_rng([seed, e])`, or epoch 0's
    every time when `fixed`."""

    def __init__(self, source, start, stop, policy, embeddings, bank_size, shuffle, seed, block_size, fixed=False):
        self.source = source
        self.blocks = [(a, min(a + block_size, stop)) for a in range(start, stop, block_size)]
        self.policy = policy
        self.embeddings = embeddings
        self.bank_size = bank_size
        self.shuffle = shuffle
        self.seed = seed
        self.epochs = itertools.repeat(0) if fixed else itertools.count()

    def __call__(self):
        rng = np.random.default_rng([self.seed, next(self.epochs)])
        order = rng.permutation(len(self.blocks)) if self.shuffle else range(len(self.blocks))
        for index in order:
            yield self._read_block(*self.blocks[index], rng)

    def _read_block(self, start, stop, rng):
        images = self.source.read_images(start, stop)
        rows = np.arange(len(images))
        block = {}
        if self.policy != "none":
            if self.embeddings is None:
                values = self.source.read_captions(start, stop)
            else:
                values = self.source.read_embeddings(self.embeddings, start, stop)
            counts = np.array([len(per_image) for per_image in values])
            if not counts.all():
                name = self.source.read_names(start, stop)[int(np.argmin(counts))]
                raise ValueError(f"{self.source.path}: {name} has no caption (caption_policy={self.policy!r})")
            if self.policy == "random":
                chosen = (rng.random(len(rows)) * counts).astype(int)
                captions = [values[i][j] for i, j in zip(rows, chosen)]
            elif self.policy == "all":
                rows = np.repeat(rows, counts)
                captions = [caption for per_image in values for caption in per_image]
            elif self.policy == "joined":
                captions = [CAPTION_SEPARATOR.join(per_image) for per_image in values]
            else:  # mean
                captions = [np.mean(per_image, axis=0) for per_image in values]
            block["caption"] = np.asarray(captions, object if self.embeddings is None else np.float32)
        if self.shuffle:
            permutation = rng.permutation(len(rows))
            rows = rows[permutation]
            if "caption" in block:
                block["caption"] = block["caption"][permutation]
        block["image"] = images[rows]
        block["mask_index"] = rng.integers(0, self.bank_size, len(rows)).astype(np.int32)
        return block
