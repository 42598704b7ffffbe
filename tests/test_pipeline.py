import numpy as np
import pytest

from kinpaint.data.masks import centre_mask
from kinpaint.data.pipeline import ArraySource, make_dataset
from kinpaint.options import CAPTION_SEPARATOR
from kinpaint.data.store import Store


def collect(dataset):
    batches = list(dataset)
    merged = {key: np.concatenate([b[key].numpy() for b in batches]) for key in batches[0]}
    return batches, merged


def small_arrays(count=10, size=16):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, size, size, 3), dtype=np.uint8)
    captions = [[f"image {i} caption {k}" for k in range(i % 3 + 1)] for i in range(count)]
    embeddings = {"toy": [np.arange(len(c) * 2, dtype=np.float32).reshape(-1, 2) + i for i, c in enumerate(captions)]}
    return images, captions, embeddings


def test_batch_layout_and_ranges():
    images, captions, _ = small_arrays()
    batches, merged = collect(make_dataset(ArraySource(images, captions), batch_size=4, shuffle=False))
    assert [b["image"].shape[0] for b in batches] == [4, 4, 2]
    assert batches[0]["image"].dtype.name == "float32" and batches[0]["mask"].shape == (4, 16, 16, 1)
    np.testing.assert_allclose(merged["image"], images / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(merged["mask"][0], centre_mask(16, 8))


def test_autotuning_is_off_so_iterators_are_deleted_at_once():
    dataset = make_dataset(ArraySource(small_arrays()[0]), batch_size=4)
    assert dataset.options().autotune.enabled is False
    assert dataset.repeat().options().autotune.enabled is False  # what users build on it keeps it


def test_random_policy_draws_one_of_the_images_captions_and_changes_per_epoch():
    images, captions, _ = small_arrays(30)
    dataset = make_dataset(ArraySource(images, captions), batch_size=30, shuffle=False, seed=1)
    first = collect(dataset)[1]["caption"]
    second = collect(dataset)[1]["caption"]
    for i, caption in enumerate(first):
        assert caption.decode() in captions[i]
    assert list(first) != list(second)


@pytest.mark.slow
def test_a_fixed_dataset_reads_the_same_masks_and_captions_every_pass_as_validation_needs():
    images, captions, _ = small_arrays(30)
    for shuffle in (False, True):
        drawn = make_dataset(ArraySource(images, captions), batch_size=8, masks="strokes", shuffle=shuffle, seed=1)
        first, second = collect(drawn)[1], collect(drawn)[1]
        assert not np.array_equal(first["mask"], second["mask"])  # training: new holes every epoch
        fixed = make_dataset(ArraySource(images, captions), batch_size=8, masks="strokes", shuffle=shuffle, seed=1,
                             fixed=True)
        first, second = collect(fixed)[1], collect(fixed)[1]
        for key in ("image", "mask"):
            np.testing.assert_array_equal(first[key], second[key])
        assert list(first["caption"]) == list(second["caption"])


def test_all_policy_yields_every_caption_once():
    images, captions, _ = small_arrays()
    _, merged = collect(make_dataset(ArraySource(images, captions), batch_size=7, caption_policy="all", seed=3))
    assert sorted(c.decode() for c in merged["caption"]) == sorted(c for per in captions for c in per)
    for image, caption in zip(merged["image"], merged["caption"]):
        index = int(caption.decode().split()[1])
        np.testing.assert_allclose(image, images[index] / 127.5 - 1.0, atol=1e-6)


def test_joined_policy_gives_every_caption_of_the_image_in_one_text():
    images, captions, _ = small_arrays()
    _, merged = collect(make_dataset(ArraySource(images, captions), batch_size=4, caption_policy="joined", seed=2))
    assert len(merged["caption"]) == len(images)
    for image, caption in zip(merged["image"], merged["caption"]):
        parts = caption.decode().split(CAPTION_SEPARATOR)
        index = int(parts[0].split()[1])
        assert parts == captions[index]
        np.testing.assert_allclose(image, images[index] / 127.5 - 1.0, atol=1e-6)


def test_mean_policy_averages_embeddings():
    images, captions, embeddings = small_arrays()
    source = ArraySource(images, captions, embeddings)
    _, merged = collect(make_dataset(source, batch_size=4, caption_policy="mean", embeddings="toy", shuffle=False))
    expected = np.stack([vectors.mean(axis=0) for vectors in embeddings["toy"]])
    np.testing.assert_allclose(merged["caption"], expected)


def test_random_policy_with_embeddings_yields_one_vector_of_the_image():
    images, captions, embeddings = small_arrays()
    source = ArraySource(images, captions, embeddings)
    _, merged = collect(make_dataset(source, batch_size=4, embeddings="toy", shuffle=False))
    for i, vector in enumerate(merged["caption"]):
        assert any(np.array_equal(vector, row) for row in embeddings["toy"][i])


def test_none_policy_and_uncaptioned_sources():
    images, captions, _ = small_arrays()
    batch = next(iter(make_dataset(ArraySource(images, captions), caption_policy="none")))
    assert "caption" not in batch
    batch = next(iter(make_dataset(ArraySource(images))))
    assert set(batch) == {"image", "mask"}


def test_shuffle_is_seeded_and_complete():
    images, captions, _ = small_arrays(40)
    source = ArraySource(images, captions)

    def order(seed):
        merged = collect(make_dataset(source, batch_size=8, seed=seed, block_size=8))[1]
        return [int(c.decode().split()[1]) for c in merged["caption"]]

    assert order(5) == order(5)
    assert order(5) != order(6)
    assert sorted(order(5)) == list(range(40))


def test_masks_from_generators_and_arrays():
    images, _, _ = small_arrays(12)
    _, merged = collect(make_dataset(ArraySource(images), masks="strokes", seed=2))
    assert len({m.tobytes() for m in merged["mask"]}) > 1
    custom = np.ones((2, 16, 16, 1), np.float32)
    custom[0, :4] = 0
    custom[1, -4:] = 0
    _, merged = collect(make_dataset(ArraySource(images), masks=custom))
    assert all(any(np.array_equal(m, c) for c in custom) for m in merged["mask"])
    with pytest.raises(ValueError, match="does not match image size"):
        make_dataset(ArraySource(images), masks=np.ones((1, 8, 8, 1)))


def test_store_streams_the_requested_split(shapes_store):
    store = Store(shapes_store)
    start, stop = store.split_range("test")
    _, merged = collect(make_dataset(store, split="test", batch_size=5, caption_policy="all", shuffle=False))
    expected_rows = sum(len(c) for c in store.read_captions(start, stop))
    assert len(merged["image"]) == expected_rows
    np.testing.assert_allclose(merged["image"][0], store.read_images(start, start + 1)[0] / 127.5 - 1.0, atol=1e-6)
    _, merged = collect(make_dataset(shapes_store, split="val", batch_size=64))
    assert len(merged["image"]) == 8


def test_bad_arguments_are_named(shapes_store):
    images, captions, _ = small_arrays()
    with pytest.raises(ValueError, match="unknown caption_policy 'best'"):
        make_dataset(ArraySource(images, captions), caption_policy="best")
    with pytest.raises(ValueError, match="pass embeddings"):
        make_dataset(ArraySource(images, captions), caption_policy="mean")
    with pytest.raises(ValueError, match="with embeddings use 'mean'"):
        make_dataset(ArraySource(images, captions, small_arrays()[2]), caption_policy="joined", embeddings="toy")
    with pytest.raises(ValueError, match="has no captions"):
        make_dataset(ArraySource(images), caption_policy="random")
    with pytest.raises(KeyError, match="no split 'dev'"):
        make_dataset(shapes_store, split="dev")
    with pytest.raises(KeyError, match="no cached embeddings 'minilm'"):
        make_dataset(shapes_store, split="train", embeddings="minilm")
    with pytest.raises(ValueError, match=r"captions has 2 entries for 10 images"):
        ArraySource(images, captions[:2])
    with pytest.raises(ValueError, match="uint8"):
        ArraySource(images.astype(np.float32))
    with pytest.raises(KeyError, match="in-memory arrays have no splits"):
        make_dataset(ArraySource(images), split="train")


def test_image_without_caption_is_named():
    images, captions, _ = small_arrays(4)
    captions[2] = []
    with pytest.raises(Exception, match="image 2 has no caption"):
        list(make_dataset(ArraySource(images, captions), shuffle=False))
