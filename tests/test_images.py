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
