"""`kinpaint inpaint --model M.keras --image in.png --centre --out out.png`: fill a hole in a picture."""

from kinpaint.cli.arguments import nonnegative_int, positive_float, positive_int
from kinpaint.options import PIXEL_FILLS


def add_parser(commands):
    parser = commands.add_parser(
        "inpaint",
        help="fill a hole in a picture of any size with a trained model",
        description="The picture is resized for the model; the fill is resized back and pasted "
        "into the hole, so pixels outside the hole keep their exact values.",
    )
    parser.add_argument("--model", required=True, help="a .keras file saved by kinpaint")
    parser.add_argument("--image", required=True, help="the picture (PNG, JPEG, ...)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mask", help="a picture of the same size, white (any channel above 127) where to fill")
    where.add_argument("--centre", action="store_true", help="fill the centre square of half the side")
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
    parser.add_argument("--out", required=True, help="the PNG to write")
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    parser.set_defaults(run=run)


FILL_OPTIONS = ("restarts", "steps", "blend", "fill", "temperature")


def run(args):
    from kinpaint.pictures import inpaint_file

    options = {name: getattr(args, name) for name in FILL_OPTIONS if getattr(args, name) is not None}
    inpaint_file(args.model, args.image, args.out, mask=args.mask, captions=args.caption, method=args.method,
                 force=args.force, **options)
    print(f"wrote {args.out}")
