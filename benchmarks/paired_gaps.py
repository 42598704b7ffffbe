"""Paired gaps from a `kinpaint evaluate` report: each method minus a reference, image by image.

    python benchmarks/paired_gaps.py runs/test_64_centre/results.csv --reference biharmonic

Several reports of the same store, split, masks, seed and count (methods evaluated at
different times) are read as one. The methods filled the same images and masks, so per-image differences
remove most of the images' spread; each cell is the mean difference with its 95%
percentile-bootstrap interval (`kinpaint.evaluation.bootstrap_interval`, seeded), and the
share of images where the method beats the reference.
"""

import argparse
import csv
import collections

import numpy as np

from kinpaint.evaluation import bootstrap_interval

METRICS = (("hole_psnr", "hole PSNR (dB)"), ("hole_ssim", "hole SSIM"), ("hole_l1", "hole L1"),
           ("hole_detail", "hole detail"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results.csv files written by kinpaint evaluate on the same images")
    parser.add_argument("--reference", default="biharmonic", help="the method subtracted")
    args = parser.parse_args(argv)
    values, columns, owners = collections.defaultdict(dict), None, {}
    for path in args.results:
        with open(path, newline="") as file:
            reader = csv.DictReader(file)
            columns = set(reader.fieldnames or ()) if columns is None else columns & set(reader.fieldnames or ())
            for row in reader:
                if row["condition"] not in ("none", "true"):
                    continue
                if owners.setdefault(row["method"], path) != path:
                    raise SystemExit(f"{row['method']!r} is in both {owners[row['method']]} and {path}: rename one")
                values[row["method"]][int(row["image"])] = row
    if args.reference not in values:
        raise SystemExit(f"{args.reference!r} is not in {' '.join(args.results)}; methods: {sorted(values)}")
    metrics = [(metric, title) for metric, title in METRICS if metric in columns]
    reference = values.pop(args.reference)
    print(f"| method − {args.reference} | " + " | ".join(f"{title} gap" for _, title in metrics)
          + " | images better (PSNR) |\n|---|" + "--:|" * (len(metrics) + 1))
    for method, rows in values.items():
        images = sorted(set(rows) & set(reference))
        if not images:
            print(f"| {method} | no image in common with {args.reference} |")
            continue
        cells = []
        for metric, _ in metrics:
            gaps = [float(rows[i][metric]) - float(reference[i][metric]) for i in images]
            mean, low, high = bootstrap_interval(gaps)
            cells.append(f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]")
        better = np.mean([float(rows[i]["hole_psnr"]) > float(reference[i]["hole_psnr"]) for i in images])
        print(f"| {method} | " + " | ".join(cells) + f" | {better:.0%} |")


if __name__ == "__main__":
    main()
