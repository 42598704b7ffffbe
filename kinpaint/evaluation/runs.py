"""A trained model's closing table: the model with and without captions beside the mean-colour
fill on a store's test split, each cell a mean with its 95% bootstrap interval.

    print(evaluate_run(model, config))   # writes config.out/evaluation.md
"""

import os

from kinpaint.baselines import MeanColourFill
from kinpaint.captions import CaptionSetup
from kinpaint.data import Store
from kinpaint.evaluation.inpainter import evaluate_inpainter
from kinpaint.evaluation.report import INTERVALS_NOTE, TABLE_COLUMNS, format_table
from kinpaint.files import write_text
from kinpaint.model_kinds import kind_of_model, model_kind
from kinpaint.options import TABLE_FILE
from kinpaint.recipes import split_or_whole


def evaluate_model(model, data, split="test", batch_size=64, captions="words", masks="centre", max_batches=None,
                   inpainter=None, caption_policy="random"):
    """Rows of `evaluate_inpainter` results (means and intervals): the model with captions
    (given as in training: `caption_policy`), without, and the mean-colour fill.

    `inpainter` fills the holes when the model does not itself (a DCGAN's
    `semantic_inpainter()`). A likelihood model's rows also hold its `bits_per_dim`. The rows
    are named by the model's kind (`ModelKind.evaluation_name`), else by its class.
    """
    store = Store(data)
    setup = CaptionSetup.of_model(model, store, captions, caption_policy)
    kind = kind_of_model(model)
    name = kind.evaluation_name if kind is not None else type(model).__name__
    inpainter = inpainter or model
    settings = [(f"{name}, captions", True), (f"{name}, no captions", False)] if model.conditioned else [(name, False)]
    rows = {}
    for row, use_captions in settings:
        test = setup.dataset(store, split, batch_size, use_captions, masks=masks, shuffle=False)
        rows[row] = evaluate_inpainter(inpainter, test, use_captions, max_batches)
        if hasattr(model, "nll"):
            logs = model.evaluate(test if max_batches is None else test.take(max_batches), verbose=0, return_dict=True)
            rows[row]["bits_per_dim"] = logs["bits_per_dim"]
    test = setup.dataset(store, split, batch_size, use_captions=False, masks=masks, shuffle=False)
    rows["mean colour fill"] = evaluate_inpainter(MeanColourFill(), test, False, max_batches)
    return rows


def evaluate_run(model, config, search=None, max_images=64):
    """Write `config.out/evaluation.md` for a trained run on the store's test split; returns its text.

    A model that fills by a latent search (a DCGAN's semantic inpainting; `search`: its
    `inpainter` options) is evaluated on its first `max_images` test images; the others on
    the whole split.
    """
    store = Store(config.data)
    split = split_or_whole(store, "test")
    kind = model_kind(config.model)
    inpainter, batch_size, max_batches, title = None, config.batch_size, None, kind.title
    if kind.latent_search:
        inpainter, batch_size, max_batches = model.inpainter(**(search or {})), max_images, 1
        title = f"{title} ({max_images} test images)"
    rows = evaluate_model(model, config.data, split, batch_size, config.captions, config.masks, max_batches,
                          inpainter, config.caption_policy)
    return write_table(rows, os.path.join(config.out, TABLE_FILE), f"{title} on {config.data} ({split or 'all'})")


def write_table(rows, path, title, summary=None):
    """Write the evaluation table as Markdown to `path`, with `summary` (text) after it; returns
    the text."""
    columns = TABLE_COLUMNS
    if any("bits_per_dim" in row for row in rows.values()):
        columns += ("bits_per_dim",)
    intervals = any(f"{column}_low" in row for row in rows.values() for column in columns)
    note = f"\n- {INTERVALS_NOTE}\n" if intervals else ""
    text = f"# {title}\n\n```\n{format_table(rows, columns)}\n```\n{note}"
    if summary:
        text += f"\n{summary}\n"
    write_text(path, text)
    return text
