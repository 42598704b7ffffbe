import os
import re

import numpy as np
import pytest

from kinpaint import metrics
from kinpaint.baselines import MeanColourFill
from kinpaint.data.masks import centre_mask
from kinpaint.data.pipeline import make_dataset
from kinpaint.evaluation import bootstrap_interval, evaluate_inpainter, evaluate_run, format_table
from kinpaint.evaluation.reported_metrics import IMAGE_METRICS


def test_evaluation_of_mean_colour_on_shapes():
    dataset = make_dataset("shapes", split="test", batch_size=16, shuffle=False)
    results = evaluate_inpainter(MeanColourFill(), dataset, max_batches=2)
    assert results["images"] == 32
    assert 8 < results["hole_psnr"] < 30
    assert results["image_psnr"] > results["hole_psnr"]
    table = format_table({"mean colour": results})
    assert "mean colour" in table and f"{results['hole_psnr']:.4f}" in table


class Truth:
    """An oracle that knows the answer: its scores are the metric ceilings."""

    def __init__(self, images):
        self.images = images

    def inpaint(self, images, masks, captions=None):
        return self.images


def test_evaluation_of_a_perfect_inpainter():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    batch = {"image": images, "mask": np.repeat(centre_mask(16, 8)[None], 4, 0)}
    results = evaluate_inpainter(Truth(images), [batch])
    assert results["hole_psnr"] == pytest.approx(100.0) and results["hole_l1"] == 0.0


def test_every_mean_carries_the_bootstrap_interval_of_its_images():
    images = np.random.default_rng(1).uniform(-1, 1, (6, 16, 16, 3)).astype(np.float32)
    masks = np.repeat(centre_mask(16, 8)[None], 6, 0)
    results = evaluate_inpainter(MeanColourFill(), [{"image": images[:4], "mask": masks[:4]},
                                                    {"image": images[4:], "mask": masks[4:]}])
    assert set(IMAGE_METRICS) <= set(results) and results["images"] == 6
    per_image = metrics.psnr(images, MeanColourFill().inpaint(images, masks), masks)
    mean, low, high = bootstrap_interval(per_image)
    assert results["hole_psnr"] == pytest.approx(mean, abs=1e-4)
    assert (results["hole_psnr_low"], results["hole_psnr_high"]) == pytest.approx((low, high), abs=1e-4)
    assert low < mean < high
    assert f"{mean:.4f} [{low:.4f}, {high:.4f}]" in format_table({"mean colour": results})
    assert format_table({"mean": {"hole_psnr": 12.0}}, ("hole_psnr", "hole_l1")).splitlines()[1].split() == [
        "mean", "12.0000", "-"]


@pytest.mark.slow
def test_a_run_table_carries_intervals(shapes_store, tmp_path):
    from kinpaint.models import FourierInpainter
    from kinpaint.run_config import RunConfig

    model = FourierInpainter(image_size=64, width=4, blocks=1, precision="float32")
    config = RunConfig("fourier", shapes_store, str(tmp_path / "run"), captions="none", batch_size=8)
    os.makedirs(config.out)
    table = evaluate_run(model, config)
    assert (tmp_path / "run" / "evaluation.md").read_text() == table
    cells = {line.split("  ")[0]: re.search(r"(\d+\.\d{4}) \[(\d+\.\d{4}), (\d+\.\d{4})\]", line)
             for line in table.splitlines() if line.startswith(("Fourier inpainter", "mean colour fill"))}
    assert sorted(cells) == ["Fourier inpainter", "mean colour fill"]
    for name, cell in cells.items():
        mean, low, high = map(float, cell.groups())  # the first column: hole PSNR
        assert low <= mean <= high, name
    assert "95% percentile-bootstrap interval" in table
