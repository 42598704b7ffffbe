"""Fuzz (issue 35): hostile HDF5 stores and hostile `.keras` model files, seeded.

A store is data a user may have been sent: it must never be trusted as it claims. Each store
here is built with h5py to lie about itself (huge declared images, a billion declared images,
splits past the data or overlapping, wrong dtypes, damaged attributes, captions that do not
add up, data kept in another file) and must be refused when it is opened, by
`kinpaint.data.Store`, `kinpaint info` and `kinpaint train`, with a `ValueError` whose message
names the store and the attribute or dataset at fault: never a crash, a hang or a silent
success. The `.keras` files are cut, name unknown classes, declare absurd sizes, hide a
zip-bomb member or carry weights of the wrong shapes, and `kinpaint.load_model` must name the
file in a `ValueError`.
"""

import contextlib
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

from kinpaint.cli.main import main
from kinpaint.data.store import FORMAT, StoreError

SEED = 35
COUNT, SIDE = 6, 8  # images of the honest store, and their side
TEXT = h5py.string_dtype("utf-8")


def honest_store(path, count=COUNT, side=SIDE):
    """The layout `write_store` makes, written by hand so that each case can change one thing."""
    rng = np.random.default_rng(SEED)
    with h5py.File(path, "w") as file:
        file.create_dataset("images", data=rng.integers(0, 256, (count, side, side, 3), dtype=np.uint8),
                            maxshape=(None, side, side, 3), chunks=(4, side, side, 3))
        file.create_dataset("names", data=[f"image {i}" for i in range(count)], dtype=TEXT)
        captions = [f"caption {k} of {i}" for i in range(count) for k in range(2)]
        file.create_dataset("captions", data=captions, dtype=TEXT)
        file.create_dataset("caption_offsets", data=np.arange(0, 2 * count + 1, 2, dtype=np.int64))
        file.create_group("embeddings").create_dataset("lengths", data=np.ones((2 * count, 4), np.float32))
        file.attrs.update(format=FORMAT, version=1, image_size=side, source="fuzz", report="",
                          splits=json.dumps({"train": [0, count - 2], "val": [count - 2, count]}))
    return str(path)


def replace(file, name, **dataset):
    del file[name]
    file.create_dataset(name, **dataset)


def set_attribute(name, value):
    return lambda file: file.attrs.__setitem__(name, value)


def splits(table):
    return set_attribute("splits", json.dumps(table))


def huge_images(file):
    """A few kilobytes declaring 3 pictures of 60000 x 60000 (the chunks are never written)."""
    replace(file, "images", shape=(3, 60000, 60000, 3), dtype=np.uint8, chunks=(1, 64, 64, 3))
    file.attrs["image_size"] = 60000


def billion_images(file):
    """A billion declared images over the 6 written ones: the rest would read as zeros."""
    file["images"].resize(10**9, axis=0)
    file.attrs["splits"] = json.dumps({"train": [0, 10**9]})


def unwritten_images(file):
    """The honest count of images, declared but never written (every chunk missing)."""
    replace(file, "images", shape=(COUNT, SIDE, SIDE, 3), dtype=np.uint8, chunks=(4, SIDE, SIDE, 3))


def external_images(file):
    """Pixels kept in another file (HDF5 external storage): a store reads only itself."""
    folder = os.path.dirname(file.filename)
    outside = os.path.join(folder, "outside.bin")
    with open(outside, "wb") as handle:
        handle.write(bytes(COUNT * SIDE * SIDE * 3))
    replace(file, "images", shape=(COUNT, SIDE, SIDE, 3), dtype=np.uint8, external=[(outside, 0, h5py.h5f.UNLIMITED)])


def bomb_images(file):
    """Gzip-compressed zeros: every chunk there, each declaring 16 MB."""
    replace(file, "images", data=np.zeros((COUNT, 2048, 2048, 3), np.uint8), chunks=(1, 2048, 2048, 3),
            compression="gzip")
    file.attrs["image_size"] = 2048


def float_images(file):
    replace(file, "images", data=np.zeros((COUNT, SIDE, SIDE, 3), np.float32))


def offsets(values):
    return lambda file: replace(file, "caption_offsets", data=np.asarray(values, np.int64))


def delete(name):
    return lambda file: file.__delitem__(name)


def delete_attribute(name):
    return lambda file: file.attrs.__delitem__(name)


