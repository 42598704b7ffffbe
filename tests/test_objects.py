"""The built-in `objects` dataset: stamps hidden in scene crops (`kinpaint.data.objects`).

A fake stamp tree (test_stamps.write_stamp_tree) and a fake photo corpus stand in for the
packages, so nothing here needs them installed.
"""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from test_stamps import write_stamp_tree

from kinpaint.data import objects as O
from kinpaint.data import photos as P
from kinpaint.data.corpus import stamps as S
from kinpaint.data.builtin import BuiltinReader
from kinpaint.data.corpus.catalogue import CatalogueEntry
from kinpaint.data.corpus.photo_sources.base import Photograph

SCENES = {"a/0": ("train", ("brick walls",)), "a/1": ("train", ("Bent Pyramid", "A long text on the pyramid.")),
          "a/2": ("val", ()), "b/3": ("test", ("a beach at dawn",)), "b/4": ("test", ())}
SEEN = {"animals/birds/drake", "animals/mammals/doe", "food/fruit/apple_fuji", "food/fruit/apple_red",
        "hobbies/guitar", "naturalforces/explosion", "people/fireman"}


@pytest.fixture
def objects_root(tmp_path, monkeypatch):
    """A stamp tree under the returned root, and a corpus of five textured photographs."""
    write_stamp_tree(str(tmp_path))
    entries = []
    for index, (name, (split, captions)) in enumerate(SCENES.items()):
        path = tmp_path / f"scene{index}.png"
        Image.fromarray(np.random.default_rng(index).integers(0, 256, (100, 130, 3), dtype=np.uint8)).save(path)
        photograph = Photograph(name, name[0], str(path), "CC0", captions)
        entries.append(CatalogueEntry(name, name[0], str(path), "CC0", (130, 100), split, captions, name, photograph))
    P.corpus_catalogue.cache_clear()
    monkeypatch.setattr(P, "corpus_catalogue", lambda root=None: tuple(entries))
    S.photographic_stamps.cache_clear()
    yield str(tmp_path)
    S.photographic_stamps.cache_clear()


def test_each_split_draws_its_stamps_on_its_scenes_and_is_seeded(objects_root):
    images, captions, info = O.load_objects("train", count=40, seed=3, root=objects_root)
    again, captions_again, _ = O.load_objects("train", count=40, seed=3, root=objects_root)
    np.testing.assert_array_equal(images, again)
    assert captions == captions_again and images.shape == (40, 64, 64, 3) and images.dtype == np.uint8
    assert not np.array_equal(images, O.load_objects("train", count=40, seed=4, root=objects_root)[0])
    assert {example["stamp"] for example in info["examples"]} == SEEN  # 40 draws meet all 7 seen stamps
    assert {example["photograph"] for example in info["examples"]} == {"a/0", "a/1"}
    assert info["stamps"] == 7 and info["skipped_for_language"] == 0 and info["language"] == "en"
    _, _, val = O.load_objects("val", count=5, root=objects_root)
    assert {example["photograph"] for example in val["examples"]} == {"a/2"}
    _, _, unseen = O.load_objects("test_unseen", count=5, root=objects_root)
    assert {example["stamp"] for example in unseen["examples"]} == {"animals/fish/trout"}
    with pytest.raises(ValueError, match="unknown split 'tests'.*test_unseen"):
        O.load_objects("tests", root=objects_root)


def test_the_stamp_lies_wholly_inside_the_hidden_centre(objects_root):
    images, _, info = O.load_objects("test", count=30, seed=0, root=objects_root)
    scenes = [crop for crop, _ in P.iter_photo_crops("test", 30, 0, 64, "corpus", objects_root)]
    border = np.ones((64, 64), bool)
    border[16:48, 16:48] = False
    for image, scene, example in zip(images, scenes, info["examples"]):
        np.testing.assert_array_equal(image[border], scene[border])  # the border is the scene alone
        assert 16 <= example["top"] and example["top"] + example["height"] <= 48
        assert 16 <= example["left"] and example["left"] + example["width"] <= 48
        assert max(example["height"], example["width"]) >= int(O.SIDE_RANGE[0] * 32)
        box = (slice(example["top"], example["top"] + example["height"]),
               slice(example["left"], example["left"] + example["width"]))
        assert np.abs(image[box].astype(int) - scene[box]).mean() > 10  # the stamp is there
    # test_unseen hides other objects in the same scenes
    unseen, _, _ = O.load_objects("test_unseen", count=30, seed=0, root=objects_root)
    np.testing.assert_array_equal(unseen[:, border], images[:, border])
    assert not np.array_equal(unseen, images)


def test_placements_stay_inside_for_any_shape_and_respect_nomirror():
    rng = np.random.default_rng(0)
    for stamp_size in [(300, 4), (4, 300), (50, 50), (3, 3)]:
        for _ in range(50):
            placement = O.draw_placement(rng, stamp_size, 64, mirror=False)
            assert not placement["flip"]
            assert 16 <= placement["top"] and placement["top"] + placement["height"] <= 48
            assert 16 <= placement["left"] and placement["left"] + placement["width"] <= 48
            assert placement["height"] >= 1 and placement["width"] >= 1
    flips = [O.draw_placement(rng, (40, 30), 64)["flip"] for _ in range(200)]
    assert 60 < sum(flips) < 140
    placement = O.draw_placement(np.random.default_rng(1), (40, 30), 96)
    assert 24 <= placement["top"] and placement["top"] + placement["height"] <= 72  # centre of a 96 image


