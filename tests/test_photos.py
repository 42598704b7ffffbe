"""The built-in photos data: split by photograph (`kinpaint.data.photos`)."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from kinpaint.data import photos as P
from kinpaint.data.builtin import BuiltinReader
from kinpaint.data.corpus.catalogue import CatalogueEntry
from kinpaint.data.corpus.photo_sources.base import Photograph
from kinpaint.data.photos import PHOTOGRAPHS, SPLITS, load_photograph, load_photos


def test_photos_split_by_photograph_and_are_seeded():
    assert not set(SPLITS["train"]) & set(SPLITS["test"])
    assert set(SPLITS["train"]) | set(SPLITS["test"]) == set(PHOTOGRAPHS)
    images, sources = load_photos("test", count=30, seed=1, photos="wheels")
    again, _ = load_photos("test", count=30, seed=1, photos="wheels")
    np.testing.assert_array_equal(images, again)
    assert images.shape == (30, 64, 64, 3) and set(sources) <= set(SPLITS["test"])
    assert images.std() > 20  # real texture, not flat colour


def test_every_photograph_loads_in_colour():
    for name in PHOTOGRAPHS:
        photo = load_photograph(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and min(photo.shape[:2]) >= 256, name
        assert np.abs(photo[..., 0].astype(int) - photo[..., 2]).mean() > 5, f"{name} looks gray"


@pytest.fixture
def fake_corpus(tmp_path, monkeypatch):
    """A corpus of six photographs in two packages, standing in for the installed packages."""
    entries = []
    for index, (package, split) in enumerate([("a", "train"), ("a", "train"), ("a", "val"), ("a", "test"),
                                              ("b", "train"), ("b", "test")]):
        path = tmp_path / f"{package}{index}.png"
        colour = np.full((120, 90, 3), 40 * index, np.uint8)
        colour[::7] = 255  # some texture
        Image.fromarray(colour).save(path)
        photograph = Photograph(f"{package}/{index}", package, str(path), "CC0")
        entries.append(CatalogueEntry(photograph.name, package, str(path), "CC0", (90, 120), split, (),
                                      photograph.name, photograph))
    P.corpus_catalogue.cache_clear()
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(entries))
    return entries


@pytest.mark.parametrize("size", [64, 128, 256])
def test_corpus_crops_come_from_their_split_at_any_size(fake_corpus, size):
    images, sources = load_photos("test", count=6, seed=0, size=size, photos="corpus")
    assert images.shape == (6, size, size, 3) and set(sources) <= {"a/3", "b/5"}
    assert load_photos("val", count=3, photos="corpus")[1] == ["a/2"] * 3
    assert P.resolve_photo_set("auto") == "corpus"
    assert "the corpus, 6 photographs from a, b" in P.describe_photo_set("auto")


def whole_catalogue(fake_corpus):
    """`(packages, entries)`: every corpus package's name, and the fake entries relabelled to
    give each package one photograph (a whole corpus)."""
    from kinpaint.data.corpus.catalogue import SOURCES, source_module

    packages = [source_module(name).PACKAGE for name in SOURCES]
    return packages, [dataclasses.replace(entry, package=package) for entry, package in zip(fake_corpus * 2, packages)]


def test_the_photo_set_line_names_the_corpus_packages_that_are_missing(fake_corpus, monkeypatch):
    packages, whole = whole_catalogue(fake_corpus)
    assert "NOT the whole corpus: " + ", ".join(packages) in P.describe_photo_set("auto")  # only "a" and "b"
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(whole))
    assert "NOT the whole corpus" not in P.describe_photo_set("auto")
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(whole[1:]))
    assert P.describe_photo_set("auto").endswith(f"NOT the whole corpus: {packages[0]} not installed "
                                                 "(`kinpaint info photos` says how)")


def test_figures_that_must_compare_with_the_docs_refuse_part_of_the_corpus(fake_corpus, monkeypatch):
    packages, whole = whole_catalogue(fake_corpus)
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(whole))
    assert P.missing_corpus_packages() == []
    P.require_whole_corpus()  # nothing missing: no error
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(whole[2:]))
    assert P.missing_corpus_packages() == packages[:2]
    with pytest.raises(FileNotFoundError, match=f"not whole: {packages[0]}, {packages[1]} not installed under R; "
                                                "install them with: sudo apt-get install"):
        P.require_whole_corpus("R")


def test_the_corpus_is_streamed_into_a_store_reader(fake_corpus):
    reader = BuiltinReader("photos:corpus", counts={"train": 5, "val": 2, "test": 3}, size=32)
    assert reader.splits == ("train", "val", "test") and len(reader) == 10
    examples = list(reader)
    assert [example.split for example in examples] == ["train"] * 5 + ["val"] * 2 + ["test"] * 3
    assert examples[0].image.shape == (32, 32, 3)


def test_without_the_corpus_auto_says_so_and_corpus_fails_with_the_install_command(monkeypatch):
    P.corpus_catalogue.cache_clear()
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: ())
    assert P.resolve_photo_set("auto") == "wheels"
    assert "not installed" in P.describe_photo_set("auto")
    with pytest.raises(FileNotFoundError, match="apt-get install .*gcompris-qt-data"):
        load_photos("test", count=1, photos="corpus")
    with pytest.raises(ValueError, match="photos must be one of"):
        load_photos("test", photos="everything")
