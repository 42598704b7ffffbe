"""Semantic inpainting speed: all images and restarts in one graph vs one search at a time.

    python benchmarks/semantic_inpainting.py [--images 64] [--restarts 8] [--steps 30] [--naive-searches 16]

A DCGAN of the default size (64x64, noise 100, generator 256-128-64-32, caption-conditioned
by learned word vectors; untrained: speed does not depend on the weights) fills the centre
holes of `--images` `shapes` test images with `--restarts` restarts each, `--steps` Adam
steps per search, no early stop, so both methods do exactly the same work:

- `batched`: `SemanticInpainter.search`, every image and restart in one compiled loop;
- `naive loop`: one image and one restart at a time: a compiled step on one z, repeated
  `--steps` times per search, the same loss and the same Adam formula.

The naive loop runs `--naive-searches` of the searches (the first images' restarts, from the
same starting z's) and its time is scaled to all of them: every search costs the same. Its
final losses are compared with the batched run's for those searches.
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from kinpaint.data import load_shapes
from kinpaint.images import to_model_range
from kinpaint.layers import MeanWordEmbedding
from kinpaint.models import DCGAN, contextual_weights
from kinpaint.models.semantic import adam_update


def naive_search(inpainter, image, mask, vector, start, steps):
    """One search, one z: `steps` calls of a compiled single-z step. Returns the final total loss."""
    weights = contextual_weights(mask[None], weighted=inpainter.weighted)
    image = tf.constant(image[None])
    vector = None if vector is None else tf.constant(vector[None])
    z = tf.constant(start[None])
    first, second = tf.zeros_like(z), tf.zeros_like(z)
    for step in range(1, steps + 1):
        z, first, second = naive_step(inpainter, z, first, second, float(step), image, weights, vector)
    total, *_ = inpainter.total_and_gradient(z, image, weights, vector)
    return float(total[0])


@tf.function(reduce_retracing=True)
def naive_step(inpainter, z, first, second, step, image, weights, vector):
    _, _, _, gradient = inpainter.total_and_gradient(z, image, weights, vector)
    return adam_update(z, gradient, first, second, step, inpainter.learning_rate)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--restarts", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--naive-searches", type=int, default=16)
    args = parser.parse_args(argv)

    pixels, captions, _ = load_shapes("test", args.images)
    images = to_model_range(pixels)
    masks = np.ones((args.images, 64, 64, 1), np.float32)
    masks[:, 16:48, 16:48] = 0
    texts = [image_captions[0] for image_captions in captions]
    encoder = MeanWordEmbedding.from_captions([text for image in captions for text in image], output_dim=64)
    gan = DCGAN(caption_encoder=encoder, precision="float32")
    inpainter = gan.semantic_inpainter(restarts=args.restarts, steps=args.steps, tolerance=0.0, blend=False)
    starts = inpainter.initial_codes(args.images).reshape(args.images, args.restarts, -1)

    inpainter.search(images[:2], masks[:2], texts[:2], starts[:2])  # compile
    began = time.perf_counter()
    found = inpainter.search(images, masks, texts, starts)
    batched_seconds = time.perf_counter() - began

    vectors = inpainter.caption_vectors(texts, args.images)
    searches = [(index // args.restarts, index % args.restarts) for index in range(args.naive_searches)]
    naive_search(inpainter, images[0], masks[0], vectors[0], starts[0, 0], 2)  # compile
    began = time.perf_counter()
    naive_totals = [naive_search(inpainter, images[i], masks[i], vectors[i], starts[i, r], args.steps)
                    for i, r in searches]
    naive_seconds = (time.perf_counter() - began) * (args.images * args.restarts) / len(searches)
    batched_totals = np.array([found["total"][i, r] for i, r in searches])
    gap = np.abs(np.array(naive_totals) - batched_totals) / np.abs(batched_totals)

    count = args.images * args.restarts
    print(f"{args.images} images x {args.restarts} restarts = {count} searches of {args.steps} Adam steps, "
          f"64x64, float32, {tf.config.threading.get_intra_op_parallelism_threads() or 'all'} threads")
    print(f"{'method':<34}{'seconds':>10}{'searches/s':>12}{'speed-up':>10}")
    print(f"{'naive loop (one z at a time)':<34}{naive_seconds:>10.1f}{count / naive_seconds:>12.2f}{1.0:>10.2f}"
          f"   (timed on {len(searches)} searches, scaled)")
    print(f"{'batched (kinpaint)':<34}{batched_seconds:>10.1f}{count / batched_seconds:>12.2f}"
          f"{naive_seconds / batched_seconds:>10.2f}")
    print(f"final loss, naive vs batched, same {len(searches)} searches: largest relative gap {gap.max():.2e}")


if __name__ == "__main__":
    main()
