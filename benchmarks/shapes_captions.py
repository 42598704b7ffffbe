"""Do captions help? The same model trained with and without captions on `shapes`, same budget.

    python benchmarks/shapes_captions.py context-encoder [--epochs 6] [--caption-policy joined]
    python benchmarks/shapes_captions.py pixel [--epochs 3] [--blocks 8]

The built-in `shapes` data hide in the centre an object whose colour, shape and size only
the captions give. Each model is trained twice by its recipe (`kinpaint.recipes`), with
the same data, seed and number of steps: once caption-conditioned (`context-encoder`:
learned word vectors; `pixel`: the character CNN + GRU) and once without captions. The
table reports hole PSNR / SSIM / L1 on the test split and, for the likelihood model, bits
per hidden value. Targets: the context encoder with captions at least 3 dB better; the
pixel model with captions lower in bits/dim.
"""

import argparse
import os
import tempfile
import time

from kinpaint.data import open_reader, write_store
from kinpaint.evaluation import evaluate_model, format_table
from kinpaint.recipes import train_context_encoder, train_pixel_inpainter

CAPTIONS = {"context-encoder": "words", "pixel": "chars"}


def train(args, store, folder, captions):
    if args.model == "context-encoder":
        return train_context_encoder(store, folder, captions=captions, epochs=args.epochs, seed=args.seed, verbose=2,
                                     adversarial_weight=args.adversarial_weight,
                                     caption_in_decoder=args.caption_in_decoder, caption_policy=args.caption_policy)
    return train_pixel_inpainter(store, folder, captions=captions, epochs=args.epochs, blocks=args.blocks,
                                 seed=args.seed, verbose=2, caption_policy=args.caption_policy)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=tuple(CAPTIONS))
    parser.add_argument("--epochs", type=int, default=None, help="default 6 (context encoder), 3 (pixel)")
    parser.add_argument("--blocks", type=int, default=8, help="pixel model: gated residual blocks")
    parser.add_argument("--adversarial-weight", type=float, default=0.001, help="context encoder")
    parser.add_argument("--caption-in-decoder", action="store_true", help="context encoder: caption at every scale")
    parser.add_argument("--caption-policy", choices=("random", "joined"), default=None,
                        help="one random caption per image, or all of them as one text (training and test); "
                        "default: the recipe's (joined for the context encoder, random for the pixel model)")
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--test-images", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (6 if args.model == "context-encoder" else 3)
    args.caption_policy = args.caption_policy or ("joined" if args.model == "context-encoder" else "random")
    with tempfile.TemporaryDirectory() as folder:
        store = os.path.join(folder, "shapes.h5")
        counts = {"train": args.train_images, "val": 256, "test": args.test_images}
        write_store(store, open_reader("shapes", counts=counts), force=True, progress=False, source="shapes")
        rows, trained = {}, {}
        for captions in (CAPTIONS[args.model], "none"):
            start = time.perf_counter()
            model, _ = train(args, store, os.path.join(folder, captions), captions)
            minutes = (time.perf_counter() - start) / 60
            how = f"trained {'with' if captions != 'none' else 'without'} captions, {minutes:.1f} min"
            rows_of_model = evaluate_model(model, store, "test", captions=captions, caption_policy=args.caption_policy)
            for name, results in rows_of_model.items():
                if name == "mean colour fill":
                    rows[name] = results
                else:
                    rows[f"{name} ({how})"] = results
                    trained.setdefault(captions, results)
    columns = ("hole_psnr", "hole_ssim", "hole_l1", "image_psnr")
    if args.model == "pixel":
        columns += ("bits_per_dim",)
    settings = (f"adversarial weight {args.adversarial_weight}, caption in decoder {args.caption_in_decoder}"
                if args.model == "context-encoder" else f"{args.blocks} gated blocks")
    settings += f", captions {args.caption_policy}"
    print(f"\n{args.model} ({settings}), {args.epochs} epochs of {args.train_images} images, "
          f"test {args.test_images} images")
    print(format_table(rows, columns))
    with_captions, without = trained[CAPTIONS[args.model]], trained["none"]
    print(f"\ncaptions minus no-caption model: {with_captions['hole_psnr'] - without['hole_psnr']:+.2f} dB hole PSNR")
    if args.model == "pixel":
        print(f"bits/dim with captions {with_captions['bits_per_dim']:.4f}, without {without['bits_per_dim']:.4f} "
              f"({with_captions['bits_per_dim'] - without['bits_per_dim']:+.4f})")


if __name__ == "__main__":
    main()
