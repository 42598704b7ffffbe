"""`FourierInpainter` training throughput at 64x64 (issue 33): today's step against the step
with the harmonic start issue 33 found, and the step's share of the machine's matmul peak.

    python benchmarks/fourier_training.py [--steps 10] [--chunks 3] [--rounds 2] [--quality-steps 150]

`photos`' network at 64x64 (`width=32, blocks=4, downsamples=2`), batch 32, corpus training
crops (`photos:corpus`; the `shapes` scenes where no corpus package is installed), masks mixing
centre holes, rectangles and strokes, all in one process:

- `issue's start`: float32, the harmonic start as issue 33 found it
  (`harmonic_start.reference_fill`: plain conjugate gradients over the whole picture,
  `max(60, side)` steps);
- `multigrid, float32`: today's `FourierInpainter` (multigrid-preconditioned start of the hole's box);
- `multigrid, auto`: the same with `precision="auto"` (bfloat16 where the CPU has it).

Throughput is the median images/s over timed `fit` chunks; the methods take turns for
`--rounds` rounds so a slow spell of a shared machine falls on all of them. The harmonic
start alone (one batch, inside a `tf.function`) is timed beside each, and a float32 matmul is
timed for the peak: the step's arithmetic rate (convolution multiply-adds, backward counted
twice; the Fourier transforms not counted) is an estimate, not a profile. Quality: the first
two start from the same weights and data, train `--quality-steps` steps, and their losses are
printed every `--steps` steps (the curves must agree within noise).
"""

import argparse
import contextlib
import statistics
import subprocess
import time

import keras
import numpy as np
import tensorflow as tf

import kinpaint.models.fourier_inpainter as fourier_module
from context_encoder_throughput import matmul_peak
from harmonic_start import reference_fill
from kinpaint.data import ArraySource, make_dataset
from kinpaint.data.masks import make_masks
from kinpaint.models import FourierInpainter, resolve_precision
from kinpaint.poisson import harmonic_fill

BATCH, SIZE = 32, 64


def training_images(count):
    """uint8 `(count, 64, 64, 3)` and the name of their source."""
    from kinpaint.data.builtin import load_builtin

    try:
        crops, _ = load_builtin("photos:corpus", "train", count=count, seed=0, size=SIZE)
        return crops, "photos:corpus train"
    except (ImportError, ValueError, RuntimeError):
        crops, _ = load_builtin("shapes", "train", count=count, seed=0)
        return crops, "shapes train"


@contextlib.contextmanager
def issue_start_solver(side=SIZE):
    """`FourierInpainter` traced inside this block uses the harmonic start issue 33 found, for
    pictures whose longer side is `side`."""
    fourier_module.harmonic_fill = lambda images, masks: reference_fill(images, masks, max(60, side), side)
    try:
        yield
    finally:
        fourier_module.harmonic_fill = harmonic_fill


def make_model(precision, seed=0):
    keras.utils.set_random_seed(seed)
    model = FourierInpainter(image_size=SIZE, width=32, blocks=4, downsamples=2, precision=precision)
    model.compile()
    return model


