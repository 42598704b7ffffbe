"""`kinpaint demo`: train a caption-conditioned context encoder on built-in data, no download."""

from kinpaint.cli.arguments import nonnegative_float, positive_int, positive_int_list
from kinpaint.options import PRECISIONS


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="train and evaluate a caption-conditioned context encoder on built-in data",
        description="Prepares the built-in `shapes` data (captions describe the hidden centre), "
        "trains a small context encoder with learned word vectors for a time budget (the run is sized to the "
        "machine: it stops at the epoch after which one more would overrun --minutes), and writes image grids, "
        "a loss-curve PNG, an evaluation table (with and without captions) and the saved model into --out.",
    )
    parser.add_argument("--out", default="kinpaint-output/demo", help="folder of the run")
    parser.add_argument("--minutes", type=nonnegative_float, default=1.5,
                        help="training time budget in minutes (0: no budget, train every epoch)")
    parser.add_argument("--epochs", type=positive_int, default=60, help="most epochs")
    parser.add_argument("--steps-per-epoch", type=positive_int, default=20, help="batches per epoch")
    parser.add_argument("--train-images", type=positive_int, default=4000)
    parser.add_argument("--test-images", type=positive_int, default=1000)
    parser.add_argument("--widths", type=positive_int_list, default=None,
                        help="the encoder's widths, comma-separated (default: 16,32,64,128, or 8,16,32,64 where "
                        "its first steps show that fewer than 400 would fit the budget)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    parser.add_argument("--force", action="store_true", help="replace an earlier demo in --out")
    parser.set_defaults(run=run)


def run(args):
    from kinpaint.demo import demo

    paths, table, _ = demo(args.out, args.minutes or None, args.epochs, args.steps_per_epoch, args.train_images,
                           args.test_images, args.widths, args.precision, args.force)
    print(table)
    for label, path in paths.items():
        print(f"{label:>12}: {path}")
