"""Training on several devices and hosts with `tf.distribute`.

Keras' own `fit` trains kinpaint's models under `tf.distribute.MirroredStrategy` (several
GPUs of one machine, or logical CPUs made by `split_cpu`). Under
`tf.distribute.MultiWorkerMirroredStrategy` (several hosts), Keras 3's `fit` fails before
its first step (keras-team/keras#20585, tensorflow/tensorflow#72388); `fit_on_workers` is
a training loop on `strategy.run` and the model's own `train_step` that works there, with
per-epoch backups to resume an interrupted run. See docs/distributed.md.
"""

import json
import os
import tempfile

import numpy as np
import tensorflow as tf

from kinpaint.files import atomic_path, remove_stale_temporaries


def split_cpu(count=2):
    """Split the machine's CPU into `count` logical devices and return their names, so that
    `tf.distribute.MirroredStrategy(split_cpu(2))` runs two replicas without a GPU.

    Call it before TensorFlow runs anything: devices cannot change once it has started.
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"split_cpu takes a positive number of devices, got {count!r}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu)
    if configured is None or len(configured) != count:
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * int(count))
        except RuntimeError as error:
            raise RuntimeError(f"split_cpu({count}) must run before TensorFlow starts (before any model, tensor "
                               f"or strategy is made); TensorFlow says: {error}") from None
    return [f"/cpu:{index}" for index in range(count)]


def tf_config(workers, index):
    """The `TF_CONFIG` value (JSON text) for worker `index` of the cluster `workers`, a list of
    `"host:port"` addresses, the same list and order on every host; worker 0 is the chief.

    >>> tf_config(["127.0.0.1:20001", "127.0.0.1:20002"], 1)
    '{"cluster": {"worker": ["127.0.0.1:20001", "127.0.0.1:20002"]}, "task": {"type": "worker", "index": 1}}'
    """
    workers = [str(worker) for worker in workers]
    for worker in workers:
        host, _, port = worker.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"a worker address is host:port, got {worker!r}")
    if not 0 <= int(index) < len(workers):
        raise ValueError(f"worker index {index} is not in the cluster of {len(workers)} workers")
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": int(index)}})


def fit_on_workers(model, dataset, epochs=1, steps_per_epoch=None, backup_dir=None, callbacks=None, verbose=True):
    """Train `model` as `model.fit` would, under the strategy it was built in; returns the
    history `{metric: [one value per epoch]}`.

    Works under `MultiWorkerMirroredStrategy`, where Keras 3's `fit` fails, and under any
    other strategy. Every worker runs the same call.

    Args:
        model: a compiled kinpaint model made inside `strategy.scope()`.
        dataset: a `tf.data.Dataset` of batches of the global batch size (every worker builds
            the same one); it is sharded by data (`AutoShardPolicy.DATA`) unless it says otherwise.
        epochs: epochs to train, counting those a backup already holds.
        steps_per_epoch: batches per epoch; needed when the dataset's length is unknown
            (kinpaint's `make_dataset`) or infinite.
        backup_dir: a folder for backups: each worker writes its weights and epoch count
            there at the end of every epoch, and a rerun resumes after the last backed-up
            epoch, as `keras.callbacks.BackupAndRestore` does for `fit`. Kept after training.
        callbacks: Keras callbacks; their epoch hooks run on every worker, so a callback
            that writes files should write only where `is_chief(strategy)`.
        verbose: print one line of metrics per epoch (on the chief).
    """
    import keras

    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"fit_on_workers takes a tf.data.Dataset of batches, got a {type(dataset).__name__}")
    if not getattr(model, "compiled", False):
        raise ValueError(f"compile the {type(model).__name__} (inside strategy.scope()) before fit_on_workers")
    if isinstance(epochs, bool) or int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    epochs = int(epochs)
    strategy = model.distribute_strategy
    steps_per_epoch = _steps_per_epoch(dataset, steps_per_epoch)
    if dataset.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.AUTO:
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        dataset = dataset.with_options(options)

    backup = None if backup_dir is None else _Backup(backup_dir, _task_index(strategy))
    start = 0 if backup is None else backup.restore(model, strategy)
    callbacks = keras.callbacks.CallbackList(callbacks, model=model, epochs=epochs, steps=steps_per_epoch)
    # `fit` resets the model's metrics each epoch; so does this loop.
    iterator = iter(strategy.experimental_distribute_dataset(dataset.repeat()))

    @tf.function
    def train_step(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return {name: strategy.reduce("MEAN", value, axis=None) for name, value in logs.items()}

    history = {}
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(start, epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            callbacks.on_train_batch_begin(step)
            logs = {name: float(value) for name, value in train_step(iterator).items()}
            callbacks.on_train_batch_end(step, logs)
        callbacks.on_epoch_end(epoch, logs)
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        if backup is not None:
            backup.save(model, epoch + 1)
        if verbose and is_chief(strategy):
            print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(f"{name} {value:.4g}" for name, value in logs.items()))
        if model.stop_training:  # EarlyStopping and the like
            break
    callbacks.on_train_end(logs if history else None)
    return history


def is_chief(strategy=None):
    """Whether this process is the chief (worker 0) of `strategy`'s cluster; True on one machine."""
    return _task_index(strategy or tf.distribute.get_strategy()) == 0


def _task_index(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    index = None if resolver is None else resolver.task_id
    return int(index or 0)


def _worker_count(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return 1 if resolver is None else max(resolver.cluster_spec().num_tasks("worker"), 1)


def _steps_per_epoch(dataset, steps_per_epoch):
    if steps_per_epoch is not None:
        if isinstance(steps_per_epoch, bool) or int(steps_per_epoch) != steps_per_epoch or steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be a whole number >= 1, got {steps_per_epoch!r}")
        return int(steps_per_epoch)
    length = int(dataset.cardinality())
    if length == tf.data.INFINITE_CARDINALITY or length == tf.data.UNKNOWN_CARDINALITY:
        kind = "infinite" if length == tf.data.INFINITE_CARDINALITY else "unknown (make_dataset streams its data)"
        raise ValueError(f"the dataset's length is {kind}: pass steps_per_epoch")
    if length == 0:
        raise ValueError("the dataset is empty")
    return length


class _Backup:
    """A worker's backup in `folder`: `worker_<index>.json` names the epochs done and the
    weights file written after the last of them, `worker_<index>.epoch_<n>.weights.h5`.
    The JSON is replaced last, so a kill at any moment leaves a whole, earlier backup.
    Workers back up their own (identical) copy, so hosts need no shared disk."""

    def __init__(self, folder, index):
        self.folder = os.fspath(folder)
        self.index = index
        self.state = os.path.join(self.folder, f"worker_{index}.json")
        os.makedirs(self.folder, exist_ok=True)
        remove_stale_temporaries(self.state)
        for name in self._weight_files():
            remove_stale_temporaries(os.path.join(self.folder, name))

    def _weight_files(self):
        prefix = f"worker_{self.index}.epoch_"
        return sorted(name for name in os.listdir(self.folder) if name.startswith(prefix)
                      and name.endswith(".weights.h5"))

    def restore(self, model, strategy):
        """Load this worker's backup; return the epochs it holds (0 without one)."""
        epochs = 0
        if os.path.exists(self.state):
            with open(self.state, encoding="utf-8") as handle:
                state = json.load(handle)
            epochs = int(state["epochs"])
            model.load_weights(os.path.join(self.folder, state["weights"]))
        # Workers resuming from different epochs would train different models: check they agree
        # (the mean of the epochs and the mean of their squares match only when all are equal).
        if _worker_count(strategy) > 1:
            counted = _per_replica(strategy, tf.constant([epochs, epochs * epochs], tf.float64))
            mean, mean_square = strategy.reduce("MEAN", counted, axis=None).numpy()
            if mean != epochs or mean * mean != mean_square:
                raise RuntimeError(f"{self.state}: this worker's backup holds {epochs} epochs but the other workers' "
                                   "do not; remove the backup folders to start again")
        return epochs

    def save(self, model, epochs):
        name = f"worker_{self.index}.epoch_{epochs:04d}.weights.h5"
        path = os.path.join(self.folder, name)
        # Keras writes weights only to names ending in .weights.h5; the temporary's name is
        # one `remove_stale_temporaries` recognises.
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp.weights.h5", dir=self.folder)
        os.close(handle)
        try:
            model.save_weights(temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        with atomic_path(self.state) as temporary, open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"epochs": int(epochs), "weights": name}, handle)
        for older in self._weight_files():
            if older != name:
                os.remove(os.path.join(self.folder, older))


def _per_replica(strategy, value):
    """`value` on every local replica, so `strategy.reduce` combines it across workers."""
    return strategy.experimental_distribute_values_from_function(lambda context: value)
