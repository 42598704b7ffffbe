"""Every kinpaint model against the classical fills on the built-in `photos` test split.

    python benchmarks/photos_comparison.py [--models context] [--epochs 5] [--pixel-epochs 2] [--gan-epochs 10]

Trains, on the packaged photographs' training crops and without captions (photos have
none), the context encoder (the documented recipe, the defaults: harmonic prefill,
contrast-normalized correction, log-L2 loss, no adversarial loss, float32), the gated pixel
inpainter (8 blocks) and a DCGAN, then fills the centre holes of the first `--test-images`
test crops with: each model, semantic inpainting with and without Poisson blending, the
mean colour, kinpaint's harmonic fill (the context encoder's starting point), OpenCV's
Telea and Navier-Stokes inpainting and scikit-image's biharmonic inpainting, all measured
in the same run. Needs the `photos` and `bench` extras.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from kinpaint.data import open_reader, write_store
from kinpaint.data.builtin import photo_set
from kinpaint.data.photos import describe_photo_set
from kinpaint.evaluation import evaluate, markdown
from kinpaint.options import RECONSTRUCTIONS
from kinpaint.recipes import train_context_encoder, train_dcgan, train_pixel_inpainter


class SearchOnce:
    """Semantic inpainting that shares one latent search between the blended and unblended fill."""

    def __init__(self, inpainter, blend, shared):
        self.inpainter, self.blend, self.shared = inpainter, blend, shared

    def inpaint(self, images, masks, captions=None):
        images = np.asarray(images)
        cached = self.shared.get("images")
        if cached is None or not np.array_equal(cached, images):
            self.shared.update(images=images, found=self.inpainter.search(images, masks, captions))
        return self.inpainter.compose(images, masks, self.shared["found"], blend=self.blend)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    model, _ = function(*args, **kwargs)
    return model, (time.perf_counter() - start) / 60


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="context encoder")
    parser.add_argument("--prefill", choices=("harmonic", "none"), default="harmonic", help="context encoder")
    parser.add_argument("--adversarial-weight", type=float, default=0.0, help="context encoder")
    parser.add_argument("--contrast-normalized", action=argparse.BooleanOptionalAction, default=True,
                        help="context encoder, with a prefill")
    parser.add_argument("--reconstruction", choices=RECONSTRUCTIONS, default="log_l2", help="context encoder")
    parser.add_argument("--precision", default="float32", help="context encoder")
    parser.add_argument("--pixel-epochs", type=int, default=2)
    parser.add_argument("--gan-epochs", type=int, default=10)
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--search-steps", type=int, default=150)
    parser.add_argument("--test-images", type=int, default=128)
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="for a quick smoke run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the report (results.md, results.csv, grid.png) into this folder")
    parser.add_argument("--models", default="context,pixel,dcgan",
                        help="which models to train and fill with, comma-separated, or 'none'; the classical fills "
                        "always run")
    parser.add_argument("--photos", choices=("photos", "photos:corpus", "photos:wheels"), default="photos",
                        help="the built-in photographs: the corpus when installed ('photos'), or one of them")
    args = parser.parse_args(argv)
    models = set() if args.models == "none" else set(args.models.split(","))
    if not models <= {"context", "pixel", "dcgan"}:
        parser.error(f"--models takes context, pixel and dcgan; got {args.models!r}")
    with tempfile.TemporaryDirectory() as folder:
        store = os.path.join(folder, "photos.h5")
        counts = {"train": 4000 if models else 64, "val": 64, "test": args.test_images}
        print(describe_photo_set(photo_set(args.photos)))
        write_store(store, open_reader(args.photos, counts=counts), force=True, progress=False, source=args.photos)
        common = dict(captions="none", seed=args.seed, verbose=2, steps_per_epoch=args.steps_per_epoch)
        fills = {}
        if "context" in models:
            prefill = None if args.prefill == "none" else args.prefill
            context, minutes = timed(train_context_encoder, store, os.path.join(folder, "context"),
                                     epochs=args.epochs, prefill=prefill,
                                     adversarial_weight=args.adversarial_weight,
                                     contrast_normalized=args.contrast_normalized and prefill is not None,
                                     reconstruction=args.reconstruction, precision=args.precision, **common)
            fills[f"context encoder (prefill {args.prefill}, {args.epochs} epochs, {minutes:.1f} min)"] = context
        if "pixel" in models:
            pixel, minutes = timed(train_pixel_inpainter, store, os.path.join(folder, "pixel"),
                                   epochs=args.pixel_epochs, blocks=8, **common)
            pixel_row = f"pixel inpainter, mean fill ({args.pixel_epochs} epochs, {minutes:.1f} min)"
            fills[pixel_row] = pixel
        if "dcgan" in models:
            gan, minutes = timed(train_dcgan, store, os.path.join(folder, "gan"), epochs=args.gan_epochs, **common)
            semantic, shared = gan.semantic_inpainter(restarts=args.restarts, steps=args.search_steps), {}
            fills[f"semantic, Poisson blend (DCGAN {args.gan_epochs} epochs, {minutes:.1f} min)"] = SearchOnce(
                semantic, True, shared)
            fills["semantic, no blend (same search)"] = SearchOnce(semantic, False, shared)
        methods = list(fills.items()) + ["mean", "harmonic", "telea", "navier-stokes", "biharmonic"]
        evaluation = evaluate(store, methods, split="test", count=args.test_images, batch_size=args.test_images,
                              out=args.out, force=args.out is not None,
                              command=" ".join(["python benchmarks/photos_comparison.py",
                                                *(sys.argv[1:] if argv is None else argv)]))
    print(markdown(evaluation))


if __name__ == "__main__":
    main()
