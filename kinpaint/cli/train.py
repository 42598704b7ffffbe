"""`kinpaint train MODEL --data STORE.h5 --out RUN`: train a model on a store, resumable."""

import os

from kinpaint.cli.arguments import add_trust_flag, learning_rate, nonnegative_int, positive_int
from kinpaint.model_kinds import model_kinds
from kinpaint.options import CAPTION_CHOICES_HELP, MASK_KINDS, PRECISIONS, TRAINING_CAPTION_POLICIES
from kinpaint.run_config import RunConfig


def add_parser(commands):
    parser = commands.add_parser("train", help="train a model on an HDF5 store")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    for kind in model_kinds():
        _add_model(models, kind)


def _add_model(models, kind):
    """`kinpaint train KIND`: the run's flags, then the kind's own (`ModelKind.flags`)."""
    defaults = kind.run_defaults
    parser = models.add_parser(kind.name, help=kind.help, description=f"Writes RUN/{kind.model_file} every "
                               "epoch, history.csv, loss.png and image grids, then an evaluation table on the test "
                               "split (unless --no-test).")
    parser.add_argument("--data", required=True, help="a store written by `kinpaint prepare`")
    parser.add_argument("--out", required=True, help="folder of the run")
    parser.add_argument("--captions", default=defaults["captions"],
                        help=f"{CAPTION_CHOICES_HELP}; default {defaults['captions']!r}")
    parser.add_argument("--caption-policy", choices=TRAINING_CAPTION_POLICIES, default=defaults["caption_policy"],
                        help="'random': one of the image's captions per step; 'joined': all of them as one text "
                        f"(the mean of cached vectors); default {defaults['caption_policy']!r}")
    parser.add_argument("--epochs", type=positive_int, default=RunConfig.epochs)
    parser.add_argument("--batch-size", type=positive_int, default=defaults["batch_size"])
    parser.add_argument("--learning-rate", type=learning_rate,
                        help=f"above 0, at most 1 (default {defaults['learning_rate']:g})")
    parser.add_argument("--masks", default=RunConfig.masks, choices=MASK_KINDS)
    parser.add_argument("--precision", default=RunConfig.precision, choices=PRECISIONS,
                        help="'auto' (bfloat16 where the hardware has it), 'float32' or 'mixed_bfloat16'")
    parser.add_argument("--steps-per-epoch", type=positive_int, default=None)
    captions = ("; --captions adds captions to a model trained without them (they start as the identity)"
                if kind.init_adds_captions else "")
    parser.add_argument("--init", metavar="MODEL",
                        help="start from this trained model's weights (a .keras file or a pretrained name such as "
                        "photos), with a fresh optimizer: fine-tuning; its architecture and captions are kept"
                        + captions)
    add_trust_flag(parser)
    parser.add_argument("--no-test", action="store_true",
                        help="skip the evaluation table on the test split, for runs whose choice is made on val")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in --out")
    group.add_argument("--force", action="store_true", help="replace the run in --out")
    for names, options in kind.flags:
        parser.add_argument(*names, **options)
    if kind.latent_search:
        parser.add_argument("--eval-images", type=positive_int, default=64,
                            help="test images filled by semantic inpainting")
        parser.add_argument("--restarts", type=positive_int, default=4, help="semantic inpainting: z's per image")
        parser.add_argument("--search-steps", type=nonnegative_int, default=200,
                            help="semantic inpainting: step budget")
    parser.set_defaults(run=run, kind=kind)
    return parser


RUN_FIELDS = ("captions", "caption_policy", "epochs", "batch_size", "learning_rate", "masks", "precision",
              "steps_per_epoch", "resume", "force", "init")
NOT_SETTINGS = ("command", "debug", "model", "kind", "run", "data", "out", "eval_images", "restarts", "search_steps",
                "no_test", "trust_model_code")


def run(args):
    from kinpaint.evaluation import evaluate_run
    from kinpaint.recipes import run_config, train
    from kinpaint.resumed_settings import check_resumed_settings

    settings = {name: value for name, value in vars(args).items()
                if name not in NOT_SETTINGS and (name in RUN_FIELDS or value is not None)}
    config = run_config(args.model, args.data, args.out, **settings)
    if args.resume and args.learning_rate is not None:  # model settings are checked by train()
        check_resumed_settings(os.path.join(config.out, config.model_file), {"learning_rate": args.learning_rate})
    model, _ = train(config)
    if args.no_test:
        print(f"run written to {config.out} (not evaluated on the test split: --no-test)")
        return
    search = {"restarts": args.restarts, "steps": args.search_steps} if args.kind.latent_search else None
    print(evaluate_run(model, config, search, getattr(args, "eval_images", None)))
    print(f"run written to {config.out}")
