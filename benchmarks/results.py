"""docs/results.md: the documented recipes on the built-in data, against the classical fills.

    python benchmarks/results.py [--work runs/results] [--docs docs]

Trains the two documented context-encoder recipes (or reuses their models in --work):
- shapes: the demo's recipe (`kinpaint demo`: learned word vectors, all captions joined,
  6 epochs of 4,000 images);
- photos: the photos recipe on the 11 wheel photographs (`photos:wheels`; harmonic
  prefill, contrast-normalized correction, log-L2, no adversarial loss, float32, 5 epochs;
  no captions: the photos have none);
then runs `kinpaint.evaluate` on each test split (seed 0, centre holes) with the mean,
harmonic, biharmonic, Telea and Navier-Stokes fills, and writes docs/results.md with the
two tables and their grids (docs/results/*.png). Needs the `bench` extra. About 10
minutes on 2 CPU cores.
"""

import argparse
import os
import shutil
import sys

from kinpaint.demo import demo
from kinpaint.evaluation import evaluate, markdown
from kinpaint.recipes import train_context_encoder

BASELINES = ["mean", "harmonic", "biharmonic", "telea", "navier-stokes"]
PHOTOS_RECIPE = dict(captions="none", epochs=5, prefill="harmonic", contrast_normalized=True,
                     reconstruction="log_l2", adversarial_weight=0.0, precision="float32", verbose=2)


def shapes_model(work):
    path = os.path.join(work, "shapes", "context_encoder.keras")
    if not os.path.exists(path):
        # The demo's recipe at the library's default widths and six whole epochs, as documented.
        demo(os.path.join(work, "shapes"), minutes=None, epochs=6, steps_per_epoch=None, widths=(32, 64, 128, 256),
             force=True, verbose=2)
    return path


def photos_model(work):
    from kinpaint.data import open_reader, write_store

    folder = os.path.join(work, "photos")
    path = os.path.join(folder, "context_encoder.keras")
    if not os.path.exists(path):
        store = os.path.join(work, "photos.h5")
        write_store(store, open_reader("photos:wheels"), force=True, progress=False, source="photos:wheels")
        train_context_encoder(store, folder, force=True, **PHOTOS_RECIPE)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="runs/results", help="where the trained models are kept and reused")
    parser.add_argument("--docs", default="docs", help="where results.md and results/ are written")
    parser.add_argument("--shapes-images", type=int, default=500, help="first test images of shapes")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/results.py", *(argv if argv is not None else sys.argv[1:])])
    sections = []
    for title, data, model, count in (
        ("shapes (captions describe the hidden centre)", "shapes", shapes_model(args.work), args.shapes_images),
        ("photos: the 11 wheel photographs (no captions)", "photos:wheels", photos_model(args.work), None),
    ):
        out = os.path.join(args.work, f"evaluation_{data.replace(':', '_')}")
        evaluation = evaluate(data, BASELINES + [model], count=count, out=out, force=True, command=command)
        os.makedirs(os.path.join(args.docs, "results"), exist_ok=True)
        picture = f"{data.replace(':', '_')}_grid.png"
        shutil.copyfile(os.path.join(out, "grid.png"), os.path.join(args.docs, "results", picture))
        table = markdown(evaluation).replace("## Caption ablation", "### Caption ablation")
        table = table.replace("# Evaluation\n", f"## {title}\n", 1)
        sections.append(f"{table}\n![{data} fills](results/{picture})\n")
    text = ("# Results\n\nMade by `python benchmarks/results.py` (see its docstring for the recipes); "
            "each table is `kinpaint evaluate` on a built-in test split. The context encoder's row is named "
            "after its model file.\n\n" + "\n".join(sections))
    with open(os.path.join(args.docs, "results.md"), "w", encoding="utf-8") as file:
        file.write(text)
    print(text)


if __name__ == "__main__":
    main()
