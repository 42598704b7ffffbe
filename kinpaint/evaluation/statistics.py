"""Means over images with 95% percentile-bootstrap intervals, and paired caption gaps.

Every interval here resamples the images 2,000 times from a seed, so reruns give the same
interval.
"""

import numpy as np

from kinpaint.evaluation.reported_metrics import METRICS

BOOTSTRAP_RESAMPLES = 2000


def bootstrap_interval(values, seed=0, resamples=BOOTSTRAP_RESAMPLES, level=0.95):
    """`(mean, low, high)`: the mean of `values` and its percentile-bootstrap interval.

    >>> bootstrap_interval([2.0, 2.0, 2.0])
    (2.0, 2.0, 2.0)
    """
    values = np.asarray(values, np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(values.mean()), float(low), float(high)


def means_with_intervals(per_image, seed=0):
    """`{metric: mean, metric_low: ..., metric_high: ...}` of `{metric: per-image values}`: flat
    floats, as a row of `format_table` holds them."""
    row = {}
    for metric, values in per_image.items():
        row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = bootstrap_interval(values, seed)
    return row


def summarize(records, seed=0):
    """Means with 95% bootstrap intervals per method and condition, and the caption gaps.

    Args:
        records: dicts with `method`, `condition`, `seconds` and the metrics of `METRICS`
            (`None` where a method has no such value), one per image.

    Returns:
        `(summary, gaps)`: `{(method, condition): {metric: (mean, low, high), "images/s": value}}`
        and `{method: {"true - other": {metric: (mean, low, high)}, "true - none": ...}}` for
        every method measured with its true captions.
    """
    by_run = {}
    for record in records:
        by_run.setdefault((record["method"], record["condition"]), []).append(record)
    summary = {}
    for run, rows in by_run.items():
        summary[run] = {metric: bootstrap_interval([row[metric] for row in rows], seed)
                        for metric in METRICS if rows[0][metric] is not None}
        summary[run]["images/s"] = len(rows) / max(sum(row["seconds"] for row in rows), 1e-12)
    gaps = {}
    for method in dict.fromkeys(record["method"] for record in records):
        if (method, "true") not in by_run:
            continue
        true = by_run[(method, "true")]
        gaps[method] = {
            f"true - {other}": {
                metric: bootstrap_interval([a[metric] - b[metric] for a, b in zip(true, by_run[(method, other)])],
                                           seed)
                for metric in METRICS if true[0][metric] is not None}
            for other in ("other", "none")}
    return summary, gaps
