"""Data pipeline throughput: streaming from an HDF5 store vs the same images in memory.

    python benchmarks/pipeline_throughput.py [--images 10000] [--epochs 5]

Builds a store of N 64x64 `shapes` images with their captions, then times, each in
a fresh process (so peak memory is measured separately), batches of 64 with the
`random` caption policy and centre masks:

- `store`: `make_dataset(path)`, streamed from disk;
- `memory`: `make_dataset(ArraySource(...))`, the same pipeline over arrays in RAM;
- `from_tensor_slices`: the textbook in-memory `tf.data` pipeline (shuffle, batch,
  convert), for orientation.

Target (issue 2): the store reaches at least half the in-memory rate, with bounded
memory (peak RSS well under the data size above the process baseline).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BATCH = 64


def rss_mib():
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    """High-water mark of this process's resident memory in MiB (Linux VmHWM).

    Not `ru_maxrss`: that survives `exec`, so a child would report the peak of the
    parent that built the store in memory.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def time_epochs(dataset, epochs):
    """Median images per second over `epochs` full passes, after one warm-up pass.

    The median of per-epoch rates resists the scheduling noise of a small machine.
    """
    for _ in dataset:
        pass
    rates = []
    for _ in range(epochs):
        count, start = 0, time.perf_counter()
        for batch in dataset:
            count += int(batch["image"].shape[0])
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), count


def run_mode(mode, store_path, epochs):
    import numpy as np
    import tensorflow as tf

    from kinpaint.data.pipeline import ArraySource, make_dataset
    from kinpaint.data.store import Store

    baseline = rss_mib()
    if mode == "store":
        dataset = make_dataset(store_path, batch_size=BATCH, seed=0)
    else:
        with Store(store_path) as store:
            images = store.read_images(0, len(store))
            captions = store.read_captions(0, len(store))
        if mode == "memory":
            dataset = make_dataset(ArraySource(images, captions), batch_size=BATCH, seed=0)
        else:
            rng = np.random.default_rng(0)
            chosen = [per_image[rng.integers(len(per_image))] for per_image in captions]
            dataset = (
                tf.data.Dataset.from_tensor_slices({"image": images, "caption": chosen})
                .shuffle(1024, seed=0)
                .batch(BATCH)
                .map(lambda b: {"image": tf.cast(b["image"], tf.float32) / 127.5 - 1.0, "caption": b["caption"]},
                     num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE)
            )
    rate, count = time_epochs(dataset, epochs)
    return {"mode": mode, "images_per_s": rate, "images": count, "baseline_mib": baseline,
            "peak_rss_mib": peak_rss_mib()}


def build_store(path, count):
    from kinpaint.data.builtin import BuiltinReader
    from kinpaint.data.store import write_store

    reader = BuiltinReader("shapes", counts={"train": count, "val": 0, "test": 0})
    write_store(path, reader, progress=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.store, args.epochs)))
        return

    with tempfile.TemporaryDirectory() as folder:
        store = os.path.join(folder, "bench.h5")
        print(f"building a store of {args.images} 64x64 images ...", flush=True)
        build_store(store, args.images)
        size_mib = os.path.getsize(store) / 2**20
        results = {}
        for mode in ("memory", "store", "from_tensor_slices"):
            command = [sys.executable, __file__, "--mode", mode, "--store", store, "--epochs", str(args.epochs)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[mode] = json.loads(output.strip().splitlines()[-1])
            print(f"  {mode}: {results[mode]['images_per_s']:.0f} images/s", flush=True)

    reference = results["memory"]["images_per_s"]
    print(f"\nbatch {BATCH}, {args.images} images of 64x64 ({size_mib:.0f} MiB store), "
          f"median of {args.epochs} timed epochs after one warm-up, {os.cpu_count()} CPU cores\n")
    print(f"{'pipeline':<22}{'images/s':>10}{'vs memory':>11}{'peak RSS MiB':>14}{'above start':>13}")
    for mode, row in results.items():
        print(f"{mode:<22}{row['images_per_s']:>10.0f}{row['images_per_s'] / reference:>10.2f}x"
              f"{row['peak_rss_mib']:>14.0f}{row['peak_rss_mib'] - row['baseline_mib']:>13.0f}")
    ratio = results["store"]["images_per_s"] / reference
    verdict = "PASS" if ratio >= 0.5 else "FAIL"
    print(f"\nstore / memory = {ratio:.2f} (target >= 0.50): {verdict}")
    growth = results["store"]["peak_rss_mib"] - results["store"]["baseline_mib"]
    print(f"store streaming grew RSS by {growth:.0f} MiB for a {size_mib:.0f} MiB store")


if __name__ == "__main__":
    main()
