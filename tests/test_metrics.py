import numpy as np
import pytest
import tensorflow as tf

from kinpaint.data.masks import centre_mask
from kinpaint.metrics import ImageMetric, detail, l1_error, l2_error, psnr, ssim


def pair(seed=0, size=32, noise=0.2):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (3, size, size, 3)).astype(np.float32)
    predictions = np.clip(images + rng.normal(0, noise, images.shape), -1, 1).astype(np.float32)
    return images, predictions


def test_hand_computed_hole_values():
    images = np.zeros((1, 4, 4, 3), np.float32)  # 0.5 on the [0, 1] scale
    predictions = images.copy()
    predictions[0, 1:3, 1:3] = 1.0  # 1.0 on the [0, 1] scale: error 0.5 in the hole
    predictions[0, 0, 0] = -1.0  # an error outside the hole
    masks = centre_mask(4, 2)[None]
    assert float(l1_error(images, predictions, masks)[0]) == pytest.approx(0.5)
    assert float(l2_error(images, predictions, masks)[0]) == pytest.approx(0.25)
    assert float(psnr(images, predictions, masks)[0]) == pytest.approx(10 * np.log10(1 / 0.25))
    whole_mse = (4 * 3 * 0.25 + 3 * 0.25) / 48
    assert float(l2_error(images, predictions)[0]) == pytest.approx(whole_mse)


def test_whole_image_metrics_match_tensorflow():
    images, predictions = pair()
    unit = lambda x: (x + 1) / 2  # noqa: E731
    np.testing.assert_allclose(psnr(images, predictions), tf.image.psnr(unit(images), unit(predictions), 1.0), rtol=1e-5)
    np.testing.assert_allclose(ssim(images, predictions), tf.image.ssim(unit(images), unit(predictions), 1.0), atol=1e-5)


def test_hole_metrics_see_only_the_hole():
    images, predictions = pair(size=32)
    masks = np.repeat(centre_mask(32, 16)[None], 3, axis=0)
    outside_changed = predictions.copy()
    outside_changed[:, :4] = -images[:, :4]
    for metric in (psnr, l1_error, l2_error):
        np.testing.assert_allclose(metric(images, predictions, masks), metric(images, outside_changed, masks), rtol=1e-6)
    perfect_hole = predictions * masks + images * (1 - masks)
    assert (ssim(images, images, masks).numpy() == pytest.approx(1.0))
    assert (psnr(images, perfect_hole, masks).numpy() == pytest.approx(100.0))
    assert (ssim(images, predictions, masks).numpy() < 0.99).all()


def test_detail_is_one_for_the_truth_below_for_a_blur_and_sees_only_the_hole():
    images = tf.image.resize(pair(size=16)[0], (32, 32), "bilinear").numpy()  # smooth enough to blur further
    masks = np.repeat(centre_mask(32, 16)[None], 3, axis=0)
    blurred = tf.nn.avg_pool2d(np.pad(images, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="edge"), 3, 1, "VALID").numpy()
    noisy = images + np.random.default_rng(1).normal(0, 0.2, images.shape).astype(np.float32)
    for region in (masks, None):
        np.testing.assert_allclose(detail(images, images, region), 1.0, rtol=1e-6)
        assert (detail(images, blurred, region).numpy() < 0.9).all()
        assert (detail(images, noisy, region).numpy() > 1.1).all()
    outside_changed = blurred.copy()
    outside_changed[:, :4] = noisy[:, :4]
    np.testing.assert_allclose(detail(images, blurred, masks), detail(images, outside_changed, masks), rtol=1e-6)
    flat = np.zeros_like(images)  # no detail in the truth: 0, not a division by zero
    np.testing.assert_array_equal(detail(flat, images, masks), 0.0)


def test_keras_metric_accumulates_and_round_trips():
    images, predictions = pair()
    masks = np.repeat(centre_mask(32, 16)[None], 3, axis=0)
    metric = ImageMetric("psnr", "hole")
    metric.update_state(images[:2], predictions[:2], masks[:2])
    metric.update_state(images[2:], predictions[2:], masks[2:])
    assert float(metric.result()) == pytest.approx(float(np.mean(psnr(images, predictions, masks))), rel=1e-5)
    clone = ImageMetric.from_config(metric.get_config())
    assert (clone.name, clone.kind, clone.region) == ("hole_psnr", "psnr", "hole")
    with pytest.raises(ValueError, match="pass masks"):
        metric.update_state(images, predictions)
    with pytest.raises(ValueError, match="unknown metric kind"):
        ImageMetric("fid")
    whole = ImageMetric("ssim", "image")
    whole.update_state(images, predictions, masks)  # masks ignored for the whole image
    assert float(whole.result()) == pytest.approx(float(np.mean(ssim(images, predictions))), rel=1e-5)
