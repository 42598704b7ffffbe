"""Kill test (issue 19): a training run is sent SIGKILL at many points, then resumed.

Points: in the middle of an epoch, while the checkpoint's temporary file is empty, half
written (a zip without its directory) and whole but not yet renamed, between the history's
row and the checkpoint, while the loss curves, an image grid and the evaluation are written.
After each kill every file in the run folder must load (the `.keras` file through
`kinpaint.load_model`, the CSV, the PNGs), and `kinpaint train ... --resume` must continue
from the last epoch whose checkpoint was renamed into place, with the same training step.

Training runs in child processes of a helper that imported TensorFlow once and forks one
child per run (a process start costs seconds here; a fork, nothing); the child runs
`kinpaint.cli.main.main(argv)`, as the `kinpaint` command does. The last run goes through the
real `kinpaint` command. Hooks in the children (`kill_hooks.py`, written here, also loaded by a
`sitecustomize` for the real command) report each file write and pause at the chosen point,
so every kill lands exactly there.
"""

import csv
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from PIL import Image

START_FIRST = True  # one long test: tests/conftest.py hands this file to a worker before the others
MODEL = "context_encoder.keras"
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")  # on the server's path, for lean_graphs
STEPS = 2  # training steps per epoch
HOOKS = textwrap.dedent('''
    """Report every write of a kinpaint training run on fd KINPAINT_EVENTS, and pause at KINPAINT_PAUSE."""
    import collections
    import contextlib
    import json
    import os
    import time
    import zipfile

    counts = collections.Counter()


    def emit(event, name="", *extra):
        """Write one event line; sleep (to be killed) when it is the planned pause."""
        counts[(event, name)] += 1
        line = "\\t".join(str(word) for word in (os.getpid(), event, name, *extra))
        os.write(int(os.environ["KINPAINT_EVENTS"]), (line + "\\n").encode())
        plan = json.loads(os.environ.get("KINPAINT_PAUSE") or "null")
        if plan is not None and [event, name, counts[(event, name)]] == plan:
            time.sleep(120)


    def training_step(model):
        return int(model._step_counter())


    def install():
        import keras

        import kinpaint.callbacks
        import kinpaint.files

        run = os.environ["KINPAINT_RUN"]
        original = kinpaint.files.atomic_path

        @contextlib.contextmanager
        def reported(path, **options):  # options: OutputRecord's before_rename, which records a file
            name = os.path.relpath(os.path.abspath(path), run)
            with original(path, **options) as temporary:
                emit("write", name)
                yield temporary
                emit("written", name)
            emit("renamed", name)

        kinpaint.files.atomic_path = kinpaint.callbacks.atomic_path = reported

        def member(name):
            emit("zip", name)
            time.sleep(0.02)  # a slow disk: the archive is half written for a while

        open_member, write_member = zipfile.ZipFile.open, zipfile.ZipFile.writestr

        def opened(self, name, mode="r", *args, **kwargs):
            if mode == "w" and str(self.filename).endswith(".keras"):
                member(getattr(name, "filename", name))
            return open_member(self, name, mode, *args, **kwargs)

        def written(self, name, *args, **kwargs):
            if str(self.filename).endswith(".keras"):
                member(getattr(name, "filename", name))
            return write_member(self, name, *args, **kwargs)

        zipfile.ZipFile.open, zipfile.ZipFile.writestr = opened, written

        begin = keras.callbacks.CallbackList.on_train_batch_begin
        keras.callbacks.CallbackList.on_train_batch_begin = lambda self, *args, **kwargs: (
            emit("batch"), begin(self, *args, **kwargs))
        fit = keras.Model.fit

        def reported_fit(self, *args, **kwargs):
            emit("fit", "", kwargs.get("initial_epoch", 0), training_step(self))
            return fit(self, *args, **kwargs)

        keras.Model.fit = reported_fit
        saved = kinpaint.callbacks.AtomicCheckpoint.on_epoch_end

        def checkpoint(self, epoch, logs=None):
            emit("checkpoint", "", epoch + 1, training_step(self.model))  # what the file about to be renamed holds
            saved(self, epoch, logs)

        kinpaint.callbacks.AtomicCheckpoint.on_epoch_end = checkpoint
    ''')
