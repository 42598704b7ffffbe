"""`kinpaint evaluate --data D --methods M1 M2 ... --out DIR`: one table for every method."""

from kinpaint.cli.arguments import add_trust_flag, nonnegative_int, positive_int
from kinpaint.options import MASK_KINDS


def add_parser(commands):
    parser = commands.add_parser(
        "evaluate",
        help="measure models and classical fills on the same images and masks, with a caption ablation",
        description="Writes DIR/results.md (means with 95%% bootstrap intervals, and for caption-aware "
        "models the gaps true - other captions and true - none), DIR/results.csv (one row per method x "
        "image) and DIR/grid.png.",
    )
    parser.add_argument("--data", required=True, help="a store written by `kinpaint prepare`, or 'shapes' / 'photos'")
    parser.add_argument("--methods", nargs="+", required=True,
                        help="baselines by name (mean, harmonic, biharmonic, telea, navier-stokes, patchmatch), "
                        "presets by name (photos) and .keras files saved by kinpaint; a model followed by @SIDE fills "
                        "through the resize path at that side (photos@64)")
    add_trust_flag(parser)
    parser.add_argument("--split", default="test")
    parser.add_argument("--masks", choices=MASK_KINDS, default="centre")
    parser.add_argument("--count", type=positive_int, help="evaluate the first COUNT images only")
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the masks (and of built-in data)")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--captions", choices=("joined", "first"), default="joined",
                        help="the text a model reads: all of the image's captions joined (default) or the first")
    parser.add_argument("--embeddings", help="cached caption vectors of the store, for models that read vectors")
    parser.add_argument("--restarts", type=positive_int, default=4,
                        help="DCGAN files: semantic inpainting's z's per image")
    parser.add_argument("--steps", type=nonnegative_int, default=200,
                        help="DCGAN files: semantic inpainting's step budget")
    parser.add_argument("--realism", action="store_true",
                        help="also measure each method's realism: a small classifier, trained afresh per method, "
                        "tells its fills from the truth on other photographs (0.5: cannot tell; 1: always); "
                        "minutes per method (docs/metrics.md)")
    parser.add_argument("--out", required=True, help="the folder of the report")
    parser.add_argument("--force", action="store_true",
                        help="replace the report kinpaint evaluate wrote in an existing --out (never other files)")
    parser.set_defaults(run=run)


def run(args):
    import shlex
    import sys

    from kinpaint.evaluation import evaluate, markdown
    from kinpaint.evaluation.comparison import check_report_folder

    check_report_folder(args.out, args.data, args.methods, args.embeddings, args.force)
    command = "kinpaint " + " ".join(shlex.quote(argument) for argument in sys.argv[1:]) if sys.argv else None
    evaluation = evaluate(args.data, args.methods, split=args.split, masks=args.masks, count=args.count,
                          seed=args.seed, batch_size=args.batch_size, captions=args.captions,
                          embeddings=args.embeddings, search={"restarts": args.restarts, "steps": args.steps},
                          out=args.out, force=args.force, command=command, realism=args.realism)
    print(markdown(evaluation))
    print(f"report written to {args.out}")
