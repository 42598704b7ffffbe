import numpy as np
import pytest

from kinpaint.baselines import MeanColourFill
from kinpaint.data.masks import centre_mask
from kinpaint.data.pipeline import make_dataset
from kinpaint.evaluation import evaluate_inpainter, format_table


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
