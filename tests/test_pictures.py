"""Filling a user's picture of any size (`kinpaint.pictures`); `kinpaint inpaint` end to end is in test_cli_models."""

import re

import numpy as np
import pytest
from PIL import Image

from kinpaint.baselines import MeanColourFill
from kinpaint.pictures import (
    hole_box,
    hole_crop,
    inpaint_file,
    inpaint_full_resolution,
    inpaint_pictures,
    picture_centre_mask,
    read_mask_file,
)


def write_mask(path, white):
    """A grayscale mask picture: 255 where `white` is true, 0 elsewhere."""
    Image.fromarray(np.where(white, 255, 0).astype(np.uint8)).save(path)
    return str(path)


def test_read_mask_file_white_is_the_hole(tmp_path):
    white = np.zeros((6, 10), bool)
    white[1:4, 2:7] = True
    mask = read_mask_file(write_mask(tmp_path / "mask.png", white), (6, 10))
    assert mask.shape == (6, 10, 1) and mask.dtype == np.float32
    np.testing.assert_array_equal(mask[..., 0], np.where(white, 0.0, 1.0))


def test_read_mask_file_of_another_size_names_the_file(tmp_path):
    path = write_mask(tmp_path / "mask.png", np.ones((6, 10), bool))
    with pytest.raises(ValueError, match=re.escape(f"the mask {path} is 10x6 but the picture is 6x10")):
        read_mask_file(path, (10, 6))


def test_read_mask_file_without_white_is_refused(tmp_path):
    path = write_mask(tmp_path / "black.png", np.zeros((6, 10), bool))
    with pytest.raises(ValueError, match=re.escape(f"{path} marks no pixel to fill (white = fill)")):
        read_mask_file(path, (6, 10))


def test_picture_centre_mask_hides_half_the_height_and_width():
    mask = picture_centre_mask((80, 100))
    assert mask.shape == (80, 100, 1) and mask.dtype == np.float32
    expected = np.ones((80, 100), np.float32)
    expected[20:60, 25:75] = 0
    np.testing.assert_array_equal(mask[..., 0], expected)
    odd = picture_centre_mask((7, 9))[..., 0]  # a 3x4 hole; an odd margin leaves its extra pixel below and right
    expected = np.ones((7, 9), np.float32)
    expected[2:5, 2:6] = 0
    np.testing.assert_array_equal(odd, expected)


def picture(height=30, width=50, seed=0):
    """A non-square uint8 picture: a colour far from mid-grey, with noise."""
    noise = np.random.default_rng(seed).integers(-20, 21, (height, width, 3))
    return np.clip(np.array([200, 40, 90]) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mask_shape", ["(H, W, 1)", "(H, W)"])
def test_inpaint_full_resolution_keeps_known_pixels_exact_on_a_non_square_picture(mask_shape):
    pixels = picture()
    masks = picture_centre_mask(pixels.shape[:2])
    if mask_shape == "(H, W)":
        masks = masks[..., 0]
    filled = inpaint_full_resolution(MeanColourFill(), pixels, masks, 16, caption="a red square")
    assert filled.shape == pixels.shape and filled.dtype == np.uint8
    known = picture_centre_mask(pixels.shape[:2])[..., 0] == 1
    np.testing.assert_array_equal(filled[known], pixels[known])
    assert (filled[~known] != pixels[~known]).any()
    # The middle of the hole is the model's fill scaled back up: the known pixels' mean colour.
    middle = filled[12:18, 20:30].reshape(-1, 3).astype(int)
    np.testing.assert_allclose(middle, np.broadcast_to(pixels[known].mean(axis=0), middle.shape), atol=3)


def test_inpaint_full_resolution_free_form_hole_and_bad_masks():
    pixels = picture(seed=1)
    masks = np.ones((30, 50, 1), np.float32)
    masks[3:9, 0:12] = 0  # touching the left edge
    masks[20:27, 33:41] = 0
    filled = inpaint_full_resolution(MeanColourFill(), pixels, masks, 16)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], pixels[known])
    unchanged = inpaint_full_resolution(MeanColourFill(), pixels, np.ones((30, 50, 1)), 16)
    np.testing.assert_array_equal(unchanged, pixels)
    assert unchanged is not pixels
    with pytest.raises(ValueError, match="the mask is 30x50 but the image is 50x30"):
        inpaint_full_resolution(MeanColourFill(), pixels, np.ones((50, 30, 1)), 16)


# A model that fills any size, at full resolution; the shipped pretrained model; output files.


