"""Train a caption-conditioned DCGAN with `model.fit`, then fill holes by semantic inpainting.

    python examples/semantic_inpainting.py --out runs/gan [--epochs 10] [--restarts 8] [--steps 300]

The GAN learns whole `shapes` images; each epoch `ImageGrid` saves samples from a fixed
noise batch beside real images with the same captions. Then `SemanticInpainter` searches,
for every test image and restart at once, the z whose image fits the border, and the fill
is pasted with and without Poisson blending.
"""

import argparse
import os

import keras
import numpy as np

import kinpaint
from kinpaint.callbacks import render_grid
from kinpaint.data import ArraySource, load_shapes, make_dataset, make_masks
from kinpaint.images import save_png, to_model_range
from kinpaint.layers import MeanWordEmbedding
from kinpaint.models import DCGAN


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--test-images", type=int, default=16)
    parser.add_argument("--restarts", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    images, captions, _ = load_shapes("train", args.train_images)
    encoder = MeanWordEmbedding.from_captions([text for image in captions for text in image], output_dim=64)
    train = make_dataset(ArraySource(images, captions), batch_size=64, drop_remainder=True)

    gan = DCGAN(image_size=64, caption_encoder=encoder, condition="both")
    gan.compile(d_steps=1, g_steps=1)
    sample = next(iter(make_dataset("shapes", split="val", batch_size=8, shuffle=False)))
    noise = np.random.default_rng(0).standard_normal((8, gan.noise_dim)).astype(np.float32)
    gan.fit(train, epochs=args.epochs, callbacks=[
        keras.callbacks.ModelCheckpoint(os.path.join(args.out, "dcgan.keras")),
        kinpaint.ImageGrid.from_batch(sample, os.path.join(args.out, "samples"), overwrite=True,
                                      inpainter=gan.samples(noise)),
    ])

    pixels, test_captions, _ = load_shapes("test", args.test_images)
    test = to_model_range(pixels)
    masks = make_masks("centre", args.test_images)
    texts = [image_captions[0] for image_captions in test_captions]
    inpainter = gan.semantic_inpainter(restarts=args.restarts, steps=args.steps)
    found = inpainter.search(test, masks, texts)
    rows = {}
    for blend in (True, False):
        filled = inpainter.compose(test, masks, found, blend=blend)
        name = "semantic, Poisson blend" if blend else "semantic, no blend"
        rows[name] = {"hole_psnr": float(np.mean(kinpaint.metrics.psnr(test, filled, masks))),
                      "hole_l1": float(np.mean(kinpaint.metrics.l1_error(test, filled, masks)))}
        fills = [filled] + ([] if blend else [found["generated"][:, restart] for restart in range(args.restarts)])
        save_png(os.path.join(args.out, f"{name.replace(', ', '_').replace(' ', '_')}.png"),
                 render_grid(test, masks, fills, texts))
    print(f"searched {found['steps']} steps; best restarts {found['best'].tolist()}")
    print(kinpaint.evaluation.format_table(rows, ("hole_psnr", "hole_l1")))
    return rows


if __name__ == "__main__":
    main()
