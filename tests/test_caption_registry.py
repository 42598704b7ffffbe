"""Caption encoders by name and the store's embedding cache (`kinpaint.captions.registry`)."""

import numpy as np
import pytest

from kinpaint.captions import (CharCNNGRU, HubTextEncoder, MeanWordEmbedding, cache_name, caption_encoder,
                               embed_store)


def write_text(path, text):
    with open(path, "wb") as file:
        file.write(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_encoders_by_name(text_module_dir, tmp_path):
    assert isinstance(caption_encoder("chars"), CharCNNGRU)
    assert isinstance(caption_encoder(f"hub:{text_module_dir}"), HubTextEncoder)
    glove = write_text(tmp_path / "glove.txt", "red 0 1\n")
    assert isinstance(caption_encoder(f"words:{glove}"), MeanWordEmbedding)
    with pytest.raises(ValueError, match="unknown caption encoder 'bert'"):
        caption_encoder("bert")
    assert cache_name(f"hub:{text_module_dir}/") == "hub:tiny_text_embedding"


def test_embed_store_caches_what_the_encoder_computes(shapes_store, text_module_dir):
    from kinpaint.data import Store

    store = Store(shapes_store)
    embed_store(store, f"hub:{text_module_dir}")
    name = "hub:tiny_text_embedding"
    cached = store.read_embeddings(name, 0, 3)
    captions = store.read_captions(0, 3)
    encoder = HubTextEncoder(text_module_dir)
    for image_vectors, image_captions in zip(cached, captions):
        np.testing.assert_allclose(image_vectors, encoder(image_captions).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="trained with the model"):
        embed_store(store, "chars")
