"""Evaluations as text and files: `format_table` (a plain-text table of rows of means, with
their intervals where the rows hold them), and an `evaluate` report's `results.md`,
`results.csv` (one row per method x image) and `grid.png`."""

import csv
import datetime
import os
import platform

import numpy as np

from kinpaint.evaluation.reported_metrics import HEADERS, METRICS, SET_METRICS
from kinpaint.evaluation.statistics import BOOTSTRAP_RESAMPLES

GRID_IMAGES = 8
REPORT_FILES = ("results.md", "results.csv", "grid.png")  # what `write_report` writes into its folder
REPORT_COMMAND = "kinpaint evaluate"  # the report's writer in its folder's `kinpaint.files.OutputRecord`
INTERVALS_NOTE = (f"every cell: mean over images [95% percentile-bootstrap interval, {BOOTSTRAP_RESAMPLES:,} "
                  "resamples]")
TABLE_COLUMNS = ("hole_psnr", "hole_ssim", "hole_l1", "image_psnr")


def format_table(rows, columns=TABLE_COLUMNS):
    """A plain-text table of `{method name: evaluate_inpainter results}`.

    A cell reads `mean [low, high]` where the row holds the metric's interval
    (`hole_psnr_low`, `hole_psnr_high`), else `mean`; `-` where the row lacks the metric.
    """
    cells = {name: [_table_cell(results, column) for column in columns] for name, results in rows.items()}
    width = max([len("method")] + [len(name) for name in rows])
    widths = [max([12, len(column) + 2] + [len(row[index]) + 2 for row in cells.values()])
              for index, column in enumerate(columns)]
    lines = ["method".ljust(width) + "".join(f"{column:>{cell}}" for column, cell in zip(columns, widths))]
    for name, row in cells.items():
        lines.append(name.ljust(width) + "".join(f"{text:>{cell}}" for text, cell in zip(row, widths)))
    return "\n".join(lines)


def _table_cell(results, column):
    value = results.get(column)
    if not isinstance(value, (float, np.floating)):
        return "-"
    low, high = results.get(f"{column}_low"), results.get(f"{column}_high")
    if low is None or high is None:
        return f"{value:.4f}"
    return f"{value:.4f} [{low:.4f}, {high:.4f}]"


def write_report(evaluation, out):
    """Write the three files into `out`, each to a temporary name first and then renamed, and
    recorded in `out`'s `OutputRecord`; a file there that kinpaint evaluate did not write (or
    that changed since) is refused before any is written."""
    from kinpaint.files import OutputRecord
    from kinpaint.images import save_image

    record = OutputRecord(out, REPORT_COMMAND)
    paths = {name: os.path.join(out, name) for name in REPORT_FILES}
    for path in paths.values():
        record.check_replaceable(path)
    os.makedirs(out, exist_ok=True)
    with record.writing(paths["results.csv"]) as temporary:
        with open(temporary, "w", newline="", encoding="utf-8") as file:
            write_csv(evaluation, file)
    with record.writing(paths["results.md"]) as temporary:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(markdown(evaluation))
    save_image(paths["grid.png"], grid(evaluation), before_rename=record.recorder(paths["grid.png"]))


def write_csv(evaluation, file):
    columns = ["method", "condition", "image", *METRICS, "seconds"]
    writer = csv.DictWriter(file, columns)
    writer.writeheader()
    for record in evaluation.records:
        writer.writerow({name: "" if record[name] is None else record[name] for name in columns})


def markdown(evaluation):
    """The results table, the caption gaps and how they were obtained, as Markdown."""
    settings = evaluation.settings
    metrics = [metric for metric in _columns() if any(metric in values for values in evaluation.summary.values())]
    lines = ["# Evaluation", ""]
    if settings.get("command"):
        lines += ["```", settings["command"], "```", ""]
    lines += [f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
              f"- machine: {platform.machine()}, {platform.system()}, {os.cpu_count()} CPU cores, "
              f"Python {platform.python_version()}",
              f"- versions: {versions()}",
              f"- data: `{settings['data']}`, split `{settings['split']}`, {settings['images']} images, "
              f"{settings['masks']} masks (seed {settings['seed']}), captions read {settings['captions']}",
              f"- {INTERVALS_NOTE}", *_realism_notes(evaluation), ""]
    lines += ["| method | captions | " + " | ".join(HEADERS[m] for m in metrics) + " | images/s |",
              "|---|---|" + "--:|" * (len(metrics) + 1)]
    for (method, condition), values in evaluation.summary.items():
        cells = [_cell(values[m]) if m in values else "-" for m in metrics]
        lines.append(f"| {method} | {condition} | " + " | ".join(cells) + f" | {values['images/s']:.1f} |")
    metrics = [metric for metric in metrics if metric in METRICS]  # the gaps are per image
    if evaluation.gaps:
        lines += ["", "## Caption ablation", "",
                  "Per-image differences on the same images and masks. `true`: the image's own captions; "
                  "`other`: another image's (image i reads image i+1's); `none`: no caption. An interval "
                  "that contains 0 means the evaluation cannot tell the captions helped.", "",
                  "| method | gap | " + " | ".join(HEADERS[m] for m in metrics) + " |",
                  "|---|---|" + "--:|" * len(metrics)]
        for method, gaps in evaluation.gaps.items():
            for gap, values in gaps.items():
                lines.append(f"| {method} | {gap} | "
                             + " | ".join(_cell(values[m], signed=True) if m in values else "-" for m in metrics)
                             + " |")
    return "\n".join(lines) + "\n"


def _columns():
    """The table's metrics in order: realism beside hole detail."""
    at = METRICS.index("hole_detail") + 1
    return METRICS[:at] + SET_METRICS + METRICS[at:]


def _realism_notes(evaluation):
    if not evaluation.realism:
        return []
    measured = evaluation.settings["realism"]
    settings, seeds = measured["settings"], measured["seeds"]
    per_seed = "; ".join(f"{name} {', '.join(f'{value:.3f}' for value in result.per_seed)} "
                         f"({result.seconds:.0f} s)" for name, result in evaluation.realism.items())
    return [f"- realism: held-out accuracy of a classifier trained afresh per method to tell its fills from the "
            f"truth (0.5: it cannot tell them apart; 1: always tells), mean over seeds "
            f"{', '.join(map(str, seeds))} [95% Student-t interval over the seeds]; split by {measured['split_by']}; "
            f"the hole plus a {settings.margin:g} margin at most {settings.input_side} px, {settings.steps} steps of "
            f"{settings.batch_pairs} pairs (kinpaint.evaluation.realism, docs/metrics.md)",
            f"- realism per seed (and seconds, all seeds): {per_seed}"]


def grid(evaluation, count=GRID_IMAGES):
    """A row per image (input, each method's fill, truth) with its captions under it."""
    from kinpaint.callbacks import render_grid

    count = min(count, len(evaluation.images))
    names = list(evaluation.fills)
    fills = [evaluation.fills[name][:count] for name in names]
    captions = None if evaluation.captions is None else evaluation.captions[:count]
    scale = max(2, -(-128 // evaluation.images.shape[1]))  # tiles of at least 128 pixels, for the headers
    return render_grid(evaluation.images[:count], evaluation.masks[:count], fills, captions, scale=scale, names=names)


def versions():
    import importlib.metadata as metadata

    found = []
    for package in ("kinpaint", "keras", "tensorflow", "numpy"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def _cell(values, signed=False):
    mean, low, high = values
    number = "{:+.3f}" if signed else "{:.3f}"
    return f"{number.format(mean)} [{number.format(low)}, {number.format(high)}]"