class Recording:
    """A kinpaint model that records the shapes of the batches its fill sees."""

    def __init__(self, model):
        self.model, self.shapes = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def inpainter(self):
        return self

    def inpaint(self, images, masks, captions=None):
        self.shapes.append(np.shape(images))
        return self.model.inpaint(images, masks, captions)


def save_tiny_fourier(folder):
    """A tiny FourierInpainter (any size, padding to multiples of 4) saved as `folder/photos.keras`."""
    from kinpaint.models import FourierInpainter

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    model.compile()
    model.save(folder / "photos.keras")
    return folder / "photos.keras"


def ship(path, monkeypatch):
    """Point the pretrained model's folder at `path`'s (the real weights are not needed offline)."""
    import kinpaint.pretrained_models

    monkeypatch.setattr(kinpaint.pretrained_models, "WEIGHTS_FOLDER", path.parent)
    return path


@pytest.fixture(scope="module")
def tiny_fourier_file(tmp_path_factory):
    return save_tiny_fourier(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def tiny_fourier(tiny_fourier_file):
    from kinpaint.saving import load_model

    return load_model(tiny_fourier_file, compile=False)


@pytest.fixture
def shipped(tiny_fourier_file, monkeypatch):
    return ship(tiny_fourier_file, monkeypatch)


def stroke_hole(height=97, width=150):
    """A known-pixel mask (1 = known) with a free-form hole: a rectangle and a diagonal stroke."""
    known = np.ones((height, width), bool)
    known[30:60, 40:90] = False
    for step in range(40):
        known[10 + step, 100 + step : 104 + step] = False
    return known


@pytest.mark.slow
def test_inpaint_without_a_model_uses_the_pretrained_one_at_full_resolution(shipped, tiny_fourier, tmp_path, capsys):
    from kinpaint.cli.main import main

    pixels = picture(97, 150, seed=3)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    known = stroke_hole()
    write_mask(tmp_path / "mask.png", ~known)
    assert main(["inpaint", "--image", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "out.png")]) == 0
    result = np.asarray(Image.open(tmp_path / "out.png"))
    assert result.shape == (97, 150, 3)
    np.testing.assert_array_equal(result[known], pixels[known])
    assert (result[~known] != pixels[~known]).any()
    # Filled at the picture's own 150x97, not resized to the model's 16x16 and back.
    expected = inpaint_full_resolution(tiny_fourier, pixels, known[..., None].astype(np.float32), None)
    np.testing.assert_array_equal(result, expected)
    resized = inpaint_full_resolution(tiny_fourier, pixels, known[..., None].astype(np.float32), 16)
    assert (resized != expected).any()