def test_a_nomirror_stamp_is_never_flipped_and_others_are(objects_root):
    _, _, info = O.load_objects("train", count=120, seed=0, root=objects_root)
    flips = {}
    for example in info["examples"]:
        flips.setdefault(example["stamp"], set()).add(example["flip"])
    assert flips["hobbies/guitar"] == {False}
    assert flips["animals/birds/drake"] == {False, True}


def test_captions_are_the_stamp_then_the_scene_as_written(objects_root):
    _, captions, info = O.load_objects("train", count=60, seed=0, root=objects_root)
    descriptions = {stamp.name: stamp.description for stamp in S.photographic_stamps(objects_root)}
    for caption, example in zip(captions, info["examples"]):
        scene = {"a/0": "Brick walls.", "a/1": "Bent Pyramid."}[example["photograph"]]
        assert caption == [f"{descriptions[example['stamp']]} {scene}"]
    assert ["A drake. Brick walls."] in captions
    _, val_captions, val = O.load_objects("val", count=10, seed=0, root=objects_root)  # a/2 has no text
    assert all(caption == [descriptions[example["stamp"]]] for caption, example in zip(val_captions, val["examples"]))
    assert O.scene_text(("  a beach  at dawn ", "")) == "A beach at dawn." and O.scene_text(()) is None
    assert O.scene_text(("Is it?",)) == "Is it?"


def test_other_languages_use_the_stamps_translations_and_skip_stamps_without_one(objects_root):
    _, captions, info = O.load_objects("train", count=40, seed=0, root=objects_root, language="de")
    assert info["stamps"] == 3 and info["skipped_for_language"] == 4
    assert {caption[0] for caption in captions} == {"Ein Erpel.", "Eine Gitarre.", "Ein Fuji-Apfel."}
    _, captions, _ = O.load_objects("train", count=40, seed=0, root=objects_root, language="cs")
    assert {caption[0] for caption in captions} == {"Kačer."}  # no scene text: the corpus's is English
    with pytest.raises(ValueError, match="no unseen stamp has a description in 'ja'; languages: en, fr"):
        O.load_objects("test_unseen", count=2, root=objects_root, language="ja")


def test_non_ascii_captions_go_through_the_cli_and_the_store_intact(objects_root, tmp_path, monkeypatch):
    from kinpaint.cli.main import main
    from kinpaint.data.store import Store

    monkeypatch.setattr(S, "STAMPS", S.stamp_folder(objects_root))  # the installed stamps are the fake tree
    S.photographic_stamps.cache_clear()
    store = tmp_path / "objects_cs.h5"
    code = main(["prepare", "objects", "--out", str(store), "--caption-language", "cs", "--count", "train=6",
                 "--count", "val=2", "--count", "test=2", "--count", "test_unseen=0"])
    assert code in (0, None)
    with Store(store) as data:
        assert data.splits == {"train": (0, 6), "val": (6, 8), "test": (8, 10)}  # no test_unseen image
        assert data.read_captions(0, 10) == [["Kačer."]] * 10
        assert "objects (cs captions)" in data.summary()
    assert main(["prepare", "objects", "--out", str(tmp_path / "x.h5"), "--caption-language", "xx",
                 "--count", "train=1"]) == 2
    assert not (tmp_path / "x.h5").exists()
    assert main(["prepare", "shapes", "--out", str(tmp_path / "y.h5"), "--caption-language", "fr"]) == 2


def test_the_reader_streams_every_split(objects_root, monkeypatch):
    monkeypatch.setattr(S, "STAMPS", S.stamp_folder(objects_root))
    S.photographic_stamps.cache_clear()
    reader = BuiltinReader("objects", counts={"train": 3, "val": 1, "test": 2, "test_unseen": 2}, size=32,
                           language="fr")
    assert reader.splits == ("train", "val", "test", "test_unseen") and len(reader) == 8
    examples = list(reader)
    assert [example.split for example in examples] == ["train"] * 3 + ["val"] + ["test"] * 2 + ["test_unseen"] * 2
    assert examples[0].image.shape == (32, 32, 3) and examples[-1].captions == ["Une truite."]


def test_french_german_and_japanese_captions_reach_the_caption_encoders(objects_root):
    from kinpaint.captions import CharCNNGRU, MeanWordEmbedding

    captions = [caption[0] for language in ("fr", "de", "ja", "cs")
                for caption in O.load_objects("train", count=8, root=objects_root, language=language)[1]]
    words = MeanWordEmbedding.from_captions(captions, output_dim=4)
    assert {"canard", "erpel", "gitarre", "おすガモ", "kačer"} <= set(words.vocabulary)
    assert np.isfinite(np.asarray(words(captions))).all()
    characters = CharCNNGRU(length=16, output_dim=4, gru_units=2)
    one_hot = np.asarray(characters.one_hot(tf.constant(["Kačer.", "おすガモ."])))
    assert one_hot[0].sum(-1).tolist()[:6] == [1, 1, 0, 1, 1, 1]  # č has no column: the alphabet is ASCII
    assert np.isfinite(np.asarray(characters(captions))).all()
