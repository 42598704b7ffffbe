"""Tux Paint's stamps: descriptions, the photographic rule, seen and unseen (`kinpaint.data.corpus.stamps`).

The stamp trees are built here (a few PNGs with transparency and `.txt` files); the real
package is never needed.
"""

import os

import numpy as np
import pytest
from PIL import Image

from kinpaint.data.corpus import stamps as S

DRAKE = "A drake.\nfr.utf8=Un canard.\nde.utf8=Ein Erpel.\nja.utf8=おすガモ.\ncs.utf8=Kačer.\n"


def stamp_pixels(seed=0, size=(40, 30), textured=True, colour=(200, 120, 40)):
    """uint8 RGBA: an opaque ellipse on a transparent square, grainy (a photograph) or flat (clip art)."""
    width, height = size
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:height, :width]
    inside = ((rows - height / 2) / (height / 2 - 1)) ** 2 + ((columns - width / 2) / (width / 2 - 1)) ** 2 <= 1
    pixels = np.zeros((height, width, 4), np.uint8)
    base = np.array(colour, np.float32)
    grain = rng.normal(0, 12, (height, width, 3)) if textured else 0
    pixels[..., :3] = np.clip(base + grain, 0, 255).astype(np.uint8)
    pixels[..., 3] = np.where(inside, 255, 0)
    return pixels


