"""The documented training runs as functions: the command line calls these, and so can users.

    model, history = train(RunConfig("context-encoder", data="shapes.h5", out="runs/x", epochs=5))

A run's closing table on the test split is `kinpaint.evaluation.evaluate_run(model, config)`.
"""

import glob
import os

import keras

from kinpaint.callbacks import (
    AtomicCheckpoint,
    HistoryCSV,
    ImageGrid,
    LossCurves,
    history_dict,
    read_history_rows,
    resumed_history,
    training_step,
)
from kinpaint.captions import CaptionSetup
from kinpaint.data import Store
from kinpaint.files import OutputRecord, check_not_an_input, remove_stale_temporaries_in, shown_path
from kinpaint.models.losses import TrainingDiverged
from kinpaint.model_kinds import model_kind, model_kinds
from kinpaint.models.serialization import transfer_weights
from kinpaint.options import CURVES_FILE, GRIDS_FOLDER, HISTORY_FILE, TABLE_FILE
from kinpaint.resumed_settings import check_resumed_settings
from kinpaint.run_config import RunConfig
from kinpaint.saving import load_model


def split_or_whole(store, split):
    """`split` when the store has it, else `None` (the whole store)."""
    return split if split in store.splits else None


def run_config(model, data, out, **settings):
    """A `RunConfig` from flat keyword settings: run fields, `compile` arguments and model arguments."""
    fields = {field.name for field in RunConfig.__dataclass_fields__.values()} - {"model_options", "compile_options"}
    run = {name: value for name, value in settings.items() if name in fields}
    compile_settings = model_kind(model).compile_settings
    compiled = {name: value for name, value in settings.items() if name in compile_settings}
    options = {name: value for name, value in settings.items() if name not in run and name not in compiled}
    return RunConfig(model, data, out, model_options=options, compile_options=compiled, **run)


def train_context_encoder(data, out, **settings):
    """Train a `ContextEncoder` on a store into `out` (see `train`); `settings` as in `run_config`.

    Captions are all of the image's joined by default: on `shapes` that beat one random
    caption per step (docs/benchmarks.md). Returns `(model, history dict)`.
    """
    return train(run_config("context-encoder", data, out, **settings))


def train_pixel_inpainter(data, out, **settings):
    """Train a `GatedPixelInpainter` by likelihood (see `train`); grids show three samples per row."""
    return train(run_config("pixel", data, out, **settings))


def train_dcgan(data, out, **settings):
    """Train a `DCGAN` on a store's whole images (see `train`); grids show `G(z, caption)`."""
    return train(run_config("dcgan", data, out, **settings))


def build_model(config, setup, image_size):
    """The compiled new model of `config`, reading captions as `setup` (a `CaptionSetup`) says."""
    model = model_kind(config.model).load_class()(image_size=image_size, caption_encoder=setup.encoder,
                                                  caption_dim=setup.caption_dim, precision=config.precision,
                                                  **config.model_options)
    return _compiled(model, config)


def fine_tuning_start(config, image_size, store=None):
    """The compiled new model of `config` that starts from the weights of `config.init` (a
    `.keras` path or a pretrained name) with fresh optimizers, training on `image_size` crops.

    A model of a kind that `init_adds_captions` (a `FourierInpainter`) trained without
    captions can start a run with captions (read from `store`): its caption layers are new and
    start as the identity (`CaptionFiLM`), so the model starts filling exactly as the one it
    came from and learns only what captions add.
    """
    from kinpaint.pretrained_models import resolve_model

    source = resolve_model(config.init)
    kind = model_kind(config.model)
    if not kind.describes(source):
        raise ValueError(f"init {config.init} is a {type(source).__name__}, not a {kind.class_name}: "
                         f"`kinpaint train {config.model}` starts only from its own kind")
    model_class = type(source)
    defaults = kind.training_options
    training = {**defaults, **{name: value for name, value in config.model_options.items() if name in defaults}}
    options = {name: value for name, value in config.model_options.items() if name not in defaults}
    settings = {**source.get_config(), "image_size": image_size, "precision": config.precision, **training}
    reads_captions = config.captions != "none"
    if not source.conditioned and reads_captions and kind.init_adds_captions:
        if store is None:
            raise ValueError(f"adding captions to {config.init} needs the store they are read from (store=)")
        setup = CaptionSetup.for_training(store, config.captions, config.caption_policy)
        model = model_class(**{**settings, **options, "caption_encoder": setup.encoder,
                               "caption_dim": setup.caption_dim})
        _copy_weights_by_name(source.generator, model.generator)
        return _compiled(model, config)
    if options:
        raise ValueError(f"{sorted(options)} set the captions that init adds to a {config.model} model trained "
                         f"without them; {config.init} keeps its own (pass --captions to add captions to a captionless "
                         "model)")
    if source.conditioned != reads_captions:
        raise ValueError(f"init {config.init} {'reads' if source.conditioned else 'does not read'} captions but the run "
                         f"has captions {config.captions!r}: fine-tuning keeps the model's captions; pass "
                         f"--captions {'to name them' if source.conditioned else 'none'}")
    model = model_class.from_config(settings)
    transfer_weights(source, model)
    return _compiled(model, config)


