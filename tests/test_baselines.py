import importlib
import sys

import numpy as np
import pytest

from kinpaint.baselines import BASELINES, ClassicalFill, HarmonicFill, MeanColourFill, PatchMatchFill, baseline
from kinpaint.data.masks import stroke_masks
from kinpaint.inpainting import Inpainter
from kinpaint.poisson import poisson_blend

SIZE = 16


def gradients():
    """Two linear-gradient images (different directions), the same with noise in their 6x8 hole, the masks."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / (SIZE - 1)
    ramps = np.stack([0.9 * cols - 0.6 * rows, 0.7 * rows - 0.5 * cols])[..., None]
    images = (ramps * np.array([1.0, 0.5, -1.0], np.float32)).astype(np.float32)
    masks = np.ones((2, SIZE, SIZE, 1), np.float32)
    masks[:, 5:11, 4:12] = 0
    noisy = images.copy()
    noisy[:, 5:11, 4:12] = np.random.default_rng(0).uniform(-1, 1, (2, 6, 8, 3))  # must be ignored
    return images, noisy, masks


def test_mean_colour_fill():
    images = np.zeros((1, 8, 8, 3), np.float32)
    images[0, :, :4] = 1.0
    masks = stroke_masks(1, 8, seed=1)
    filled = MeanColourFill().inpaint(images, masks).numpy()
    known = masks[0, ..., 0] == 1
    np.testing.assert_array_equal(filled[0][known], images[0][known])
    expected = images[0][known].mean(axis=0)
    np.testing.assert_allclose(filled[0][~known], np.broadcast_to(expected, filled[0][~known].shape), atol=1e-6)


def test_harmonic_fill_is_the_exact_harmonic_solution():
    rng = np.random.default_rng(2)
    image = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.ones((2, SIZE, SIZE, 1), np.float32)
    masks[:, 5:11, 4:12] = 0
    exact = poisson_blend(image, masks, np.zeros_like(image))
    filled = HarmonicFill().inpaint(image, masks)
    np.testing.assert_allclose(filled, exact, atol=1e-5)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], image[known])


# Mean absolute error allowed in the hole of a linear gradient (the mean colour's is ~0.08):
# the biharmonic fill reproduces it exactly, OpenCV's fills on 8 bits come close.
CLOSE = {"biharmonic": 1e-4, "telea": 0.05, "navier-stokes": 0.07}


@pytest.mark.parametrize("method", ClassicalFill.METHODS)
def test_classical_fill_keeps_known_pixels_and_continues_a_gradient(method):
    pytest.importorskip("skimage.restoration" if method == "biharmonic" else "cv2")
    images, noisy, masks = gradients()
    filled = ClassicalFill(method).inpaint(noisy, masks)
    assert filled.shape == images.shape and filled.dtype == np.float32
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], images[known])
    errors = np.abs(filled - images)[~known]
    assert errors.mean() < CLOSE[method], errors.mean()
    assert np.abs(filled).max() <= 1.0


def test_baseline_builds_every_name_and_rejects_others():
    assert baseline("mean").__class__ is MeanColourFill
    assert baseline("harmonic").__class__ is HarmonicFill
    for name in ClassicalFill.METHODS:
        assert isinstance(baseline(name), ClassicalFill) and baseline(name).method == name
    assert isinstance(baseline("patchmatch"), PatchMatchFill)
    assert set(BASELINES) == {"mean", "harmonic", *ClassicalFill.METHODS, "patchmatch"}
    assert all(isinstance(baseline(name), Inpainter) for name in BASELINES)
    with pytest.raises(ValueError, match=r"'bilinear'.*mean, harmonic, biharmonic, telea, navier-stokes, patchmatch"):
        baseline("bilinear")
    with pytest.raises(ValueError, match="'mean'"):
        ClassicalFill("mean")


def test_missing_opencv_or_scikit_image_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    monkeypatch.setitem(sys.modules, "skimage.restoration", None)
    monkeypatch.setitem(sys.modules, "patchmatch.patch_match", None)
    _, noisy, masks = gradients()
    with pytest.raises(ModuleNotFoundError, match=r'pypatchmatch \(Python 3.11.*pip install "kinpaint\[bench\]"'):
        baseline("patchmatch").inpaint(noisy, masks)
    with pytest.raises(ModuleNotFoundError, match=r'OpenCV.*pip install "kinpaint\[bench\]"'):
        baseline("telea").inpaint(noisy, masks)
    with pytest.raises(ModuleNotFoundError, match=r'scikit-image.*pip install "kinpaint\[bench\]"'):
        baseline("biharmonic").inpaint(noisy, masks)
    # Importing the module and building the fills needs neither.
    import kinpaint

    monkeypatch.setitem(sys.modules, "skimage", None)
    monkeypatch.setattr(kinpaint, "baselines", sys.modules["kinpaint.baselines"], raising=False)
    monkeypatch.delitem(sys.modules, "kinpaint.baselines")
    fresh = importlib.import_module("kinpaint.baselines")
    assert fresh.baseline("navier-stokes").method == "navier-stokes"


def stripes(height, width, count=2):
    """Images of vertical stripes of two colours, 3 pixels wide; the same with noise in their hole; the masks."""
    cols = np.arange(width)
    colours = np.array([[0.8, -0.4, 0.2], [-0.6, 0.5, -0.9]], np.float32)
    images = np.broadcast_to(colours[(cols // 3) % 2][None, None], (count, height, width, 3)).copy()
    masks = np.ones((count, height, width, 1), np.float32)
    masks[:, height // 3:2 * height // 3, width // 4:width // 2] = 0.0
    noisy = np.where(masks == 1.0, images, np.random.default_rng(0).uniform(-1, 1, images.shape)).astype(np.float32)
    return images, noisy, masks


@pytest.mark.parametrize("height, width", [(32, 32), (37, 23)])
def test_patchmatch_keeps_known_pixels_and_copies_the_picture_into_the_hole(height, width):
    pytest.importorskip("patchmatch.patch_match", reason="pypatchmatch (the bench and test extras, Python 3.11+) "
                        "is not installed")
    images, noisy, masks = stripes(height, width)
    filled = PatchMatchFill().inpaint(noisy, masks)
    assert filled.shape == images.shape and filled.dtype == np.float32
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], noisy[known])
    # the hole's old values are not read, and it is filled with the picture's texture, not a blur
    np.testing.assert_array_equal(PatchMatchFill().inpaint(images, masks), filled)
    assert (filled[~known].std(axis=0) > 0.5 * images[known].std(axis=0)).all()
    np.testing.assert_array_equal(PatchMatchFill().inpaint(noisy, masks), filled)  # seeded: a rerun fills alike
    assert not np.array_equal(PatchMatchFill(seed=1).inpaint(noisy, masks), filled)


OPTIONAL_MODULES = {"biharmonic": "skimage.restoration", "telea": "cv2", "navier-stokes": "cv2",
                    "patchmatch": "patchmatch.patch_match"}


def installed_baseline(name):
    """`baseline(name)`, the test skipped when the optional package it fills with is not installed."""
    if name in OPTIONAL_MODULES:
        pytest.importorskip(OPTIONAL_MODULES[name], reason=f"the {name!r} fill's package (the bench extra) is not "
                            "installed")
    return baseline(name)


def soft_masks(masks):
    """`masks` with soft values: known pixels at 1, 0.7 or exactly 0.5, holes at 0, 0.3 or 0.49, and a
    few of each turned to the other side (0.3 among the known pixels, 0.6 in the hole)."""
    rng = np.random.default_rng(3)
    known = rng.choice(np.array([1.0, 1.0, 0.7, 0.5, 0.3], np.float32), masks.shape)
    hole = rng.choice(np.array([0.0, 0.0, 0.3, 0.49, 0.6], np.float32), masks.shape)
    return np.where(masks == 1.0, known, hole)


@pytest.mark.parametrize("name", BASELINES)
def test_every_baseline_rounds_a_soft_mask_at_a_half_as_the_models_do(name):
    fill = installed_baseline(name)
    _, noisy, masks = gradients()
    soft = soft_masks(masks)
    rounded = (soft >= 0.5).astype(np.float32)
    filled = np.asarray(fill.inpaint(noisy, soft))
    np.testing.assert_array_equal(filled, np.asarray(fill.inpaint(noisy, rounded)))
    known = soft[..., 0] >= 0.5
    np.testing.assert_array_equal(filled[known], noisy[known])


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("value, problem", [(1.5, r"masks in \[0, 1\].*got values in \[0, 1\.5\]"),
                                            (np.nan, "masks holding NaN")], ids=["1.5", "NaN"])
def test_every_baseline_refuses_a_mask_outside_0_1_or_nan_as_the_models_do(name, value, problem):
    fill = installed_baseline(name)
    _, noisy, masks = gradients()
    masks[1, 0, 0] = value
    with pytest.raises(ValueError, match=f"{type(fill).__name__} .*{problem}"):
        fill.inpaint(noisy, masks)
