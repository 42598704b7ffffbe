"""`kinpaint train context-encoder --data STORE.h5 --out RUN`: train on a store, resumable."""


def add_parser(commands):
    parser = commands.add_parser("train", help="train a model on an HDF5 store")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    context = models.add_parser(
        "context-encoder",
        help="adversarial context encoder, optionally caption-conditioned (seed 003)",
        description="Writes RUN/context_encoder.keras every epoch, history.csv, loss.png and "
        "image grids, then an evaluation table on the test split.",
    )
    context.add_argument("--data", required=True, help="a store written by `kinpaint prepare`")
    context.add_argument("--out", required=True, help="folder of the run")
    context.add_argument("--captions", default="words",
                         help="'words' (learned word vectors, default), 'chars', 'none', or a frozen "
                         "encoder: 'minilm', 'words:VECTORS.txt', 'hub:DIR' (cached vectors are used "
                         "when `prepare --embed` stored them)")
    context.add_argument("--epochs", type=int, default=10)
    context.add_argument("--batch-size", type=int, default=64)
    context.add_argument("--widths", default="32,64,128,256", help="encoder widths, one per halving")
    context.add_argument("--learning-rate", type=float, default=1e-3)
    context.add_argument("--adversarial-weight", type=float, default=0.001)
    context.add_argument("--masks", default="centre", choices=("centre", "rectangle", "strokes"))
    context.add_argument("--precision", default="auto",
                         help="'auto' (bfloat16 where the hardware has it), 'float32' or 'mixed_bfloat16'")
    context.add_argument("--steps-per-epoch", type=int, default=None)
    group = context.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in --out")
    group.add_argument("--force", action="store_true", help="replace the run in --out")
    context.set_defaults(run=run)


def parse_widths(text):
    try:
        widths = tuple(int(width) for width in text.split(","))
    except ValueError:
        raise ValueError(f"--widths expects integers separated by commas, e.g. 32,64,128,256; got {text!r}") from None
    return widths


def run(args):
    import os

    from kinpaint.data import Store
    from kinpaint.recipes import (TABLE_FILE, evaluate_context_encoder, split_or_whole, train_context_encoder,
                                  write_table)

    model, _ = train_context_encoder(
        args.data, args.out, captions=args.captions, epochs=args.epochs, batch_size=args.batch_size,
        widths=parse_widths(args.widths), precision=args.precision, adversarial_weight=args.adversarial_weight,
        learning_rate=args.learning_rate, masks=args.masks, steps_per_epoch=args.steps_per_epoch,
        resume=args.resume, force=args.force,
    )
    split = split_or_whole(Store(args.data), "test")
    rows = evaluate_context_encoder(model, args.data, split, args.batch_size, args.captions, args.masks)
    print(write_table(rows, os.path.join(args.out, TABLE_FILE), f"Context encoder on {args.data} ({split or 'all'})"))
    print(f"run written to {args.out}")
