"""Train the gated pixel inpainter by likelihood with `model.fit`, with and without captions.

    python examples/train_pixel_inpainter.py --out runs/pixel [--epochs 3] [--blocks 8] [--features 64]

A `CharCNNGRU` encodes the captions (seed 004); the loss is the negative log-likelihood of
the hidden values, reported in nats per image centre and bits per value. `ImageGrid`
shows three samples per row at temperature 0.8 each epoch.
"""

import argparse
import os

import keras

import kinpaint
from kinpaint.data import ArraySource, load_shapes, make_dataset
from kinpaint.layers import CharCNNGRU
from kinpaint.models import GatedPixelInpainter


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--features", type=int, default=64, help="channels of each gated block")
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--test-images", type=int, default=256)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    def shapes(split, count):
        images, captions, _ = load_shapes(split, count)
        return ArraySource(images, captions)

    train = make_dataset(shapes("train", args.train_images), batch_size=32, drop_remainder=True)
    test = make_dataset(shapes("test", args.test_images), batch_size=32, shuffle=False)
    sample = next(iter(make_dataset(shapes("val", 6), batch_size=6, shuffle=False)))

    model = GatedPixelInpainter(blocks=args.blocks, features=args.features, caption_encoder=CharCNNGRU())
    model.compile(keras.optimizers.Adam(1e-3, clipnorm=1.0))
    model.fit(train, epochs=args.epochs, callbacks=[
        keras.callbacks.ModelCheckpoint(os.path.join(args.out, "pixel_inpainter.keras")),
        kinpaint.ImageGrid.from_batch(sample, os.path.join(args.out, "grids"), samples=3, overwrite=True,
                                      inpainter=model.sampler(temperature=0.8)),
    ])

    logs = model.evaluate(test, return_dict=True, verbose=0)
    print(f"test NLL: {logs['nll']:.1f} nats per image centre, {logs['bits_per_dim']:.4f} bits per value")
    rows = {
        "pixel inpainter, captions": kinpaint.evaluate_inpainter(model, test, use_captions=True),
        "pixel inpainter, no captions": kinpaint.evaluate_inpainter(model, test, use_captions=False),
        "mean colour fill": kinpaint.evaluate_inpainter(kinpaint.MeanColourFill(), test),
    }
    print(kinpaint.evaluation.format_table(rows))
    return logs, rows


if __name__ == "__main__":
    main()
