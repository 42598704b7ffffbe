"""Choices the recipes make for every model."""

import types

import pytest

from kinpaint.recipes import choose_policy


def test_caption_policy_follows_what_the_model_reads():
    conditioned, plain = types.SimpleNamespace(conditioned=True), types.SimpleNamespace(conditioned=False)
    assert choose_policy(conditioned, "joined") == "joined"
    assert choose_policy(conditioned, "random", embeddings="minilm") == "random"
    # Cached vectors are one per caption: joining them means averaging them.
    assert choose_policy(conditioned, "joined", embeddings="minilm") == "mean"
    assert choose_policy(plain, "joined") == "none"
    with pytest.raises(ValueError, match="caption_policy must be 'random' or 'joined'"):
        choose_policy(conditioned, "all")
