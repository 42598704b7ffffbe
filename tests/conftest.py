"""Fixtures the tests build themselves: small image files, pickles, JSON and stores."""

import gc
import json
import os
import pickle
import sys

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if WORKERS > 1:
    # Each pytest-xdist worker (and the processes its tests start) keeps to its share of the
    # cores: more threads only contend. On 2 cores the suite took 475 s instead of 520 s (one
    # run each); CI's next run took 497 s, so the gain is within run-to-run noise there.
    share = str(max(1, (os.cpu_count() or 1) // WORKERS))
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(name, share)


def pytest_configure(config):
    """Tests trace hundreds of small graphs and run each a few times: graphs are built lean
    (tests/scripts/lean_graphs.py) and Python's collector scans less often (below). Neither
    changes what a test computes beyond float rounding; the real `kinpaint` command, run by
    users or by the tests, keeps Python's and TensorFlow's defaults."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        if by_file(config):
            config.option.loadscopereorder = False  # files go out in the order `pytest_collection_modifyitems` gives
        return  # pytest-xdist's controller runs no test: TensorFlow stays out of it
    from lean_graphs import build_graphs_lean

    build_graphs_lean()
    # Tracing allocates millions of short-lived objects, so Python's full collections come
    # often and each scans every object alive, TensorFlow's and Keras's modules included.
    # Those are frozen out of the scans, and collections come less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def by_file(config):
    """Whether pytest-xdist's controller hands whole files to its workers (`--dist loadfile` or
    `loadscope`); a worker's own `dist` option always reads "no"."""
    return getattr(config.option, "dist", None) in ("loadfile", "loadscope")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist's controller tells each worker whether it hands out whole files."""
    node.workerinput["by_file"] = by_file(node.config)


def pytest_collection_modifyitems(config, items):
    """When pytest-xdist hands out whole files, files marked `START_FIRST = True` (long tests
    that start processes of their own) go to the workers first, then the others by their number
    of tests, most first (pytest-xdist's own order). In its own order a one-test file comes last:
    the kill test started 173 s into a 205 s run and ended it alone, 25 s after the other worker."""
    if not getattr(config, "workerinput", {}).get("by_file"):
        return
    files = {}
    for item in items:
        files.setdefault(item.path, []).append(item)

    def starts_first(tests):
        return getattr(getattr(tests[0], "module", None), "START_FIRST", False)

    order = sorted(files.values(), key=lambda tests: (not starts_first(tests), -len(tests)))
    items[:] = [item for tests in order for item in tests]


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """pytest's last act is a garbage collection, to report exceptions raised in destructors;
    it scanned everything the tests left alive: 5.6 s of CPU over the two workers of a suite
    run (a profile). The young generations are collected, then what is alive is frozen, as the
    `kinpaint` command does at its exit: garbage that reached the oldest generation is no longer
    finalised at the end, so an exception in its destructor would go unreported there."""
    gc.collect(1)
    gc.freeze()


@pytest.fixture(autouse=True)
def seeded():
    """Each test starts from the same Python, NumPy, Keras and TensorFlow seeds, whatever ran
    before it: tiny untrained models can have near-ties or dead units for some initial weights.
    `keras.utils.set_random_seed` also empties TensorFlow's eager kernel cache, to restart
    stateful random kernels; neither kinpaint nor the tests run one
    (`test_kinpaint_draws_random_numbers_only_from_seeds_it_is_given` keeps it so), and
    rebuilding the cache in every test cost 5 to 8 % of five model files' time (45 -> 42 s)."""
    from unittest import mock

    import keras
    from tensorflow.python.eager import context

    with mock.patch.object(context.pywrap_tfe, "TFE_ContextClearCaches", lambda handle: None):
        keras.utils.set_random_seed(0)


def random_pixels(seed, size=64):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def write_image(path, pixels=None, seed=0, size=64, mode="RGB", format=None):
    """Write a picture file; `mode` converts it (L, RGBA, I;16, ...)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pixels = random_pixels(seed, size) if pixels is None else pixels
    image = Image.fromarray(pixels)
    if mode == "I;16":
        gray = np.asarray(image.convert("L"), np.uint16) * 257
        image = Image.fromarray(gray)
        assert image.mode in ("I;16", "I")
    elif mode != "RGB":
        image = image.convert(mode)
    image.save(path, format=format)
    return path


def write_truncated(path, seed=0):
    write_image(path, seed=seed)
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 3])
    return path


@pytest.fixture
def ift6266_root(tmp_path):
    """IFT6266 layout: 3 train + 2 val 64x64 JPEGs, and a Python-2-style pickle (bytes)."""
    root = tmp_path / "ift6266"
    captions = {}
    for split, count in (("train2014", 3), ("val2014", 2)):
        for index in range(count):
            stem = f"COCO_{split}_{index:012d}"
            write_image(str(root / split / f"{stem}.jpg"), seed=index + (10 if split == "val2014" else 0))
            captions[stem.encode()] = [f"caption {k} of {stem}".encode() for k in range(5)]
    with open(root / "dict_key_imgID_value_caps_train_and_valid.pkl", "wb") as handle:
        pickle.dump(captions, handle, protocol=2)
    return root


@pytest.fixture
def coco_root(tmp_path):
    """MSCOCO layout: non-square JPEGs of two sizes and captions_train2014.json."""
    root = tmp_path / "coco"
    images, annotations = [], []
    for index in range(3):
        name = f"COCO_train2014_{index:012d}.jpg"
        pixels = np.random.default_rng(index).integers(0, 256, (48 + 8 * index, 80, 3), dtype=np.uint8)
        write_image(str(root / "train2014" / name), pixels)
        images.append({"id": 100 + index, "file_name": name})
        annotations += [{"image_id": 100 + index, "id": k, "caption": f"photo {index} caption {k}"} for k in range(5)]
    os.makedirs(root / "annotations")
    with open(root / "annotations" / "captions_train2014.json", "w") as handle:
        json.dump({"images": images, "annotations": annotations}, handle)
    return root


@pytest.fixture
def shapes_store(tmp_path):
    """A small store of the built-in shapes data with every split."""
    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    path = str(tmp_path / "shapes.h5")
    write_store(path, open_reader("shapes", counts={"train": 40, "val": 8, "test": 12}), progress=False)
    return path


def write_rgb16_png(path, pixels16):
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one), `pixels16` uint16 (H, W, 3)."""
    import struct
    import zlib

    height, width, _ = pixels16.shape
    big_endian = pixels16.astype(">u2")
    raw = b"".join(b"\x00" + big_endian[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="session")
def text_module_dir(tmp_path_factory):
    """A tiny TensorFlow Hub style text-embedding SavedModel: hashed words, mean of 4-d vectors."""
    import tensorflow as tf

    class TinyTextEmbedding(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = tf.Variable(np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            words = tf.strings.split(tf.strings.lower(text))
            vectors = tf.gather(self.table, tf.strings.to_hash_bucket_fast(words, 32))
            counts = tf.cast(tf.maximum(words.row_lengths(), 1), tf.float32)[:, None]
            return tf.reduce_sum(vectors, axis=1) / counts

    path = str(tmp_path_factory.mktemp("hub") / "tiny_text_embedding")
    tf.saved_model.save(TinyTextEmbedding(), path)
    return path


@pytest.fixture(scope="session")
def bert_preset_dir(tmp_path_factory):
    """A tiny BERT preset folder (1 layer, 8-d) with its word-piece vocabulary."""
    keras_hub = pytest.importorskip("keras_hub")
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "blue", "dog", "square", "disc", "on", "the"]
    path = str(tmp_path_factory.mktemp("bert") / "tiny_bert")
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(vocabulary), num_layers=1, num_heads=2, hidden_dim=8,
        intermediate_dim=16, max_sequence_length=16,
    )
    backbone.save_to_preset(path)
    keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True).save_to_preset(path)
    return path
