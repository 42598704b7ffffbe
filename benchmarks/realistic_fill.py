"""Does `pretrained("photos-realistic")` fill holes with real-looking texture and still continue the picture?

    python benchmarks/realistic_fill.py                      # val photographs: the table that chose the settings
    python benchmarks/realistic_fill.py --split test --count-64 600 --count-256 80   # once, after the choice

Crops of the photo corpus's photographs (`kinpaint.data.photos.load_photos`, seed 0) at
64x64 with a centre 32x32 hole and at 256x256 with a centre 128x128 hole and with free-form
strokes (`kinpaint.data.masks`). Every method fills the same crops; the table gives the
mean hole PSNR, SSIM, L1 and detail with 95% bootstrap intervals, the realism accuracy of a
classifier two-sample test (`kinpaint.evaluation.realism`, where it is installed; 0.5: the
fills cannot be told from the real crops) and the seconds per picture on this machine.
`--texture KEY=VALUE ...` adds a candidate: the shipped preset's `PatchTexture` with those
settings changed (e.g. `--texture guide_weight=2 detail_sigma=4`), over the same `photos` fill.
`--grid DIR` writes side-by-side grids (input, each method, truth) of the first crops.
"""

import argparse
import os
import sys
import time

import numpy as np

SETS = {"64-centre": (64, "centre"), "256-centre": (256, "centre"), "256-strokes": (256, "strokes"),
        "1024-centre": (1024, "centre")}
DEFAULT_SETS = ("64-centre", "256-centre", "256-strokes")
DEFAULT_METHODS = ("biharmonic", "patchmatch", "photos", "photos-realistic")


