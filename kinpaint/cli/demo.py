"""`kinpaint demo`: train a caption-conditioned context encoder on built-in data, no download."""

from kinpaint.cli.arguments import positive_int


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="train and evaluate a caption-conditioned context encoder on built-in data",
        description="Prepares the built-in `shapes` data (captions describe the hidden centre), "
        "trains a context encoder with learned word vectors for a few minutes, and writes image "
        "grids, a loss-curve PNG, an evaluation table and the saved model into --out.",
    )
    parser.add_argument("--out", default="kinpaint-output/demo", help="folder of the run")
    parser.add_argument("--epochs", type=positive_int, default=6)
    parser.add_argument("--train-images", type=positive_int, default=4000)
    parser.add_argument("--force", action="store_true", help="replace an earlier demo in --out")
    parser.set_defaults(run=run)


def run(args):
    from kinpaint.recipes import demo

    paths, table = demo(args.out, args.epochs, args.train_images, args.force)
    print(table)
    for label, path in paths.items():
        print(f"{label:>12}: {path}")
