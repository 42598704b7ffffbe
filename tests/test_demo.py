"""`kinpaint demo`: sized to a time budget, it still writes the whole run and says how it was sized."""

import keras
import numpy as np
import pytest

from kinpaint.callbacks import StepTimer, TimeBudget, TooSlow
from kinpaint.cli.main import main


class CallbackClock(keras.callbacks.Callback):
    """A clock that advances `seconds` at the end of each epoch, or of each training step with
    `per_step` (listed before the callback it clocks)."""

    def __init__(self, seconds, per_step=False):
        super().__init__()
        self.seconds, self.per_step, self.now = seconds, per_step, 0.0

    def on_epoch_end(self, epoch, logs=None):
        self.now += 0.0 if self.per_step else self.seconds

    def on_train_batch_end(self, batch, logs=None):
        self.now += self.seconds if self.per_step else 0.0

    def __call__(self):
        return self.now


def tiny_fit(callbacks, epochs=10):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=epochs, verbose=0, callbacks=callbacks)
    return len(history.epoch)


def test_time_budget_stops_at_the_epoch_after_which_one_more_would_overrun():
    clock = CallbackClock(10.0)
    budget = TimeBudget(25, clock=clock)
    epochs = tiny_fit([clock, budget])
    assert epochs == budget.epochs_done == 2  # after 2 epochs (20 s), a third would end past 25 s
    assert (budget.last_epoch_seconds, budget.elapsed) == (10.0, 20.0)
    generous = TimeBudget(60)
    assert tiny_fit([generous], epochs=3) == generous.epochs_done == 3
    with pytest.raises(ValueError, match="above 0 seconds"):
        TimeBudget(0)


def test_step_timer_leaves_out_the_first_step_and_ends_a_run_too_slow_for_its_budget_at_once(tmp_path):
    clock = CallbackClock(0.5, per_step=True)
    timer = StepTimer(3, clock=clock)
    assert tiny_fit([clock, timer], epochs=4) == 4  # enough by default: the run goes on
    assert timer.seconds_per_step == 0.5
    asked = []
    slow = StepTimer(2, enough=lambda seconds: asked.append(seconds) or False, clock=clock)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    checkpoint = keras.callbacks.ModelCheckpoint(tmp_path / "model.keras")
    with pytest.raises(TooSlow, match="took 0.500 s") as raised:
        model.fit(np.zeros((40, 2)), np.zeros((40, 1)), batch_size=4, epochs=5, verbose=0,
                  callbacks=[clock, slow, checkpoint])
    assert asked == [0.5] and raised.value.seconds_per_step == 0.5
    assert int(model.optimizer.iterations) == 3  # after 1 + 2 steps, mid-epoch
    assert not (tmp_path / "model.keras").exists()  # before the epoch's end wrote anything
    with pytest.raises(ValueError, match="at least 1 step"):
        StepTimer(0)


@pytest.mark.slow
def test_demo_trains_for_its_budget_and_says_how_it_was_sized(tmp_path, capsys, monkeypatch):
    import kinpaint.demo

    monkeypatch.setattr(kinpaint.demo, "DEMO_WIDTHS", (4, 8, 8, 8))
    monkeypatch.setattr(kinpaint.demo, "SLOW_MACHINE_WIDTHS", (4, 4, 4, 4))
    monkeypatch.setattr(kinpaint.demo, "TIMED_STEPS", 1)
    monkeypatch.setattr(kinpaint.demo, "MIN_STEPS", 10**9)  # no machine fits that many: the demo starts again
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--minutes", "0.0001", "--epochs", "2", "--steps-per-epoch", "3",
            "--train-images", "64", "--test-images", "16", "--precision", "float32"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "a step of the 4-8-8-8 network took" in printed
    assert "trained the 4-4-4-4 network instead, for the whole budget (the " in printed
    assert "first try not counted): trained 1 epochs of 3 batches of 64 images (3 steps)" in printed
    assert "would have overrun the 0 s budget" in printed
    assert list(keras.models.load_model(out / "context_encoder.keras").get_config()["widths"]) == [4, 4, 4, 4]
    for name in ("context_encoder.keras", "history.csv", "loss.png", "evaluation.md", "grids/grid_epoch_0001.png"):
        assert (out / name).exists(), name
    table = (out / "evaluation.md").read_text()
    assert "context encoder, captions" in table and "context encoder, no captions" in table
    assert "dB hole PSNR over the same model without them, on 16 test images" in table
    assert "trained the 4-4-4-4 network instead" in table
    assert main(argv) == 2  # the run exists: nothing is replaced without --force
    assert "--force" in capsys.readouterr().err

    assert main([*argv, "--widths", "4,8,4,8", "--force"]) == 0  # widths asked for are never changed
    printed = capsys.readouterr().out
    assert "instead" not in printed and "trained 1 epochs of 3 batches" in printed
    assert list(keras.models.load_model(out / "context_encoder.keras").get_config()["widths"]) == [4, 8, 4, 8]


def test_the_sizing_line_of_a_budgeted_run_of_whole_passes_counts_no_steps():
    from kinpaint.demo import _sizing
    from kinpaint.run_config import RunConfig

    budget = TimeBudget(90)
    budget.epochs_done, budget.last_epoch_seconds, budget.elapsed = 3, 25.0, 75.0
    config = RunConfig("context-encoder", "shapes.h5", "out", epochs=6, steps_per_epoch=None)
    assert _sizing(budget, config) == ("trained 3 epochs of one pass over the training images in batches of 64 in "
                                       "75 s: one more epoch (25.0 s on this machine) would have overrun the 90 s "
                                       "budget")
