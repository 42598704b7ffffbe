"""`kinpaint inpaint --model M.keras --image in.png --centre --out out.png`: fill a hole in a picture."""


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
    where.add_argument("--mask", help="a picture of the same size, white (or non-zero) where to fill")
    where.add_argument("--centre", action="store_true", help="fill the centre square of half the side")
    parser.add_argument("--caption", action="append",
                        help="what the hidden part shows; repeat it for several captions (joined into one text)")
    parser.add_argument("--method", choices=("auto", "semantic"), default="auto",
                        help="'semantic': latent search in a DCGAN (Yeh et al.); 'auto' (default): the "
                        "model's own fill, semantic for a DCGAN")
    parser.add_argument("--restarts", type=int, default=8, help="semantic: z's tried")
    parser.add_argument("--steps", type=int, default=500, help="semantic: step budget of the search")
    parser.add_argument("--no-blend", action="store_true", help="semantic: paste G(z) without Poisson blending")
    parser.add_argument("--fill", choices=("mean", "mode", "sample"), default="mean",
                        help="pixel model: expected value (default), most likely value, or a sample")
    parser.add_argument("--temperature", type=float, default=1.0, help="pixel model: sampling temperature")
    parser.add_argument("--out", required=True, help="the PNG to write")
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    parser.set_defaults(run=run)


def read_hole(args, shape):
    import numpy as np

    if args.centre:
        height, width = shape
        hole = np.zeros(shape, bool)
        hole[height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2] = True
        return hole
    from kinpaint.images import load_image

    mask, _ = load_image(args.mask)
    hole = mask.max(axis=-1) > 127
    if not hole.any():
        raise ValueError(f"{args.mask} marks no pixel to fill (white = fill)")
    return hole


def joined_caption(captions):
    """The `--caption` values as one text (as `caption_policy="joined"` trains), or None."""
    if not captions:
        return None
    from kinpaint.data.pipeline import CAPTION_SEPARATOR

    for number, caption in enumerate(captions, 1):
        if not caption.strip():
            raise ValueError(f"--caption number {number} is empty; leave it out to fill without a caption")
    return CAPTION_SEPARATOR.join(captions)


def choose_inpainter(model, args):
    """What fills the hole: the model's own `inpaint`, a semantic search, or a pixel model's sampler."""
    from kinpaint.inpainting import check_inpainter
    from kinpaint.models import DCGAN, GatedPixelInpainter

    if isinstance(model, DCGAN):
        return model.semantic_inpainter(restarts=args.restarts, steps=args.steps, blend=not args.no_blend)
    if args.method == "semantic":
        raise ValueError(f"--method semantic searches a DCGAN's latent space; {args.model} holds a "
                         f"{type(model).__name__}")
    if isinstance(model, GatedPixelInpainter):
        return model.sampler(args.temperature, fill=args.fill)
    return check_inpainter(model)


def run(args):
    import os

    from kinpaint.files import check_can_write
    from kinpaint.images import load_image, save_png
    from kinpaint.inpainting import inpaint_full_resolution
    from kinpaint.saving import load_model

    if not os.path.exists(args.model):
        raise FileNotFoundError(f"model file not found: {args.model}")
    if os.path.abspath(args.out) in (os.path.abspath(args.image), os.path.abspath(args.mask or args.image)):
        raise ValueError(f"--out {args.out} would overwrite an input")
    check_can_write(args.out, args.force)
    pixels, conversions = load_image(args.image)
    if conversions:
        print(f"{args.image}: {', '.join(conversions)}")
    hole = read_hole(args, pixels.shape[:2])
    model = load_model(args.model)
    inpainter = choose_inpainter(model, args)
    caption = joined_caption(args.caption)
    if caption is not None and not getattr(model, "conditioned", False):
        print("note: this model does not read captions; --caption is ignored")
    filled = inpaint_full_resolution(inpainter, pixels, hole, model.image_size, caption)
    save_png(args.out, filled)
    print(f"wrote {args.out}")
