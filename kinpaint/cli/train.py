"""`kinpaint train MODEL --data STORE.h5 --out RUN`: train a model on a store, resumable."""

CAPTION_HELP = ("'words' (learned word vectors), 'chars' (character CNN + GRU), 'none', or a frozen encoder: "
                "'minilm', 'words:VECTORS.txt', 'hub:DIR' (cached vectors are used when `prepare --embed` "
                "stored them)")


def add_parser(commands):
    parser = commands.add_parser("train", help="train a model on an HDF5 store")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    context = _add_model(models, "context-encoder", "adversarial context encoder, optionally caption-conditioned "
                         "(seed 003)", "context_encoder.keras", captions="words", batch_size=64,
                         caption_policy="joined")
    context.add_argument("--widths", default="32,64,128,256", help="encoder widths, one per halving")
    context.add_argument("--adversarial-weight", type=float, default=0.001)
    context.add_argument("--caption-in-decoder", action="store_true",
                         help="tile the caption in before every decoder convolution, not only at the bottleneck")
    context.add_argument("--prefill", choices=("harmonic",), default=None,
                         help="fill the hole with its harmonic (smoothest) fill first; the network learns a correction")
    context.add_argument("--contrast-normalized", action="store_true",
                         help="with --prefill: the network sees the picture in units of its border's contrast, and "
                         "its correction is scaled back by it")
    # kinpaint.models.training.RECONSTRUCTIONS, spelled out so the parser loads without TensorFlow
    context.add_argument("--reconstruction", choices=("l2", "l1", "log_l2"), default="l2",
                         help="hole loss; log_l2 (log of each image's squared error) is what a mean PSNR rewards")
    context.set_defaults(run=run_context_encoder)

    pixel = _add_model(models, "pixel", "gated-residual likelihood inpainter, optionally caption-conditioned "
                       "(seed 004)", "pixel_inpainter.keras", captions="chars", batch_size=32)
    pixel.add_argument("--features", type=int, default=64, help="features of the gated blocks (bottleneck half)")
    pixel.add_argument("--blocks", type=int, default=16, help="number of gated residual blocks")
    pixel.add_argument("--no-caption-blocks", action="store_true", help="the caption does not condition every block")
    pixel.add_argument("--no-caption-map", action="store_true", help="no outer-product caption map in the last layers")
    pixel.set_defaults(run=run_pixel)

    gan = _add_model(models, "dcgan", "DCGAN over whole images, optionally caption-conditioned, for semantic "
                     "inpainting (seeds 000-002)", "dcgan.keras", captions="words", batch_size=64,
                     learning_rate=2e-4)
    gan.add_argument("--noise-dim", type=int, default=100)
    gan.add_argument("--condition", choices=("both", "generator"), default="both",
                     help="which networks see the caption (with --captions other than none)")
    gan.add_argument("--d-steps", type=int, default=1, help="discriminator batches per round (seeds: 30, 15)")
    gan.add_argument("--g-steps", type=int, default=1, help="generator batches per round (seeds: 10)")
    gan.add_argument("--eval-images", type=int, default=64, help="test images filled by semantic inpainting")
    gan.add_argument("--restarts", type=int, default=4, help="semantic inpainting: z's per image")
    gan.add_argument("--search-steps", type=int, default=200, help="semantic inpainting: step budget")
    gan.set_defaults(run=run_dcgan)


def _add_model(models, name, help, model_file, captions, batch_size, learning_rate=1e-3, caption_policy="random"):
    parser = models.add_parser(name, help=help, description=f"Writes RUN/{model_file} every epoch, history.csv, "
                               "loss.png and image grids, then an evaluation table on the test split.")
    parser.add_argument("--data", required=True, help="a store written by `kinpaint prepare`")
    parser.add_argument("--out", required=True, help="folder of the run")
    parser.add_argument("--captions", default=captions, help=f"{CAPTION_HELP}; default {captions!r}")
    parser.add_argument("--caption-policy", choices=("random", "joined"), default=caption_policy,
                        help="'random': one of the image's captions per step; 'joined': all of them as one text "
                        f"(the mean of cached vectors); default {caption_policy!r}")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--masks", default="centre", choices=("centre", "rectangle", "strokes"))
    parser.add_argument("--precision", default="auto",
                        help="'auto' (bfloat16 where the hardware has it), 'float32' or 'mixed_bfloat16'")
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in --out")
    group.add_argument("--force", action="store_true", help="replace the run in --out")
    return parser


def parse_widths(text):
    try:
        widths = tuple(int(width) for width in text.split(","))
    except ValueError:
        raise ValueError(f"--widths expects integers separated by commas, e.g. 32,64,128,256; got {text!r}") from None
    return widths


def _common(args):
    return dict(captions=args.captions, epochs=args.epochs, batch_size=args.batch_size, precision=args.precision,
                learning_rate=args.learning_rate, masks=args.masks, steps_per_epoch=args.steps_per_epoch,
                resume=args.resume, force=args.force, caption_policy=args.caption_policy)


def run_context_encoder(args):
    from kinpaint.recipes import train_context_encoder

    model, _ = train_context_encoder(args.data, args.out, widths=parse_widths(args.widths),
                                     adversarial_weight=args.adversarial_weight,
                                     caption_in_decoder=args.caption_in_decoder, prefill=args.prefill,
                                     contrast_normalized=args.contrast_normalized,
                                     reconstruction=args.reconstruction, **_common(args))
    _evaluate(model, args, "Context encoder")


def run_pixel(args):
    from kinpaint.recipes import train_pixel_inpainter

    model, _ = train_pixel_inpainter(args.data, args.out, features=args.features, blocks=args.blocks,
                                     caption_blocks=not args.no_caption_blocks, caption_map=not args.no_caption_map,
                                     **_common(args))
    _evaluate(model, args, "Gated pixel inpainter")


def run_dcgan(args):
    from kinpaint.recipes import train_dcgan

    model, _ = train_dcgan(args.data, args.out, noise_dim=args.noise_dim, condition=args.condition,
                           d_steps=args.d_steps, g_steps=args.g_steps, **_common(args))
    inpainter = model.semantic_inpainter(restarts=args.restarts, steps=args.search_steps)
    _evaluate(model, args, f"Semantic inpainting ({args.eval_images} test images)", inpainter=inpainter,
              batch_size=args.eval_images, max_batches=1)


def _evaluate(model, args, title, inpainter=None, batch_size=None, max_batches=None):
    import os

    from kinpaint.data import Store
    from kinpaint.recipes import TABLE_FILE, evaluate_model, split_or_whole, write_table

    split = split_or_whole(Store(args.data), "test")
    rows = evaluate_model(model, args.data, split, batch_size or args.batch_size, args.captions, args.masks,
                          max_batches, inpainter, args.caption_policy)
    print(write_table(rows, os.path.join(args.out, TABLE_FILE), f"{title} on {args.data} ({split or 'all'})"))
    print(f"run written to {args.out}")
