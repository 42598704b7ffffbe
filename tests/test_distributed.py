"""Training under tf.distribute: every model's fit on two replicas equals one replica,
BackupAndRestore resumes, and two worker processes train one model with fit_on_workers.

Strategies need logical devices set before TensorFlow starts, so each check runs in a
subprocess (tests/scripts/) and this process stays as the other tests expect it.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.distribute import fit_on_workers, is_chief, split_cpu, tf_config

START_FIRST = True  # long tests that start processes: tests/conftest.py hands this file to a worker first
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "scripts")
MIRRORED_CASES = ("context", "context-no-adversary", "dcgan", "dcgan-schedule", "pixel", "fourier", "backup-pixel",
                  "backup-dcgan", "masks")
TIME_LIMIT = 240  # seconds for any one subprocess run; a hang fails instead of stalling CI


def script_environment():
    """The environment for a script: this checkout's kinpaint first, no inherited cluster."""
    environment = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return environment


@pytest.fixture(scope="module")
def mirrored():
    """`{case: result}` from one run of mirrored_step.py over every case (one TensorFlow start)."""
    command = [sys.executable, os.path.join(SCRIPTS, "mirrored_step.py"), *MIRRORED_CASES]
    try:
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=TIME_LIMIT, env=script_environment())
    except subprocess.TimeoutExpired:
        pytest.fail(f"mirrored_step.py did not finish in {TIME_LIMIT} s")
    assert result.returncode == 0, result.stderr[-3000:]
    results = {line["case"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert set(results) == set(MIRRORED_CASES), result.stdout
    return results


@pytest.mark.slow
@pytest.mark.parametrize("case", ["context", "context-no-adversary", "dcgan", "pixel", "fourier"])
def test_two_replicas_take_the_same_steps_as_one(mirrored, case):
    result = mirrored[case]
    assert result["finite"], f"{case}: a logged value on 2 replicas is NaN or infinite"
    assert result["moved"] > 1e-3, f"{case}: training hardly moved the weights ({result['moved']})"
    # Measured gaps are 5e-7 to 1.3e-6 of the step; a replica-scaling bug gives the step itself.
    assert result["gap"] < 1e-3 * result["moved"], f"{case}: 2 replicas differ from 1 by {result['gap']}"


@pytest.mark.slow
def test_each_replica_draws_its_own_masks_and_one_replica_draws_as_before(mirrored):
    assert mirrored["masks"]["replicas_differ"], "two replicas drew the same masks: they train on half the variety"
    assert mirrored["masks"]["first_is_single"]


@pytest.mark.slow
def test_a_dcgan_schedule_on_several_replicas_is_refused_clearly(mirrored):
    error = mirrored["dcgan-schedule"]["error"]
    assert error is not None and error.startswith("NotImplementedError")
    assert "train on several replicas with compile(d_steps=1, g_steps=1)" in error


@pytest.mark.slow
@pytest.mark.parametrize("model, steps", [("pixel", 6), ("dcgan", 12)])
def test_backup_and_restore_resumes_an_interrupted_fit_under_a_strategy(mirrored, model, steps):
    result = mirrored[f"backup-{model}"]
    assert result["resumed_epochs"] == 1  # epochs 0 and 1 came from the backup
    assert result["iterations"] == [steps, steps]  # 3 epochs of 2 batches (a GAN: both networks each batch)
    assert result["moved"] > 1e-3 and result["gap"] < 1e-6 * max(result["moved"], 1.0), result


def free_ports(count):
    """Ports on 127.0.0.1 that were free a moment ago (the operating system picks them)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for handle in sockets:
            handle.bind(("127.0.0.1", 0))
        return [handle.getsockname()[1] for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


def run_workers(folder, count=2, time_limit=120):
    """Run `count` workers of multi_worker.py; fail clearly if one fails or if they have not
    all finished within `time_limit` seconds (then every worker is killed). Returns them."""
    ports = ",".join(str(port) for port in free_ports(count))
    logs = [os.path.join(folder, f"worker_{index}.log") for index in range(count)]
    workers = []
    with contextlib.ExitStack() as stack:
        try:
            for index, log in enumerate(logs):
                workers.append(subprocess.Popen(
                    [sys.executable, os.path.join(SCRIPTS, "multi_worker.py"), str(index), ports, str(folder)],
                    stdout=stack.enter_context(open(log, "w")), stderr=subprocess.STDOUT, env=script_environment()))
            deadline = time.monotonic() + time_limit
            for worker in workers:
                worker.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            pass
        finally:
            unfinished = [index for index, worker in enumerate(workers) if worker.poll() is None]
            for index in unfinished:
                workers[index].kill()
                workers[index].wait()
    tails = []
    for index, worker in enumerate(workers):
        with open(logs[index]) as handle:
            tails.append(f"--- worker {index} (exit {worker.returncode}):\n{handle.read()[-2000:]}")
    if unfinished:
        pytest.fail(f"workers {unfinished} had not finished after {time_limit} s and were killed\n" + "\n".join(tails))
    assert all(worker.returncode == 0 for worker in workers), "\n".join(tails)
    return workers


@pytest.mark.slow
def test_workers_that_do_not_finish_in_time_are_killed_and_reported(tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"workers \[0, 1\] had not finished after 1 s and were killed"):
        run_workers(tmp_path, time_limit=1)
    assert not os.path.exists(tmp_path / "worker_0.npz")


def tiny_pixel_model():
    from kinpaint.models import GatedPixelInpainter

    keras.utils.set_random_seed(0)
    model = GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=1, head=8, caption_dim=3,
                                caption_dropout=0.0, precision="float32")
    model.compile(keras.optimizers.SGD(0.5))
    return model


def worker_data():
    """The batches multi_worker.py trains on."""
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
    masks = np.ones((16, 8, 8, 1), np.float32)
    masks[:, 2:6, 2:6] = 0
    captions = rng.normal(size=(16, 3)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices({"image": images, "mask": masks, "caption": captions}).batch(8)


@pytest.mark.slow
def test_two_workers_train_the_model_one_process_would(tmp_path):
    run_workers(tmp_path)
    workers = [np.load(tmp_path / f"worker_{index}.npz", allow_pickle=True) for index in range(2)]
    for saved in workers:
        assert int(saved["first_epochs"]) == 1 and int(saved["resumed_epochs"]) == 1  # the second run resumed
        assert np.isfinite(float(saved["nll"]))
    for first, second in zip(workers[0]["final"], workers[1]["final"]):
        np.testing.assert_array_equal(first, second)  # both workers hold the same model
    # Each worker keeps one weights file, of its last epoch, beside the JSON naming it.
    for index, saved in enumerate(workers):
        assert list(saved["backup_files"]) == [f"worker_{index}.epoch_0002.weights.h5", f"worker_{index}.json"]
    # Backups of different epochs (worker 1 lost its own) stop both workers.
    assert "worker_0.json: this worker's backup holds 2 epochs" in str(workers[0]["disagreement"])
    assert "worker_1.json: this worker's backup holds 0 epochs" in str(workers[1]["disagreement"])
    # The same two epochs of global batches of 8 on one replica with Keras' fit.
    reference = tiny_pixel_model()
    for weight, start in zip(reference.weights, workers[0]["start"]):
        np.testing.assert_array_equal(weight.numpy(), start)
    reference.fit(worker_data(), epochs=2, verbose=0)
    moved = max(float(np.abs(weight.numpy() - start).max()) for weight, start in zip(reference.weights,
                                                                                      workers[0]["start"]))
    gap = max(float(np.abs(weight.numpy() - final).max()) for weight, final in zip(reference.weights,
                                                                                    workers[0]["final"]))
    assert moved > 1e-3 and gap < 1e-3 * moved, f"2 workers differ from 1 replica by {gap} (step {moved})"


@pytest.mark.slow
def test_fit_on_workers_on_one_machine_is_fit_and_checks_its_arguments():
    model = tiny_pixel_model()
    with pytest.raises(TypeError, match="tf.data.Dataset"):
        fit_on_workers(model, np.zeros((8, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="pass steps_per_epoch"):
        fit_on_workers(model, worker_data().repeat())
    with pytest.raises(ValueError, match="steps_per_epoch must be"):
        fit_on_workers(model, worker_data(), steps_per_epoch=0)
    from kinpaint.models import GatedPixelInpainter

    with pytest.raises(ValueError, match="compile the GatedPixelInpainter"):
        fit_on_workers(GatedPixelInpainter(image_size=8, features=8, bottleneck=4, blocks=1, head=8), worker_data())
    history = fit_on_workers(model, worker_data(), epochs=2, verbose=False)
    reference = tiny_pixel_model()
    expected = reference.fit(worker_data(), epochs=2, verbose=0).history
    np.testing.assert_allclose(history["nll"], expected["nll"], rtol=1e-5)
    for weight, other in zip(model.weights, reference.weights):
        np.testing.assert_allclose(weight.numpy(), other.numpy(), atol=1e-6)
    assert is_chief()


def test_tf_config_and_split_cpu_name_bad_input():
    assert json.loads(tf_config(["10.0.0.1:2222", "10.0.0.2:2222"], 0))["cluster"]["worker"][1] == "10.0.0.2:2222"
    with pytest.raises(ValueError, match="host:port"):
        tf_config(["10.0.0.1"], 0)
    with pytest.raises(ValueError, match="not in the cluster of 2 workers"):
        tf_config(["a:1", "b:2"], 2)
    with pytest.raises(ValueError, match="positive number"):
        split_cpu(0)
    tf.constant(0.0)  # TensorFlow has started in this process: too late to split the CPU
    with pytest.raises(RuntimeError, match="must run before TensorFlow starts"):
        split_cpu(3)