# name -> (change to the honest store, the attribute or dataset the message must name)
HOSTILE_STORES = {
    "huge declared images": (huge_images, "images"),
    "a billion declared images": (billion_images, "images"),
    "declared images never written": (unwritten_images, "images"),
    "images kept in another file": (external_images, "images"),
    "images above the largest side": (bomb_images, "images"),
    "float32 images": (float_images, "images"),
    "int16 images": (lambda file: replace(file, "images", data=np.zeros((COUNT, SIDE, SIDE, 3), np.int16)), "images"),
    "four channels": (lambda file: replace(file, "images", data=np.zeros((COUNT, SIDE, SIDE, 4), np.uint8)), "images"),
    "images of three axes": (lambda file: replace(file, "images", data=np.zeros((COUNT, SIDE, 3), np.uint8)), "images"),
    "images not square": (lambda file: replace(file, "images", data=np.zeros((COUNT, SIDE, SIDE + 2, 3), np.uint8)),
                          "images"),
    "no images": (delete("images"), "images"),
    "an images group": (lambda file: (file.__delitem__("images"), file.create_group("images")), "images"),
    "image_size differs from the images": (set_attribute("image_size", SIDE * 2), "image_size"),
    "image_size not a number": (set_attribute("image_size", "big"), "image_size"),
    "image_size missing": (delete_attribute("image_size"), "image_size"),
    "a split past the data": (splits({"train": [0, 4], "val": [4, 9]}), "splits"),
    "a split starting past the data": (splits({"train": [0, 4], "test": [7, 9]}), "splits"),
    "overlapping splits": (splits({"train": [0, 4], "val": [2, 6]}), "splits"),
    "a reversed split": (splits({"train": [4, 2]}), "splits"),
    "a negative split start": (splits({"train": [-2, 4]}), "splits"),
    "a split of fractions": (splits({"train": [0, 2.5]}), "splits"),
    "a split of texts": (splits({"train": ["0", "4"]}), "splits"),
    "a split of three numbers": (splits({"train": [0, 2, 4]}), "splits"),
    "splits as a list": (set_attribute("splits", json.dumps([[0, 4]])), "splits"),
    "splits not JSON": (set_attribute("splits", "{train: 0..4"), "splits"),
    "splits as numbers": (set_attribute("splits", np.arange(4)), "splits"),
    "splits missing": (delete_attribute("splits"), "splits"),
    "version not a number": (set_attribute("version", "one"), "version"),
    "version missing": (delete_attribute("version"), "version"),
    "version from the future": (set_attribute("version", 99), "version"),
    "version zero": (set_attribute("version", 0), "version"),
    "format as an array": (set_attribute("format", np.arange(3)), "format"),
    "source as an array": (set_attribute("source", np.arange(3)), "source"),
    "fewer names than images": (lambda file: replace(file, "names", data=["a"], dtype=TEXT), "names"),
    "names as numbers": (lambda file: replace(file, "names", data=np.arange(COUNT)), "names"),
    "caption offsets one short": (offsets(np.arange(0, 2 * COUNT, 2)), "caption_offsets"),
    "caption offsets past the captions": (offsets([0, 2, 4, 6, 8, 10, 99]), "caption_offsets"),
    "caption offsets decreasing": (offsets([0, 2, 4, 3, 8, 10, 12]), "caption_offsets"),
    "caption offsets not from 0": (offsets([2, 2, 4, 6, 8, 10, 12]), "caption_offsets"),
    "caption offsets as floats": (lambda file: replace(file, "caption_offsets",
                                                       data=np.arange(0, 2 * COUNT + 1, 2.0)), "caption_offsets"),
    "captions as numbers": (lambda file: replace(file, "captions", data=np.arange(2 * COUNT)), "captions"),
    "captions without offsets": (delete("caption_offsets"), "caption_offsets"),
    "embeddings of another count": (lambda file: replace(file, "embeddings/lengths", data=np.ones((3, 4), np.float32)),
                                    "embeddings/lengths"),
    "embeddings as texts": (lambda file: replace(file, "embeddings/lengths", data=["x"] * 2 * COUNT, dtype=TEXT),
                            "embeddings/lengths"),
}


def hostile_store(folder, name):
    change, _ = HOSTILE_STORES[name]
    path = honest_store(os.path.join(folder, "store.h5"))
    with h5py.File(path, "a") as file:
        change(file)
    return path


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([os.fspath(argument) for argument in argv])
    return code, err.getvalue()


def test_the_honest_store_opens_and_reads(tmp_path):
    from kinpaint.data.store import Store

    store = Store(honest_store(tmp_path / "store.h5"))
    assert len(store) == COUNT and store.splits == {"train": (0, COUNT - 2), "val": (COUNT - 2, COUNT)}
    assert store.read_captions(0, 2) == [["caption 0 of 0", "caption 1 of 0"], ["caption 0 of 1", "caption 1 of 1"]]
    assert store.read_embeddings("lengths", 0, 1)[0].shape == (2, 4)


@pytest.mark.parametrize("case", sorted(HOSTILE_STORES))
def test_a_hostile_store_is_refused_naming_the_store_and_the_attribute(tmp_path, case):
    from kinpaint.data.store import Store

    path = hostile_store(str(tmp_path), case)
    with pytest.raises(StoreError) as refused:
        Store(path)
    message = str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert path in message and HOSTILE_STORES[case][1] in message and "\n" not in message


@pytest.mark.parametrize("case", ["a billion declared images", "a split past the data", "splits not JSON",
                                  "version not a number", "format as an array"])
def test_info_on_a_hostile_store_prints_one_line_naming_it(tmp_path, case):
    path = hostile_store(str(tmp_path), case)
    code, stderr = run_cli(["info", path])
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinpaint info: error: ") and path in lines[0]
    assert HOSTILE_STORES[case][1] in lines[0]


