"""Every model's `fit` on 2 replicas (two logical CPUs) and on 1, for tests/test_distributed.py.

    mirrored_step.py CASE [CASE ...]

Prints one JSON line per case:

    context, context-no-adversary, dcgan, pixel, fourier
        {"case", "moved": largest weight change on 1 replica, "gap": largest weight
        difference between 1 and 2 replicas, "finite": every logged value finite}
    dcgan-schedule
        {"case", "error": what fit on 2 replicas with compile(d_steps=2, g_steps=1) raised}
    masks
        {"case", "replicas_differ": the two replicas drew different masks for one step,
        "first_is_single": replica 0 drew what one replica draws}
    backup-pixel, backup-dcgan
        {"case", "resumed_epochs", "gap": a run interrupted by a crash and resumed by
        keras.callbacks.BackupAndRestore, against an uninterrupted one, "moved",
        "iterations": optimizer steps, [uninterrupted, resumed]}

Weights start from a fixed seed: from random ones, a rare draw (a dead unit, a near-tie)
magnifies float rounding past the tolerance. Run as a script: logical devices must be
set before TensorFlow starts.
"""

import contextlib
import json
import math
import sys
import tempfile

from kinpaint.distribute import split_cpu

DEVICES = split_cpu(2)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from lean_graphs import build_graphs_lean  # noqa: E402

from kinpaint.models import DCGAN, ContextEncoder, FourierInpainter, GatedPixelInpainter  # noqa: E402

build_graphs_lean()  # as tests/conftest.py

SIZE = 16
BATCHES = 3
# SGD rather than Adam: Adam turns float noise in near-zero gradients into whole +-lr steps.
MODELS = {
    "context": (lambda: ContextEncoder(image_size=SIZE, widths=(4, 8), caption_dim=3, caption_dropout=0.0,
                                       precision="float32"),
                lambda model: model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                                            adversarial_weight=0.001)),
    "context-no-adversary": (lambda: ContextEncoder(image_size=SIZE, widths=(4, 8), caption_dim=3,
                                                    caption_dropout=0.0, precision="float32"),
                             lambda model: model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                                                         adversarial_weight=0.0)),
    "dcgan": (lambda: DCGAN(image_size=SIZE, noise_dim=4, generator_widths=(8, 4), discriminator_widths=(4, 8),
                            caption_dim=3, precision="float32"),
              lambda model: model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))),
    "dcgan-schedule": (lambda: DCGAN(image_size=SIZE, noise_dim=4, generator_widths=(8, 4),
                                     discriminator_widths=(4, 8), caption_dim=3, precision="float32"),
                       lambda model: model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                                                   d_steps=2, g_steps=1)),
    "pixel": (lambda: GatedPixelInpainter(image_size=SIZE, features=8, bottleneck=4, blocks=1, head=8, caption_dim=3,
                                          caption_dropout=0.0, precision="float32"),
              lambda model: model.compile(keras.optimizers.SGD(0.5))),
    "fourier": (lambda: FourierInpainter(image_size=SIZE, width=4, blocks=1, precision="float32"),
                lambda model: model.compile(keras.optimizers.SGD(0.5))),
}

strategy = tf.distribute.MirroredStrategy(DEVICES)
assert strategy.num_replicas_in_sync == 2


def make_model(name, scope=None):
    build, compile_model = MODELS[name]
    keras.utils.set_random_seed(0)
    if scope is None:
        model = build()
        compile_model(model)
        return model
    with scope:
        model = build()
        compile_model(model)
    return model


def batches(count=BATCHES):
    rng = np.random.default_rng(0)
    masks = np.ones((8, SIZE, SIZE, 1), np.float32)
    masks[:, 4:12, 4:12] = 0
    batch = {"image": rng.uniform(-1, 1, (8, SIZE, SIZE, 3)).astype(np.float32), "mask": masks,
             "caption": rng.normal(size=(8, 3)).astype(np.float32)}
    return tf.data.Dataset.from_tensors(batch).repeat(count)


def largest_difference(weights, others):
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(weights, others))


def compare(name):
    single = make_model(name)
    start = [weight.numpy() for weight in single.weights]
    mirrored = make_model(name, strategy.scope())
    mirrored.set_weights(start)
    single.fit(batches(), epochs=1, verbose=0)
    history = mirrored.fit(batches(), epochs=1, verbose=0).history
    return {"moved": largest_difference(single.weights, start), "gap": largest_difference(single.weights, mirrored.weights),
            "finite": all(math.isfinite(value) for values in history.values() for value in values)}


def refused(name):
    model = make_model(name, strategy.scope())
    try:
        model.fit(batches(), epochs=1, verbose=0)
    except Exception as error:  # what the user sees
        return {"error": f"{type(error).__name__}: {error}"}
    return {"error": None}


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("interrupted")


def backup(name):
    """BackupAndRestore under the strategy: 3 epochs straight, against 2 epochs, a crash, and
    the same model, its weights and optimizer state wiped, resumed from the backup."""
    with tempfile.TemporaryDirectory() as folder:
        straight = make_model(name, strategy.scope())
        start = [weight.numpy() for weight in straight.weights]
        straight.fit(batches(2), epochs=3, verbose=0)
        model = make_model(name, strategy.scope())
        try:
            model.fit(batches(2), epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(folder), Interrupt()])
        except RuntimeError:
            pass
        # Only the backup can bring these back (the same model keeps its traced step: faster).
        model.set_weights([np.zeros_like(weight) for weight in start])
        for optimizer in optimizers(model):
            for variable in optimizer.variables:
                variable.assign(np.zeros(variable.shape, variable.dtype))
        history = model.fit(batches(2), epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(folder)])
    return {"resumed_epochs": len(history.epoch), "moved": largest_difference(straight.weights, start),
            "gap": largest_difference(straight.weights, model.weights),
            "iterations": [optimizer_steps(straight), optimizer_steps(model)]}


def optimizers(model):
    """The model's optimizers (a GAN has two)."""
    return [model.optimizer] if model.optimizer is not None else [model.d_optimizer, model.g_optimizer]


def optimizer_steps(model):
    return sum(int(optimizer.iterations.numpy()) for optimizer in optimizers(model))


def drawn_masks():
    """Masks drawn for a batch without masks, by each replica and by a model without a strategy."""
    def model(scope=None):
        with scope or contextlib.nullcontext():
            model = FourierInpainter(image_size=SIZE, width=4, blocks=1, mask_kind="strokes", precision="float32")
            model.compile(keras.optimizers.SGD(0.5))
        return model

    single = model()._draw_masks(4).numpy()
    mirrored = model(strategy.scope())
    per_replica = strategy.experimental_local_results(strategy.run(tf.function(lambda: mirrored._draw_masks(4))))
    first, second = (replica.numpy() for replica in per_replica)
    return {"replicas_differ": bool((first != second).any()), "first_is_single": bool((first == single).all())}


for case in sys.argv[1:]:
    if case == "masks":
        result = drawn_masks()
    elif case.startswith("backup-"):
        result = backup(case[len("backup-"):])
    elif case == "dcgan-schedule":
        result = refused(case)
    else:
        result = compare(case)
    print(json.dumps({"case": case, **result}), flush=True)
