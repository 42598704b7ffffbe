import os

import h5py
import numpy as np
import pytest

from kinpaint.data.ift6266 import IFT6266Reader
from kinpaint.data.records import Example, Report
from kinpaint.data.store import Store, write_store


class ListReader:
    """A reader over a fixed list of examples (what write_store needs: len, iter, report)."""

    def __init__(self, examples):
        self.examples = examples
        self.report = Report()

    def __len__(self):
        return len(self.examples)

    def __iter__(self):
        return iter(self.examples)


def examples(count=5, size=8, seed=0):
    rng = np.random.default_rng(seed)
    split = ["train"] * (count - 2) + ["test"] * 2
    return [
        Example(f"img{i}", rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
                [f"caption {k} of {i} \u00e9\u4e2d\U0001F600" for k in range(i % 3 + 1)], split[i])
        for i in range(count)
    ]


def test_round_trip_gives_identical_bytes_and_captions(tmp_path):
    source = examples()
    path = str(tmp_path / "s.h5")
    write_store(path, ListReader(source), progress=False, source="unit test")
    with Store(path) as store:
        assert len(store) == 5 and store.image_size == 8
        assert store.splits == {"train": (0, 3), "test": (3, 5)}
        np.testing.assert_array_equal(store.read_images(0, 5), np.stack([e.image for e in source]))
        assert store.read_captions(0, 5) == [e.captions for e in source]
        assert store.read_names(1, 3) == ["img1", "img2"]
        assert store.read_captions(*store.split_range("test")) == [source[3].captions, source[4].captions]
        assert "images: 5 of 8x8" in store.summary()
    with h5py.File(path) as file:
        assert file["images"].dtype == np.uint8 and file["images"].chunks[1:] == (8, 8, 3)


def test_prepared_ift6266_store_matches_the_files(tmp_path, ift6266_root):
    path = str(tmp_path / "ift.h5")
    write_store(path, IFT6266Reader(str(ift6266_root)), progress=False)
    expected = list(IFT6266Reader(str(ift6266_root)))
    store = Store(path)
    np.testing.assert_array_equal(store.read_images(0, len(store)), np.stack([e.image for e in expected]))
    assert store.read_captions(0, len(store)) == [e.captions for e in expected]
    assert store.splits == {"train": (0, 3), "val": (3, 5)}


def test_existing_store_is_never_overwritten_without_force(tmp_path):
    path = str(tmp_path / "s.h5")
    write_store(path, ListReader(examples(seed=1)), progress=False)
    before = open(path, "rb").read()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        write_store(path, ListReader(examples(seed=2)), progress=False)
    assert open(path, "rb").read() == before
    write_store(path, ListReader(examples(seed=2)), force=True, progress=False)
    assert open(path, "rb").read() != before


def test_failed_preparation_leaves_old_store_and_no_temporary(tmp_path):
    path = str(tmp_path / "s.h5")
    write_store(path, ListReader(examples(seed=1)), progress=False)
    before = open(path, "rb").read()
    bad = examples(seed=2)
    bad[3] = Example("odd", np.zeros((9, 9, 3), np.uint8), ["x"], "test")
    with pytest.raises(ValueError, match=r"odd: image shape \(9, 9, 3\) differs"):
        write_store(path, ListReader(bad), force=True, progress=False)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["s.h5"]


def test_empty_source_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no usable image"):
        write_store(str(tmp_path / "s.h5"), ListReader([]), progress=False)
    assert not os.path.exists(tmp_path / "s.h5")


def test_split_must_be_contiguous(tmp_path):
    source = examples()
    for example, split in zip(source, ["train", "test", "train", "test", "test"]):
        example.split = split
    with pytest.raises(ValueError, match="split 'train' is not contiguous"):
        write_store(str(tmp_path / "s.h5"), ListReader(source), progress=False)


def test_embedding_cache(tmp_path):
    path = str(tmp_path / "s.h5")
    source = examples()
    write_store(path, ListReader(source), progress=False)
    store = Store(path)

    def encode(texts):
        return np.array([[len(text), text.count(" ")] for text in texts], np.float32)

    store.add_embeddings("length", encode, batch_size=2, progress=False)
    assert Store(path).embedding_names == ("length",)
    vectors = store.read_embeddings("length", 0, 5)
    for example, per_image in zip(source, vectors):
        np.testing.assert_array_equal(per_image, encode(example.captions))
    with pytest.raises(FileExistsError, match="already caches embeddings 'length'"):
        store.add_embeddings("length", encode, progress=False)
    with pytest.raises(KeyError, match="no cached embeddings 'other'"):
        store.read_embeddings("other", 0, 1)


