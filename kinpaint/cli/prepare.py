"""`kinpaint prepare SOURCE --out STORE.h5`: write a dataset to an HDF5 store."""

import contextlib
import signal
import threading

from kinpaint.cli.arguments import nonnegative_int, positive_int
from kinpaint.data.sources import FORMATS


def add_parser(commands):
    parser = commands.add_parser(
        "prepare",
        help="write images and captions to an HDF5 store",
        description="Read SOURCE (a built-in dataset name, or a folder in the IFT6266, "
        "MSCOCO or plain-folder layout) and write an HDF5 store. Bad files are skipped "
        "and reported; an existing store is never overwritten without --force.",
    )
    parser.add_argument("source", help="'shapes', 'photos', or a folder")
    parser.add_argument("--out", help="the .h5 store to write")
    parser.add_argument("--convert-captions", metavar="OUT.jsonl",
                        help="instead of a store: write the caption pickle of an IFT6266 folder as JSON lines "
                        "(read as plain data; the folder is then read from them, name it DIR/captions.jsonl)")
    parser.add_argument("--format", choices=FORMATS, help="layout of SOURCE (default: detected)")
    parser.add_argument("--size", type=positive_int, default=64, help="image side in pixels (default 64, at most 1024)")
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the built-in datasets")
    parser.add_argument(
        "--count", action="append", default=[], metavar="SPLIT=N",
        help="images of a built-in split, e.g. --count train=1000 (repeatable)",
    )
    parser.add_argument(
        "--embed", action="append", default=[], metavar="ENCODER",
        help="also cache every caption's embedding by a frozen encoder: 'minilm', "
        "'words:VECTORS.txt' or 'hub:SAVEDMODEL_DIR' (repeatable)",
    )
    parser.add_argument(
        "--caption-language", default="en", metavar="LANG",
        help="language of the captions of 'objects': en (default), fr, de, ... (the stamps' own translations)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing store")
    parser.set_defaults(run=run)


def parse_counts(items):
    counts = {}
    for item in items:
        split, _, number = item.partition("=")
        if not number.isdigit():
            raise ValueError(f"--count expects SPLIT=N, e.g. train=1000; got {item!r}")
        counts[split] = int(number)
    return counts


def run(args):
    if args.convert_captions:
        return convert(args)
    if not args.out:
        raise ValueError("--out STORE.h5 is required (or --convert-captions OUT.jsonl)")
    from kinpaint.data.store_layout import MAX_IMAGE_SIDE

    if args.size > MAX_IMAGE_SIDE:
        raise ValueError(f"--size {args.size}: a store's images have a side of at most {MAX_IMAGE_SIDE} pixels")
    from kinpaint.data.sources import open_reader
    from kinpaint.data.store import Store, write_store

    reader = open_reader(args.source, args.format, args.size, parse_counts(args.count), args.seed,
                         language=args.caption_language)  # cheap: a bad source fails at once
    encoders = {}
    if args.embed:  # TensorFlow loads only for them
        from kinpaint.captions import frozen_caption_encoder

        encoders = {name: frozen_caption_encoder(name) for name in args.embed}  # bad names fail before any work
    if args.source in ("photos", "photos:corpus", "photos:wheels"):
        from kinpaint.data.builtin import photo_set
        from kinpaint.data.photos import describe_photo_set

        print(describe_photo_set(photo_set(args.source)))
    print(f"preparing {args.source} -> {args.out}")
    source = args.source if args.caption_language == "en" else f"{args.source} ({args.caption_language} captions)"
    with terminate_as_exit():  # `kill` then unwinds like Ctrl-C: the temporary store is removed
        write_store(args.out, reader, force=args.force, source=source)
    for name, encoder in encoders.items():
        from kinpaint.captions import embed_store

        print(f"embedding captions with {name}")
        embed_store(Store(args.out), name, encoder=encoder)
    print(Store(args.out).summary())


@contextlib.contextmanager
def terminate_as_exit():
    """Within the block, SIGTERM raises `SystemExit(143)` (in the main thread only), so the
    `finally` and `except` clauses around a write run (`kinpaint.files.atomic_path` removes its
    temporary file) instead of the process ending where it stands."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def convert(args):
    from kinpaint.data.ift6266 import convert_caption_pickle

    if args.out or args.count or args.embed or args.format not in (None, "ift6266"):
        raise ValueError("--convert-captions writes only the captions of an IFT6266 folder; leave out --out, "
                         "--count, --embed and --format")
    written, orphans = convert_caption_pickle(args.source, args.convert_captions, force=args.force)
    print(f"wrote the captions of {written} image(s) to {args.convert_captions}"
          + (f"; {orphans} pickle entr(ies) name no image in {args.source} and were left out" if orphans else ""))
