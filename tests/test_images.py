import numpy as np
import pytest

from conftest import random_pixels, write_image, write_rgb16_png, write_truncated
from kinpaint.images import ImageError, load_image, to_model_range, to_uint8


def test_range_conversions_round_trip_exactly():
    pixels = np.arange(256, dtype=np.uint8).reshape(4, 8, 8, 1).repeat(3, axis=-1)
    floats = to_model_range(pixels)
    assert floats.min() == -1.0 and floats.max() == 1.0
    np.testing.assert_array_equal(to_uint8(floats), pixels)


def test_png_loads_unchanged(tmp_path):
    pixels = random_pixels(1)
    loaded, conversions = load_image(write_image(str(tmp_path / "a.png"), pixels), 64)
    np.testing.assert_array_equal(loaded, pixels)
    assert conversions == []


@pytest.mark.parametrize(
    "mode, note", [("L", "grayscale->RGB"), ("RGBA", "alpha dropped"), ("I;16", "16-bit->8-bit")]
)
def test_other_modes_are_converted_and_said_so(tmp_path, mode, note):
    path = write_image(str(tmp_path / "a.png"), mode=mode)
    loaded, conversions = load_image(path, 64)
    assert loaded.shape == (64, 64, 3) and loaded.dtype == np.uint8
    assert note in conversions


def test_sixteen_bit_keeps_the_brightness(tmp_path):
    pixels = np.full((64, 64, 3), 200, np.uint8)
    loaded, _ = load_image(write_image(str(tmp_path / "a.png"), pixels, mode="I;16"), 64)
    assert abs(int(loaded.mean()) - 200) <= 1


def test_sixteen_bit_rgb_is_reduced_and_said_so(tmp_path):
    pixels16 = np.random.default_rng(0).integers(0, 65536, (64, 64, 3)).astype(np.uint16)
    loaded, conversions = load_image(write_rgb16_png(str(tmp_path / "deep.png"), pixels16), 64)
    np.testing.assert_array_equal(loaded, (pixels16 >> 8).astype(np.uint8))
    assert conversions == ["16-bit->8-bit"]


def test_wrong_size_is_resized_or_refused(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (40, 80, 3), dtype=np.uint8)
    path = write_image(str(tmp_path / "wide.png"), pixels)
    loaded, conversions = load_image(path, 32)
    assert loaded.shape == (32, 32, 3) and conversions == ["resized 80x40->32x32"]
    with pytest.raises(ImageError, match=r"wide\.png: wrong size: expected 32x32, got 80x40"):
        load_image(path, 32, resize=False)


def test_truncated_and_garbage_files_name_the_file(tmp_path):
    truncated = write_truncated(str(tmp_path / "cut.jpg"))
    with pytest.raises(ImageError, match=r"cut\.jpg: unreadable or truncated"):
        load_image(truncated)
    garbage = tmp_path / "text.png"
    garbage.write_text("not a picture")
    with pytest.raises(ImageError, match=r"text\.png"):
        load_image(str(garbage))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.png"):
        load_image(str(tmp_path / "nowhere.png"))


def test_a_decompression_bomb_is_a_named_image_error_and_prepare_skips_it(tmp_path, monkeypatch):
    from PIL import Image

    from kinpaint.data.folder import FolderReader
    from kinpaint.images import ImageError, load_image

    for index in range(3):
        Image.fromarray(np.full((64, 64, 3), 40 * index, np.uint8)).save(tmp_path / f"ok{index}.png")
    Image.fromarray(np.zeros((200, 200, 3), np.uint8)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 64)  # 200x200 is then over twice the limit
    with pytest.raises(ImageError, match="bomb.png.*decompression-bomb guard"):
        load_image(str(tmp_path / "bomb.png"))
    reader = FolderReader(str(tmp_path))
    examples = list(reader)
    assert len(examples) == 3 and "decompression-bomb" in reader.report.summary()


