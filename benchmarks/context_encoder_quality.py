"""Context-encoder quality: captions vs no captions on `shapes`; against classical fills on `photos`.

    python benchmarks/context_encoder_quality.py shapes [--epochs 6]
    python benchmarks/context_encoder_quality.py photos [--epochs 40]

`shapes` trains the same context encoder twice with the same budget and seed, once
conditioned on captions (learned word vectors) and once without, and reports hole PSNR /
SSIM / L1 on the test split (target: captions at least 3 dB better).

`photos` trains the documented recipe (docs/context_encoder.md) on crops of the packaged
photographs and reports it beside the classical fills measured in the same run: mean
colour, OpenCV Telea and Navier-Stokes (`cv2.inpaint`) and scikit-image's biharmonic
inpainting. Needs the `bench` extra.
"""

import argparse
import os
import tempfile
import time

import numpy as np

from kinpaint.data import Store, open_reader, write_store
from kinpaint.evaluation import evaluate_inpainter, format_table
from kinpaint.images import to_model_range, to_uint8
from kinpaint.inpainting import composite
from kinpaint.recipes import evaluate_model, train_context_encoder

COLUMNS = ("hole_psnr", "hole_ssim", "hole_l1", "image_psnr")


class ClassicalFill:
    """`cv2.inpaint` (Telea / Navier-Stokes) or scikit-image biharmonic behind `inpaint()`."""

    def __init__(self, method):
        self.method = method

    def inpaint(self, images, masks, captions=None):
        images = np.asarray(images, np.float32)
        masks = np.asarray(masks, np.float32)
        fills = np.stack([self._fill(image, mask[..., 0] < 0.5) for image, mask in zip(images, masks)])
        return np.asarray(composite(images, masks, fills))

    def _fill(self, image, hole):
        if self.method == "biharmonic":
            from skimage.restoration import inpaint_biharmonic

            return inpaint_biharmonic(image, hole, channel_axis=-1).astype(np.float32)
        import cv2

        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        filled = cv2.inpaint(to_uint8(image), hole.astype(np.uint8), 5, flag)
        return to_model_range(filled)


def run_shapes(args, folder):
    store = os.path.join(folder, "shapes.h5")
    write_store(store, open_reader("shapes", counts={"train": args.train_images, "val": 256, "test": 1000}),
                force=True, progress=False, source="shapes")
    rows = {}
    for captions in ("words", "none"):
        start = time.perf_counter()
        model, _ = train_context_encoder(store, os.path.join(folder, captions), captions=captions,
                                         epochs=args.epochs, seed=args.seed, verbose=2)
        minutes = (time.perf_counter() - start) / 60
        for name, results in evaluate_model(model, store, "test", captions=captions).items():
            if name != "mean colour fill" or captions == "none":
                rows[f"{name} (trained {'with' if captions == 'words' else 'without'} captions, {minutes:.1f} min)"
                     if name.startswith("context") else name] = results
    print(format_table(rows, COLUMNS))
    with_captions = next(v for k, v in rows.items() if k.startswith("context encoder, captions"))
    without = next(v for k, v in rows.items() if "trained without" in k)
    print(f"\ncaptions minus no-caption model: {with_captions['hole_psnr'] - without['hole_psnr']:+.2f} dB hole PSNR "
          "(target: at least +3 dB)")


def run_photos(args, folder):
    from kinpaint.data import make_dataset
    from kinpaint.inpainting import MeanColourFill

    store = os.path.join(folder, "photos.h5")
    write_store(store, open_reader("photos"), force=True, progress=False, source="photos")
    start = time.perf_counter()
    model, _ = train_context_encoder(store, os.path.join(folder, "photos"), captions="none", epochs=args.epochs,
                                     seed=args.seed, verbose=2)
    minutes = (time.perf_counter() - start) / 60
    test = make_dataset(Store(store), "test", 64, "none", shuffle=False)
    rows = {f"context encoder ({args.epochs} epochs, {minutes:.1f} min)": evaluate_inpainter(model, test, False)}
    rows["mean colour fill"] = evaluate_inpainter(MeanColourFill(), test, False)
    for method in ("telea", "navier-stokes", "biharmonic"):
        rows[f"{method} (classical)"] = evaluate_inpainter(ClassicalFill(method), test, False)
    print(format_table(rows, COLUMNS))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", choices=("shapes", "photos"))
    parser.add_argument("--epochs", type=int, default=None, help="default 6 (shapes) / 40 (photos)")
    parser.add_argument("--train-images", type=int, default=4000, help="shapes only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (6 if args.dataset == "shapes" else 40)
    with tempfile.TemporaryDirectory() as folder:
        (run_shapes if args.dataset == "shapes" else run_photos)(args, folder)


if __name__ == "__main__":
    main()
