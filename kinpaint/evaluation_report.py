"""The files of an evaluation: `results.md`, `results.csv` (one row per method x image) and `grid.png`."""

import csv
import datetime
import os
import platform


from kinpaint.comparison import METRICS

GRID_IMAGES = 8
HEADERS = {"hole_psnr": "hole PSNR (dB)", "hole_ssim": "hole SSIM", "image_ssim": "image SSIM",
           "hole_l1": "hole L1", "hole_detail": "hole detail", "bits_per_dim": "bits/dim"}


def write_report(evaluation, out):
    """Write the three files into `out`, each to a temporary name first and then renamed."""
    from kinpaint.files import atomic_path
    from kinpaint.images import save_png

    os.makedirs(out, exist_ok=True)
    with atomic_path(os.path.join(out, "results.csv")) as temporary:
        with open(temporary, "w", newline="", encoding="utf-8") as file:
            write_csv(evaluation, file)
    with atomic_path(os.path.join(out, "results.md")) as temporary:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(markdown(evaluation))
    save_png(os.path.join(out, "grid.png"), grid(evaluation))


def write_csv(evaluation, file):
    columns = ["method", "condition", "image", *METRICS, "seconds"]
    writer = csv.DictWriter(file, columns)
    writer.writeheader()
    for record in evaluation.records:
        writer.writerow({name: "" if record[name] is None else record[name] for name in columns})


def markdown(evaluation):
    """The results table, the caption gaps and how they were obtained, as Markdown."""
    settings = evaluation.settings
    metrics = [metric for metric in METRICS if any(metric in values for values in evaluation.summary.values())]
    lines = ["# Evaluation", ""]
    if settings.get("command"):
        lines += ["```", settings["command"], "```", ""]
    lines += [f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
              f"- machine: {platform.machine()}, {platform.system()}, {os.cpu_count()} CPU cores, "
              f"Python {platform.python_version()}",
              f"- versions: {versions()}",
              f"- data: `{settings['data']}`, split `{settings['split']}`, {settings['images']} images, "
              f"{settings['masks']} masks (seed {settings['seed']}), captions read {settings['captions']}",
              "- every cell: mean over images [95% percentile-bootstrap interval, 2,000 resamples]", ""]
    lines += ["| method | captions | " + " | ".join(HEADERS[m] for m in metrics) + " | images/s |",
              "|---|---|" + "--:|" * (len(metrics) + 1)]
    for (method, condition), values in evaluation.summary.items():
        cells = [_cell(values[m]) if m in values else "-" for m in metrics]
        lines.append(f"| {method} | {condition} | " + " | ".join(cells) + f" | {values['images/s']:.1f} |")
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
