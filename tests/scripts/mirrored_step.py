"""Training steps on 2 replicas (two logical CPUs) and on 1; prints the largest weight gap.

    mirrored_step.py context ADVERSARIAL_WEIGHT    one ContextEncoder step
    mirrored_step.py dcgan D_STEPS G_STEPS         three DCGAN batches under that schedule

Run as a script: logical devices must be set before TensorFlow starts.
"""

import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402

from kinpaint.models import DCGAN, ContextEncoder  # noqa: E402

BATCHES = 1 if sys.argv[1] == "context" else 3


def make_model():
    if sys.argv[1] == "context":
        model = ContextEncoder(image_size=16, widths=(4, 8), caption_dim=3, caption_dropout=0.0, precision="float32")
        model.compile(adversarial_weight=float(sys.argv[2]))
    else:
        model = DCGAN(image_size=16, noise_dim=4, generator_widths=(8, 4), discriminator_widths=(4, 8),
                      caption_dim=3, precision="float32")
        # SGD: Adam turns float noise in near-zero gradients into whole +-lr steps.
        import keras

        model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), d_steps=int(sys.argv[2]),
                      g_steps=int(sys.argv[3]))
    return model


rng = np.random.default_rng(0)
images = rng.uniform(-1, 1, (8, 16, 16, 3)).astype(np.float32)
masks = np.ones((8, 16, 16, 1), np.float32)
masks[:, 4:12, 4:12] = 0
data = tf.data.Dataset.from_tensors({"image": images, "mask": masks, "caption": rng.normal(size=(8, 3)).astype(np.float32)}).repeat(BATCHES)

single = make_model()
start = [weight.numpy() for weight in single.weights]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make_model()
    mirrored.set_weights(start)
assert strategy.num_replicas_in_sync == 2
single.fit(data, epochs=1, verbose=0)
mirrored.fit(data, epochs=1, verbose=0)
moved = max(float(np.abs(a.numpy() - b).max()) for a, b in zip(single.weights, start))
gap = max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in zip(single.weights, mirrored.weights))
print(f"moved {moved:.3e} gap {gap:.3e}")
if "-v" in sys.argv:
    for a, b in zip(single.weights, mirrored.weights):
        print(a.path, float(np.abs(a.numpy() - b.numpy()).max()), file=sys.stderr)