def load_set(name, split, count):
    """`(images (N, S, S, 3) in [-1, 1], masks (N, S, S, 1), corpus scene of each crop)` of a set;
    the realism test keeps a scene's crops on one side of its split."""
    from kinpaint.data.masks import make_masks
    from kinpaint.data.photos import load_photos

    from kinpaint.evaluation.comparison import photo_scenes

    size, kind = SETS[name]
    pixels, names = load_photos(split, count=count, seed=0, size=size, photos="corpus")
    masks = make_masks(kind, len(pixels), size, size // 2, seed=0)
    return pixels.astype(np.float32) / 127.5 - 1.0, masks, photo_scenes(names)


class TextureCandidate:
    """The preset with its `PatchTexture` settings changed; the `photos` fill is shared."""

    def __init__(self, preset, settings):
        from kinpaint.layers.patch_texture import PatchTexture
        from kinpaint.models.realistic import RealisticInpainter

        texture = PatchTexture.from_config({**preset.texture.get_config(), **settings})
        self.model = RealisticInpainter(preset.fill_model, texture)

    def inpaint(self, images, masks, captions=None):
        return self.model.inpaint(images, masks)


def method_inpainter(name, preset):
    """`(label, inpainter)` of a baseline's name, a preset's name, or `texture:K=V,...`."""
    if name.startswith("texture:"):
        settings = dict(item.split("=", 1) for item in name[len("texture:"):].split(","))
        return name, TextureCandidate(preset, {key: _number(value) for key, value in settings.items()})
    from kinpaint.evaluation.methods import resolve_method

    method = resolve_method(name)
    return name, method.inpainter


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def fill_timed(inpainter, images, masks, batch_size):
    """`(fills, seconds per picture)`; the first batch is filled once first, untimed (graphs)."""
    inpainter.inpaint(images[:1], masks[:1])
    start = time.perf_counter()
    fills = np.concatenate([np.asarray(inpainter.inpaint(images[index : index + batch_size],
                                                         masks[index : index + batch_size]), np.float32)
                            for index in range(0, len(images), batch_size)])
    return fills, (time.perf_counter() - start) / len(images)


def measure(images, fills, masks, names, realism, seeds=None):
    """`{column: (mean, low, high)}` of one method's fills."""
    from kinpaint.evaluation.reported_metrics import measure as measure_images
    from kinpaint.evaluation.statistics import bootstrap_interval

    values = measure_images(images, fills, masks)
    row = {metric: bootstrap_interval(values[f"hole_{metric}"]) for metric in ("psnr", "ssim", "l1", "detail")}
    if realism:
        from kinpaint.evaluation.realism import realism_accuracy

        options = {} if seeds is None else {"seeds": seeds}
        row["realism"] = realism_accuracy(images, fills, masks, names, **options).accuracy
    return row


def format_row(name, row, seconds):
    cells = [name]
    for metric, digits in (("psnr", 2), ("ssim", 3), ("l1", 4), ("detail", 3), ("realism", 3)):
        if metric in row:
            mean, low, high = row[metric]
            cells.append(f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]")
        else:
            cells.append("-")
    cells.append(f"{seconds:.3f}")
    return "| " + " | ".join(cells) + " |"


def save_grid(path, images, masks, fills, count):
    """Rows of `count` crops: input (hole grey), each method's fill, truth; crops under 192
    pixels enlarged by a whole factor."""
    from PIL import Image

    rows = []
    for index in range(min(count, len(images))):
        shown = np.where(masks[index] >= 0.5, images[index], 0.0)
        rows.append(np.concatenate([shown, *(fill[index] for fill in fills), images[index]], axis=1))
    grid = np.concatenate(rows, axis=0)
    scale = max(1, 192 // images.shape[1])  # small crops shown 3x, by nearest pixels
    grid = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
    Image.fromarray(np.round((np.clip(grid, -1, 1) + 1) * 127.5).astype(np.uint8)).save(path)


def add_partial_corpus_option(parser):
    parser.add_argument("--partial-corpus", action="store_true",
                        help="measure on whatever part of the photo corpus is installed (its figures do not "
                             "compare with docs/); without it, a partial corpus is refused")


def whole_corpus_or_exit(parser, partial_allowed, root=None):
    """Stop with one line naming the missing corpus packages, unless `--partial-corpus`: on part
    of the corpus a 256x256 split can hold a scene or two, and realism becomes a coin toss."""
    from kinpaint.data.photos import require_whole_corpus

    if not partial_allowed:
        try:
            require_whole_corpus(root)
        except FileNotFoundError as error:
            parser.error(f"{error} (or pass --partial-corpus)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), choices=list(SETS))
    parser.add_argument("--count-64", type=int, default=64, help="crops at 64x64")
    parser.add_argument("--count-256", type=int, default=24, help="crops at 256x256")
    parser.add_argument("--count-1024", type=int, default=2, help="crops at 1024x1024 (a grid, not a measure)")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                        help="baselines, presets, .keras files, or texture:KEY=VALUE,... candidates")
    parser.add_argument("--no-realism", action="store_true", help="leave the realism test out (it trains a CNN)")
    parser.add_argument("--realism-seeds", type=int, nargs="+", default=None,
                        help="the realism test's seeds (default: its own three); one seed is a quicker, rougher look")
    parser.add_argument("--grid", default=None, help="a folder for side-by-side grids of the first crops")
    parser.add_argument("--grid-count", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    add_partial_corpus_option(parser)
    args = parser.parse_args(argv)
    whole_corpus_or_exit(parser, args.partial_corpus)

    import kinpaint
    from kinpaint.data.photos import describe_photo_set

    realism = not args.no_realism
    if realism:
        try:
            import kinpaint.evaluation.realism  # noqa: F401
        except ImportError:
            print("note: kinpaint.evaluation.realism is not installed; no realism column")
            realism = False
    preset = kinpaint.pretrained("photos-realistic")
    print(f"python benchmarks/realistic_fill.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(describe_photo_set("corpus"))
    for set_name in args.sets:
        count = {64: args.count_64, 256: args.count_256, 1024: args.count_1024}[SETS[set_name][0]]
        images, masks, names = load_set(set_name, args.split, count)
        print(f"\n{set_name}, {len(images)} crops of the {args.split} photographs\n")
        print("| method | hole PSNR (dB) | hole SSIM | hole L1 | hole detail | realism accuracy | s / picture |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        fills = []
        for method in args.methods:
            try:
                label, inpainter = method_inpainter(method, preset)
            except (ImportError, ModuleNotFoundError) as error:
                print(f"| {method} | not available: {error} |")
                continue
            filled, seconds = fill_timed(inpainter, images, masks, args.batch_size)
            fills.append(filled)
            row = measure(images, filled, masks, names, realism, args.realism_seeds)
            print(format_row(label, row, seconds), flush=True)
        if args.grid:
            os.makedirs(args.grid, exist_ok=True)
            grid_name = f"realistic_{set_name.replace('-', '_')}_{args.split}.png"
            save_grid(os.path.join(args.grid, grid_name), images, masks, fills, args.grid_count)


if __name__ == "__main__":
    main()