def test_failed_embedding_leaves_no_partial_cache(tmp_path):
    path = str(tmp_path / "s.h5")
    write_store(path, ListReader(examples()), progress=False)
    calls = []

    def flaky(texts):
        calls.append(len(texts))
        if len(calls) == 2:
            raise RuntimeError("encoder crashed")
        return np.zeros((len(texts), 4), np.float32)

    with pytest.raises(RuntimeError, match="encoder crashed"):
        Store(path).add_embeddings("flaky", flaky, batch_size=3, progress=False)
    assert Store(path).embedding_names == ()


def test_bad_store_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
        Store(str(tmp_path / "missing.h5"))
    (tmp_path / "junk.h5").write_text("junk")
    with pytest.raises(ValueError, match=r"junk\.h5: not a readable HDF5 file"):
        Store(str(tmp_path / "junk.h5"))
    with h5py.File(tmp_path / "other.h5", "w") as file:
        file["x"] = 1
    with pytest.raises(ValueError, match=r"other\.h5: not a kinpaint store"):
        Store(str(tmp_path / "other.h5"))


@pytest.mark.slow
def test_force_replaces_stores_only_never_a_datasets_own_files(tmp_path):
    from kinpaint.data import open_reader, write_store

    captions = tmp_path / "captions.jsonl"
    captions.write_text('{"file": "a.png", "captions": ["a dog"]}\n')
    with pytest.raises(FileExistsError, match="not a kinpaint store"):
        write_store(str(captions), open_reader("shapes", counts={"train": 2}), force=True, progress=False)
    assert captions.read_text() == '{"file": "a.png", "captions": ["a dog"]}\n'
    with pytest.raises(FileExistsError, match="not a kinpaint store"):
        write_store(str(tmp_path), open_reader("shapes", counts={"train": 2}), force=True, progress=False)
    weights = tmp_path / "weights.h5"  # an HDF5 file kinpaint did not write
    with h5py.File(weights, "w") as file:
        file["weights"] = np.arange(4.0)
    with pytest.raises(FileExistsError, match="weights.h5 exists and is not a kinpaint store"):
        write_store(str(weights), open_reader("shapes", counts={"train": 2}), force=True, progress=False)
    with h5py.File(weights, "r") as file:
        np.testing.assert_array_equal(file["weights"][()], np.arange(4.0))
    store = tmp_path / "s.h5"
    write_store(str(store), open_reader("shapes", counts={"train": 2}), progress=False)
    write_store(str(store), open_reader("shapes", counts={"train": 3}), force=True, progress=False)


def test_the_next_run_removes_a_killed_runs_temporary_store(tmp_path):
    path = tmp_path / "s.h5"
    stale = tmp_path / ".s.h5.abcd1234.tmp.h5"  # what atomic_path names it while prepare writes
    stale.write_bytes(b"half a store")
    other = tmp_path / ".t.h5.abcd1234.tmp.h5"  # another store's: left alone
    other.write_bytes(b"half another store")
    write_store(str(path), ListReader(examples()), progress=False)
    assert sorted(os.listdir(tmp_path)) == [".t.h5.abcd1234.tmp.h5", "s.h5"]


def test_write_store_refuses_images_a_store_cannot_hold(tmp_path):
    from kinpaint.data.store import MAX_IMAGE_SIDE

    wide = [Example("wide", np.zeros((8, 10, 3), np.uint8), ["x"], "train")]
    with pytest.raises(ValueError, match=r"square, with a side of 1 to \d+; got 10x8"):
        write_store(str(tmp_path / "s.h5"), ListReader(wide), progress=False)
    assert os.listdir(tmp_path) == []
    from kinpaint.cli.main import main

    assert main(["prepare", "shapes", "--out", str(tmp_path / "s.h5"), "--size", str(MAX_IMAGE_SIDE + 1)]) == 2
    assert os.listdir(tmp_path) == []


def test_an_unfinished_embeddings_cache_is_not_listed(tmp_path):
    path = str(tmp_path / "s.h5")
    write_store(path, ListReader(examples()), progress=False)
    with h5py.File(path, "a") as file:  # a run killed while embedding leaves this
        file["embeddings"].create_dataset(".incomplete-minilm", (3, 4), np.float32)
    assert Store(path).embedding_names == ()


def test_prepare_stopped_by_sigterm_removes_its_temporary_store(tmp_path, monkeypatch):
    import signal

    import kinpaint.data.store as store_module
    from kinpaint.cli.main import main

    adding = store_module._Writer.add

    def add_then_terminate(self, example):  # `kill PID` while the store is being written
        adding(self, example)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(store_module._Writer, "add", add_then_terminate)
    unhandled = []  # without prepare's own handler, the test's sees the signal and the write goes on
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: unhandled.append(signum))
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["prepare", "shapes", "--count", "train=3", "--size", "8", "--out", str(tmp_path / "s.h5")])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.code == 143 and not unhandled
    assert os.listdir(tmp_path) == []
