"""What the photo corpus holds: photographs per package and split, and a contact sheet.

    python examples/photo_corpus.py [--root DIR] [--sheet docs/photo_corpus_test.png]

Reads the installed packages (or those extracted under --root with `dpkg-deb -x`), prints a
table of photographs per package and split with their licences, and writes a contact sheet
of the test photographs.
"""

import argparse
import collections

from kinpaint.data import photo_catalogue
from kinpaint.data.corpus.catalogue import contact_sheet
from kinpaint.images import save_png


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="a folder the Debian packages were extracted into")
    parser.add_argument("--sheet", default="photo_corpus_test.png", help="the contact sheet PNG to write")
    args = parser.parse_args(argv)
    entries = photo_catalogue(args.root, warn=print)
    counts = collections.Counter((entry.package, entry.split) for entry in entries)
    licences = collections.defaultdict(collections.Counter)
    for entry in entries:
        licences[entry.package][entry.licence.split(" (")[0]] += 1
    print(f"{'package':<28}{'train':>6}{'val':>6}{'test':>6}  licences")
    for package in sorted(licences):
        split_counts = "".join(f"{counts[(package, split)]:>6}" for split in ("train", "val", "test"))
        print(f"{package:<28}{split_counts}  {dict(licences[package].most_common())}")
    print(f"{'all':<28}" + "".join(f"{sum(n for (_, s), n in counts.items() if s == split):>6}"
                                    for split in ("train", "val", "test")))
    test = sorted((entry for entry in entries if entry.split == "test"), key=lambda entry: entry.name)
    save_png(args.sheet, contact_sheet(test))
    print(f"contact sheet of the {len(test)} test photographs: {args.sheet}")
    return entries


if __name__ == "__main__":
    main()