def blocks_picture(height=24, width=40):
    """Flat 8x8-aligned colour blocks (JPEG keeps them closely) with a marked top-left corner."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (200, 40, 40)
    pixels[:, width // 2 :] = (40, 40, 200)
    pixels[:8, :8] = (40, 200, 40)
    return pixels


def write_oriented_jpeg(path, pixels, orientation):
    """A JPEG as a camera writes it: the stored pixels and an EXIF tag saying how to turn them."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    Image.fromarray(pixels).save(path, format="JPEG", quality=95, exif=exif)
    return str(path)


@pytest.mark.parametrize("orientation, turn", [(6, lambda p: np.rot90(p, -1)), (8, lambda p: np.rot90(p, 1)),
                                               (3, lambda p: np.rot90(p, 2)), (2, lambda p: p[:, ::-1])])
def test_the_exif_orientation_is_applied_and_said_so(tmp_path, orientation, turn):
    from kinpaint.images import EXIF_ROTATED

    pixels = blocks_picture()
    loaded, conversions = load_image(write_oriented_jpeg(tmp_path / "camera.jpg", pixels, orientation))
    expected = turn(pixels)
    assert loaded.shape == expected.shape
    assert np.abs(loaded.astype(int) - expected).mean() < 3
    assert conversions == [EXIF_ROTATED]


def test_an_upright_jpeg_is_not_turned(tmp_path):
    pixels = blocks_picture()
    loaded, conversions = load_image(write_oriented_jpeg(tmp_path / "upright.jpg", pixels, 1))
    assert loaded.shape == pixels.shape and conversions == []


def test_a_mask_drawn_on_the_shown_picture_stays_aligned(tmp_path):
    """A portrait photograph stored sideways (orientation 6) and a mask painted on it as shown,
    saved the same way by the camera app: both are read upright, and the fill keeps the rest."""
    from kinpaint.baselines import MeanColourFill
    from kinpaint.pictures import inpaint_full_resolution, read_mask_file

    stored = blocks_picture()  # 24x40 stored, 40x24 shown
    photo = write_oriented_jpeg(tmp_path / "photo.jpg", stored, 6)
    shown, _ = load_image(photo)
    hole = np.zeros(shown.shape[:2], bool)
    hole[4:12, 2:10] = True
    stored_mask = np.rot90(np.where(hole, 255, 0).astype(np.uint8), 1)  # what the camera app stores
    mask_path = write_oriented_jpeg(tmp_path / "mask.jpg", np.repeat(stored_mask[..., None], 3, -1), 6)
    masks = read_mask_file(mask_path, shown.shape[:2])
    np.testing.assert_array_equal(masks[..., 0] == 0, hole)
    filled = inpaint_full_resolution(MeanColourFill(), shown, masks, 16)
    np.testing.assert_array_equal(filled[~hole], shown[~hole])


# Only raster formats are read from a user: Pillow never tries another plugin, so no file reaches Ghostscript.

RASTER_FORMATS = {"a.png": "PNG", "b.jpg": "JPEG", "c.webp": "WEBP", "d.bmp": "BMP", "e.tif": "TIFF", "f.gif": "GIF"}


@pytest.fixture
def ghostscript_spy(monkeypatch):
    """Every way Pillow's EPS plugin reaches Ghostscript, recorded (and Ghostscript pretended
    installed, so a plugin that got the file would try to run it)."""
    from PIL import EpsImagePlugin

    calls = []

    def record(what):
        def spy(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"the EPS plugin was used: {what}")
        return spy

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", record("Ghostscript"))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", record("EpsImageFile._open"))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "load", record("EpsImageFile.load"))
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    monkeypatch.setattr(EpsImagePlugin.subprocess, "check_call", record("subprocess.check_call"))
    return calls


def write_eps(path):
    from PIL import Image

    Image.fromarray(random_pixels(0, 16)).save(path, format="EPS")  # Pillow writes EPS itself, no Ghostscript
    return str(path)


