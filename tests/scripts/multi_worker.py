"""One worker of a two-process `MultiWorkerMirroredStrategy` cluster on 127.0.0.1, for
tests/test_distributed.py.

    multi_worker.py INDEX PORT,PORT FOLDER

Builds a tiny GatedPixelInpainter (seeded), trains it one epoch with
`kinpaint.distribute.fit_on_workers` and a backup folder, builds it afresh and asks for two
epochs (the backup gives the first, so one more is trained), then asks for a third after
worker 1 has lost its backup (both must refuse), and writes its start and final weights,
the history, its backup files and the refusal to FOLDER/worker_INDEX.npz.
"""

import os
import sys

index, ports, folder = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
from kinpaint.distribute import fit_on_workers, tf_config  # noqa: E402

os.environ["TF_CONFIG"] = tf_config([f"127.0.0.1:{port}" for port in ports], index)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from lean_graphs import build_graphs_lean  # noqa: E402

from kinpaint.models import GatedPixelInpainter  # noqa: E402

build_graphs_lean()

strategy = tf.distribute.MultiWorkerMirroredStrategy()
assert strategy.num_replicas_in_sync == len(ports), strategy.num_replicas_in_sync


def make_model():
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=1, head=8, caption_dim=3,
                                    caption_dropout=0.0, precision="float32")
        model.compile(keras.optimizers.SGD(0.5))
    return model


rng = np.random.default_rng(0)
images = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
masks = np.ones((16, 8, 8, 1), np.float32)
masks[:, 2:6, 2:6] = 0
captions = rng.normal(size=(16, 3)).astype(np.float32)
data = tf.data.Dataset.from_tensor_slices({"image": images, "mask": masks, "caption": captions}).batch(8)

backup = os.path.join(folder, "backup")
first = make_model()
start = [weight.numpy() for weight in first.weights]
first_history = fit_on_workers(first, data, epochs=1, backup_dir=backup, verbose=False)
resumed = make_model()
history = fit_on_workers(resumed, data, epochs=2, backup_dir=backup, verbose=False)
backup_files = sorted(name for name in os.listdir(backup) if name.startswith(f"worker_{index}."))
# Worker 1 loses its backup: both workers must refuse to go on from different epochs.
if index == 1:
    os.remove(os.path.join(backup, "worker_1.json"))
try:
    fit_on_workers(resumed, data, epochs=3, backup_dir=backup, verbose=False)
    disagreement = ""
except RuntimeError as error:
    disagreement = str(error)
np.savez(os.path.join(folder, f"worker_{index}.npz"), start=np.array(start, dtype=object),
         final=np.array([weight.numpy() for weight in resumed.weights], dtype=object),
         first_epochs=len(first_history["nll"]), resumed_epochs=len(history["nll"]), nll=history["nll"][-1],
         backup_files=backup_files, disagreement=disagreement)
print("done", index, flush=True)
