"""The realism measure's calibration on the corpus's validation photographs: how well a small
classifier tells each fill from the truth (`kinpaint.evaluation.realism`, docs/metrics.md).

    python benchmarks/realism_calibration.py --size 64 --count 400
    python benchmarks/realism_calibration.py --size 256 --count 160 --batch-size 8

Crops `--count` validation pictures of `--size` pixels (the photo corpus; `--root DIR` where its
Debian packages were extracted instead of installed), hides the centre (half the side) or
`--masks`, fills with each method and runs `kinpaint.evaluate(..., realism=True)`: every
method's pixel metrics and realism in one table, split by scene. The methods: the controls
(`truth`: the hidden pixels themselves; `noise`: noise of the picture's colours), the mean
colour, biharmonic, Telea, PatchMatch and the shipped `photos`. Needs the `photos` and `bench`
extras. Validation only: the test photographs steer no choice.
"""

import argparse
import os
import sys
import tempfile

from kinpaint.data import write_store
from kinpaint.data.photos import describe_photo_set, load_photos
from kinpaint.data.records import Example, Report
from kinpaint.evaluation import evaluate, markdown
from kinpaint.evaluation.comparison import photo_scenes
from kinpaint.evaluation.realism import NoiseFill, TruthFill
from kinpaint.options import MASK_KINDS
from realistic_fill import add_partial_corpus_option, whole_corpus_or_exit

CONTROLS = {"truth": TruthFill, "noise": NoiseFill}
METHODS = ("truth", "mean", "noise", "biharmonic", "telea", "patchmatch", "photos")


class CropReader:
    """uint8 crops as the one split of a store, for `write_store`."""

    def __init__(self, crops, split):
        self.crops, self.split, self.report = crops, split, Report()

    def __len__(self):
        return len(self.crops)

    def __iter__(self):
        return (Example(f"crop{index:06d}", crop, [], self.split) for index, crop in enumerate(self.crops))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--count", type=int, default=400, help="validation crops")
    parser.add_argument("--masks", choices=MASK_KINDS, default="centre")
    parser.add_argument("--methods", nargs="+", default=list(METHODS),
                        help="truth, noise, and any method kinpaint evaluate takes")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="of the crops and masks")
    parser.add_argument("--root", help="where the corpus's Debian packages were extracted, if not installed")
    add_partial_corpus_option(parser)
    args = parser.parse_args(argv)
    whole_corpus_or_exit(parser, args.partial_corpus, args.root)
    crops, names = load_photos("val", count=args.count, seed=args.seed, size=args.size, photos="corpus",
                               root=args.root)
    scenes = photo_scenes(names, args.root)
    print(describe_photo_set("corpus"))
    print(f"{len(crops)} validation crops of {len(set(names))} photographs, {len(set(scenes))} scenes", flush=True)
    methods = [(name, CONTROLS[name]()) if name in CONTROLS else name for name in args.methods]
    with tempfile.TemporaryDirectory() as folder:
        store = os.path.join(folder, "val.h5")
        write_store(store, CropReader(crops, "val"), progress=False, source="photos:corpus")
        command = " ".join(["python benchmarks/realism_calibration.py", *(sys.argv[1:] if argv is None else argv)])
        evaluation = evaluate(store, methods, split="val", masks=args.masks, seed=args.seed,
                              batch_size=args.batch_size, realism=True, photo_ids=scenes, command=command)
    print(markdown(evaluation))


if __name__ == "__main__":
    main()
