"""Prepare a store, stream it, evaluate the mean-colour baseline and save an image grid.

    python examples/evaluate_baseline.py --out runs/baseline [--source shapes] [--count 200]

What a user of kinpaint writes before any model exists: every step goes through the
public API, and the same steps work on a store of their own data (`--source FOLDER`).
"""

import argparse
import os

import kinpaint
from kinpaint.data import make_dataset, open_reader, write_store


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the store and the grid")
    parser.add_argument("--source", default="shapes", help="'shapes', 'photos' or a folder")
    parser.add_argument("--count", type=int, default=None, help="images per built-in split")
    args = parser.parse_args(argv)

    store = os.path.join(args.out, "data.h5")
    if not os.path.exists(store):
        counts = None if args.count is None else {"train": args.count, "val": args.count, "test": args.count}
        report = write_store(store, open_reader(args.source, counts=counts), source=args.source)
        print(report.summary())
    split = "test" if "test" in kinpaint.data.Store(store).splits else None

    test = make_dataset(store, split=split, batch_size=64, shuffle=False)
    results = kinpaint.evaluate_inpainter(kinpaint.MeanColourFill(), test)
    print(kinpaint.evaluation.format_table({"mean colour": results}))

    grid = kinpaint.ImageGrid.from_batch(next(iter(test.unbatch().batch(8))), args.out,
                                         inpainter=kinpaint.MeanColourFill(), overwrite=True)
    print("grid:", grid.write(epoch=0))
    return results


if __name__ == "__main__":
    main()
