"""`kinpaint train MODEL --data STORE.h5 --out RUN`: train a model on a store, resumable."""

import os

from kinpaint.cli.arguments import learning_rate, nonnegative_float, nonnegative_int, positive_int, positive_int_list
from kinpaint.options import (
    CAPTION_CHOICES_HELP,
    MASK_KINDS,
    MODEL_FILES,
    PRECISIONS,
    RECONSTRUCTIONS,
    TRAINING_CAPTION_POLICIES,
)
from kinpaint.run_config import MODEL_RUN_DEFAULTS, RunConfig

MODEL_HELP = {
    "context-encoder": "adversarial context encoder, optionally caption-conditioned (seed 003)",
    "pixel": "gated-residual likelihood inpainter, optionally caption-conditioned (seed 004)",
    "dcgan": "DCGAN over whole images, optionally caption-conditioned, for semantic inpainting (seeds 000-002)",
    "fourier": "harmonic fill corrected by Fourier and gated convolutions; fills pictures of any size",
}
MODEL_DEFAULT = " (default: the model's)"


def add_parser(commands):
    parser = commands.add_parser("train", help="train a model on an HDF5 store")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    context = _add_model(models, "context-encoder")
    context.add_argument("--widths", type=positive_int_list,
                         help="encoder widths, one per halving, e.g. 32,64,128,256" + MODEL_DEFAULT)
    context.add_argument("--adversarial-weight", type=nonnegative_float,
                         help="weight of the adversarial loss" + MODEL_DEFAULT)
    context.add_argument("--caption-in-decoder", action="store_const", const=True,
                         help="tile the caption in before every decoder convolution, not only at the bottleneck")
    context.add_argument("--prefill", choices=("harmonic",),
                         help="fill the hole with its harmonic (smoothest) fill first; the network learns a correction")
    context.add_argument("--contrast-normalized", action="store_const", const=True,
                         help="with --prefill: the network sees the picture in units of its border's contrast, and "
                         "its correction is scaled back by it")
    context.add_argument("--reconstruction", choices=RECONSTRUCTIONS,
                         help="hole loss; log_l2 (log of each image's squared error) is what a mean PSNR rewards"
                         + MODEL_DEFAULT)

    pixel = _add_model(models, "pixel")
    pixel.add_argument("--features", type=positive_int,
                       help="features of the gated blocks (bottleneck half)" + MODEL_DEFAULT)
    pixel.add_argument("--blocks", type=positive_int, help="number of gated residual blocks" + MODEL_DEFAULT)
    pixel.add_argument("--no-caption-blocks", dest="caption_blocks", action="store_const", const=False,
                       help="the caption does not condition every block")
    pixel.add_argument("--no-caption-map", dest="caption_map", action="store_const", const=False,
                       help="no outer-product caption map in the last layers")

    gan = _add_model(models, "dcgan")
    gan.add_argument("--noise-dim", type=positive_int, help="size of the noise z" + MODEL_DEFAULT)
    gan.add_argument("--condition", choices=("both", "generator"),
                     help="which networks see the caption (with --captions other than none)" + MODEL_DEFAULT)
    gan.add_argument("--d-steps", type=positive_int,
                     help="discriminator batches per round (seeds: 30, 15)" + MODEL_DEFAULT)
    gan.add_argument("--g-steps", type=positive_int, help="generator batches per round (seeds: 10)" + MODEL_DEFAULT)
    gan.add_argument("--eval-images", type=positive_int, default=64, help="test images filled by semantic inpainting")
    gan.add_argument("--restarts", type=positive_int, default=4, help="semantic inpainting: z's per image")
    gan.add_argument("--search-steps", type=nonnegative_int, default=200, help="semantic inpainting: step budget")

    fourier = _add_model(models, "fourier")
    fourier.add_argument("--width", type=positive_int,
                         help="features of the first layer, doubled per halving" + MODEL_DEFAULT)
    fourier.add_argument("--blocks", type=positive_int, help="residual Fourier-convolution blocks" + MODEL_DEFAULT)
    fourier.add_argument("--downsamples", type=nonnegative_int,
                         help="halvings before the Fourier blocks" + MODEL_DEFAULT)
    fourier.add_argument("--reconstruction", choices=RECONSTRUCTIONS, help="hole loss (default: log_l2)")
    fourier.add_argument("--object-layer", action="store_const", const=True,
                         help="also paint a layer of colour and opacity over the fill (with --captions: an object)")
    fourier.add_argument("--adversarial-weight", type=nonnegative_float,
                         help="weight of a patch discriminator's loss, which rewards texture where the hole loss "
                         "alone paints the mean; with --init the discriminator starts fresh (default: 0, none)")
    fourier.add_argument("--discriminator-stem", action="store_const", const=True,
                         help="with --adversarial-weight: the discriminator starts with a full-resolution convolution")
    fourier.add_argument("--discriminator-shift", action="store_const", const=True,
                         help="with --adversarial-weight: the discriminator sees real and filled pictures cropped at "
                         "one random offset per step, so its stride grid meets them at a new phase")
    fourier.add_argument("--r1-weight", type=nonnegative_float,
                         help="with --adversarial-weight: weight of the R1 gradient penalty on real pictures in the "
                         "discriminator's loss (default: 0, none)")
    fourier.add_argument("--feature-matching-weight", type=nonnegative_float,
                         help="with --adversarial-weight: weight of the L1 distance between the hole's features and "
                         "the true picture's in the discriminator's hidden layers (default: 0, none)")
    fourier.add_argument("--discriminator-learning-rate", type=learning_rate,
                         help="with --adversarial-weight: the discriminator's Adam step (default 2e-4, beta_1 0.5)")
    fourier.add_argument("--caption-noise", type=nonnegative_float,
                         help="with --captions: Gaussian noise added to each caption vector in training, this many "
                         "times its root mean square component, so captions never seen map to fills more smoothly "
                         "(default: 0, none)")


