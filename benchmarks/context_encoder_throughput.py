"""Context-encoder training throughput: kinpaint's default step vs a keras.io-style reference.

    python benchmarks/context_encoder_throughput.py [--steps 20] [--quality-steps 300]

Same networks (widths 32-64-128-256, caption-conditioned by learned word vectors), batch 64,
64x64 `shapes` images with centre holes, all in one process:

- `reference`: written the way keras.io's GAN examples write it: a `tf.function` train
  step, float32, no XLA, Keras' own `BatchNormalization` (kinpaint's networks use
  `FusedBatchNormalization`); the discriminator learns from real and filled images
  concatenated, then the generator runs again for its own update;
- `kinpaint float32`: `ContextEncoder.fit` with `precision="float32"`;
- `kinpaint default`: `ContextEncoder.fit` with `precision="auto"` (what `kinpaint train`
  and the demo use; `mixed_bfloat16` on a CPU with AVX512-BF16).

Throughput is the median images/s over timed chunks after a warm-up, inside one loop
over one iterator for each method (one `fit` call per chunk for kinpaint, timed from call
to return). The methods take turns
for `--rounds` rounds, so a slow spell of a shared machine falls on all of them. A float32 and a
bfloat16 `tf.linalg.matmul` are timed in the same run; the table reports each training
step's arithmetic rate (convolution and dense multiply-adds, backward counted as twice the
forward) as a fraction of the matching peak; an estimate, not a profile. Quality: the two kinpaint runs
start from the same weights and data, train `--quality-steps` steps, and their hole PSNR
on the test split is compared (target: within 0.3 dB).
"""

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from kinpaint.data import ArraySource, load_shapes, make_dataset
from kinpaint.inpainting import composite
from kinpaint.layers import FusedBatchNormalization, MeanWordEmbedding
from kinpaint.metrics import psnr
from kinpaint.models import ContextEncoder, resolve_precision
from kinpaint.models.losses import hole_error

BATCH, SIZE, WIDTHS = 64, 64, (32, 64, 128, 256)
REFERENCE = "reference (keras.io style, float32)"


def datasets(train_images, seed=0):
    train_images, train_captions, _ = load_shapes("train", train_images, seed)
    test_images, test_captions, _ = load_shapes("test", 512, seed)
    words = MeanWordEmbedding.from_captions([text for image in train_captions for text in image]).vocabulary
    return ArraySource(train_images, train_captions), ArraySource(test_images, test_captions), words


def make_model(words, precision):
    encoder = MeanWordEmbedding(words, output_dim=64)
    model = ContextEncoder(image_size=SIZE, widths=WIDTHS, caption_encoder=encoder, precision=precision)
    model.compile()
    return model


def forward_macs(network):
    """Multiply-accumulates of one forward pass of one image through the convolutions and dense layers."""
    total = 0
    for layer in network.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            height, width = layer.input.shape[1:3]
            total += height * width * np.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Conv2D):
            height, width = layer.output.shape[1:3]
            total += height * width * np.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Dense):
            total += np.prod(layer.kernel.shape)
        elif hasattr(layer, "kernel") and len(getattr(layer, "kernel").shape) == 3:  # ChannelWiseDense
            total += np.prod(layer.kernel.shape)
    return int(total)


def step_flops(model, generator_passes, discriminator_images):
    """FLOPs per image of one training step: forward + backward = 3x forward, 2 FLOPs per MAC."""
    return 2 * 3 * (generator_passes * forward_macs(model.generator)
                    + discriminator_images * forward_macs(model.discriminator))


def matmul_peak(dtype, n=2048, repeats=20):
    a = tf.random.normal((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    multiply = tf.function(lambda x: tf.linalg.matmul(x, x))
    multiply(a).numpy()
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            result = multiply(a)
        result.numpy()
        rates.append(2 * n**3 * repeats / (time.perf_counter() - start))
    return statistics.median(rates)


def with_keras_batch_norm(network):
    """A copy of `network` (new weights) with Keras' own BatchNormalization, unsynchronized as keras.io writes it."""
    def clone(layer):
        if isinstance(layer, FusedBatchNormalization):
            return keras.layers.BatchNormalization.from_config({**layer.get_config(), "synchronized": False})
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(network, clone_function=clone)


def reference_step_function(model):
    """The keras.io pattern around the model's networks in stock Keras layers, float32, no XLA."""
    generator, discriminator = with_keras_batch_norm(model.generator), with_keras_batch_norm(model.discriminator)
    encoder = model.caption_encoder
    g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5, clipnorm=1.0)
    d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5, clipnorm=1.0)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(batch):
        images, masks, captions = batch["image"], batch["mask"], batch["caption"]
        masked = tf.concat([images * masks, masks], axis=-1)
        vectors = encoder(captions)
        fills = generator([masked, vectors], training=True)
        filled = composite(images, masks, fills)
        combined = tf.concat([images, filled], axis=0)
        labels = tf.concat([tf.ones((tf.shape(images)[0], 1)), tf.zeros((tf.shape(images)[0], 1))], axis=0)
        with tf.GradientTape() as tape:
            logits = discriminator([combined, tf.concat([vectors, vectors], axis=0)], training=True)
            d_loss = bce(labels, logits)
        grads = tape.gradient(d_loss, discriminator.trainable_weights)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_weights))
        variables = generator.trainable_weights + encoder.trainable_weights
        with tf.GradientTape() as tape:
            vectors = encoder(captions)
            fills = generator([masked, vectors], training=True)
            filled = composite(images, masks, fills)
            adversarial = bce(tf.ones((tf.shape(images)[0], 1)), discriminator([filled, vectors], training=True))
            g_loss = 0.999 * tf.reduce_mean(hole_error(images, fills, masks)) + 0.001 * adversarial
        grads = tape.gradient(g_loss, variables)
        g_optimizer.apply_gradients(zip(grads, variables))
        return d_loss, g_loss

    return train_step