def write_stamp(folder, name, text=None, pixels=None, dat=None, svg=False, mode="RGBA"):
    """`folder/name.png` (and `.txt`, `.dat`, `.svg` when given)."""
    path = os.path.join(folder, name + ".png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(stamp_pixels() if pixels is None else pixels).convert(mode).save(path)
    if text is not None:
        with open(os.path.join(folder, name + ".txt"), "w", encoding="utf-8") as file:
            file.write(text)
    if dat is not None:
        with open(os.path.join(folder, name + ".dat"), "w", encoding="utf-8") as file:
            file.write(dat)
    if svg:
        with open(os.path.join(folder, name + ".svg"), "w", encoding="utf-8") as file:
            file.write("<svg/>")
    return path


def write_stamp_tree(root):
    """A stamp folder under `root` (as `dpkg-deb -x` lays it out) with one stamp per rule; returns it."""
    folder = os.path.join(root, S.STAMPS.lstrip("/"))
    write_stamp(folder, "animals/birds/drake", DRAKE, stamp_pixels(1))
    write_stamp(folder, "animals/birds/drake_mirror", None, stamp_pixels(1)[:, ::-1])
    write_stamp(folder, "animals/fish/trout", "A trout.\nfr.utf8=Une truite.\n", stamp_pixels(9, (50, 20)))
    write_stamp(folder, "animals/mammals/doe", "A doe.\nfr.utf8=Une biche.\n", stamp_pixels(2, (24, 50)),
                mode="LA")
    write_stamp(folder, "hobbies/guitar", "A guitar.\nfr.utf8=Une guitare.\nde.utf8=Eine Gitarre.\n",
                stamp_pixels(3, (20, 60)), dat="nomirror\nnoflip\n")
    write_stamp(folder, "food/fruit/apple_fuji", "A Fuji apple.\nde.utf8=Ein Fuji-Apfel.\n",
                stamp_pixels(4, colour=(200, 30, 30)))
    write_stamp(folder, "food/fruit/apple_red", "A red apple.\nfr.utf8=Une pomme rouge.\n", stamp_pixels(5))
    write_stamp(folder, "naturalforces/explosion", "An explosion.\nfr.utf8=Une explosion.\n",
                stamp_pixels(6, textured=False))  # smooth, but a listed photograph
    write_stamp(folder, "people/fireman", "A fireman.\n", stamp_pixels(7))
    write_stamp(folder, "zoo/fireman", "A fireman.\n", stamp_pixels(7))  # the same file again
    # left out:
    write_stamp(folder, "food/pear", "A pear.\n", stamp_pixels(8, textured=False))
    write_stamp(folder, "food/plum", "A plum.\n", svg=True)
    write_stamp(folder, "animals/cartoon/cat", "A cat.\n")
    write_stamp(folder, "town/sign", "A sign.\n", dat="colorable\n")
    write_stamp(folder, "town/nameless", None)
    write_stamp(folder, "seasonal/christmas/Santa", "Santa Claus.\n")  # textured, but a listed drawing
    return folder


@pytest.fixture
def stamp_root(tmp_path):
    write_stamp_tree(str(tmp_path))
    return str(tmp_path)


KEPT = ["animals/birds/drake", "animals/fish/trout", "animals/mammals/doe", "food/fruit/apple_fuji",
        "food/fruit/apple_red", "hobbies/guitar", "naturalforces/explosion", "people/fireman"]


def test_descriptions_are_english_first_then_translations_in_utf8(tmp_path):
    path = tmp_path / "drake.txt"
    path.write_bytes(("\ufeff" + DRAKE + "\nnot a translation\nit.utf8=\nsr@latin.utf8=Patak.\n").encode("utf-8"))
    descriptions = S.read_descriptions(str(path))
    assert descriptions == {"en": "A drake.", "fr": "Un canard.", "de": "Ein Erpel.", "ja": "おすガモ.",
                            "cs": "Kačer.", "sr@latin": "Patak."}
    path.write_bytes("Un caf\xe9.\n".encode("latin-1"))
    with pytest.raises(ValueError, match="drake.txt: not UTF-8"):
        S.read_descriptions(str(path))


def test_texture_tells_grain_from_flat_fills_and_gradients():
    assert S.texture(Image.fromarray(stamp_pixels(0, (60, 60)))) > 0.8
    assert S.texture(Image.fromarray(stamp_pixels(0, (60, 60), textured=False))) == 0.0
    gradient = np.zeros((60, 60, 4), np.uint8)
    gradient[..., 0] = np.linspace(0, 255, 60, dtype=np.uint8)[None, :]
    gradient[..., 3] = 255
    assert S.texture(gradient) == 0.0  # a smooth ramp: one level per pixel
    assert S.texture(np.zeros((4, 4, 4), np.uint8)) == 0.0  # too small to have inner pixels


def test_the_rule_keeps_photographs_and_says_why_each_other_stamp_is_left_out(stamp_root):
    catalogue = {stamp.name: stamp for stamp in S.stamp_catalogue(stamp_root, warn=pytest.fail)}
    assert sorted(name for name, stamp in catalogue.items() if not stamp.left_out) == KEPT
    assert {name: stamp.left_out for name, stamp in catalogue.items() if stamp.left_out} == {
        "animals/birds/drake_mirror": "mirrored copy",
        "zoo/fireman": "same file as people/fireman",
        "food/pear": "little texture",
        "food/plum": "vector drawing",
        "animals/cartoon/cat": "cartoon folder",
        "town/sign": "colorable mask",
        "town/nameless": "no description",
        "seasonal/christmas/Santa": "listed drawing",
    }
    assert catalogue["food/pear"].texture < S.MIN_TEXTURE <= catalogue["animals/birds/drake"].texture
    assert "naturalforces/explosion" in S.SMOOTH_PHOTOGRAPHS and "seasonal/christmas/Santa" in S.DRAWINGS
    kept = S.photographic_stamps(stamp_root)
    assert [stamp.name for stamp in kept] == KEPT
    drake = kept[0]
    assert drake.description == "A drake." and drake.descriptions["ja"] == "おすガモ." and drake.mirror
    assert not catalogue["hobbies/guitar"].mirror  # its .dat says nomirror
    assert [stamp.name for stamp in kept if stamp.split == "unseen"] == ["animals/fish/trout"]


def test_a_stamp_loads_cropped_to_its_opaque_part(stamp_root):
    doe = {stamp.name: stamp for stamp in S.photographic_stamps(stamp_root)}["animals/mammals/doe"]
    picture = doe.load()
    assert picture.mode == "RGBA" and picture.size == (23, 49)  # the ellipse leaves a transparent rim of 1
    alpha = np.asarray(picture)[..., 3]
    assert alpha[:, 0].any() and alpha[:, -1].any() and alpha[0].any() and alpha[-1].any()
    white = np.asarray(doe.load_on_white())
    assert white.shape == (49, 23, 3) and (white[0, 0] == 255).all()  # a transparent corner is white


def test_a_bad_file_is_warned_about_and_a_missing_folder_names_the_install_command(tmp_path):
    folder = write_stamp_tree(str(tmp_path))
    with open(os.path.join(folder, "animals/birds/drake.png"), "wb") as file:
        file.write(b"\x89PNG broken")
    with open(os.path.join(folder, "animals/mammals/doe.txt"), "wb") as file:
        file.write("Une biche \xe9.\n".encode("latin-1"))
    warnings = []
    catalogue = {stamp.name: stamp for stamp in S.stamp_catalogue(str(tmp_path), warn=warnings.append)}
    assert catalogue["animals/birds/drake"].left_out == "unreadable"
    assert catalogue["animals/mammals/doe"].left_out == "no description"
    assert len(warnings) == 2 and "drake.png" in warnings[0] and "doe.txt: not UTF-8" in warnings[1]
    assert S.stamp_catalogue(str(tmp_path / "nothing")) == []
    with pytest.raises(FileNotFoundError, match="apt-get install tuxpaint-stamps-default"):
        S.photographic_stamps(str(tmp_path / "nothing"))


def test_unseen_stamps_are_a_fifth_of_the_kinds_and_kinds_stay_whole():
    assert S.stamp_kind("seasonal/halloween/grave-a") == "seasonal/halloween/grave"
    assert S.stamp_kind("plants/flowers/flower10") == "plants/flowers/flower"
    assert S.stamp_kind("food/fruit/Apricot_whole") == S.stamp_kind("food/fruit/apricot") == "food/fruit/apricot"
    assert S.stamp_kind("animals/mammals/bovines/gnu-baby-stand") == "animals/mammals/bovines/gnu"
    assert S.stamp_kind("symbols/money/euro/coins/001") == "symbols/money/euro/coins/001"
    names = [f"folder{index % 37}/kind{index}-a" for index in range(3000)]
    fraction = np.mean([S.unseen(name) for name in names])
    assert abs(fraction - S.UNSEEN_FRACTION) < 0.03
    assert all(S.unseen(name) == S.unseen(name.replace("-a", "-b")) for name in names[:200])


def test_language_counts(stamp_root):
    counts = S.language_counts(S.photographic_stamps(stamp_root))
    assert counts["en"] == len(KEPT) and counts["fr"] == 6 and counts["de"] == 3 and counts["ja"] == 1
    assert next(iter(counts)) == "en"  # most common first


def test_info_objects_counts_the_kept_stamps_and_why_others_were_left_out(stamp_root, tmp_path, capsys):
    from kinpaint.cli.main import main

    assert main(["info", "objects", "--root", stamp_root]) == 0
    printed = capsys.readouterr().out
    kept = [stamp for stamp in S.stamp_catalogue(stamp_root) if not stamp.left_out]
    assert f"{len(kept)} of {len(S.stamp_catalogue(stamp_root))} stamps kept" in printed
    assert "left out, vector drawing: 1" in printed and "left out, mirrored copy: 1" in printed
    assert "left out, same file as another: 1" in printed
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["info", "objects", "--root", str(empty)]) == 0
    assert "apt-get install tuxpaint-stamps-default" in capsys.readouterr().out
