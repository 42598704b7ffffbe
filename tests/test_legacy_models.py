"""Models saved by earlier kinpaint versions load with plain Keras and fill as they did.

The files in tests/data/legacy were written by tests/scripts/make_legacy_models.py on
main at cc724d2, before the package was reorganised.
"""

import os

import numpy as np
import pytest

LEGACY = os.path.join(os.path.dirname(__file__), "data", "legacy")


def fill(name, model):
    from scripts.make_legacy_models import inputs

    seeds = {"context_encoder_words": (16, None, 0), "context_encoder_harmonic": (16, 6, 1),
             "pixel_inpainter_chars": (8, None, 2), "dcgan_vectors": (16, 6, 3)}
    size, caption_dim, seed = seeds[name]
    images, masks, captions, vectors = inputs(size, caption_dim=caption_dim, seed=seed)
    captions = captions if vectors is None else vectors
    if name == "dcgan_vectors":
        return model.semantic_inpainter(restarts=2, steps=5, blend=False).inpaint(images, masks, captions)
    if name == "pixel_inpainter_chars":
        return model.inpaint(images, masks, captions, fill="mean")
    return model.inpaint(images, masks, captions)


@pytest.mark.parametrize("name", ["context_encoder_words", "context_encoder_harmonic", "pixel_inpainter_chars",
                                  "dcgan_vectors"])
def test_legacy_model_loads_with_plain_keras_and_fills_identically(name):
    import keras

    import kinpaint  # noqa: F401  (the only thing a Keras user should need)

    model = keras.models.load_model(os.path.join(LEGACY, f"{name}.keras"))
    expected = np.load(os.path.join(LEGACY, "expected_fills.npz"))[name]
    np.testing.assert_allclose(fill(name, model), expected, atol=1e-5)