def _add_model(models, name):
    defaults = MODEL_RUN_DEFAULTS[name]
    parser = models.add_parser(name, help=MODEL_HELP[name], description=f"Writes RUN/{MODEL_FILES[name]} every "
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
    parser.add_argument("--init", metavar="MODEL",
                        help="start from this trained model's weights (a .keras file or a pretrained name such as "
                        "photos), with a fresh optimizer: fine-tuning; its architecture and captions are kept, except "
                        "that --captions adds captions to a fourier model trained without (they start as the identity)")
    parser.add_argument("--no-test", action="store_true",
                        help="skip the evaluation table on the test split, for runs whose choice is made on val")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in --out")
    group.add_argument("--force", action="store_true", help="replace the run in --out")
    parser.set_defaults(run=run)
    return parser


RUN_FIELDS = ("captions", "caption_policy", "epochs", "batch_size", "learning_rate", "masks", "precision",
              "steps_per_epoch", "resume", "force", "init")
NOT_SETTINGS = ("command", "debug", "model", "run", "data", "out", "eval_images", "restarts", "search_steps",
                "no_test")


def run(args):
    from kinpaint.recipes import check_resumed_settings, evaluate_run, run_config, train

    settings = {name: value for name, value in vars(args).items()
                if name not in NOT_SETTINGS and (name in RUN_FIELDS or value is not None)}
    config = run_config(args.model, args.data, args.out, **settings)
    if args.resume and args.learning_rate is not None:  # model settings are checked by train()
        check_resumed_settings(os.path.join(config.out, config.model_file), {"learning_rate": args.learning_rate})
    model, _ = train(config)
    if args.no_test:
        print(f"run written to {config.out} (not evaluated on the test split: --no-test)")
        return
    search = {"restarts": args.restarts, "steps": args.search_steps} if args.model == "dcgan" else None
    print(evaluate_run(model, config, search, getattr(args, "eval_images", None)))
    print(f"run written to {config.out}")
