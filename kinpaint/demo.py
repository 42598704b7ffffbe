"""The demo behind `kinpaint demo`: a caption-conditioned context encoder on the built-in
`shapes` data, trained for a time budget so that it finishes in minutes on any machine."""

import dataclasses
import os
import time

from kinpaint.callbacks import StepTimer, TimeBudget, TooSlow
from kinpaint.data import Store
from kinpaint.evaluation import evaluate_model, write_table
from kinpaint.options import CURVES_FILE, GRIDS_FOLDER, TABLE_FILE
from kinpaint.recipes import train
from kinpaint.run_config import RunConfig

# Half the library's default widths: a quarter of the work per step, so a 2-core AVX2 machine
# still takes a few hundred steps in the budget, enough for the captions to show.
DEMO_WIDTHS = (16, 32, 64, 128)
# Where DEMO_WIDTHS fit fewer than MIN_STEPS steps in the budget, the demo trains these instead:
# on the AVX2 stand-in DEMO_WIDTHS fitted 160 steps and stayed below the mean-colour fill
# (15.70 against 16.19 dB), these fitted 300 and beat it (17.52 dB); where 700 steps fit,
# DEMO_WIDTHS win (18.17 dB; these 17.72). docs/runs.md has the runs.
SLOW_MACHINE_WIDTHS = (8, 16, 32, 64)
MIN_STEPS = 400
TIMED_STEPS = 5
VALIDATION_IMAGES = 256


def demo(out="kinpaint-output/demo", minutes=1.5, epochs=60, steps_per_epoch=20, train_images=4000,
         test_images=1000, widths=None, precision="auto", force=False, verbose="auto"):
    """Train and evaluate a caption-conditioned context encoder on the built-in `shapes` data.

    Prepares `out/shapes.h5` (captions describe the hidden centre), trains with learned word
    vectors and all of an image's captions joined for at most `epochs` epochs of
    `steps_per_epoch` batches, ending early when one more epoch would overrun `minutes`
    (`None`: no budget), and writes grids, loss curves, the evaluation table (the model with
    and without captions, on `test_images` test images) and the model into `out`. `widths`
    `None` sizes the network to the machine: `DEMO_WIDTHS`, unless its first steps show that
    fewer than `MIN_STEPS` would fit the budget; then `SLOW_MACHINE_WIDTHS`, for the whole budget.

    Returns:
        `({what: path}, table text, sizing)`: `sizing` says how big a run fitted and why.
    """
    from kinpaint.data import open_reader, write_store

    store = os.path.join(out, "shapes.h5")
    counts = {"train": train_images, "val": VALIDATION_IMAGES, "test": test_images}
    if force or not os.path.exists(store):
        print(f"preparing the built-in shapes data -> {store}")
        write_store(store, open_reader("shapes", counts=counts), force=True, source="shapes")
    elif {split: stop - start for split, (start, stop) in Store(store).splits.items()} != counts:
        raise FileExistsError(f"{store} holds another demo's data; pass --force to rebuild it")
    config = RunConfig("context-encoder", store, out, captions="words", caption_policy="joined", epochs=epochs,
                       steps_per_epoch=steps_per_epoch, precision=precision, force=force, verbose=verbose,
                       model_options={"widths": tuple(widths or DEMO_WIDTHS)})
    budget = TimeBudget(minutes * 60) if minutes is not None else None
    if budget is None:
        model, _ = train(config)
        sizing = _sizing(budget, config)
    else:
        print(f"training for at most {minutes:g} min ({epochs} epochs of {steps_per_epoch} batches of "
              f"{config.batch_size}): the run stops at the epoch after which one more would not fit")
        model, config, sizing = _budgeted_run(config, budget, sized=widths is None)
    rows = evaluate_model(model, store, "test", caption_policy=config.caption_policy)
    gain = rows["context encoder, captions"]["hole_psnr"] - rows["context encoder, no captions"]["hole_psnr"]
    summary = (f"Captions {'add' if gain > 0 else 'change'} {gain:+.2f} dB hole PSNR over the same model without "
               f"them, on {test_images} test images.\n\n{sizing}")
    table = write_table(rows, os.path.join(out, TABLE_FILE), "Demo: context encoder on the shapes test split", summary)
    paths = {"model": config.model_file, "loss curves": CURVES_FILE, "evaluation": TABLE_FILE,
             "image grids": GRIDS_FOLDER}
    return {label: os.path.join(out, name) for label, name in paths.items()}, table, sizing


def _budgeted_run(config, budget, sized):
    """Train `config` within `budget`; `sized`: first time a few steps, and if fewer than
    `MIN_STEPS` would fit, start again with `SLOW_MACHINE_WIDTHS` and the whole budget.

    Returns `(model, the config that trained it, the sizing line)`.
    """
    started = time.monotonic()
    timer = [StepTimer(TIMED_STEPS, enough=lambda seconds: budget.seconds / seconds >= MIN_STEPS)] if sized else []
    try:
        model, _ = train(config, callbacks=[budget, *timer])
        return model, config, _sizing(budget, config)
    except TooSlow as slow:
        why = (f"a step of the {_spelled(config.model_options['widths'])} network took {slow.seconds_per_step:.2f} s "
               f"here, so only {budget.seconds / slow.seconds_per_step:.0f} steps would fit the budget, fewer than "
               f"the {MIN_STEPS} it needs; trained the {_spelled(SLOW_MACHINE_WIDTHS)} network instead, for the "
               f"whole budget (the {time.monotonic() - started:.0f} s first try not counted)")
    print(why)
    # The first try stopped before it saved anything. Where the step is arithmetic (a machine
    # without AVX-512), the smaller network's is about half as long; where it is overhead (a
    # slow clock), about as long, so the whole budget keeps the switch from costing steps.
    smaller = dataclasses.replace(config, model_options={**config.model_options, "widths": SLOW_MACHINE_WIDTHS})
    budget = TimeBudget(budget.seconds)
    model, _ = train(smaller, callbacks=[budget])
    return model, smaller, f"{why}: {_sizing(budget, smaller)}"


def _spelled(widths):
    return "-".join(str(width) for width in widths)


def _sizing(budget, config):
    steps = (f"{config.steps_per_epoch} batches of {config.batch_size} images" if config.steps_per_epoch else
             f"one pass over the training images in batches of {config.batch_size}")
    if budget is None:
        return f"trained {config.epochs} epochs of {steps} (no time budget)"
    why = (f"one more epoch ({budget.last_epoch_seconds:.1f} s on this machine) would have overrun the "
           f"{budget.seconds:.0f} s budget" if budget.epochs_done < config.epochs else
           f"all {config.epochs} epochs fitted the {budget.seconds:.0f} s budget")
    total = f" ({budget.epochs_done * config.steps_per_epoch} steps)" if config.steps_per_epoch else ""
    return f"trained {budget.epochs_done} epochs of {steps}{total} in {budget.elapsed:.0f} s: {why}"
