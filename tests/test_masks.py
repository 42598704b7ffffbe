import numpy as np
import pytest

from kinpaint.data.masks import centre_mask, check_masks, make_masks, rectangle_masks, stroke_masks


def test_centre_mask_is_the_hidden_square():
    mask = centre_mask(64, 32)
    assert mask.shape == (64, 64, 1) and mask.dtype == np.float32
    assert mask[16:48, 16:48].max() == 0.0
    assert mask.sum() == 64 * 64 - 32 * 32
    assert mask[15, 16] == 1.0 and mask[48, 47] == 1.0


def test_centre_mask_any_size():
    mask = centre_mask((10, 20), (4, 6))
    assert mask.shape == (10, 20, 1) and (mask == 0).sum() == 24
    assert mask[3:7, 7:13].max() == 0.0
    with pytest.raises(ValueError, match="must fit"):
        centre_mask(8, 9)


@pytest.mark.parametrize("generator", [rectangle_masks, stroke_masks])
def test_random_masks_are_seeded(generator):
    first = generator(6, 32, seed=3)
    again = generator(6, 32, seed=3)
    other = generator(6, 32, seed=4)
    assert first.shape == (6, 32, 32, 1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert set(np.unique(first)) <= {0.0, 1.0}
    holes = (first == 0).reshape(6, -1).sum(axis=1)
    assert (holes > 0).all() and (holes < 32 * 32).all()


def test_rectangles_respect_side_limits():
    masks = rectangle_masks(20, 32, min_side=4, max_side=8, seed=0)
    for mask in masks:
        rows, cols = np.nonzero(mask[..., 0] == 0)
        assert 4 <= rows.max() - rows.min() + 1 <= 8
        assert 4 <= cols.max() - cols.min() + 1 <= 8


def test_make_masks_by_name():
    assert make_masks("centre", 3, 16, 8).shape == (3, 16, 16, 1)
    with pytest.raises(ValueError, match="unknown mask kind 'blob'"):
        make_masks("blob", 1)


def test_check_masks_rejects_wrong_convention():
    with pytest.raises(ValueError, match=r"\(H, W, 1\)"):
        check_masks(np.ones((4, 8, 8, 3)))
    with pytest.raises(ValueError, match="does not match image size"):
        check_masks(np.ones((4, 8, 8, 1)), (4, 16, 16, 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_masks(np.full((8, 8, 1), 255.0))


def test_mixed_masks_interleave_centre_rectangle_and_strokes():
    from kinpaint.data.masks import make_masks

    mixed = make_masks("mixed", 7, 16, 8, seed=0)
    assert mixed.shape == (7, 16, 16, 1)
    np.testing.assert_array_equal(mixed[0], make_masks("centre", 1, 16, 8)[0])
    np.testing.assert_array_equal(mixed[1], make_masks("rectangle", 3, 16, 8, seed=0)[0])
    np.testing.assert_array_equal(mixed[2], make_masks("strokes", 3, 16, 8, seed=0)[0])
