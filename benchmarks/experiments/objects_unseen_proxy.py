"""A validation set for unseen objects that never touches `test_unseen`: a proxy store.

    python benchmarks/experiments/objects_unseen_proxy.py runs/objects16k.h5 --out runs/unseen_proxy/proxy.h5 [--embed minilm]

`objects`' held-out stamps appear only in `test_unseen`, so nothing may be chosen on them.
This holds out a fifth of the *seen* stamp kinds instead (a salted hash of the kind, as the
library's own unseen split, so related stamps go together), and writes a store whose
- `train` is the source store's training composites of the other kinds;
- `val` is new composites of the held-out stamps on the corpus's val photographs
  (`load_objects("val", ...)` drawing from them only): the proxy for unseen objects;
- `test` is the source store's val composites of the kept kinds (seen objects).
Train on it as on any store and choose what carries over to unseen objects on its `val`.
The source must be an English `kinpaint prepare objects` store (its captions name the stamp).
"""

import argparse
import json
import os


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", help="an English store written by `kinpaint prepare objects`")
    parser.add_argument("--out", required=True, help="the proxy store to write")
    parser.add_argument("--held-fraction", type=float, default=0.2, help="share of seen stamp kinds held out")
    parser.add_argument("--val-count", type=int, default=600, help="composites of held-out stamps in val")
    parser.add_argument("--seed", type=int, default=7, help="seed of the val composites")
    parser.add_argument("--embed", help="also cache this frozen encoder's caption vectors (e.g. minilm)")
    args = parser.parse_args(argv)

    import numpy as np

    import kinpaint.data.objects as objects
    from kinpaint.data import Store
    from kinpaint.data.corpus.catalogue import _hash_fraction
    from kinpaint.data.records import Example, Report
    from kinpaint.data.corpus.stamps import stamp_kind
    from kinpaint.data.store import write_store

    if os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists; choose another --out")
    seen = objects.split_stamps("seen")
    held = [stamp for stamp in seen if _hash_fraction("proxy unseen: " + stamp_kind(stamp.name)) < args.held_fraction]
    held_names = {stamp.name for stamp in held}
    kept = [stamp for stamp in seen if stamp.name not in held_names]
    held_texts = {stamp.descriptions["en"] for stamp in held}
    kept_texts = {stamp.descriptions["en"] for stamp in kept}
    texts = sorted(held_texts | kept_texts, key=len, reverse=True)  # longest first: "A dog." after "A dog and..."

    def description(caption):
        for text in texts:
            if caption == text or caption.startswith(text + " "):
                return text
        raise SystemExit(f"{args.source}: caption {caption!r} names no seen stamp; is it an English objects store?")

    store = Store(args.source)

    def composites(split, wanted):
        start, stop = store.split_range(split)
        images, captions = store.read_images(start, stop), store.read_captions(start, stop)
        chosen = [i for i, caption in enumerate(captions)
                  if description(caption[0]) in wanted and description(caption[0]) not in held_texts & kept_texts]
        return [(images[i], captions[i]) for i in chosen]

    train, seen_val = composites("train", kept_texts), composites("val", kept_texts)
    original = objects.split_stamps
    objects.split_stamps = lambda split, root=None: held if split == "seen" else original(split, root)
    try:
        val_images, val_captions, _ = objects.load_objects("val", count=args.val_count, seed=args.seed)
    finally:
        objects.split_stamps = original

    class Reader:
        report = Report()

        def __len__(self):
            return len(train) + len(val_images) + len(seen_val)

        def __iter__(self):
            parts = (("train", train), ("val", list(zip(val_images, val_captions))), ("test", seen_val))
            for split, examples in parts:
                for index, (image, captions) in enumerate(examples):
                    yield Example(f"proxy-{split}-{index:06d}", np.asarray(image), list(captions), split)

    write_store(args.out, Reader(), source="objects unseen proxy")
    summary = {"held_stamps": len(held), "held_kinds": len({stamp_kind(s.name) for s in held}),
               "kept_stamps": len(kept), "train": len(train), "val (held-out stamps)": len(val_images),
               "test (seen stamps, source val)": len(seen_val)}
    print(json.dumps(summary, indent=1))
    if args.embed:
        from kinpaint.captions import embed_store

        embed_store(Store(args.out), args.embed)
    return summary


if __name__ == "__main__":
    main()
