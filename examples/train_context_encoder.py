"""Train a caption-conditioned context encoder the way a Keras user would: `model.fit`.

    python examples/train_context_encoder.py --out runs/example [--data STORE.h5] [--epochs 5]
        [--train-images 2000 --val-images 128 --test-images 256]

Without --data it prepares the built-in `shapes` data. Every step is public API: a store,
the `tf.data` pipeline, a caption encoder layer, `ContextEncoder.compile` / `fit`, Keras'
own `ModelCheckpoint`, kinpaint's `ImageGrid`, then an evaluation on the test split.
"""

import argparse
import os

import keras

import kinpaint
from kinpaint.data import Store, make_dataset, open_reader, write_store
from kinpaint.layers import MeanWordEmbedding
from kinpaint.models import ContextEncoder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", help="a store from `kinpaint prepare` (default: built-in shapes)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-images", type=int, default=2000, help="built-in shapes only")
    parser.add_argument("--val-images", type=int, default=128, help="built-in shapes only (at least 8)")
    parser.add_argument("--test-images", type=int, default=256, help="built-in shapes only")
    args = parser.parse_args(argv)
    if args.val_images < 8:
        parser.error(f"--val-images must be at least 8 (the image grid shows 8 validation images); got {args.val_images}")
    if args.test_images < 1:
        parser.error(f"--test-images must be at least 1; got {args.test_images}")
    os.makedirs(args.out, exist_ok=True)

    store_path = args.data or os.path.join(args.out, "shapes.h5")
    if not os.path.exists(store_path):
        counts = {"train": args.train_images, "val": args.val_images, "test": args.test_images}
        write_store(store_path, open_reader("shapes", counts=counts), source="shapes")
    store = Store(store_path)

    start, stop = store.split_range("train")
    train_captions = [text for image in store.read_captions(start, stop) for text in image]
    encoder = MeanWordEmbedding.from_captions(train_captions, output_dim=64, min_count=2)
    print("unknown words on the test split:", encoder.coverage(
        [text for image in store.read_captions(*store.split_range("test")) for text in image])["unknown_fraction"])

    model = ContextEncoder(image_size=store.image_size, caption_encoder=encoder)
    model.compile(reconstruction_weight=0.999, adversarial_weight=0.001)

    train = make_dataset(store, "train", batch_size=64, drop_remainder=True)
    val = make_dataset(store, "val", batch_size=64, shuffle=False)
    sample = next(iter(make_dataset(store, "val", batch_size=8, shuffle=False)))
    model.fit(
        train, validation_data=val, epochs=args.epochs,
        callbacks=[
            keras.callbacks.ModelCheckpoint(os.path.join(args.out, "context_encoder.keras")),
            kinpaint.ImageGrid.from_batch(sample, os.path.join(args.out, "grids"), overwrite=True),
        ],
    )

    test = make_dataset(store, "test", batch_size=64, shuffle=False)
    rows = {
        "context encoder, captions": kinpaint.evaluate_inpainter(model, test, use_captions=True),
        "context encoder, no captions": kinpaint.evaluate_inpainter(model, test, use_captions=False),
        "mean colour fill": kinpaint.evaluate_inpainter(kinpaint.MeanColourFill(), test),
    }
    print(kinpaint.evaluation.format_table(rows))
    return rows


if __name__ == "__main__":
    main()
