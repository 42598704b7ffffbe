"""Paired gaps from a `kinpaint evaluate` report: each method minus a reference, image by image.

    python benchmarks/paired_gaps.py runs/test_64_centre/results.csv --reference biharmonic

The methods of one report filled the same images and masks, so per-image differences
remove most of the images' spread; each cell is the mean difference with its 95%
percentile-bootstrap interval (`kinpaint.comparison.bootstrap_interval`, seeded), and the
share of images where the method beats the reference.
"""

import argparse
import csv
import collections

import numpy as np

from kinpaint.comparison import bootstrap_interval

METRICS = (("hole_psnr", "hole PSNR (dB)", 1), ("hole_ssim", "hole SSIM", 1), ("hole_l1", "hole L1", -1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a results.csv written by kinpaint evaluate")
    parser.add_argument("--reference", default="biharmonic", help="the method subtracted")
    args = parser.parse_args(argv)
    values = collections.defaultdict(dict)
    with open(args.results, newline="") as file:
        for row in csv.DictReader(file):
            if row["condition"] in ("none", "true"):
                values[row["method"]][int(row["image"])] = row
    if args.reference not in values:
        raise SystemExit(f"{args.reference!r} is not in {args.results}; methods: {sorted(values)}")
    reference = values.pop(args.reference)
    print(f"| method − {args.reference} | " + " | ".join(f"{title} gap" for _, title, _ in METRICS)
          + " | images better (PSNR) |\n|---|" + "--:|" * (len(METRICS) + 1))
    for method, rows in values.items():
        images = sorted(set(rows) & set(reference))
        cells = []
        for metric, _, _ in METRICS:
            gaps = [float(rows[i][metric]) - float(reference[i][metric]) for i in images]
            mean, low, high = bootstrap_interval(gaps)
            cells.append(f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]")
        better = np.mean([float(rows[i]["hole_psnr"]) > float(reference[i]["hole_psnr"]) for i in images])
        print(f"| {method} | " + " | ".join(cells) + f" | {better:.0%} |")


if __name__ == "__main__":
    main()