@pytest.mark.parametrize("case", ["huge declared images", "a billion declared images", "a split past the data"])
def test_train_refuses_a_hostile_store_before_any_work(tmp_path, case):
    path = hostile_store(str(tmp_path), case)
    run = tmp_path / "run"
    code, stderr = run_cli(["train", "fourier", "--data", path, "--out", run, "--width", "4", "--blocks", "1",
                            "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "1"])
    assert code == 2 and path in stderr and HOSTILE_STORES[case][1] in stderr, stderr
    assert not run.exists()


# Model files.


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    """Two tiny honest `.keras` files of the same model, one 4 and one 8 channels wide."""
    from kinpaint.models import FourierInpainter

    folder = tmp_path_factory.mktemp("models")
    files = {}
    for width in (4, 8):
        files[width] = str(folder / f"width_{width}.keras")
        FourierInpainter(image_size=8, width=width, blocks=1, downsamples=1).save(files[width])
    return files


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def with_config(change):
    def make(files):
        parts = members(files[4])
        config = json.loads(parts["config.json"])
        change(config)
        return {**parts, "config.json": json.dumps(config).encode()}
    return make


def setting(**values):
    return with_config(lambda config: config["config"].update(values))


def replaced(name, data):
    return lambda files: {**members(files[4]), name: data}


def padded_config(spaces):
    return lambda files: {**members(files[4]), "config.json": members(files[4])["config.json"] + b" " * spaces}


# name -> the members of a hostile `.keras` file, from the honest ones
HOSTILE_MODELS = {
    "a class nobody registered": with_config(lambda config: config.update(class_name="NoSuchInpainter",
                                                                          registered_name="kinpaint>NoSuchInpainter")),
    "a class named from the os module": with_config(lambda config: config.update(module="os", class_name="system",
                                                                                 registered_name=None)),
    "a width of a million": setting(width=10**6),
    "an image side of a billion": setting(image_size=10**9),
    "a million blocks": setting(blocks=10**6),
    "wide layers in many blocks": setting(width=4096, blocks=256),
    "a negative width": setting(width=-4),
    "a width in words": setting(width="wide"),
    "a fractional width": setting(width=4.5),
    "config.json not JSON": replaced("config.json", b"{not json"),
    "config.json a JSON list": replaced("config.json", b"[1, 2]"),
    "config.json nested 100000 deep": replaced("config.json", b"[" * 100000 + b"]" * 100000),
    "config.json missing": lambda files: {name: data for name, data in members(files[4]).items()
                                          if name != "config.json"},
    "a zip-bomb member": lambda files: {**members(files[4]), "assets/padding": bytes(80 * 2**20)},
    "a 20 MB config.json": padded_config(20 * 2**20),
    "weights of another width": lambda files: {**members(files[4]),
                                                "model.weights.h5": members(files[8])["model.weights.h5"]},
    "weights that are not HDF5": replaced("model.weights.h5", b"not an HDF5 file" * 64),
    "no weights": lambda files: {name: data for name, data in members(files[4]).items() if name != "model.weights.h5"},
}


def hostile_model(folder, name, files):
    path = os.path.join(folder, "model.keras")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in HOSTILE_MODELS[name](files).items():
            archive.writestr(member, data)
    return path


def cut_model(folder, files, index):
    """The honest file cut at a seeded point."""
    with open(files[4], "rb") as handle:
        data = handle.read()
    cut = int(np.random.default_rng([SEED, index]).integers(1, len(data)))
    path = os.path.join(folder, f"cut_{index}.keras")
    with open(path, "wb") as handle:
        handle.write(data[:cut])
    return path


def test_the_honest_model_files_load(model_files):
    import kinpaint

    assert kinpaint.load_model(model_files[4]).width == 4


@pytest.mark.parametrize("case", [*sorted(HOSTILE_MODELS), *(f"cut #{index}" for index in range(4))])
def test_a_hostile_model_file_is_refused_naming_it(tmp_path, model_files, case):
    import kinpaint

    if case.startswith("cut #"):
        path = cut_model(str(tmp_path), model_files, int(case[len("cut #"):]))
    else:
        path = hostile_model(str(tmp_path), case, model_files)
    with pytest.raises(ValueError) as refused:
        kinpaint.load_model(path)
    message = str(refused.value)
    assert message.startswith(path) and "\n" not in message and len(message) < 600, message


@pytest.mark.parametrize("case", ["a width of a million", "weights of another width", "a class nobody registered"])
def test_inpaint_with_a_hostile_model_file_prints_one_line_naming_it(tmp_path, model_files, case):
    from PIL import Image

    path = hostile_model(str(tmp_path), case, model_files)
    picture = str(tmp_path / "picture.png")
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(picture)
    code, stderr = run_cli(["inpaint", "--model", path, "--image", picture, "--centre", "--out",
                            tmp_path / "filled.png"])
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and path in lines[0], stderr
    assert not (tmp_path / "filled.png").exists()
