"""What does filling a crop around the hole cost the shipped model in quality, and what does it save?

    python benchmarks/experiments/context_crop.py [--size 1024] [--count 8] [--margins 32 64 128]

Issue 33 asked for the generator to work only near the hole at 1024x1024, and to measure on
validation photographs what that costs: the Fourier blocks see the whole picture, so a crop
changes the fill. Corpus validation photographs (`kinpaint.data.photos.load_photos`, seed 0)
cropped at `--size` with a centre hole of half the side; each row fills them whole, then
as the box around the hole with a fixed context of `--margins` pixels (`kinpaint.pictures.hole_box`)
pasted back ("crop": both scales of the two-scale fill see only the crop), then with only the
full-resolution pass cropped and the coarse fill from the whole picture ("detail crop": what
`FourierInpainter` does, `fourier_inpainter.DETAIL_CONTEXT`). Prints the mean hole PSNR, its
paired gap to the whole-picture fill, and the median seconds per picture, one at a time.
"""

import argparse
import statistics
import time

import numpy as np


def hole_psnr(truth, fill, known):
    hole = ~known
    error = np.mean((truth[hole] - fill[hole]) ** 2)
    return 10 * np.log10(4.0 / error)  # values in [-1, 1]: peak-to-peak 2


def fill(model, image, mask, box):
    top, left, bottom, right = box
    began = time.perf_counter()
    crop = model.inpaint(image[None, top:bottom, left:right], mask[None, top:bottom, left:right])[0]
    seconds = time.perf_counter() - began
    filled = image.copy()
    filled[top:bottom, left:right] = crop
    return filled, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--margins", nargs="+", type=int, default=[32, 64, 128])
    parser.add_argument("--split", default="val")
    args = parser.parse_args(argv)

    from kinpaint.data.masks import make_masks
    from kinpaint.data.photos import describe_photo_set, load_photos
    from kinpaint.models import fourier_inpainter
    from kinpaint.pictures import hole_box
    from kinpaint.pretrained_models import pretrained

    model = pretrained("photos")
    pixels, _ = load_photos(args.split, count=args.count, seed=0, size=args.size, photos="corpus")
    images = pixels.astype(np.float32) / 127.5 - 1.0
    masks = make_masks("centre", len(images), args.size, args.size // 2, seed=0)
    multiple = 2 ** model.downsamples
    whole_box = (0, 0, args.size, args.size)

    def measure(name, box):
        fill(model, images[0], masks[0], box)  # untimed: the graph for this size
        filled = [fill(model, image, mask, box) for image, mask in zip(images, masks)]
        psnrs = [hole_psnr(image, picture, mask[..., 0] >= 0.5) for image, (picture, _), mask in
                 zip(images, filled, masks)]
        return name, box[2] - box[0], psnrs, statistics.median(seconds for _, seconds in filled)

    shipped_context = fourier_inpainter.DETAIL_CONTEXT
    fourier_inpainter.DETAIL_CONTEXT = args.size  # the full-resolution pass sees the whole picture
    measured = [measure("whole picture", whole_box)]
    measured += [measure(f"crop, context {margin}", hole_box(masks[0][..., 0] >= 0.5, margin, multiple))
                 for margin in args.margins]
    for margin in args.margins:
        fourier_inpainter.DETAIL_CONTEXT = margin
        name, _, psnrs, seconds = measure(f"detail crop, context {margin}", whole_box)
        box = hole_box(masks[0][..., 0] >= 0.5, margin, multiple)
        measured.append((name + (" (shipped)" if margin == shipped_context else ""), box[2] - box[0], psnrs, seconds))
    whole_psnr = measured[0][2]
    rows = [(name, side, np.mean(psnrs), np.mean(np.subtract(psnrs, whole_psnr)),
             np.min(np.subtract(psnrs, whole_psnr)), seconds) for name, side, psnrs, seconds in measured]
    print(describe_photo_set("corpus"))
    print(f"\n{args.count} {args.split} photographs at {args.size}x{args.size}, centre hole of {args.size // 2}\n")
    print("| filled | crop side | hole PSNR (dB) | gap to whole (dB) | worst gap (dB) | s / picture | speed vs whole |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, side, mean, gap, worst, seconds in rows:
        speed = rows[0][5] / seconds
        print(f"| {name} | {side} | {mean:.3f} | {gap:+.3f} | {worst:+.3f} | {seconds:.2f} | {speed:.2f}x |")


if __name__ == "__main__":
    main()