@pytest.mark.parametrize("name", ["upload.eps", "looks-like.png"])  # the content decides, not the suffix
def test_an_eps_file_is_refused_by_format_and_never_reaches_ghostscript(tmp_path, ghostscript_spy, name):
    from kinpaint.images import UnreadFormatError

    path = write_eps(tmp_path / name)
    with pytest.raises(UnreadFormatError) as refused:
        load_image(path)
    assert str(refused.value) == f"{path} is in EPS format; kinpaint reads only PNG, JPEG, WebP, BMP, TIFF and GIF"
    assert refused.value.format == "EPS" and isinstance(refused.value, ImageError)
    assert ghostscript_spy == []


@pytest.mark.parametrize("name, format", [("doc.pdf", "PDF"), ("icon.ico", "ICO"), ("grey.ppm", "PPM"),
                                          ("scan.pcx", "PCX"), ("old.tga", "TGA"), ("art.jp2", "JPEG2000")])
def test_other_formats_pillow_writes_are_refused_by_name(tmp_path, ghostscript_spy, name, format):
    from PIL import Image

    path = str(tmp_path / name)
    Image.fromarray(random_pixels(1, 16)).save(path)
    with pytest.raises(ImageError, match=rf"{name} is in {format} format; kinpaint reads only PNG, JPEG"):
        load_image(path)
    assert ghostscript_spy == []


@pytest.mark.parametrize("content, format", [(b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>",
                                              "SVG"),
                                             (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIF"),
                                             (b"%!PS-Adobe-3.0\nshowpage\n", "PostScript")])
def test_formats_pillow_cannot_read_are_named_too(tmp_path, content, format):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=rf"upload\.bin is in {format} format"):
        load_image(str(path))


def test_every_raster_format_is_read(tmp_path, ghostscript_spy):
    from PIL import Image

    pixels = random_pixels(2, 16)
    for name in RASTER_FORMATS:
        Image.fromarray(pixels).save(tmp_path / name, **({"lossless": True} if name.endswith(".webp") else {}))
        loaded, _ = load_image(str(tmp_path / name))
        assert loaded.shape == (16, 16, 3), name
        if name.endswith((".png", ".webp", ".bmp", ".tif")):
            np.testing.assert_array_equal(loaded, pixels, err_msg=name)
    assert ghostscript_spy == []


def test_a_damaged_header_and_unknown_bytes_are_told_apart(tmp_path):
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageError, match=r"damaged\.png: unreadable or truncated image \(it starts as a PNG file"):
        load_image(str(damaged))
    noise = tmp_path / "noise.png"
    noise.write_bytes(bytes(range(7, 250)))
    with pytest.raises(ImageError, match=r"noise\.png: unreadable or truncated image \(not a PNG, JPEG, WebP, BMP, "
                                         r"TIFF or GIF file\)"):
        load_image(str(noise))


def test_prepare_reads_every_raster_format_and_skips_an_eps_by_name(tmp_path, capsys, ghostscript_spy):
    import h5py

    from kinpaint.cli.main import main

    for seed, name in enumerate(RASTER_FORMATS):
        write_image(str(tmp_path / "pictures" / name), seed=seed, size=32)
    write_eps(tmp_path / "pictures" / "poster.jpg")  # an EPS behind a picture's suffix
    out = tmp_path / "pictures.h5"
    assert main(["prepare", str(tmp_path / "pictures"), "--out", str(out), "--size", "32"]) == 0
    printed = capsys.readouterr().out
    assert "skipped 1 file(s)" in printed and "poster.jpg" in printed and "in EPS format" in printed
    with h5py.File(out) as store:
        counted = sum(len(store[name]) for name in store if hasattr(store[name], "shape") and store[name].ndim == 4)
    assert counted == len(RASTER_FORMATS)
    assert ghostscript_spy == []
