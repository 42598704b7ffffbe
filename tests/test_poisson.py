import numpy as np
import pytest

from kinpaint.poisson import poisson_blend

SIZE = 16


def ramp(size=SIZE):
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    return ((0.03 * cols - 0.02 * rows + 0.1)[None, :, :, None] * np.array([1.0, 0.5, -1.0], np.float32))


def test_constant_gradient_fill_reproduces_the_image_exactly():
    image = ramp()
    masks = np.ones((1, SIZE, SIZE, 1), np.float32)
    masks[:, 4:12, 3:10] = 0
    # Same gradients as the image, offset by a constant: the blend must remove the offset.
    blended = poisson_blend(image, masks, image + 0.5)
    np.testing.assert_allclose(blended, image, atol=1e-5)


def test_free_form_holes_and_holes_touching_the_edge():
    image = np.repeat(ramp(), 2, axis=0)
    masks = (np.random.default_rng(0).uniform(size=(2, SIZE, SIZE, 1)) > 0.4).astype(np.float32)
    masks[1, :, :5] = 0  # a hole reaching the image's left edge (Neumann border)
    blended = poisson_blend(image, masks, image - 0.3)
    np.testing.assert_allclose(blended, image, atol=1e-4)


def test_known_pixels_are_untouched_and_a_flat_fill_becomes_harmonic():
    rng = np.random.default_rng(1)
    image = rng.uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.ones((1, SIZE, SIZE, 1), np.float32)
    masks[:, 5:11, 5:11] = 0
    blended = poisson_blend(image, masks, np.zeros_like(image))
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(blended[known], image[known])
    # A flat fill has no gradients: each hole pixel is the mean of its 4 neighbours.
    interior = blended[0, 5:11, 5:11]
    neighbours = (blended[0, 4:10, 5:11] + blended[0, 6:12, 5:11] + blended[0, 5:11, 4:10] + blended[0, 5:11, 6:12]) / 4
    np.testing.assert_allclose(interior, neighbours, atol=1e-4)


def test_an_image_without_known_pixels_keeps_the_fill_and_sizes_are_checked():
    fill = ramp() + 0.2
    np.testing.assert_allclose(poisson_blend(ramp(), np.zeros((1, SIZE, SIZE, 1)), fill), fill)
    with pytest.raises(ValueError, match="one size"):
        poisson_blend(ramp(), np.ones((1, SIZE, SIZE, 1)), ramp(8))


@pytest.mark.slow
def test_harmonic_fill_is_the_mean_of_its_neighbours_inside_a_model_graph():
    import tensorflow as tf

    from kinpaint.poisson import harmonic_fill

    rng = np.random.default_rng(2)
    image = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.ones((2, SIZE, SIZE, 1), np.float32)
    masks[:, 5:11, 4:12] = 0
    filled = tf.function(harmonic_fill)(image, masks).numpy()
    exact = poisson_blend(image, masks, np.zeros_like(image))
    np.testing.assert_allclose(filled, exact, atol=1e-4)
    known = masks[..., 0] == 1
    np.testing.assert_array_equal(filled[known], image[known])
    with tf.GradientTape() as tape:
        images = tf.constant(image)
        tape.watch(images)
        total = tf.reduce_sum(harmonic_fill(images, masks))
    assert tape.gradient(total, images) is None


@pytest.mark.parametrize("levels", [None, 0])
def test_multigrid_reaches_the_exact_fill_of_a_big_hole_in_a_few_steps(levels):
    import tensorflow as tf

    from kinpaint import poisson

    rng = np.random.default_rng(3)
    rows, columns = np.meshgrid(np.linspace(-1, 1, 150), np.linspace(-1, 1, 201), indexing="ij")
    image = np.stack([np.sin(3 * rows) * np.cos(2 * columns)] * 3, axis=-1)[None].astype(np.float32)
    image += rng.normal(0, 0.05, image.shape).astype(np.float32)
    masks = np.ones((1, 150, 201, 1), np.float32)
    masks[:, 30:120, 40:171] = 0
    exact = poisson_blend(image, masks, np.zeros_like(image), max_iterations=3000, tolerance=1e-7)
    holes = tf.constant(np.broadcast_to(masks == 0, image.shape).astype(np.float32))
    known = image * (1 - holes.numpy())
    # 12 steps: plenty with the V-cycle, far too few for plain conjugate gradients on a 90x131 hole.
    solved = poisson._solve(image, holes, tf.zeros_like(image), tf.zeros_like(image), tf.constant(12),
                            tf.constant(1e-6), levels=levels).numpy()
    error = np.abs(known + solved - exact)[holes.numpy() == 1].max()
    assert (error < 1e-3) if levels is None else (error > 1e-2)  # 0 levels: plain conjugate gradients