SITECUSTOMIZE = "import os\nif os.environ.get('KINPAINT_HOOKS'):\n    import kill_hooks\n    kill_hooks.install()\n"
SERVER = textwrap.dedent('''
    """Import TensorFlow and kinpaint once; then for each JSON line {"argv", "pause", "log"} on stdin
    fork a child that runs kinpaint's command line with the hooks; print "exit PID STATUS" when it ends."""
    import json
    import os
    import sys

    import kinpaint  # noqa: F401  (TensorFlow, Keras and every model, imported before any fork)
    import kinpaint.recipes  # noqa: F401
    import kill_hooks
    from kinpaint.cli.main import main
    from lean_graphs import build_graphs_lean

    build_graphs_lean()  # as in the test process; the last run, through the real command, keeps TensorFlow's defaults

    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        child = os.fork()
        if child == 0:
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.environ["KINPAINT_PAUSE"] = json.dumps(request["pause"])
            kill_hooks.install()
            try:
                code = main(request["argv"])
            except SystemExit as stop:
                code = stop.code
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                code = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
        print("started", child, flush=True)
        _, status = os.waitpid(child, 0)
        print("exit", child, os.waitstatus_to_exitcode(status), flush=True)
    ''')

# Where each run is stopped: (event, file, nth time in that run). None: the run ends by itself.
KILLS = [
    ["batch", "", 2],                                 # in the middle of the first epoch: nothing saved yet
    ["write", MODEL, 1],                              # the first checkpoint's temporary file is empty
    ["zip", "config.json", 2],                        # epoch 2: its archive has the metadata, no directory
    ["written", MODEL, 1],                            # epoch 2's checkpoint whole, not renamed: history is ahead
    ["renamed", "history.csv", 1],                    # epoch 2 logged, its checkpoint not begun
    ["renamed", MODEL, 1],                            # epoch 2 saved, its curves and grid not drawn
    ["write", "loss.png", 1],                         # epoch 3: the curves half drawn
    ["zip", "model.weights.h5", 1],                   # epoch 4: the weights being written
    ["write", os.path.join("grids", "grid_epoch_0004.png"), 1],
    ["batch", "", 1],                                 # the first batch of epoch 5
    ["write", "evaluation.md", 1],                    # every epoch done, the evaluation being written
]
EPOCHS = 5


class Server:
    """The forking helper, and the events of the children it runs."""

    def __init__(self, folder, environment):
        self.folder = folder
        self.process = subprocess.Popen([sys.executable, os.path.join(folder, "server.py")], cwd=folder,
                                        env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        pass_fds=(int(environment["KINPAINT_EVENTS"]),))
        assert self.process.stdout.readline().strip() == "ready"

    def start(self, argv, pause, log):
        self.process.stdin.write(json.dumps({"argv": argv, "pause": pause, "log": log}) + "\n")
        self.process.stdin.flush()
        started = self.process.stdout.readline().split()
        assert started[0] == "started", started
        return int(started[1])

    def exit_code(self):
        finished = self.process.stdout.readline().split()
        assert finished[0] == "exit", finished
        return int(finished[2])

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def read_events(descriptor, pause=None, server=None, timeout=120):
    """Event lines `[event, file, ...]` from the pipe: those already written, or up to the pause
    `[event, file, nth]` of the running child (an error if `server` says the child ended first)."""
    events, buffer, deadline, seen = [], b"", time.monotonic() + timeout, 0
    watched = [descriptor] + ([server.process.stdout] if server else [])
    while True:
        wait = max(0.0, deadline - time.monotonic()) if pause else 0.5
        ready, _, _ = select.select(watched, [], [], wait)
        if not ready:
            if pause:
                raise AssertionError(f"no event {pause} in {timeout} s; saw {events[-5:]}")
            return events
        if descriptor not in ready:
            raise AssertionError(f"the run ended ({server.process.stdout.readline().strip()}) before {pause}; "
                                 f"its last events: {events[-5:]}")
        data = os.read(descriptor, 65536)
        if not data:  # every writer has closed the pipe
            return events
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            event = line.decode().split("\t")[1:]
            events.append(event)
            seen += pause is not None and event[:2] == pause[:2]
            if pause and seen == pause[2]:
                return events


def saved_state(events, state):
    """`(epochs, step)` of the last checkpoint renamed into place, given the state before these events."""
    pending = None
    for event in events:
        if event[0] == "checkpoint":
            pending = (int(event[2]), int(event[3]))
        elif event[:2] == ["renamed", MODEL] and pending is not None:
            state, pending = pending, None
    return state


def tail(path, characters=1500):
    with open(path, errors="replace") as handle:
        return handle.read()[-characters:]


