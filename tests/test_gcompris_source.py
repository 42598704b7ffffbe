"""The gcompris-qt-data photo source, on a fake package tree under tmp_path."""

import io

import numpy as np
import pytest
from PIL import Image
from test_qt_resources import write_rcc

from kinpaint.data.corpus.photo_sources import gcompris
from kinpaint.data.corpus.photo_sources.base import RESOURCE_SEPARATOR

ACTIVITY = "gcompris/src/activities/explore_world_animals"
QML = f'''import QtQuick 2.12
QtObject {{
    property var tab : [
        {{
            "image": "qrc:/{ACTIVITY}/resource/animals/question.svg",
            "title": qsTr("Jaguar"),
            "text": qsTr("The jaguar\\'s jaw is \\"strong\\"."),
            "image2": "qrc:/{ACTIVITY}/resource/animals/jaguar.webp",
            "x": 0.32
        }}
    ]
}}
'''
COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: someone
License: GPL-3+

Files: src/activities/explore_world_animals/resource/animals/panda.jpg
Copyright: someone else
License: CC-BY-1.0

Files: src/activities/explore_world_animals/resource/animals/moose.*
Copyright: someone else
License: public-domain
"""
README = """Copyright: a photographer
License: CC-BY-SA 4.0
Source: https://commons.wikimedia.org/wiki/File:Jaguar.jpg
Files:
jaguar.webp
"""


def encoded(size=(300, 200), mode="RGB", format="WEBP", seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], len(mode)), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format=format)
    return buffer.getvalue()


def fake_package(root, extra=None, copyright=COPYRIGHT):
    folder = root / "usr/share/gcompris-qt/rcc"
    folder.mkdir(parents=True)
    animals = f"{ACTIVITY}/resource/animals"
    files = {
        f"{ACTIVITY}/resource/board/board1.qml": (QML.encode(), "zlib"),
        f"{animals}/README": (README.encode(), "zlib"),
        f"{animals}/jaguar.webp": (encoded(seed=1), "none"),  # captions, README licence
        f"{animals}/panda.webp": (encoded(seed=2), "zlib"),  # Debian licence via panda.jpg
        f"{animals}/moose.jpg": (encoded(format="JPEG", seed=3), "none"),  # Debian glob
        f"{animals}/hedgehog.webp": (encoded(seed=4), "none"),  # Debian's Files: *
        f"{animals}/question.svg": (b"<svg/>", "none"),  # a drawing: never a candidate
        f"{animals}/cutout.webp": (encoded(mode="RGBA", seed=5), "none"),  # transparency
        f"{animals}/tiny.webp": (encoded(size=(64, 48), seed=6), "none"),  # too small
        "gcompris/src/activities/lang/resource/words_sample/apple.webp": (encoded(seed=7), "none"),
    }
    files.update(extra or {})
    write_rcc(folder / "explore_world_animals.rcc", files)
    doc = root / "usr/share/doc/gcompris-qt-data"
    doc.mkdir(parents=True)
    if copyright is not None:
        (doc / "copyright").write_text(copyright)
    return folder / "explore_world_animals.rcc"


def test_find_keeps_the_photographs(tmp_path):
    rcc = fake_package(tmp_path)
    warnings = []
    photographs = {p.name.split(".", 1)[1]: p for p in gcompris.find(root=tmp_path, warn=warnings.append)}
    assert sorted(photographs) == ["hedgehog", "jaguar", "moose", "panda"]
    jaguar = photographs["jaguar"]
    assert jaguar.name == "gcompris-qt-data/explore_world_animals.jaguar"
    assert jaguar.package == gcompris.PACKAGE
    assert jaguar.path == f"{rcc}{RESOURCE_SEPARATOR}{ACTIVITY}/resource/animals/jaguar.webp"
    assert jaguar.captions == ("Jaguar", 'The jaguar\'s jaw is "strong".')
    assert jaguar.licence == "CC-BY-SA-4.0"  # the README in the resource folder
    assert photographs["panda"].licence == "CC-BY-1.0"  # Debian's panda.jpg, now panda.webp
    assert photographs["moose"].licence == "public-domain"  # Debian's moose.*
    assert photographs["hedgehog"].licence == "GPL-3+"  # Debian's Files: *
    assert photographs["hedgehog"].captions == ()
    with Image.open(io.BytesIO(photographs["panda"].read_bytes())) as image:
        assert image.size == (300, 200)
    assert any("cutout" in message and "transparency" in message for message in warnings)
    assert any("tiny" in message and "short side" in message for message in warnings)


def test_scenes_join_one_subject(tmp_path):
    monuments = "gcompris/src/activities/explore_monuments/resource/france/eiffelTower.webp"
    details = "gcompris/src/activities/details/resource/image/TourEiffel_background.webp"
    fake_package(tmp_path, extra={monuments: (encoded(seed=8), "none"), details: (encoded(seed=9), "none")})
    scenes = {p.name: p.scene for p in gcompris.find(root=tmp_path)}
    assert scenes["gcompris-qt-data/explore_monuments.eiffelTower"] == "gcompris-qt-data/eiffel-tower"
    assert scenes["gcompris-qt-data/details.TourEiffel_background"] == "gcompris-qt-data/eiffel-tower"
    assert scenes["gcompris-qt-data/explore_world_animals.jaguar"] == ""


def test_missing_package_gives_nothing(tmp_path):
    assert gcompris.find(root=tmp_path) == []


def test_missing_copyright_file_defaults(tmp_path):
    fake_package(tmp_path, copyright=None)
    warnings = []
    licences = {p.name.split(".", 1)[1]: p.licence for p in gcompris.find(root=tmp_path, warn=warnings.append)}
    assert licences["panda"] == gcompris.DEFAULT_LICENCE
    assert licences["jaguar"] == "CC-BY-SA-4.0"
    assert any("copyright" in message for message in warnings)


def test_bad_image_entry_is_skipped(tmp_path):
    animals = f"{ACTIVITY}/resource/animals"
    fake_package(tmp_path, extra={f"{animals}/broken.webp": (encoded(seed=10)[:200], "none")})
    warnings = []
    names = [p.name for p in gcompris.find(root=tmp_path, warn=warnings.append)]
    assert "gcompris-qt-data/explore_world_animals.broken" not in names
    assert "gcompris-qt-data/explore_world_animals.jaguar" in names
    assert any(message.startswith("skipped gcompris-qt-data/explore_world_animals.broken:") for message in warnings)


def test_corrupt_rcc_is_skipped_with_a_warning(tmp_path):
    fake_package(tmp_path)
    (tmp_path / "usr/share/gcompris-qt/rcc/broken.rcc").write_bytes(b"qres\x00\x00\x00\x03\x00")
    (tmp_path / "usr/share/gcompris-qt/rcc/other.rcc").write_bytes(b"not a resource file at all")
    warnings = []
    photographs = gcompris.find(root=tmp_path, warn=warnings.append)
    assert len(photographs) == 4
    assert any("broken.rcc" in message and "truncated" in message for message in warnings)
    assert any("other.rcc" in message and "not a Qt resource file" in message for message in warnings)


@pytest.mark.parametrize("text, licence", [
    ("CC-BY-SA 4.0", "CC-BY-SA-4.0"), ("Public Domain", "public-domain"), ("CC0-1.0", "CC0-1.0"),
    ("GPLv3", "GPL-3"), ("GPLv2+", "GPL-2+"), ("CC-BY 2.0", "CC-BY-2.0"),
])
def test_licence_spellings(text, licence):
    assert gcompris._normalise_licence(text) == licence
