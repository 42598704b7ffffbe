"""A grid that shows captions steering a fill: one row per image, filled with its own caption,
with another image's (image i reads image i+1's, as in `kinpaint evaluate`'s ablation) and
with none.

    python benchmarks/experiments/caption_grid.py runs/objects_fourier_words_object.keras --data runs/objects.h5 \\
        --split test --count 8 --out docs/objects_captions.png

A model that reads cached caption vectors takes them from the store: `--embeddings minilm`.
"""

import argparse

import numpy as np
from PIL import Image

from kinpaint.callbacks import render_grid
from kinpaint.evaluation import condition_captions, read_evaluation_data, resolve_method
from kinpaint.data.masks import make_masks
from kinpaint.images import to_model_range


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a caption-reading .keras model")
    parser.add_argument("--data", required=True, help="a store or built-in dataset with captions")
    parser.add_argument("--split", default="test")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings", help="the store's cached vectors, for a model that reads vectors")
    parser.add_argument("--out", required=True, help="the PNG to write")
    args = parser.parse_args(argv)

    method = resolve_method(args.model)
    if not method.reads_captions:
        raise SystemExit(f"{args.model} reads no captions")
    pixels, texts, vectors = read_evaluation_data(args.data, args.split, args.count, args.seed,
                                                  embeddings=args.embeddings)
    if texts is None:
        raise SystemExit(f"{args.data} ({args.split}) has no captions")
    images = to_model_range(pixels)
    masks = make_masks("centre", len(images), images.shape[1], images.shape[1] // 2, args.seed)
    fills = [method.inpainter.inpaint(images, masks, condition_captions(method, condition, texts, vectors))
             for condition in ("true", "other", "none")]
    own = np.asarray(texts, dtype=object)
    lines = [f"own: {mine} | other: {theirs}" for mine, theirs in zip(own, np.roll(own, -1))]
    grid = render_grid(images, masks, [np.asarray(fill) for fill in fills], captions=lines, scale=3,
                       names=["own caption", "another image's", "no caption"])
    Image.fromarray(grid).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