def dataset(images):
    masks = np.concatenate([make_masks(kind, 256, SIZE, SIZE // 2, seed=1) for kind in ("centre", "rectangle", "strokes")])
    return make_dataset(ArraySource(images), batch_size=BATCH, masks=masks, seed=0, drop_remainder=True).repeat()


def fit_losses(model, data, steps, solver):
    """`(seconds, loss)` of one `fit` of `steps` batches, timed from call to return."""
    with solver():
        start = time.perf_counter()
        history = model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
    return seconds, history.history["reconstruction_loss"][-1]


def forward_flops(network, channels=4):
    """Floating-point operations of one forward pass of one 64x64 picture, as TensorFlow's
    profiler counts them from the traced graph (convolutions and matmuls; not the FFTs)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    function = tf.function(lambda x: network(x, training=False))
    graph = convert_variables_to_constants_v2(function.get_concrete_function(
        tf.TensorSpec((1, SIZE, SIZE, channels), tf.float32))).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def harmonic_seconds(fill, data):
    """Seconds of the harmonic start of one batch, inside a `tf.function`, after one untimed call."""
    batch = next(iter(data))
    images = tf.where(batch["mask"] >= 0.5, batch["image"] * 2.0 / 255.0 - 1.0 if batch["image"].dtype == tf.uint8
                      else batch["image"], 0.0)
    function = tf.function(fill)
    function(images, batch["mask"]).numpy()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        function(images, batch["mask"]).numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed chunk")
    parser.add_argument("--chunks", type=int, default=3, help="timed chunks per method and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quality-steps", type=int, default=150)
    parser.add_argument("--train-images", type=int, default=2048)
    args = parser.parse_args(argv)
    flags = subprocess.run("grep -o -w -E 'avx2|avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u", shell=True,
                           capture_output=True, text=True).stdout.split()
    images, source = training_images(args.train_images)
    data = dataset(images)
    print(f"CPU flags: {' '.join(flags)}; data: {source}; precision auto -> {resolve_precision('auto')}", flush=True)

    plain = contextlib.nullcontext
    methods = {"issue's start, float32": ("float32", issue_start_solver),
               "multigrid, float32": ("float32", plain), "multigrid, auto": ("auto", plain)}
    models = {label: make_model(precision) for label, (precision, _) in methods.items()}
    for label, model in models.items():
        fit_losses(model, data, 2, methods[label][1])  # warm-up: tracing
    rates = {label: [] for label in methods}
    for _ in range(args.rounds):
        for label, model in models.items():
            for _ in range(args.chunks):
                seconds, _ = fit_losses(model, data, args.steps, methods[label][1])
                rates[label].append(args.steps * BATCH / seconds)
        print(f"round done: {', '.join(f'{label} {statistics.median(r):.1f}' for label, r in rates.items())}", flush=True)

    peak = matmul_peak(tf.float32)
    flops = 3 * forward_flops(models["multigrid, float32"].generator)  # backward: twice the forward
    starts = {"issue's start, float32": harmonic_seconds(lambda i, m: reference_fill(i, m, max(60, SIZE)), data),
              "multigrid, float32": harmonic_seconds(harmonic_fill, data)}
    starts["multigrid, auto"] = starts["multigrid, float32"]
    reference = statistics.median(rates["issue's start, float32"])
    print(f"\nfloat32 matmul peak: {peak / 1e9:.1f} GFLOP/s; network: {flops / 1e9:.2f} GFLOP per image and step")
    print("| method | images/s | ratio vs issue's start | harmonic start of a batch, s | its share of a step | "
          "share of float32 peak |\n|---|--:|--:|--:|--:|--:|")
    for label in methods:
        rate = statistics.median(rates[label])
        print(f"| {label} | {rate:.1f} | {rate / reference:.2f}x | {starts[label]:.3f} | "
              f"{starts[label] * rate / BATCH:.0%} | {rate * flops / peak:.1%} |")

    if args.quality_steps:
        print(f"\nloss every {args.steps} steps, same weights and data:\n| step | issue's start | multigrid |\n|--:|--:|--:|")
        pairs = [(make_model("float32", seed=1), issue_start_solver), (make_model("float32", seed=1), plain)]
        curves = [[], []]
        for step in range(args.steps, args.quality_steps + 1, args.steps):
            quality_data = dataset(images)  # the same batches for both
            for curve, (model, solver) in zip(curves, pairs):
                curve.append(fit_losses(model, quality_data.skip(step - args.steps), args.steps, solver)[1])
            print(f"| {step} | {curves[0][-1]:.4f} | {curves[1][-1]:.4f} |", flush=True)


if __name__ == "__main__":
    main()