def test_inpaint_without_a_model_or_weights_says_what_to_do(tmp_path, monkeypatch, capsys):
    import kinpaint.pretrained_models
    from kinpaint.cli.main import main

    monkeypatch.setattr(kinpaint.pretrained_models, "WEIGHTS_FOLDER", tmp_path / "empty")
    Image.fromarray(picture()).save(tmp_path / "in.png")
    assert main(["inpaint", "--image", str(tmp_path / "in.png"), "--centre", "--out", str(tmp_path / "out.png")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "the pretrained model 'photos' is not in this installation" in error and "--model M.keras" in error
    assert not (tmp_path / "out.png").exists()


def test_hole_crop_grows_the_hole_box_by_the_margin_in_the_picture_and_rounds_it():
    known = np.ones((97, 150), bool)
    known[40:50, 70:76] = False  # a 10x6 box
    assert hole_crop(known, margin=16) == (24, 54, 66, 92)
    top, left, bottom, right = hole_crop(known, margin=16, multiple=8)
    assert (bottom - top) % 8 == 0 and (right - left) % 8 == 0
    assert top <= 24 and left <= 54 and bottom >= 66 and right >= 92
    known[0:5, 140:150] = False  # a second hole in a corner: one box holds both, clipped to the picture
    top, left, bottom, right = hole_crop(known, margin=16)
    assert top == 0 and right == 150 and bottom == min(97, 50 + 145) and left == max(0, 70 - 145)
    assert hole_crop(np.ones((5, 7), bool)) == (0, 0, 5, 7)
    assert hole_crop(known, margin=1000) == (0, 0, 97, 150)


def test_hole_box_grows_by_exactly_its_context_whatever_the_hole_size():
    known = np.ones((200, 300), bool)
    known[50:150, 100:200] = False  # 100x100: hole_crop would grow it by 100
    assert hole_box(known, 20) == (30, 80, 170, 220)
    assert hole_box(known, 20, multiple=16) == (30, 80, 174, 224)
    assert hole_box(known, 80) == (0, 20, 200, 280)
    assert hole_box(np.ones((5, 7), bool), 3) == (0, 0, 5, 7)


@pytest.mark.slow
def test_a_big_picture_is_filled_by_a_crop_around_the_hole(tiny_fourier):
    pixels = picture(97, 150, seed=4)
    known = np.ones((97, 150), bool)
    known[40:52, 66:80] = False
    recording = Recording(tiny_fourier)
    filled = inpaint_full_resolution(recording, pixels, known, None, max_pixels=97 * 150 - 1, margin=16)
    top, left, bottom, right = hole_crop(known, margin=16, multiple=4)
    assert recording.shapes == [(1, bottom - top, right - left, 3)]
    assert (bottom - top) % 4 == 0 and (right - left) % 4 == 0 and (bottom - top) * (right - left) < 97 * 150 / 2
    np.testing.assert_array_equal(filled[known], pixels[known])
    assert (filled[~known] != pixels[~known]).any()
    # The same as filling the crop as a picture of its own.
    crop = inpaint_full_resolution(tiny_fourier, pixels[top:bottom, left:right], known[top:bottom, left:right], None)
    expected = pixels.copy()
    expected[top:bottom, left:right] = crop
    np.testing.assert_array_equal(filled, expected)
    # A margin that covers the picture: the crop is the whole picture, the same as a full fill.
    recording.shapes.clear()
    whole = inpaint_full_resolution(recording, pixels, known, None, max_pixels=97 * 150 - 1, margin=1000)
    assert recording.shapes == [(1, 97, 150, 3)]
    np.testing.assert_array_equal(whole, inpaint_full_resolution(tiny_fourier, pixels, known, None))


@pytest.mark.slow
def test_inpaint_pictures_batches_pictures_of_one_size(tiny_fourier):
    pictures = [picture(20, 28, seed=5), picture(20, 28, seed=6), picture(24, 24, seed=7)]
    masks = [picture_centre_mask(pixels.shape[:2]) for pixels in pictures]
    recording = Recording(tiny_fourier)
    filled = inpaint_pictures(recording, pictures, masks, None)
    assert sorted(recording.shapes) == [(1, 24, 24, 3), (2, 20, 28, 3)]
    for pixels, mask, result in zip(pictures, masks, filled):
        np.testing.assert_allclose(result, inpaint_full_resolution(tiny_fourier, pixels, mask, None), atol=1)
    recording.shapes.clear()
    inpaint_pictures(recording, pictures, masks, 16)  # a model of fixed size batches every size
    assert recording.shapes == [(3, 16, 16, 3)]


def test_a_mask_with_no_known_pixel_is_refused(tmp_path):
    path = write_mask(tmp_path / "white.png", np.ones((6, 10), bool))
    with pytest.raises(ValueError, match=re.escape(f"{path} marks every pixel to fill (white = fill): there is no "
                                                   "known pixel to fill from")):
        read_mask_file(path, (6, 10))
    with pytest.raises(ValueError, match="no known pixel to fill from"):
        inpaint_full_resolution(MeanColourFill(), picture(6, 10), np.zeros((6, 10)), 16)


@pytest.mark.parametrize("side", [1, 2, 3])
def test_centre_of_a_picture_under_4x4_is_refused(side):
    with pytest.raises(ValueError, match=f"at least 4x4 pixels .*; this one is {side}x{side + 1}"):
        picture_centre_mask((side + 1, side))


def test_centre_of_a_4x4_picture_hides_its_middle_2x2():
    expected = np.ones((4, 4), np.float32)
    expected[1:3, 1:3] = 0
    np.testing.assert_array_equal(picture_centre_mask((4, 4))[..., 0], expected)


def test_inpaint_cli_refuses_a_tiny_picture_with_centre(shipped, tmp_path, capsys):
    from kinpaint.cli.main import main

    Image.fromarray(picture(3, 3)).save(tmp_path / "tiny.png")
    assert main(["inpaint", "--image", str(tmp_path / "tiny.png"), "--centre", "--out", str(tmp_path / "o.png")]) == 2
    assert "tiny.png: a centre hole needs a picture of at least 4x4 pixels" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("suffix, format, exact", [(".png", "PNG", True), (".jpg", "JPEG", False),
                                                   (".jpeg", "JPEG", False), (".webp", "WEBP", True),
                                                   (".bmp", "BMP", True), (".tif", "TIFF", True)])
@pytest.mark.slow
def test_out_suffix_chooses_the_format(tiny_fourier, tmp_path, suffix, format, exact):
    pixels = picture(30, 50, seed=8)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    out = tmp_path / f"out{suffix}"
    notes = []
    filled = inpaint_file(tiny_fourier, tmp_path / "in.png", out, log=notes.append)  # one model for every format
    with Image.open(out) as written:
        assert written.format == format
        result = np.asarray(written.convert("RGB"))
    if exact:
        np.testing.assert_array_equal(result, filled)
    else:
        assert np.abs(result.astype(int) - filled).mean() < 12  # noisy pixels, chroma subsampled
        assert any("lossy" in note for note in notes)


@pytest.mark.parametrize("problem", ["unknown suffix", "folder", "model", "model, another spelling", "image",
                                     "mask", "link to the image"])
def test_out_is_refused_before_anything_is_written(shipped, tmp_path, problem):
    import shutil

    from kinpaint.cli.main import main

    pixels = picture(30, 50, seed=9)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png", picture_centre_mask((30, 50))[..., 0] == 0)
    model = tmp_path / "model.keras"
    shutil.copy(shipped, model)
    (tmp_path / "folder").mkdir()
    (tmp_path / "link.png").symlink_to(tmp_path / "in.png")
    out, expected = {
        "unknown suffix": ("out.gif", "the suffix '.gif' is not one of them"),
        "folder": ("folder", "is a folder; give the picture to write"),
        "model": ("model.keras", "would overwrite an input (the model"),
        "model, another spelling": ("folder/../model.keras", "would overwrite an input (the model"),
        "image": ("in.png", "would overwrite an input (the image"),
        "mask": ("mask.png", "would overwrite an input (the mask"),
        "link to the image": ("link.png", "would overwrite an input (the image"),
    }[problem]
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    with pytest.raises((ValueError, IsADirectoryError), match=re.escape(expected)):
        inpaint_file(str(model), str(tmp_path / "in.png"), str(tmp_path / out), mask=str(tmp_path / "mask.png"),
                     force=True)
    code = main(["inpaint", "--model", str(model), "--image", str(tmp_path / "in.png"), "--mask",
                 str(tmp_path / "mask.png"), "--out", str(tmp_path / out), "--force"])
    assert code == 2
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == before
    assert (tmp_path / "link.png").is_symlink()


def test_a_float_picture_in_0_1_comes_back_filled_in_its_own_range():
    pixels = picture(seed=2)
    masks = picture_centre_mask(pixels.shape[:2])
    known = masks[..., 0] == 1
    as_uint8 = inpaint_full_resolution(MeanColourFill(), pixels, masks, 16)
    for dtype in (np.float32, np.float64):
        floats = (pixels / 255.0).astype(dtype)
        floats[~known] = np.nan  # a hole's content is never read
        filled = inpaint_full_resolution(MeanColourFill(), floats, masks, 16)
        assert filled.dtype == dtype and filled.shape == pixels.shape
        np.testing.assert_array_equal(filled[known], floats[known])  # known pixels exactly
        assert 0 <= filled.min() and filled.max() <= 1
        np.testing.assert_allclose(filled[~known] * 255, as_uint8[~known], atol=1)  # not black
    wide = inpaint_full_resolution(MeanColourFill(), pixels.astype(np.int64), masks, 16)
    assert wide.dtype == np.uint8
    np.testing.assert_array_equal(wide, as_uint8)


@pytest.mark.parametrize("values, message", [
    (lambda pixels: pixels / 127.5 - 1.0, "a float picture is from 0 to 1; this float64 one holds values from -0."),
    (lambda pixels: pixels.astype(np.float32), "a float picture is from 0 to 1; this float32 one holds values from"),
    (lambda pixels: np.where(pixels > 100, np.nan, pixels / 255.0), "NaN or infinite values in its known pixels"),
    (lambda pixels: pixels.astype(np.int16) * 2, "an integer picture is from 0 to 255; this int16 one"),
    (lambda pixels: pixels > 100, "a picture is uint8 from 0 to 255 or floats from 0 to 1; got bool"),
])
def test_a_picture_outside_its_dtypes_range_is_refused_not_taken_for_black(values, message):
    pixels = picture(seed=3)
    with pytest.raises(ValueError, match=re.escape(message)):
        inpaint_full_resolution(MeanColourFill(), values(pixels), picture_centre_mask(pixels.shape[:2]), 16)


@pytest.mark.parametrize("scale, message", [(255.0, "values from 0 to 255"), (np.nan, "NaN or infinite values")])
def test_a_mask_outside_0_1_is_refused(scale, message):
    pixels = picture(seed=4)
    masks = picture_centre_mask(pixels.shape[:2]) * scale
    with pytest.raises(ValueError, match=re.escape(f"a mask is in [0, 1] (1 = known pixel, 0 = hole; at least 0.5 "
                                                   f"is known); this one holds {message}")):
        inpaint_full_resolution(MeanColourFill(), pixels, masks, 16)