def random_holes(shape, seed, edge=False):
    """`(images, masks)`: smooth-ish random pictures and a random rectangle plus scattered
    hole pixels in each; with `edge`, the rectangle reaches the picture's left or top edge."""
    rng = np.random.default_rng(seed)
    count, height, width = shape
    images = rng.uniform(-1, 1, (count, height, width, 3)).astype(np.float32)
    masks = (rng.uniform(size=(count, height, width, 1)) > 0.1).astype(np.float32)
    for index, mask in enumerate(masks):
        top, left = rng.integers(1, height // 2), rng.integers(1, width // 2)
        if edge:
            top, left = (0, left) if index % 2 else (top, 0)
        mask[top : top + rng.integers(2, height // 2), left : left + rng.integers(2, width // 2)] = 0
    return images, masks


@pytest.mark.parametrize("shape, edge", [((3, 16, 16), False), ((2, 17, 23), True), ((1, 9, 40), True),
                                         ((2, 31, 12), False)])
@pytest.mark.slow
def test_harmonic_fill_solves_only_around_the_holes_and_matches_the_exact_fill(shape, edge):
    from kinpaint import poisson

    images, masks = random_holes(shape, seed=sum(shape), edge=edge)
    masks[:, -2:] = 1  # the holes' box leaves some rows out: the crop is smaller than the picture
    filled = poisson.harmonic_fill(images, masks).numpy()
    exact = poisson_blend(images, masks, np.zeros_like(images), max_iterations=3000, tolerance=1e-7)
    np.testing.assert_allclose(filled, exact, atol=2e-4)
    known = np.broadcast_to(masks == 1, images.shape)
    np.testing.assert_array_equal(filled[known], images[known])


@pytest.mark.slow
def test_harmonic_fill_in_a_graph_of_unknown_sizes_without_holes_and_without_known_pixels():
    import tensorflow as tf

    from kinpaint import poisson

    fill = tf.function(poisson.harmonic_fill, input_signature=[tf.TensorSpec([None, None, None, 3]),
                                                                tf.TensorSpec([None, None, None, 1])])
    for shape in [(2, 13, 21), (1, 8, 8)]:
        images, masks = random_holes(shape, seed=5)
        exact = poisson_blend(images, masks, np.zeros_like(images), max_iterations=3000, tolerance=1e-7)
        np.testing.assert_allclose(fill(images, masks).numpy(), exact, atol=2e-4)
    images, _ = random_holes((2, 10, 12), seed=6)
    np.testing.assert_array_equal(fill(images, np.ones((2, 10, 12, 1), np.float32)).numpy(), images)
    masks = np.ones((2, 10, 12, 1), np.float32)
    masks[0] = 0  # nothing known: zeros; the other picture's single hole pixel is still solved
    masks[1, 4, 5] = 0
    filled = fill(images, masks).numpy()
    np.testing.assert_array_equal(filled[0], 0)
    around = images[1, 3, 5] + images[1, 5, 5] + images[1, 4, 4] + images[1, 4, 6]
    np.testing.assert_allclose(filled[1, 4, 5], around / 4, atol=1e-5)


def test_a_soft_mask_is_rounded_at_one_half_as_the_models_round_it():
    from kinpaint.poisson import harmonic_fill

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, 24, 24, 3)).astype(np.float32)
    soft = np.ones((2, 24, 24, 1), np.float32)
    soft[:, 6:18, 6:18] = rng.choice([0.0, 0.3, 0.49], (2, 12, 12, 1))
    soft[:, 8:10, 8:10] = 0.7  # known, though inside the hole's box
    rounded = (soft >= 0.5).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(harmonic_fill(images, soft)), np.asarray(harmonic_fill(images, rounded)))
    fills = rng.uniform(-1, 1, images.shape).astype(np.float32)
    np.testing.assert_array_equal(poisson_blend(images, soft, fills), poisson_blend(images, rounded, fills))
    known = np.broadcast_to(soft >= 0.5, images.shape)
    np.testing.assert_array_equal(np.asarray(harmonic_fill(images, soft))[known], images[known])
