"""How much can captions help on `objects`? Fills that know, and do not know, the hidden object.

    python benchmarks/experiments/objects_bounds.py [--split val] [--count 600] [--placements 64]
    python benchmarks/experiments/objects_bounds.py --figures docs    # also docs/objects_stamps.png, objects_examples.png

Every fill keeps the border; in the hole:
- `harmonic fill`: the smoothest continuation of the border (`kinpaint.poisson.harmonic_fill`),
  blind to objects;
- `border oracle`: the harmonic fill with the mean stamp layer of the split blended in,
  `E[alpha * colour] + (1 - E[alpha]) * harmonic`, the expectations over the split's stamps
  and their positions, sizes and flips: all the border can tell;
- `caption oracle`: the same with the expectations over the hidden stamp's own positions,
  sizes and flips: what knowing which object is hidden (its caption) adds.

The gap between the two oracles is about the most captions can add in hole PSNR (an
oracle of expected pixels minimises expected squared error, not mean PSNR, so the bound is
not strict). Expectations are means over `--placements` draws of `draw_placement` per stamp.
"""

import argparse
import os

import numpy as np

from kinpaint.data import objects as O
from kinpaint.data.masks import centre_mask
from kinpaint.data.corpus.stamps import photographic_stamps

SIZE = 64


def mean_layers(stamps, placements=64, size=SIZE, seed=0):
    """`{stamp name: (E[alpha * colour] (size, size, 3), E[alpha] (size, size, 1))}` over
    `placements` draws of the dataset's placement per stamp."""
    rng = np.random.default_rng(seed)
    means = {}
    for stamp in stamps:
        picture = stamp.load()
        colour, alpha = np.zeros((size, size, 3), np.float64), np.zeros((size, size, 1), np.float64)
        for _ in range(placements):
            layer_colour, layer_alpha = O.stamp_layer(picture, O.draw_placement(rng, picture.size, size, stamp.mirror),
                                                      size)
            colour += layer_colour
            alpha += layer_alpha
        means[stamp.name] = (colour / placements, alpha / placements)
    return means


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="val", choices=tuple(O.SPLITS))
    parser.add_argument("--count", type=int, default=600, help="images of the split (default 600)")
    parser.add_argument("--placements", type=int, default=64, help="placements per stamp in the means (default 64)")
    parser.add_argument("--root", help="a folder the Debian packages were extracted into")
    parser.add_argument("--figures", metavar="DIR", help="also write objects_stamps.png and objects_examples.png here")
    args = parser.parse_args(argv)

    from kinpaint.metrics import psnr
    from kinpaint.poisson import harmonic_fill

    images, _, info = O.load_objects(args.split, count=args.count, seed=0, root=args.root, size=SIZE)
    stamps = O.split_stamps(O.SPLITS[args.split][1], args.root)
    means = mean_layers(stamps, args.placements)
    mixture_colour = np.mean([colour for colour, _ in means.values()], axis=0)
    mixture_alpha = np.mean([alpha for _, alpha in means.values()], axis=0)

    masks = np.broadcast_to(centre_mask(SIZE), (len(images), SIZE, SIZE, 1)).astype(np.float32)
    truth = images.astype(np.float32) / 127.5 - 1
    harmonic = (np.asarray(harmonic_fill(truth, masks)) + 1) * 127.5  # 0-255
    border = mixture_colour + (1 - mixture_alpha) * harmonic
    caption = np.stack([means[example["stamp"]][0] + (1 - means[example["stamp"]][1]) * fill
                        for example, fill in zip(info["examples"], harmonic)])
    scores = {name: np.asarray(psnr(truth, (np.clip(fill, 0, 255) / 127.5 - 1).astype(np.float32), masks))
              for name, fill in (("harmonic fill", harmonic), ("border oracle", border), ("caption oracle", caption))}
    print(f"objects {args.split}: {len(images)} images, {len(stamps)} stamps, {args.placements} placements per stamp")
    for name, values in scores.items():
        print(f"{name:<18}{values.mean():8.2f} dB hole PSNR")
    gap = scores["caption oracle"] - scores["border oracle"]
    half_width = 1.96 * gap.std(ddof=1) / np.sqrt(len(gap))
    print(f"captions add at most {gap.mean():+.2f} dB (95% interval {gap.mean() - half_width:+.2f} to "
          f"{gap.mean() + half_width:+.2f}) over the border oracle")
    if args.figures:
        write_figures(args.figures, args.root)
    return {name: float(values.mean()) for name, values in scores.items()}


def write_figures(folder, root=None):
    """docs/objects_stamps.png (the kept stamps, seen ones first) and docs/objects_examples.png
    (eight `val` images with their captions and the hidden centre outlined)."""
    from PIL import Image

    from kinpaint.data.corpus.catalogue import contact_sheet
    from kinpaint.files import atomic_path
    from kinpaint.images import save_png

    stamps = sorted(photographic_stamps(root), key=lambda stamp: (stamp.split != "seen", stamp.name))
    sheet = contact_sheet([_OnWhite(stamp) for stamp in stamps], thumbnail=64, columns=20)
    with atomic_path(os.path.join(folder, "objects_stamps.png")) as temporary:  # 256 colours: a third the size
        Image.fromarray(sheet).quantize(256).save(temporary, format="PNG", optimize=True)
    images, captions, _ = O.load_objects("val", count=8, seed=0, root=root, size=SIZE)
    save_png(os.path.join(folder, "objects_examples.png"), example_sheet(images, captions))
    print(f"wrote {folder}/objects_stamps.png ({len(stamps)} stamps) and {folder}/objects_examples.png")


class _OnWhite:
    """A stamp as `contact_sheet` reads it: `load()` gives RGB."""

    def __init__(self, stamp):
        self.stamp = stamp

    def load(self):
        return self.stamp.load_on_white()


def example_sheet(images, captions, scale=3, columns=4, text_height=44):
    """`images` enlarged `scale` times with the hidden centre outlined and the caption below."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    side = images.shape[1] * scale
    rows = -(-len(images) // columns)
    sheet = Image.new("RGB", (columns * (side + 8) + 8, rows * (side + text_height + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=12)
    start, hole = O.hole_box(images.shape[1])
    for index, (image, caption) in enumerate(zip(images, captions)):
        left = 8 + (index % columns) * (side + 8)
        top = 8 + (index // columns) * (side + text_height + 8)
        sheet.paste(Image.fromarray(image).resize((side, side), Image.Resampling.NEAREST), (left, top))
        box = (left + start * scale - 1, top + start * scale - 1,
               left + (start + hole) * scale, top + (start + hole) * scale)
        draw.rectangle(box, outline=(255, 220, 0))
        for line_number, line in enumerate(textwrap.wrap(caption[0], 30)[:3]):
            draw.text((left, top + side + 2 + 14 * line_number), line, fill="black", font=font)
    return np.asarray(sheet)


if __name__ == "__main__":
    main()
