"""The per-example losses every training step shares (`kinpaint.models.losses`)."""

import numpy as np

from kinpaint.models.losses import LOG_L2_FLOOR, hole_error

SIZE = 16


def batch(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (8, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.ones((8, SIZE, SIZE, 1), np.float32)
    masks[:, 4:12, 4:12] = 0
    return {"image": images, "mask": masks}


def test_log_l2_reconstruction_is_the_log_of_each_images_squared_error():
    data = batch()
    fills = np.zeros_like(data["image"])
    squared = hole_error(data["image"], fills, data["mask"], "l2")
    np.testing.assert_allclose(hole_error(data["image"], fills, data["mask"], "log_l2"),
                               np.log(np.asarray(squared) + LOG_L2_FLOOR), rtol=1e-6)
