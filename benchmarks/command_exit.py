"""How long a `kinpaint` command takes from start to exit, with and without skipping Python's
last garbage collections at exit (`kinpaint.cli.main.exit_without_a_last_collection`).

    python benchmarks/command_exit.py [--runs 3] [--size 768x512]

Runs `kinpaint inpaint --centre` with the shipped model on a corpus validation photograph,
in a fresh process each time, the two ways in turn: as shipped, and the reference with the
exit hook unregistered. Prints the median wall seconds of each and their ratio, measured in
the same run.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

RUN = ("import atexit, gc, sys\n"
       "from kinpaint.cli import main as command\n"
       "if sys.argv[1] == 'reference':\n"
       "    command.exit_without_a_last_collection = lambda: atexit.unregister(gc.freeze)\n"
       "sys.exit(command.main(sys.argv[2:]))\n")


def photograph(path, size):
    from kinpaint.data.builtin import load_builtin

    crops, _ = load_builtin("photos:corpus", "val", count=1, seed=0, size=256)
    Image.fromarray(np.asarray(crops[0])).resize(size, Image.BICUBIC).save(path)


def wall_seconds(way, argv):
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, way, *argv], check=True, capture_output=True)
    return time.perf_counter() - began


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each way, in turn")
    parser.add_argument("--size", default="768x512", help="WIDTHxHEIGHT of the picture filled")
    args = parser.parse_args(argv)
    size = tuple(int(side) for side in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        picture = os.path.join(folder, "in.png")
        photograph(picture, size)
        times = {"reference: last collections at exit": [], "as shipped: skipped": []}
        for run in range(args.runs):
            for way, label in zip(("reference", "shipped"), times):
                out = os.path.join(folder, f"out_{way}_{run}.png")
                times[label].append(wall_seconds(way, ["inpaint", "--image", picture, "--centre", "--out", out]))
                print(f"run {run + 1}/{args.runs}, {label}: {times[label][-1]:.2f} s", file=sys.stderr, flush=True)
    reference = statistics.median(next(iter(times.values())))
    print(f"\n`kinpaint inpaint --centre`, {size[0]}x{size[1]}, {args.runs} runs each, fresh processes\n")
    print("| exit | median wall s | speed vs reference |\n|---|--:|--:|")
    for label, seconds in times.items():
        print(f"| {label} | {statistics.median(seconds):.2f} | {reference / statistics.median(seconds):.2f}x |")


if __name__ == "__main__":
    main()
