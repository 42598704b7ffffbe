"""The photo corpus's source modules, on fake package trees (no real package needed)."""

import importlib.util
import os

import numpy as np
import pytest
from PIL import Image

from kinpaint.data.corpus.photo_sources import kalzium, mvtb, opencv_doc, scratch, tuxpaint, wheels
from kinpaint.data.corpus.photo_sources.base import copyright_licence, readable_name

DEBIAN_SOURCES = (scratch, tuxpaint, opencv_doc, kalzium)


def write_image(path, seed=0, size=(48, 36)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return str(path)


def write_truncated_jpeg(path):
    write_image(path, seed=7, size=(128, 96))
    data = open(path, "rb").read()
    with open(path, "wb") as file:
        file.write(data[: len(data) // 2])
    return str(path)


def write_copyright(root, package, stanzas):
    path = os.path.join(root, "usr/share/doc", package, "copyright")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n"
    with open(path, "w") as file:
        file.write(header + "".join(f"\nFiles: {files}\nCopyright: {holder}\nLicense: {licence}\n"
                                    for files, holder, licence in stanzas))


@pytest.mark.parametrize("module", DEBIAN_SOURCES, ids=lambda module: module.PACKAGE)
def test_a_missing_debian_package_gives_no_photographs(tmp_path, module):
    assert module.find(root=tmp_path, warn=pytest.fail) == []
    assert module.REGISTRY == "debian" and module.PACKAGE in module.INSTALL


def test_scratch_keeps_photographs_with_readable_captions_and_its_media_licence(tmp_path):
    backgrounds = tmp_path / "usr/share/scratch/Media/Backgrounds"
    write_image(backgrounds / "Outdoors/beach.jpg", 1)
    write_image(backgrounds / "Outdoors/train-tracks1.jpg", 2)
    write_image(backgrounds / "Sports/basketball-court1-a.jpg", 3)
    write_image(backgrounds / "Sports/basketball-court1-b.jpg", 4)
    write_image(backgrounds / "Indoors/bedroom1.gif", 5)  # drawn: in LEFT_OUT
    write_image(backgrounds / "xy-grid.gif", 6)  # a chart: in LEFT_OUT
    write_truncated_jpeg(backgrounds / "Nature/broken.jpg")
    (backgrounds / "Outdoors/scratchthumbs.db").write_bytes(b"not an image")
    write_copyright(tmp_path, "scratch", [("*", "2011 MIT", "GPL-2"),
                                          ("Help/* Media/* Projects", "Copyright (c) 2011 MIT", "CC-BY-SA-3.0")])
    warnings = []
    found = {photo.name: photo for photo in scratch.find(root=tmp_path, warn=warnings.append)}
    assert sorted(found) == ["scratch/basketball-court1-a", "scratch/basketball-court1-b", "scratch/beach",
                             "scratch/train-tracks1"]
    assert found["scratch/train-tracks1"].captions == ("train tracks",)
    assert found["scratch/beach"].licence == "CC-BY-SA-3.0 (2011 MIT)"
    assert found["scratch/beach"].package == "scratch" and os.path.isfile(found["scratch/beach"].path)
    assert found["scratch/basketball-court1-a"].scene == found["scratch/basketball-court1-b"].scene != ""
    assert found["scratch/beach"].scene_key == "scratch/beach"
    assert len(warnings) == 1 and "broken.jpg" in warnings[0]


def test_scratch_licence_falls_back_without_a_copyright_file(tmp_path):
    write_image(tmp_path / "usr/share/scratch/Media/Backgrounds/Nature/lake.jpg")
    (photo,) = scratch.find(root=tmp_path, warn=pytest.fail)
    assert photo.licence == scratch.FALLBACK_LICENCE and photo.captions == ("lake",)


def test_tuxpaint_keeps_jpeg_templates_only(tmp_path):
    templates = tmp_path / "usr/share/tuxpaint/templates"
    write_image(templates / "sun_behind_clouds.jpg", 1)
    write_image(templates / "line_drawing.png", 2)  # drawn templates are PNG / SVG
    write_truncated_jpeg(templates / "cut.jpg")
    write_copyright(tmp_path, "tuxpaint-data", [("*", "2002-2021 Bill Kendrick <bill@example.com>", "GPL-2+"),
                                                ("fonts/locale/th.ttf", "None", "public-domain")])
    warnings = []
    (photo,) = tuxpaint.find(root=tmp_path, warn=warnings.append)
    assert photo.name == "tuxpaint-data/sun_behind_clouds" and photo.captions == ("sun behind clouds",)
    assert photo.licence == "GPL-2+ (2002-2021 Bill Kendrick)"
    assert len(warnings) == 1 and "cut.jpg" in warnings[0]


def test_opencv_doc_keeps_the_listed_photographs_and_pairs_stereo_views(tmp_path):
    data = tmp_path / "usr/share/doc/opencv-doc/examples/data"
    for index, file in enumerate(("apple.jpg", "aloeL.jpg", "aloeR.jpg", "HappyFish.jpg", "left01.jpg",
                                  "starry_night.jpg", "rubberwhale2.png", "unknown_new_file.jpg")):
        write_image(data / file, index)
    write_truncated_jpeg(data / "baboon.jpg")
    write_copyright(tmp_path, "opencv-doc", [("*", "2000-2022, Intel Corporation, all rights reserved.",
                                              "Apache-2.0 AND BSD-3-Clause"), ("data/*", "2000, Intel", "BSD-3-Clause")])
    warnings = []
    found = {photo.name: photo for photo in opencv_doc.find(root=tmp_path, warn=warnings.append)}
    assert sorted(found) == ["opencv-doc/aloeL", "opencv-doc/aloeR", "opencv-doc/apple"]
    assert found["opencv-doc/aloeL"].scene == found["opencv-doc/aloeR"].scene == "opencv-doc/aloe"
    assert found["opencv-doc/apple"].licence.startswith("Apache-2.0 AND BSD-3-Clause (2000-2022, Intel Corporation)")
    assert "Files: *" in found["opencv-doc/apple"].licence
    assert len(warnings) == 1 and "baboon.jpg" in warnings[0]


def test_kalzium_keeps_tool_photographs_with_captions_from_tools_xml(tmp_path):
    share = tmp_path / "usr/share/kalzium/data"
    write_image(share / "toolpics/becherglas.jpg", 1)
    write_image(share / "toolpics/spatel.jpg", 2)
    write_image(share / "toolpics/kolbenprober.png", 3)  # a drawing: in LEFT_OUT
    write_truncated_jpeg(share / "toolpics/waage.jpg")
    (share / "tools.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?><tools><item><picture>becherglas.jpg</picture><name>Beaker</name>"
        "<desc>Beakers hold\n\t\tliquids.&lt;br&gt; Often glass.</desc></item></tools>")
    write_copyright(tmp_path, "kalzium-data", [("*", "2003-2008, Carsten Niehaus <c@kde.org>\n 2005, A\n 2006, B",
                                                "GPL-2.0-or-later"), ("doc/*", "2001, C", "GFDL-1.2-only")])
    warnings = []
    found = {photo.name: photo for photo in kalzium.find(root=tmp_path, warn=warnings.append)}
    assert sorted(found) == ["kalzium-data/becherglas", "kalzium-data/spatel"]
    assert found["kalzium-data/becherglas"].captions == ("Beaker", "Beakers hold liquids. Often glass.")
    assert found["kalzium-data/spatel"].captions == ()
    assert found["kalzium-data/spatel"].licence == "GPL-2.0-or-later (2003-2008, Carsten Niehaus; 2005, A; and 1 more)"
    assert len(warnings) == 1 and "waage.jpg" in warnings[0]


def test_kalzium_survives_a_broken_tools_xml(tmp_path):
    share = tmp_path / "usr/share/kalzium/data"
    write_image(share / "toolpics/rg.jpg")
    (share / "tools.xml").write_text("<tools><item>")
    warnings = []
    (photo,) = kalzium.find(root=tmp_path, warn=warnings.append)
    assert photo.captions == () and photo.licence == kalzium.FALLBACK_LICENCE
    assert len(warnings) == 1 and "tools.xml" in warnings[0]


@pytest.mark.parametrize("module", (opencv_doc, mvtb), ids=lambda module: module.PACKAGE)
def test_kept_and_left_out_lists_do_not_overlap(module):
    assert not set(module.KEPT) & set(module.LEFT_OUT)


def test_copyright_licence_takes_the_last_matching_paragraph(tmp_path):
    write_copyright(tmp_path, "p", [("*", "2000 A", "GPL-2"), ("Media/*", "2011 B", "CC-BY-SA-3.0"),
                                    ("Media/x/*", "2012 C", "MIT")])
    path = tmp_path / "usr/share/doc/p/copyright"
    assert copyright_licence(path, "Media/Backgrounds/a.jpg", "?") == "CC-BY-SA-3.0 (2011 B)"
    assert copyright_licence(path, "Media/x/a.jpg", "?") == "MIT (2012 C)"
    assert copyright_licence(path, "src/a.c", "?") == "GPL-2 (2000 A)"
    assert copyright_licence(tmp_path / "missing", "a", "fallback") == "fallback"


def test_readable_name():
    assert readable_name("train-tracks1") == "train tracks"
    assert readable_name("basketball-court1-a") == "basketball court"
    assert readable_name("sun_behind_clouds") == "sun behind clouds"
    assert readable_name("beach-malibu") == "beach malibu"


@pytest.mark.skipif(importlib.util.find_spec("mvtbdata") is None,
                    reason="mvtb-data is not installed (pip install 'kinpaint[photos]')")
def test_mvtb_keeps_its_photographs_and_ignores_root(tmp_path):
    warnings = []
    found = {photo.name: photo for photo in mvtb.find(root=tmp_path, warn=warnings.append)}
    assert warnings == [] and len(found) == len(mvtb.KEPT)
    images = os.path.join(mvtb.package_folder(), "images")
    kept_paths = {os.path.relpath(photo.path, images).replace(os.sep, "/") for photo in found.values()}
    assert kept_paths == set(mvtb.KEPT) and not kept_paths & set(mvtb.LEFT_OUT)
    assert found["mvtb-data/P1070491"].scene == found["mvtb-data/P1070513"].scene == "mvtb-data/campus"
    assert found["mvtb-data/walls-l"].scene == found["mvtb-data/walls-r"].scene
    assert all(photo.package == "mvtb-data" and "MIT" in photo.licence for photo in found.values())
    on_disk = {os.path.relpath(os.path.join(folder, file), images).replace(os.sep, "/")
               for folder, _, files in os.walk(images) for file in files if file.endswith((".png", ".jpg"))}
    assert on_disk <= set(mvtb.KEPT) | set(mvtb.LEFT_OUT), "an image of mvtb-data was not reviewed"


def test_mvtb_missing_gives_no_photographs(monkeypatch):
    monkeypatch.setattr(mvtb, "MODULE", "kinpaint_no_such_module")
    assert mvtb.find(warn=pytest.fail) == []


@pytest.mark.skipif(importlib.util.find_spec("skimage") is None or importlib.util.find_spec("sklearn") is None,
                    reason="scikit-image / scikit-learn are not installed (pip install 'kinpaint[photos]')")
def test_wheels_gives_the_eleven_photographs_with_the_stereo_pair_in_one_scene():
    from kinpaint.data.photos import PHOTOGRAPHS

    found = {photo.name: photo for photo in wheels.find(warn=pytest.fail)}
    assert len(found) == len(PHOTOGRAPHS) == 11
    assert {photo.package for photo in found.values()} == {wheels.PACKAGE} == {"scikit-image, scikit-learn"}
    assert found["scikit-image/motorcycle_left"].scene == found["scikit-image/motorcycle_right"].scene != ""
    assert found["scikit-learn/china"].licence == PHOTOGRAPHS["china"][2]


def test_real_opencv_doc_images_are_all_reviewed():
    folder = opencv_doc.DATA
    if not os.path.isdir(folder):
        pytest.skip("opencv-doc is not installed (sudo apt-get install opencv-doc)")
    on_disk = {file for file in os.listdir(folder) if file.endswith((".jpg", ".png"))}
    assert on_disk <= set(opencv_doc.KEPT) | set(opencv_doc.LEFT_OUT)
