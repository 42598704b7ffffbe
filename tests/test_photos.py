"""The built-in photos data: split by photograph (`kinpaint.data.photos`)."""

import numpy as np

from kinpaint.data.photos import PHOTOGRAPHS, SPLITS, load_photograph, load_photos


def test_photos_split_by_photograph_and_are_seeded():
    assert not set(SPLITS["train"]) & set(SPLITS["test"])
    assert set(SPLITS["train"]) | set(SPLITS["test"]) == set(PHOTOGRAPHS)
    images, sources = load_photos("test", count=30, seed=1)
    again, _ = load_photos("test", count=30, seed=1)
    np.testing.assert_array_equal(images, again)
    assert images.shape == (30, 64, 64, 3) and set(sources) <= set(SPLITS["test"])
    assert images.std() > 20  # real texture, not flat colour


def test_every_photograph_loads_in_colour():
    for name in PHOTOGRAPHS:
        photo = load_photograph(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and min(photo.shape[:2]) >= 256, name
        assert np.abs(photo[..., 0].astype(int) - photo[..., 2]).mean() > 5, f"{name} looks gray"
