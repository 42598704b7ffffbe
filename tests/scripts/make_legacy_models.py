"""Write tiny `.keras` files of every kinpaint model and the fills they give, for load tests.

    python tests/scripts/make_legacy_models.py tests/data/legacy
    python tests/scripts/make_legacy_models.py tests/data/legacy fourier

Run once on a given version of kinpaint (the files in tests/data/legacy came from main at
cc724d2, before the package was reorganised; `fourier_tiny.keras` and `fourier_tiny_fills.npy`
from main at ba0339a, before the FourierInpainter read captions); `tests/test_legacy_models.py`
then checks that every file still loads with plain `keras.models.load_model` and fills identically.
"""

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def inputs(size, count=4, caption_dim=None, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count, size, size, 3)).astype(np.float32)
    masks = np.ones((count, size, size, 1), np.float32)
    masks[:, size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 0
    captions = np.array(["a red square", "a blue circle", "a green triangle", "nothing"][:count], dtype=object)
    vectors = None if caption_dim is None else rng.normal(size=(count, caption_dim)).astype(np.float32)
    return images, masks, captions, vectors


def main(out):
    import keras

    import kinpaint.layers as layers
    import kinpaint.models as models

    keras.utils.set_random_seed(0)
    os.makedirs(out, exist_ok=True)
    expected = {}

    images, masks, captions, _ = inputs(16)
    words = layers.MeanWordEmbedding.from_captions(list(captions), output_dim=8)
    context = models.ContextEncoder(image_size=16, widths=(8, 16), caption_encoder=words, precision="float32")
    context.compile()
    context.fit({"image": images, "mask": masks, "caption": captions}, epochs=1, batch_size=4, verbose=0)
    context.save(os.path.join(out, "context_encoder_words.keras"))
    expected["context_encoder_words"] = context.inpaint(images, masks, captions)

    images, masks, _, vectors = inputs(16, caption_dim=6, seed=1)
    prefilled = models.ContextEncoder(image_size=16, widths=(8, 16), caption_dim=6, prefill="harmonic",
                                      contrast_normalized=True, precision="float32")
    prefilled.compile(adversarial_weight=0.0, reconstruction="log_l2")
    prefilled.fit({"image": images, "mask": masks, "caption": vectors}, epochs=1, batch_size=4, verbose=0)
    prefilled.save(os.path.join(out, "context_encoder_harmonic.keras"))
    expected["context_encoder_harmonic"] = prefilled.inpaint(images, masks, vectors)

    images, masks, captions, _ = inputs(8, seed=2)
    chars = layers.CharCNNGRU(length=32, output_dim=8, gru_units=4)
    pixel = models.GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=2, head=8,
                                       caption_encoder=chars, precision="float32")
    pixel.compile()
    pixel.fit({"image": images, "mask": masks, "caption": captions}, epochs=1, batch_size=4, verbose=0)
    pixel.save(os.path.join(out, "pixel_inpainter_chars.keras"))
    expected["pixel_inpainter_chars"] = pixel.inpaint(images, masks, captions, fill="mean")

    images, masks, _, vectors = inputs(16, caption_dim=6, seed=3)
    gan = models.DCGAN(image_size=16, noise_dim=8, generator_widths=(16, 8), discriminator_widths=(8, 16),
                       caption_dim=6, precision="float32")
    gan.compile()
    gan.fit({"image": images, "caption": vectors}, epochs=1, batch_size=4, verbose=0)
    gan.save(os.path.join(out, "dcgan_vectors.keras"))
    search = gan.semantic_inpainter(restarts=2, steps=5, blend=False)
    expected["dcgan_vectors"] = search.inpaint(images, masks, vectors)

    np.savez_compressed(os.path.join(out, "expected_fills.npz"), **expected)
    print(f"wrote {len(expected)} models and their fills to {out}")


def fourier(out):
    """A tiny uncaptioned FourierInpainter, its weights moved off their zero-correction start so
    its fills differ from the harmonic fill, and its fills of `inputs(16, seed=4)`."""
    import keras

    import kinpaint.models as models

    keras.utils.set_random_seed(0)
    os.makedirs(out, exist_ok=True)
    images, masks, _, _ = inputs(16, seed=4)
    model = models.FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    model.compile()
    model.fit({"image": images, "mask": masks}, epochs=1, batch_size=4, verbose=0)
    rng = np.random.default_rng(4)
    for variable in model.generator.weights:
        variable.assign(variable.numpy() + rng.normal(0, 0.1, variable.shape).astype(np.float32))
    model.save(os.path.join(out, "fourier_tiny.keras"))
    np.save(os.path.join(out, "fourier_tiny_fills.npy"), model.inpaint(images, masks))
    print(f"wrote fourier_tiny.keras and its fills to {out}")


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "legacy")
    fourier(folder) if sys.argv[2:] == ["fourier"] else main(folder)