def check_run_folder(run, known):
    """Every file in the run folder loads; returns how many files were checked."""
    import kinpaint
    from kinpaint.files import OUTPUTS_RECORD

    checked = 0
    for folder, _, names in os.walk(run):
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith(".") and ".tmp" in name:
                continue  # a killed write's temporary file: the next run removes it
            if name.endswith(".keras"):
                stamp = os.stat(path).st_mtime_ns
                if known.get(path) != stamp:
                    kinpaint.load_model(path)
                    known[path] = stamp
            elif name.endswith(".csv"):
                with open(path, newline="") as handle:
                    rows = list(csv.DictReader(handle))
                assert all(len(row) == len(rows[0]) and None not in row.values() for row in rows), path
            elif name.endswith(".png"):
                with Image.open(path) as picture:
                    picture.load()
            elif name == OUTPUTS_RECORD:  # what the run wrote: JSON lines, the last one perhaps cut by the kill
                with open(path, "rb") as handle:
                    lines = handle.read().split(b"\n")
                assert all(json.loads(line)["command"] == "kinpaint train" for line in lines[:-1]), path
            elif name.endswith(".md"):
                from kinpaint.evaluation.report import INTERVALS_NOTE

                assert tail(path).endswith(("```\n", f"- {INTERVALS_NOTE}\n")), path  # the table, whole
            else:
                raise AssertionError(f"an unexpected file in the run: {path}")
            checked += 1
    return checked


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill test forks training processes (POSIX only)")
def test_training_survives_sigkill_at_every_point_and_resumes(tmp_path, capsys):
    import kinpaint
    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import write_store

    folder = str(tmp_path)
    for name, text in (("kill_hooks.py", HOOKS), ("sitecustomize.py", SITECUSTOMIZE), ("server.py", SERVER)):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text)
    store = os.path.join(folder, "store.h5")
    write_store(store, open_reader("shapes", size=16, counts={"train": 16, "val": 0, "test": 4}), progress=False)
    run = os.path.join(folder, "run")
    read_end, write_end = os.pipe()
    package = os.path.dirname(os.path.dirname(kinpaint.__file__))
    environment = dict(os.environ, KINPAINT_EVENTS=str(write_end), KINPAINT_RUN=run, TF_CPP_MIN_LOG_LEVEL="3",
                       PYTHONPATH=os.pathsep.join([folder, package, SCRIPTS, os.environ.get("PYTHONPATH", "")]))
    argv = ["train", "context-encoder", "--data", store, "--out", run, "--widths", "4,8", "--captions", "none",
            "--batch-size", "4", "--steps-per-epoch", str(STEPS), "--precision", "float32"]
    server = Server(folder, environment)
    state, survived, known, log = (0, 0), [], {}, os.path.join(folder, "runs.log")
    try:
        for pause in KILLS:
            try:
                resume = state[0] > 0
                epochs = EPOCHS - state[0]
                child = server.start(argv + ["--epochs", str(epochs)] + (["--resume"] if resume else []), pause, log)
                events = read_events(read_end, pause, server)
                fits = [event for event in events if event[0] == "fit"]
                assert not fits or [int(fits[0][2]), int(fits[0][3])] == [state[0], state[0] * STEPS], (
                    f"the run started at epoch, step {fits[0][2:]}, expected {state[0]}, {state[0] * STEPS}")
                os.kill(child, signal.SIGKILL)
                assert server.exit_code() == -signal.SIGKILL
                state = saved_state(events + read_events(read_end), state)
                files = check_run_folder(run, known)
                survived.append((pause, state, files))
            except Exception as error:  # noqa: BLE001  (any failure: say how many kills came before it)
                raise AssertionError(f"{len(survived)} of {len(KILLS)} kills survived; then, killed at {pause}: "
                                     f"{type(error).__name__}: {error}\n{tail(log)}") from None
    finally:
        server.close()
    # The last run goes through the real command, which must clean up after the kills.
    command = [shutil.which("kinpaint")] if shutil.which("kinpaint") else [sys.executable, "-m", "kinpaint"]
    finished = subprocess.run(command + argv + ["--epochs", "1", "--resume"], check=False, capture_output=True,
                              env=dict(environment, KINPAINT_HOOKS="1"), pass_fds=(write_end,), text=True, timeout=300)
    os.close(write_end)
    assert finished.returncode == 0, finished.stderr[-3000:]
    fit = next(event for event in read_events(read_end) if event[0] == "fit")
    assert [int(fit[2]), int(fit[3])] == [EPOCHS, EPOCHS * STEPS]
    check_run_folder(run, known)
    leftovers = [name for _, _, names in os.walk(run) for name in names if ".tmp" in name]
    assert not leftovers, f"temporary files of killed writes were left behind: {leftovers}"
    with open(os.path.join(run, "history.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(row["epoch"]), int(row["step"])) for row in rows] == [
        (epoch, (epoch + 1) * STEPS) for epoch in range(EPOCHS + 1)]
    assert int(kinpaint.load_model(os.path.join(run, MODEL)).g_optimizer.iterations) == (EPOCHS + 1) * STEPS
    with capsys.disabled():
        print(f"\nkill test: {len(survived)} kills survived, each resumed at its last saved epoch:")
        for pause, (epochs, step), files in survived:
            print(f"  killed at {' '.join(str(word) for word in pause):<40} -> resumed at epoch {epochs}, "
                  f"step {step}; {files} files loaded")