def _copy_weights_by_name(source, target):
    """Set each layer of the network `target` that `source` has too (by name) to its weights."""
    for layer in source.layers:
        if layer.weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


def _compiled(model, config):
    """`model` compiled as its kind says: one Adam at the run's learning rate, or a GAN's two."""
    from kinpaint.models.optimizers import default_adam

    rate = config.learning_rate
    options = dict(config.compile_options)
    discriminator_rate = options.pop("discriminator_learning_rate", None)
    if discriminator_rate is not None:
        if getattr(model, "discriminator", None) is None:
            raise ValueError("discriminator_learning_rate (--discriminator-learning-rate) needs a discriminator: "
                             "pass adversarial_weight (--adversarial-weight) above 0")
        options["d_optimizer"] = default_adam(discriminator_rate)
    if model_kind(config.model).optimizers == "one":
        model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=1.0), **options)
    else:
        model.compile(**{"g_optimizer": default_adam(rate), "d_optimizer": default_adam(rate), **options})
    return model


def train(config, callbacks=()):
    """Fit the model of `config` (a `RunConfig`) on its store, writing into `config.out`:

    the model file (every epoch, with the optimizers' state: `resume=True` continues it),
    `history.csv` (a row per epoch, with the training step it ended on), `loss.png` and
    `grids/*_epoch_NNNN.png`, each written whole through a temporary file renamed into place
    (a killed run's temporary files are removed by the next). An existing run is an error
    unless `resume` (continue it from its last saved epoch) or `force` (replace it: the old
    run's files are removed once the new model is built, so a kill never leaves the old model
    beside a new history); a folder holding another model's run is refused even with `force`.
    With `init`, the run starts from a trained model's weights (`fine_tuning_start`).
    `callbacks` are added to the run's own (a `TimeBudget`, say).

    Returns:
        `(model, history dict)`.

    Raises:
        TrainingDiverged: a loss became NaN or infinite; the message names the epoch and
            step, and the model file keeps the last whole epoch.
    """
    others = [kind.model_file for kind in model_kinds()
              if kind.name != config.model and os.path.exists(os.path.join(config.out, kind.model_file))]
    if others:
        raise FileExistsError(f"{config.out} holds another model's run ({others[0]}); a run folder belongs to one "
                              "model, so nothing was written: choose another --out")
    if os.path.exists(config.out) and not os.path.isdir(config.out):
        raise NotADirectoryError(f"{config.out} is a file; a run is written into a folder: choose another --out")
    store = Store(config.data)
    paths = {name: os.path.join(config.out, name)
             for name in (config.model_file, HISTORY_FILE, CURVES_FILE, GRIDS_FOLDER, TABLE_FILE)}
    for name in (config.model_file, HISTORY_FILE, CURVES_FILE, TABLE_FILE):  # never a run's input, even with --force
        check_not_an_input(paths[name], {"--data store": config.data, "--init model": config.init},
                           described=f"the run's {name} in --out {config.out}")
    existing = os.path.exists(paths[config.model_file])
    if existing and not (config.resume or config.force):
        raise FileExistsError(f"{paths[config.model_file]} exists: pass --resume to continue it or --force to "
                              "replace it")
    if config.resume and not existing:
        raise FileNotFoundError(f"nothing to resume: {paths[config.model_file]} does not exist")
    record = OutputRecord(config.out, "kinpaint train")
    if not existing:
        _check_no_stray_run_files(paths, paths[config.model_file], record)

    rows = []
    if config.resume:
        check_resumed_settings(paths[config.model_file], {**config.model_options, **config.compile_options})
        model = load_model(paths[config.model_file])
        rows, dropped = resumed_history(read_history_rows(paths[HISTORY_FILE]), training_step(model))
        if dropped:
            print(f"note: {paths[HISTORY_FILE]}: {len(dropped)} epoch(s) after the checkpoint's last one left out "
                  "(the last run was stopped after logging them, before saving the model)")
        setup = CaptionSetup.of_model(model, store, config.captions, config.caption_policy)
    elif config.init is not None:
        model = fine_tuning_start(config, store.image_size, store)
        setup = CaptionSetup.of_model(model, store, config.captions, config.caption_policy)
    else:
        setup = CaptionSetup.for_training(store, config.captions, config.caption_policy)
        model = build_model(config, setup, store.image_size)
    initial_epoch = len(rows)
    train_split = split_or_whole(store, "train")
    start, stop = store.split_range(train_split)
    if stop - start < config.batch_size:
        raise ValueError(f"{store.path} has {stop - start} training images, fewer than one batch of "
                         f"{config.batch_size}")
    steps_per_epoch = config.steps_per_epoch or (stop - start) // config.batch_size
    options = dict(masks=config.masks, seed=config.seed)
    train_data = setup.dataset(store, train_split, config.batch_size, drop_remainder=True, **options).repeat()
    validation = None
    if "val" in store.splits:
        validation = setup.dataset(store, "val", config.batch_size, shuffle=False, fixed=True, **options)
    sample = next(iter(setup.dataset(store, split_or_whole(store, "val"), 8, shuffle=False, masks=config.masks)))
    if not config.resume:
        _remove_run_files(paths)  # --force: the old run goes as a whole, before the new one writes anything
    for folder in (config.out, paths[GRIDS_FOLDER]):
        remove_stale_temporaries_in(folder)
    history = HistoryCSV(paths[HISTORY_FILE], rows, record=record)
    grid = model_kind(config.model).grid_settings  # extra ImageGrid arguments: a pixel model's samples, say
    grid = grid(model, config.seed) if grid else {}
    callbacks = [
        history,  # before the checkpoint: a kill between the two leaves a row that resuming drops
        AtomicCheckpoint(paths[config.model_file]),
        LossCurves(paths[CURVES_FILE], history_dict(rows)),
        ImageGrid.from_batch(sample, paths[GRIDS_FOLDER], overwrite=True, **grid),
        keras.callbacks.TerminateOnNaN(),
        *callbacks,
    ]
    try:
        model.fit(train_data, validation_data=validation, epochs=initial_epoch + config.epochs,
                  initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                  verbose=config.verbose)
    except TrainingDiverged as error:
        kept = f"{paths[config.model_file]} keeps epoch {len(history.rows)}" if history.rows else "no epoch was saved"
        raise TrainingDiverged(f"{error}; {kept}") from None
    return model, history_dict(history.rows)


def _check_no_stray_run_files(paths, model_path, record):
    """Before a run starts in a folder without its model (`model_path`): a history that a run
    stopped before its first checkpoint wrote (in the folder's `OutputRecord`) may be
    replaced; any other history, curves or table there is not the run's, and is refused even
    with --force."""
    for name in (CURVES_FILE, TABLE_FILE):  # a run writes these only once its model is saved
        if os.path.lexists(paths[name]):
            raise FileExistsError(f"{shown_path(paths[name])} exists but {shown_path(model_path)} does not, so "
                                  "kinpaint train did not write it; it is left as it is, even with --force: move it "
                                  "away or choose another --out")
    if os.path.lexists(paths[HISTORY_FILE]):
        record.check_replaceable(paths[HISTORY_FILE])


def _remove_run_files(paths):
    """Remove what a run wrote into its folder (model, history, curves, table, grids), if anything."""
    for name, path in paths.items():
        if name == GRIDS_FOLDER:
            for grid in glob.glob(os.path.join(glob.escape(path), "*_epoch_*.png")):
                os.remove(grid)
        elif os.path.isfile(path):
            os.remove(path)
