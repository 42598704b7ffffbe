"""The photo corpus's catalogue: photographs kept, split by scene, bad files skipped by name."""

import types

import numpy as np
import pytest
from PIL import Image

from kinpaint.data.corpus.catalogue import assign_splits, photo_catalogue, split_of
from kinpaint.data.corpus.photo_sources.base import Photograph


def write_photo(path, seed, size=(40, 30)):
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return str(path)


def fake_source(package, photographs):
    return types.SimpleNamespace(PACKAGE=package, REGISTRY="debian", INSTALL=f"apt-get install {package}",
                                 find=lambda root=None, warn=None: photographs)


def test_split_of_is_fixed_and_near_80_10_10():
    names = [f"package/photo_{index}" for index in range(4000)]
    splits = [split_of(name) for name in names]
    assert splits == [split_of(name) for name in names]
    counts = {split: splits.count(split) / len(splits) for split in ("train", "val", "test")}
    assert counts["train"] == pytest.approx(0.8, abs=0.03)
    assert counts["val"] == pytest.approx(0.1, abs=0.02) and counts["test"] == pytest.approx(0.1, abs=0.02)


def test_a_scene_stays_in_one_split_and_every_package_reaches_test():
    pair = [Photograph(f"a/{side}", "a", "x", "CC0", scene="a/stereo") for side in ("left", "right")]
    singles = [Photograph(f"b/{index}", "b", "x", "CC0") for index in range(3)]
    splits = assign_splits(pair + singles)
    assert set(splits) == {"a/stereo", "b/0", "b/1", "b/2"}  # one split per scene
    assert splits["a/stereo"] == "test"  # package a has one scene: it goes to test
    assert "test" in {splits[f"b/{index}"] for index in range(3)}


def test_catalogue_records_sizes_licences_and_skips_bad_files_by_name(tmp_path):
    good = [Photograph(f"fake/{index}", "fake", write_photo(tmp_path / f"{index}.png", index), "CC-BY-4.0",
                       captions=("a title",)) for index in range(4)]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    other = [Photograph("other/broken", "other", str(broken), "CC0"),
             Photograph("other/fine", "other", write_photo(tmp_path / "fine.png", 9, (50, 20)), "CC0")]
    warnings = []
    entries = photo_catalogue(warn=warnings.append, sources=[fake_source("fake", good), fake_source("other", other)])
    assert [entry.name for entry in entries] == ["fake/0", "fake/1", "fake/2", "fake/3", "other/fine"]
    assert entries[-1].size == (50, 20) and entries[0].licence == "CC-BY-4.0" and entries[0].captions == ("a title",)
    assert len(warnings) == 1 and "other/broken" in warnings[0] and "broken.jpg" in warnings[0]
    assert entries[0].load().size == (40, 30)
    assert {entry.package for entry in entries if entry.split == "test"} == {"fake", "other"}


def test_two_photographs_of_one_name_are_refused(tmp_path):
    path = write_photo(tmp_path / "p.png", 0)
    twins = [Photograph("x/p", "x", path, "CC0"), Photograph("x/p", "x", path, "CC0")]
    with pytest.raises(ValueError, match="share a name"):
        photo_catalogue(sources=[fake_source("x", twins)])
