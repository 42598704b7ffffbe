"""Do captions help on `objects`? A captioned model's hole-PSNR gain over the same model trained
without captions, against what captions can add at most (the oracle of objects_bounds.py).

    kinpaint evaluate --data runs/objects.h5 --split val --masks centre \\
        --methods harmonic runs/objects_fourier_words.keras runs/objects_fourier_none.keras --out runs/objects_eval_val
    python benchmarks/objects_captions.py runs/objects_eval_val --with objects_fourier_words \\
        --without objects_fourier_none [--split val]

Reads the evaluation's `results.csv`. Per image: the hole PSNR of `--with` reading the
image's own captions minus that of `--without` (its `none` row), with the mean and 95%
bootstrap interval `kinpaint evaluate` uses. Then the oracle's gain on the same images
(`benchmarks/experiments/objects_bounds.py --split SPLIT --count N`: caption oracle minus border oracle;
the store must hold `load_objects(SPLIT, count=N, seed=0)`'s images in order, as
`kinpaint prepare objects` writes them) and the issue's target, 2/3 of it. `--no-oracle`
leaves the oracle out (it takes a minute or two).
"""

import argparse
import csv
import os
import sys

TARGET_SHARE = 2 / 3  # issue 18: the captioned model gains at least 2/3 of the oracle's gain


def hole_psnr(rows, method, condition):
    """`{image index: hole PSNR}` of one method and caption condition of `results.csv`."""
    found = {int(row["image"]): float(row["hole_psnr"]) for row in rows
             if row["method"] == method and row["condition"] == condition}
    if not found:
        methods = sorted({row["method"] for row in rows})
        raise SystemExit(f"results.csv has no {method!r} rows with {condition!r} captions; methods: {methods}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("evaluation", help="the --out folder of `kinpaint evaluate`")
    parser.add_argument("--with", dest="captioned", required=True, help="the captioned model's method name")
    parser.add_argument("--without", required=True, help="the same model trained without captions")
    parser.add_argument("--split", default="val", help="the split evaluated, for the oracle (default val)")
    parser.add_argument("--root", help="objects_bounds.py --root: where the Debian packages were extracted")
    parser.add_argument("--no-oracle", action="store_true", help="leave out the oracle")
    args = parser.parse_args(argv)

    from kinpaint.evaluation import bootstrap_interval

    with open(os.path.join(args.evaluation, "results.csv"), newline="") as file:
        rows = list(csv.DictReader(file))
    captioned = hole_psnr(rows, args.captioned, "true")
    plain = hole_psnr(rows, args.without, "none")
    if captioned.keys() != plain.keys():
        raise SystemExit(f"{args.captioned} and {args.without} were not measured on the same images")
    images = sorted(captioned)
    gain, low, high = bootstrap_interval([captioned[i] - plain[i] for i in images])
    print(f"{args.captioned} (true captions) - {args.without}: {gain:+.2f} dB hole PSNR "
          f"[{low:+.2f}, {high:+.2f}] over {len(images)} images")
    if args.no_oracle:
        return {"gain": (gain, low, high)}
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "experiments"))
    import objects_bounds

    options = ["--split", args.split, "--count", str(len(images))] + (["--root", args.root] if args.root else [])
    scores = objects_bounds.main(options)
    oracle = scores["caption oracle"] - scores["border oracle"]
    print(f"oracle gain {oracle:+.2f} dB; target {TARGET_SHARE:.0%} of it: {TARGET_SHARE * oracle:+.2f} dB; "
          f"reached {gain / oracle:.0%} of the oracle's gain ({'met' if gain >= TARGET_SHARE * oracle else 'not met'})")
    return {"gain": (gain, low, high), "oracle": oracle}


if __name__ == "__main__":
    main()
