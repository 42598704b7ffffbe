"""kinpaint.evaluate: one table for every method, with a caption ablation."""

import collections
import csv
import math
import re
import sys

import numpy as np
import pytest

from kinpaint.baselines import MeanColourFill
from kinpaint.evaluation import Method, bootstrap_interval, evaluate
from kinpaint.data.shapes import COLOURS
from kinpaint.files import OutputRecord
from kinpaint.inpainting import composite


class Truth:
    """Fills every hole with the true pixels (it is handed them through `images`)."""

    def inpaint(self, images, masks, captions=None):
        return np.asarray(images, np.float32)


class Grey:
    """Fills every hole with mid-grey (0 in [-1, 1], 0.5 on the [0, 1] scale)."""

    def inpaint(self, images, masks, captions=None):
        return np.asarray(composite(images, masks, np.zeros_like(images)))


class IgnoresCaptions(MeanColourFill):
    """Says it reads captions, and does not."""

    conditioned = True


class ColourOracle:
    """Reads the centre object's colour and size from `shapes` captions: a large object's colour
    fills the middle of the hole, a small one's tints the mean-colour fill."""

    conditioned = True

    def inpaint(self, images, masks, captions=None):
        fills = np.array(MeanColourFill().inpaint(images, masks))
        if captions is None:
            return fills
        middle = slice(fills.shape[1] // 2 - 8, fills.shape[1] // 2 + 8)
        for fill, caption in zip(fills, captions):
            words = re.findall(r"[a-z]+", str(caption).lower())
            named = [word for word in words if word in COLOURS]
            if not named:
                continue
            # the centre's colour is the one most of an image's captions name
            colour = np.array(COLOURS[collections.Counter(named).most_common(1)[0][0]], np.float32) / 127.5 - 1.0
            if words.count("large") >= words.count("small"):
                fill[middle, middle] = colour
            else:
                fill[:] = 0.85 * fill + 0.15 * colour
        return np.asarray(composite(images, masks, fills))


def test_a_method_that_returns_the_truth_gets_capped_psnr_and_zero_error():
    result = evaluate("shapes", [("truth", Truth())], count=6, progress=False)
    values = result.summary[("truth", "none")]
    assert values["hole_psnr"][0] == pytest.approx(100.0)  # kinpaint.metrics caps PSNR at 100 dB
    assert values["hole_l1"] == (0.0, 0.0, 0.0)
    assert values["hole_ssim"][0] == pytest.approx(1.0, abs=1e-5)


def test_a_constant_fill_matches_a_hand_computation():
    result = evaluate("shapes", [("grey", Grey())], count=5, progress=False)
    truth = (result.images + 1.0) / 2.0
    hole = result.masks[..., 0] == 0
    for index, record in enumerate(result.records):
        errors = truth[index][hole[index]] - 0.5
        assert record["hole_psnr"] == pytest.approx(-10 * math.log10(np.mean(errors**2)), abs=1e-3)
        assert record["hole_l1"] == pytest.approx(np.mean(np.abs(errors)), abs=1e-5)


def test_a_model_that_ignores_its_captions_shows_gaps_around_zero():
    result = evaluate("shapes", [("deaf", IgnoresCaptions())], count=24, progress=False)
    for gap in ("true - other", "true - none"):
        mean, low, high = result.gaps["deaf"][gap]["hole_psnr"]
        assert low <= 0.0 <= high


def test_an_oracle_that_reads_the_caption_shows_a_clearly_positive_gap():
    result = evaluate("shapes", [("oracle", ColourOracle())], count=48, progress=False)
    for gap in ("true - other", "true - none"):
        mean, low, high = result.gaps["oracle"][gap]["hole_psnr"]
        assert low > 0.0 and mean > 0.5, f"{gap}: {mean:+.2f} [{low:+.2f}, {high:+.2f}] dB"


@pytest.mark.slow
def test_every_method_sees_the_same_images_and_masks_and_the_csv_has_a_row_per_image(tmp_path):
    out = tmp_path / "report"
    result = evaluate("shapes", ["mean", "harmonic", ("oracle", ColourOracle())], masks="strokes", count=7,
                      out=str(out), progress=False, command="kinpaint evaluate ...")
    with open(out / "results.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    # mean and harmonic once each, the oracle under three caption conditions
    assert len(rows) == (1 + 1 + 3) * 7
    assert {(row["method"], row["condition"]) for row in rows} == {
        ("mean", "none"), ("harmonic", "none"), ("oracle", "true"), ("oracle", "other"), ("oracle", "none")}
    assert sorted(int(row["image"]) for row in rows if row["method"] == "mean") == list(range(7))
    # the masks are drawn once: every known pixel comes back exactly in every method's fill
    known = result.masks[..., 0] == 1
    assert (result.masks == 0).any() and not np.array_equal(result.masks[0], result.masks[1])
    for fills in result.fills.values():
        np.testing.assert_array_equal(fills[known], result.images[known])
    table = (out / "results.md").read_text()
    assert "kinpaint evaluate ..." in table and "| oracle | true - other |" in table and "tensorflow" in table
    assert (out / "grid.png").stat().st_size > 0


@pytest.mark.parametrize("name", ["results.md", "results.csv", "grid.png"])
def test_force_never_replaces_a_report_file_the_user_wrote(tmp_path, name):
    out = tmp_path / "report"
    out.mkdir()
    (out / name).write_text("precious")
    with pytest.raises(FileExistsError, match="--force"):
        evaluate("shapes", ["mean"], count=3, out=str(out), progress=False)
    with pytest.raises(FileExistsError, match=f"report/{name} was not written by kinpaint evaluate"):
        evaluate("shapes", ["mean"], count=3, out=str(out), force=True, progress=False)
    assert (out / name).read_text() == "precious"
    assert sorted(path.name for path in out.iterdir()) == [name]


def test_force_replaces_the_report_evaluate_wrote_and_a_failed_run_keeps_it(tmp_path):
    out = tmp_path / "report"
    evaluate("shapes", ["mean"], count=3, out=str(out), progress=False, command="the first run")
    written = sorted(path.name for path in out.iterdir())

    class Broken:
        def inpaint(self, images, masks, captions=None):
            raise RuntimeError("the fill fell over")

    with pytest.raises(RuntimeError, match="fell over"):
        evaluate("shapes", ["mean", ("broken", Broken())], count=3, out=str(out), force=True, progress=False)
    assert "the first run" in (out / "results.md").read_text()
    assert sorted(path.name for path in out.iterdir()) == written
    evaluate("shapes", ["mean"], count=3, out=str(out), force=True, progress=False, command="the second run")
    assert "the second run" in (out / "results.md").read_text()
    record = OutputRecord(out, "kinpaint evaluate")
    assert [record.state(out / name) for name in ("results.md", "results.csv", "grid.png")] == ["written"] * 3


def test_a_missing_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ModuleNotFoundError, match=r"kinpaint\[bench\]"):
        evaluate("shapes", ["telea"], count=2, progress=False)


@pytest.mark.parametrize("arguments, message", [
    (dict(methods=["nearest"]), "unknown method 'nearest'"),
    (dict(methods=[]), "at least one method"),
    (dict(methods=["mean"], masks="circles"), "masks must be one of"),
    (dict(methods=["mean"], captions="all"), "captions must be one of"),
    (dict(methods=["mean", "mean"]), "share a name"),
    (dict(methods=["mean"], count=1), "at least 2"),
])
def test_bad_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        evaluate("shapes", progress=False, **{"count": 3, **arguments})


def test_a_split_the_store_lacks_is_named(shapes_store):
    with pytest.raises(ValueError, match=r"has no split 'nonsense'; its splits are train, val, test"):
        evaluate(shapes_store, ["mean"], split="nonsense", count=2, progress=False)


def test_caption_readers_need_captions():
    with pytest.raises(ValueError, match="oracle reads captions but the data gives no caption texts"):
        # photos:wheels: the captionless photographs that open fastest (plain "photos" may scan a whole corpus)
        evaluate("photos:wheels", [Method("oracle", ColourOracle(), reads_captions=True)], count=2, progress=False)


def test_bootstrap_interval_brackets_the_mean_and_is_seeded():
    values = np.random.default_rng(0).normal(3.0, 1.0, 400)
    mean, low, high = bootstrap_interval(values)
    assert low < mean < high and high - low == pytest.approx(2 * 1.96 / 20, rel=0.15)
    assert bootstrap_interval(values) == (mean, low, high)
    assert bootstrap_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


@pytest.fixture(scope="module")
def tiny_fourier_file(tmp_path_factory):
    from kinpaint.models import FourierInpainter

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    model.save(path)
    return path


@pytest.mark.slow
def test_a_model_at_a_side_fills_through_the_resize_path_and_keeps_known_pixels(tiny_fourier_file):
    evaluation = evaluate("shapes", [str(tiny_fourier_file), f"{tiny_fourier_file}@16"], split="val", count=4,
                          progress=False)
    direct, resized = evaluation.fills["tiny"], evaluation.fills["tiny@16"]
    known = np.broadcast_to(evaluation.masks >= 0.5, direct.shape)
    quantised = np.round((evaluation.images + 1) * 127.5) / 127.5 - 1  # the resize path works on uint8 pictures
    np.testing.assert_allclose(resized[known], quantised[known], atol=1e-6)
    assert np.abs(resized - direct)[~known].mean() > 1e-3  # a 16-pixel fill scaled up is not the 64-pixel fill


@pytest.mark.slow
def test_a_shipped_model_is_a_method(monkeypatch, tiny_fourier_file):
    import kinpaint.pretrained_models as shipped

    monkeypatch.setattr(shipped, "WEIGHTS_FOLDER", tiny_fourier_file.parent)
    monkeypatch.setitem(shipped.PRETRAINED, "tiny", ("tiny.keras", "a test model"))
    evaluation = evaluate("shapes", ["pretrained:tiny"], split="val", count=2, progress=False)
    assert list(evaluation.fills) == ["pretrained_tiny"]
    bare = evaluate("shapes", ["tiny", "tiny@16"], split="val", count=2, progress=False)  # the one spelling
    assert list(bare.fills) == ["pretrained_tiny", "pretrained_tiny@16"]
    np.testing.assert_array_equal(bare.fills["pretrained_tiny"], evaluation.fills["pretrained_tiny"])


@pytest.mark.parametrize("method", ["model.keras@0", "model.keras@big", "pretrained:nothing"])
def test_bad_method_specs_are_named(tmp_path, tiny_fourier_file, method):
    spec = method.replace("model.keras", str(tiny_fourier_file))
    with pytest.raises(ValueError, match="@|nothing"):
        evaluate("shapes", [spec], split="val", count=2, progress=False)
