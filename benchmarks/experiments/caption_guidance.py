"""How strongly should a model follow its captions? Gain over a captionless model per guidance weight.

    python benchmarks/experiments/caption_guidance.py runs/unseen_proxy/proxy.h5 runs/unseen_proxy/minilm_n0_800.keras \\
        runs/unseen_proxy/none_800.keras --split val --embeddings minilm

For each weight w, the captioned model's fill is `none + w * (caption - none)` (its
`caption_guidance`, the form of classifier-free guidance): w = 1 is the model as trained,
w = 0 its fill without a caption. Per image, its hole PSNR (centre holes) minus the
captionless model's, with the mean and 95% bootstrap interval `kinpaint evaluate` uses,
with the image's own caption (`true`) and another image's (`other`: image i reads i+1's).
Choose w on a validation split, then set it on the model (`model.caption_guidance = w`).
"""

import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", help="a store with captions")
    parser.add_argument("captioned", help="a .keras FourierInpainter that reads captions")
    parser.add_argument("captionless", help="a .keras model trained without captions, the reference")
    parser.add_argument("--split", default="val")
    parser.add_argument("--embeddings", help="the store's cached vectors the captioned model reads (e.g. minilm)")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    args = parser.parse_args(argv)

    import numpy as np

    import kinpaint  # noqa: F401  (registers the models)
    from kinpaint.evaluation import bootstrap_interval
    from kinpaint.data import Store
    from kinpaint.data.masks import centre_mask
    from kinpaint.images import to_model_range
    from kinpaint.metrics import psnr
    from kinpaint.saving import load_model

    store = Store(args.store)
    start, stop = store.split_range(args.split)
    images = to_model_range(store.read_images(start, stop))
    if args.embeddings:
        captions = np.stack([vectors[0] for vectors in store.read_embeddings(args.embeddings, start, stop)])
    else:
        captions = [texts[0] for texts in store.read_captions(start, stop)]
    masks = np.repeat(centre_mask(images.shape[1], images.shape[1] // 2)[None], len(images), 0).astype(np.float32)
    model, reference = load_model(args.captioned), load_model(args.captionless)
    if not model.conditioned:
        raise SystemExit(f"{args.captioned} does not read captions")
    model.caption_guidance = 1.0
    others = np.roll(captions, -1, axis=0) if args.embeddings else captions[1:] + captions[:1]
    plain = model.inpaint(images, masks)
    fills = {"true": model.inpaint(images, masks, captions), "other": model.inpaint(images, masks, others)}
    base = np.asarray(psnr(images, reference.inpaint(images, masks), masks))
    print(f"| w | gain, true captions (dB) | gain, another image's captions (dB) |\n|--:|--:|--:|")
    rows = {}
    for weight in args.weights:
        cells = []
        for condition in ("true", "other"):
            filled = np.clip(plain + weight * (fills[condition] - plain), -1.0, 1.0)
            rows[weight, condition] = bootstrap_interval(np.asarray(psnr(images, filled, masks)) - base)
            mean, low, high = rows[weight, condition]
            cells.append(f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]")
        print(f"| {weight:g} | " + " | ".join(cells) + " |", flush=True)
    return rows


if __name__ == "__main__":
    main()
