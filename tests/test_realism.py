"""The realism measure (kinpaint.evaluation.realism): its controls on textures the tests draw."""

import numpy as np
import pytest

from kinpaint.baselines import MeanColourFill
from kinpaint.evaluation.realism import (NoiseFill, RealismSettings, TruthFill, hole_views, realism_accuracy,
                                         seed_interval, split_by_photograph)

SIZE = 32
PHOTOS = 12
CROPS_PER_PHOTO = 4
TINY = RealismSettings(steps=100, batch_pairs=16, width=8)
# Budgets that two tests each share, so the classifier kinpaint.evaluation.realism keeps compiled
# serves both (it is traced once per budget and view size).
FEW_STEPS = RealismSettings(steps=2, batch_pairs=4, width=4)
RERUN = RealismSettings(steps=10, batch_pairs=8, width=4)


def textured_crops(seed=0):
    """`(images (N, 32, 32, 3) in [-1, 1], centre masks (N, 32, 32, 1), photo ids)`: each "photograph"
    is a smooth wave pattern with its own colours, frequencies and grain; its crops are shifts of it."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SIZE * 2, 0:SIZE * 2].astype(np.float32)
    images, ids = [], []
    for photo in range(PHOTOS):
        colours = rng.uniform(-0.5, 0.5, (2, 3))
        colours[1] = rng.choice([-1, 1], 3) * rng.uniform(0.3, 0.6, 3)  # every photograph has contrast
        frequency = rng.uniform(0.15, 0.5, 2)
        angle = rng.uniform(0, np.pi)
        wave = np.sin(frequency[0] * (rows * np.cos(angle) + cols * np.sin(angle)))
        wave = wave * np.cos(frequency[1] * cols)
        picture = colours[0] + (wave[..., None] + 0.3 * rng.normal(size=rows.shape)[..., None]) * colours[1] * 0.5
        for _ in range(CROPS_PER_PHOTO):
            top, left = rng.integers(0, SIZE, 2)
            images.append(np.clip(picture[top:top + SIZE, left:left + SIZE], -1, 1))
            ids.append(f"photo{photo}")
    masks = np.ones((len(images), SIZE, SIZE, 1), np.float32)
    masks[:, SIZE // 4:3 * SIZE // 4, SIZE // 4:3 * SIZE // 4] = 0.0
    return np.stack(images).astype(np.float32), masks, ids


@pytest.fixture(scope="module")
def crops():
    return textured_crops()


@pytest.mark.slow
def test_truth_scores_exactly_one_half(crops):
    images, masks, ids = crops
    # the classifier sees the same views under both labels, so no budget can tell them apart
    settings = FEW_STEPS
    result = realism_accuracy(images, TruthFill().inpaint(images, masks), masks, ids, seeds=(0,), settings=settings)
    assert result.per_seed == (0.5,)


@pytest.mark.slow
def test_evaluate_puts_realism_beside_the_pixel_metrics(crops, tmp_path):
    from kinpaint.data import write_store
    from kinpaint.data.records import Example, Report
    from kinpaint.evaluation import evaluate, markdown
    from kinpaint.images import to_uint8

    images, _, ids = crops

    class Reader:  # the textured crops as a store's test split
        report = Report()

        def __len__(self):
            return len(images)

        def __iter__(self):
            return (Example(f"crop{index}", to_uint8(image), [], "test") for index, image in enumerate(images))

    store = str(tmp_path / "crops.h5")
    write_store(store, Reader(), progress=False)
    settings = FEW_STEPS  # the controls above and below check what it measures
    result = evaluate(store, [("truth", TruthFill()), "mean"], masks="centre", progress=False, realism=settings,
                      photo_ids=ids)
    assert result.summary[("truth", "none")]["realism"] == (0.5, 0.5, 0.5)
    mean, low, high = result.summary[("mean", "none")]["realism"]
    assert low <= mean <= high and mean == pytest.approx(np.mean(result.realism["mean"].per_seed))
    assert set(result.realism) == {"truth", "mean"} and result.realism["mean"].seeds == (0, 1, 2)
    report = markdown(result)
    header = next(line for line in report.splitlines() if line.startswith("| method"))
    assert header.index("hole detail") < header.index("realism (classifier accuracy)")
    assert "split by photograph (a scene's together)" in report and "0.500 [0.500, 0.500]" in report
    with pytest.raises(ValueError, match="photo_ids has 3 entries for the 48 images"):
        evaluate(store, ["mean"], progress=False, realism=True, photo_ids=ids[:3])
    with pytest.raises(ValueError, match="realism needs at least 4 images.*gives 3"):
        evaluate(store, ["mean"], count=3, progress=False, realism=True)
    plain = markdown(evaluate(store, ["mean"], progress=False))
    assert "classifier accuracy" not in plain and "realism:" not in plain


@pytest.mark.slow
def test_another_real_sample_scores_about_one_half(crops):
    images, masks, ids = crops
    others, _, _ = textured_crops(seed=1)  # other real crops drawn the same way: one distribution
    result = realism_accuracy(images, others, masks, ids, seeds=(0,), settings=TINY)
    assert 0.3 <= result.accuracy[0] <= 0.7, result


@pytest.mark.slow
def test_mean_colour_fill_is_told_apart(crops):
    images, masks, ids = crops
    filled = np.asarray(MeanColourFill().inpaint(images, masks))
    result = realism_accuracy(images, filled, masks, ids, seeds=(0,), settings=TINY)
    assert result.accuracy[0] >= 0.9, result


@pytest.mark.slow
def test_noise_is_told_apart_although_its_detail_is_high(crops):
    from kinpaint.metrics import detail

    images, masks, ids = crops
    filled = NoiseFill().inpaint(images, masks)
    assert float(np.mean(detail(images, filled, masks))) > 1.5  # sharper than the truth
    result = realism_accuracy(images, filled, masks, ids, seeds=(0,), settings=TINY)
    assert result.accuracy[0] >= 0.9, result


def test_a_real_crop_and_its_fill_share_a_side_and_photographs_are_not_split():
    ids = ["a"] * 5 + ["b"] * 3 + ["c"] * 4 + ["d"] * 4
    for seed in range(5):
        held_out = split_by_photograph(ids, seed)
        for photo in set(ids):
            sides = {bool(side) for side, name in zip(held_out, ids) if name == photo}
            assert len(sides) == 1
        assert 0 < held_out.sum() < len(ids)
    assert len({tuple(split_by_photograph(ids, seed)) for seed in range(5)}) > 1  # each seed its own split


def test_one_photograph_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        split_by_photograph(["only"] * 6, 0)


def test_hole_views_see_the_hole_and_its_margin_and_shrink_large_holes():
    images = np.zeros((2, 256, 256, 3), np.float32)
    masks = np.ones((2, 256, 256, 1), np.float32)
    masks[:, 64:192, 64:192] = 0.0
    filled = images.copy()
    filled[:, 64:192, 64:192] = 1.0
    real_views, filled_views = hole_views(images, filled, masks, side=64, margin=0.25)
    assert real_views.shape == filled_views.shape == (2, 64, 64, 4)
    # 128 hole + 32 on each side = 192 pixels seen, shrunk 3x: the hole is the middle 128 / 3 pixels
    assert (filled_views[0, 32, 32, :3] > filled_views[0, 2, 2, :3] + 1.0).all()  # the bright fill, the dark margin
    assert np.allclose(real_views[..., :3], 0.0)
    assert np.allclose(real_views[..., 3], filled_views[..., 3])
    assert real_views[0, 32, 32, 3] == pytest.approx(1.0) and real_views[0, 2, 2, 3] == pytest.approx(0.0)
    small, _ = hole_views(images[:, :64, :64], filled[:, :64, :64], np.pad(masks[:, 64:96, 64:96], ((0, 0), (16, 16),
                          (16, 16), (0, 0)), constant_values=1.0), side=64)
    assert small.shape == (2, 48, 48, 4)  # never enlarged: 32 hole + 2 x 8 margin


def test_seed_interval_is_student_t():
    mean, low, high = seed_interval([0.5, 0.6, 0.7])
    assert mean == pytest.approx(0.6)
    assert high - mean == pytest.approx(4.3027 * 0.1 / np.sqrt(3), rel=1e-3)  # t(0.975, 2 degrees) = 4.3027
    assert mean - low == pytest.approx(high - mean)
    assert np.isnan(seed_interval([0.7])[1])
    assert seed_interval([0.9, 1.0, 1.0])[2] == 1.0  # an accuracy never exceeds 1


def test_bad_input_names_the_culprit(crops):
    images, masks, ids = crops
    with pytest.raises(ValueError, match="photo_ids has 3 entries"):
        realism_accuracy(images, images, masks, ids[:3])
    with pytest.raises(ValueError, match="filled_images has shape"):
        realism_accuracy(images, images[:, :16], masks, ids)
    with pytest.raises(ValueError, match="masks must have shape"):
        realism_accuracy(images, images, masks[..., 0], ids)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        RealismSettings(steps=0)


@pytest.mark.slow
def test_a_rerun_gives_the_same_figure(crops):
    images, masks, ids = crops
    filled = NoiseFill(seed=3).inpaint(images, masks) * 0.5 + images * 0.5
    settings = RERUN
    first = realism_accuracy(images, filled, masks, ids, seeds=(4,), settings=settings)
    second = realism_accuracy(images, filled, masks, ids, seeds=(4,), settings=settings)
    assert first.per_seed == second.per_seed


@pytest.mark.slow
def test_few_photographs_are_warned_of(crops):
    images, masks, ids = crops
    settings = RERUN  # the warning comes before any training
    with pytest.warns(UserWarning, match=r"48 pictures come from only 2 photographs \(or scenes\)"):
        realism_accuracy(images, images, masks, [index % 2 for index in range(len(ids))], seeds=(0,),
                         settings=settings)


@pytest.mark.slow
def test_the_classifier_kept_for_the_next_seed_trains_as_a_fresh_one(crops):
    from kinpaint.evaluation import realism

    images, masks, _ = crops
    real, filled = realism.hole_views(images, NoiseFill(seed=3).inpaint(images, masks), masks)
    settings = RealismSettings(steps=6, batch_pairs=4, width=4)
    realism._compiled.clear()
    first = realism._train(real, filled, settings, 4)  # built and compiled afresh
    fresh = first.get_weights()
    realism._train(real, filled, settings, 1)
    kept = realism._train(real, filled, settings, 4)  # seed 1's weights and optimizer state replaced
    assert kept is first
    assert all(np.array_equal(a, b) for a, b in zip(fresh, kept.get_weights()))


def test_kinpaint_evaluate_realism_reaches_the_evaluation(tmp_path, capsys):
    from kinpaint.cli.main import main

    command = ["evaluate", "--data", "shapes", "--split", "val", "--count", "3", "--methods", "mean",
               "--out", str(tmp_path / "report")]
    assert main(command + ["--realism"]) == 2
    assert "realism needs at least 4 images, half to train its classifier on and half to score it; shapes (val) " \
           "gives 3" in capsys.readouterr().err
