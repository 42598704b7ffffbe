"""CaptionSetup: how a run reads captions, resolved once for training, resuming and evaluation."""

import types

import pytest

from kinpaint.captions import CaptionSetup, CharCNNGRU, MeanWordEmbedding
from kinpaint.data import Store, open_reader, write_store


def test_pipeline_policy_follows_what_the_model_reads():
    assert CaptionSetup("words", "joined", True).pipeline_policy() == "joined"
    assert CaptionSetup("minilm", "random", True, embeddings="minilm").pipeline_policy() == "random"
    # Cached vectors are one per caption: joining them means averaging them.
    assert CaptionSetup("minilm", "joined", True, embeddings="minilm").pipeline_policy() == "mean"
    assert CaptionSetup("none", "joined", False).pipeline_policy() == "none"
    assert CaptionSetup("words", "joined", True).pipeline_policy(use_captions=False) == "none"
    with pytest.raises(ValueError, match="caption_policy must be one of"):
        CaptionSetup("words", "all", True)


@pytest.fixture
def small_store(tmp_path):
    path = str(tmp_path / "shapes.h5")
    write_store(path, open_reader("shapes", counts={"train": 8, "val": 4}), source="shapes")
    return Store(path)


def test_for_training_resolves_each_caption_choice(small_store):
    words = CaptionSetup.for_training(small_store, "words", "joined")
    assert isinstance(words.encoder, MeanWordEmbedding) and words.conditioned and words.embeddings is None
    # joined texts are longer than single captions: the encoder reads enough words for them
    single = CaptionSetup.for_training(small_store, "words", "random")
    assert words.encoder.max_words >= single.encoder.max_words
    assert isinstance(CaptionSetup.for_training(small_store, "chars").encoder, CharCNNGRU)
    none = CaptionSetup.for_training(small_store, "none")
    assert not none.conditioned and none.encoder is None and none.pipeline_policy() == "none"
    with pytest.raises(ValueError, match="unknown caption encoder 'bert'"):
        CaptionSetup.for_training(small_store, "bert")


def test_of_model_needs_the_cache_a_vector_model_reads(small_store):
    model = types.SimpleNamespace(conditioned=True, caption_encoder=None, caption_dim=4)
    with pytest.raises(KeyError, match="no 'minilm' cache"):
        CaptionSetup.of_model(model, small_store, "minilm")
    plain = types.SimpleNamespace(conditioned=False, caption_encoder=None, caption_dim=None)
    assert CaptionSetup.of_model(plain, small_store, "minilm").pipeline_policy() == "none"


def test_dataset_yields_the_captions_the_setup_reads(small_store):
    batch = next(iter(CaptionSetup("words", "joined", True).dataset(small_store, "train", 4, shuffle=False)))
    assert " . " in batch["caption"].numpy()[0].decode()
    batch = next(iter(CaptionSetup("none").dataset(small_store, "train", 4)))
    assert "caption" not in batch
