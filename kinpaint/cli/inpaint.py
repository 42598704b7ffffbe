"""`kinpaint inpaint --image in.png --centre --out out.png`: fill a hole in a picture, or in every
picture of a folder (`--images DIR --masks DIR --out DIR`)."""

import sys

from kinpaint.cli.arguments import add_trust_flag, nonnegative_int, positive_float, positive_int
from kinpaint.options import PIXEL_FILLS

FOLDER_FORMATS = ("png", "jpg", "webp", "bmp", "tif")


def add_parser(commands):
    parser = commands.add_parser(
        "inpaint",
        help="fill a hole in a picture (or a folder of pictures) of any size with a trained model",
        description="Pixels outside the hole keep their exact values. A model that fills any size (the "
        "pretrained one) fills at the picture's own resolution; others fill the picture resized to their size "
        "and paste the fill, resized back, into the hole.",
    )
    parser.add_argument("--model", help="a .keras file saved by kinpaint, or a preset's name "
                        "(default: photos, the pretrained model that ships with kinpaint)")
    add_trust_flag(parser)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--image", help="the picture (PNG, JPEG, ...)")
    what.add_argument("--images", metavar="DIR", help="a folder of pictures, filled in batches; rerun to resume")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mask", "--masks", dest="mask",
                       help="a picture of the same size, white (any channel above 127) where to fill; with "
                       "--images, a folder of masks matched by file name without suffix, or one mask for all")
    where.add_argument("--centre", action="store_true", help="fill the centre rectangle of half the height and width")
    parser.add_argument("--caption", action="append",
                        help="what the hidden part shows; repeat it for several captions (joined into one text)")
    parser.add_argument("--method", choices=("auto", "semantic"), default="auto",
                        help="'semantic': latent search in a DCGAN (Yeh et al.); 'auto' (default): the "
                        "model's own fill, semantic for a DCGAN")
    parser.add_argument("--restarts", type=positive_int, help="semantic: z's tried (default 8)")
    parser.add_argument("--steps", type=nonnegative_int, help="semantic: step budget of the search (default 500)")
    parser.add_argument("--no-blend", dest="blend", action="store_const", const=False,
                        help="semantic: paste G(z) without Poisson blending")
    parser.add_argument("--fill", choices=PIXEL_FILLS,
                        help="pixel model: expected value (default 'mean'), most likely value, or a sample")
    parser.add_argument("--temperature", type=positive_float, help="pixel model: sampling temperature (default 1)")
    parser.add_argument("--out", required=True,
                        help="the picture to write (.png, .jpg, .webp, .bmp or .tif, by its suffix); with --images, "
                        "the folder to write to")
    parser.add_argument("--batch-size", type=positive_int, help="--images: pictures a model call (default 8)")
    parser.add_argument("--format", choices=FOLDER_FORMATS, help="--images: the outputs' format (default png)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (never the model, picture or mask); with --images, fill again "
                        "the pictures it filled before, never a file in --out that it did not write")
    parser.set_defaults(run=run)


FILL_OPTIONS = ("restarts", "steps", "blend", "fill", "temperature")


def run(args):
    options = {name: getattr(args, name) for name in FILL_OPTIONS if getattr(args, name) is not None}
    if args.images is not None:
        return run_folder(args, options)
    for name in ("batch_size", "format"):
        if getattr(args, name) is not None:
            raise ValueError(f"--{name.replace('_', '-')} goes with --images; with --image the suffix of --out "
                             "chooses the format")
    from kinpaint.pictures import inpaint_file

    inpaint_file(args.model, args.image, args.out, mask=args.mask, captions=args.caption, method=args.method,
                 force=args.force, **options)
    print(f"wrote {args.out}")


def run_folder(args, options):
    from kinpaint.folders import ProgressLine, inpaint_folder

    summary = inpaint_folder(args.model, args.images, args.out, masks=args.mask, centre=args.centre,
                             batch_size=args.batch_size or 8, captions=args.caption, method=args.method,
                             suffix=f".{args.format or 'png'}", force=args.force, progress=ProgressLine(),
                             **options)
    if summary.ok:
        return 0
    print(f"kinpaint inpaint: error: {len(summary.failed)} of {summary.pictures} pictures failed (listed above); "
          "the others are written, and a rerun fills only what is missing", file=sys.stderr)
    return 2