def chunk_rates(run_chunk, chunks, steps):
    """images/s of each of `chunks` chunks of `steps` steps, after 2 warm-up steps."""
    run_chunk(2)  # warm-up: tracing and first allocations
    rates = []
    for _ in range(chunks):
        start = time.perf_counter()
        run_chunk(steps)
        rates.append(steps * BATCH / (time.perf_counter() - start))
    return rates


def fit_chunk_rates(model, data, chunks, steps):
    """`chunk_rates` of `fit` calls of `steps` batches, each timed from call to return, so
    whatever `fit` does after its last batch (iterator teardown included) counts."""
    return chunk_rates(lambda count: model.fit(data, steps_per_epoch=count, epochs=1, verbose=0), chunks, steps)


def hole_psnr(model, test):
    data = make_dataset(test, batch_size=BATCH, shuffle=False)
    values = []
    for batch in data:
        filled = model.inpaint(batch["image"], batch["mask"], batch["caption"])
        values.append(psnr(batch["image"], filled, batch["mask"]).numpy())
    return float(np.mean(np.concatenate(values)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed chunk")
    parser.add_argument("--chunks", type=int, default=5, help="timed chunks per method and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns each method takes (median of all chunks)")
    parser.add_argument("--quality-steps", type=int, default=300, help="steps of the quality comparison")
    parser.add_argument("--train-images", type=int, default=4096)
    args = parser.parse_args(argv)

    train, test, words = datasets(args.train_images)
    data = make_dataset(train, batch_size=BATCH, seed=0, drop_remainder=True).repeat()
    default_policy = resolve_precision("auto")
    print(f"device: {'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}; precision auto -> {default_policy}")

    peaks = {"float32": matmul_peak(tf.float32), "bfloat16": matmul_peak(tf.bfloat16)}
    reference_model = make_model(words, "float32")
    step = reference_step_function(reference_model)
    iterator = iter(data)

    def reference_chunk(steps):
        for _ in range(steps):
            losses = step(next(iterator))
        float(losses[0])

    models = {label: make_model(words, precision)
              for label, precision in (("kinpaint float32", "float32"), (f"kinpaint default ({default_policy})", "auto"))}
    rates = {REFERENCE: [], **{label: [] for label in models}}
    for _ in range(args.rounds):
        rates[REFERENCE] += chunk_rates(reference_chunk, args.chunks, args.steps)
        for label, model in models.items():
            rates[label] += fit_chunk_rates(model, data, args.chunks, args.steps)
    rows = [(REFERENCE, statistics.median(rates[REFERENCE]), step_flops(reference_model, 2, 3), "float32")]
    for label, model in models.items():
        peak_dtype = "bfloat16" if resolve_precision(model.precision) == "mixed_bfloat16" else "float32"
        rows.append((label, statistics.median(rates[label]), step_flops(model, 1, 2), peak_dtype))

    reference_rate = rows[0][1]
    print(f"\nmatmul peak: float32 {peaks['float32'] / 1e9:.0f} GFLOP/s, bfloat16 {peaks['bfloat16'] / 1e9:.0f} GFLOP/s")
    print("\n| method | images/s | vs reference | GFLOP per image | GFLOP/s | fraction of matmul peak |")
    print("|---|--:|--:|--:|--:|--:|")
    for label, rate, flops, dtype in rows:
        achieved = rate * flops
        print(f"| {label} | {rate:.1f} | {rate / reference_rate:.2f}x | {flops / 1e9:.2f} | {achieved / 1e9:.0f} | "
              f"{achieved / peaks[dtype]:.2f} ({dtype}) |")

    if args.quality_steps:
        labels = list(models)
        fresh = {label: make_model(words, "float32" if "float32" in label else "auto") for label in labels}
        shared = fresh[labels[0]].get_weights()
        results = {}
        for label, model in fresh.items():
            model.set_weights(shared)
            ordered = make_dataset(train, batch_size=BATCH, seed=1, drop_remainder=True).repeat()
            model.fit(ordered, steps_per_epoch=args.quality_steps, epochs=1, verbose=0)
            results[label] = hole_psnr(model, test)
        print(f"\nhole PSNR on {len(test)} test images after {args.quality_steps} steps from the same weights:")
        for label, value in results.items():
            print(f"- {label}: {value:.2f} dB")
        gap = results[labels[1]] - results[labels[0]]
        print(f"- default minus float32: {gap:+.2f} dB (target: within 0.3 dB)")


if __name__ == "__main__":
    main()
