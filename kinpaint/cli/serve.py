"""`kinpaint serve [--model M.keras | NAME ...]`: a local web page to paint a hole in a picture and fill it with
one of the models served."""

from kinpaint.cli.arguments import add_trust_flag, nonnegative_int, positive_float, positive_int
from kinpaint.serve import (DEFAULT_MAX_FILL_PIXELS, DEFAULT_MAX_PIXELS, DEFAULT_MAX_UPLOAD_MB, DEFAULT_MAX_WAITING,
                            DEFAULT_MODELS, DEFAULT_TIMEOUT)


def add_parser(commands):
    parser = commands.add_parser(
        "serve",
        help="a web page on this computer: open a picture, paint the hole, fill it with a model",
        description="Loads the models once and serves a page (http://127.0.0.1:8000/ by default) where you "
        "open a picture, paint the hole with a brush, choose the model when there are several, type captions "
        "when it reads them, press Fill "
        "and download the result at the picture's own size. Needs the serve extra: pip install \"kinpaint[serve]\". "
        "Every request has a budget: the limits below are checked before the work they bound.",
    )
    parser.add_argument("--model", action="append",
                        help="a .keras file saved by kinpaint, or a preset's name; repeat it to offer several, "
                        "which the page chooses between, the first the default (default: the presets that ship "
                        f"with kinpaint, {' and '.join(DEFAULT_MODELS)})")
    add_trust_flag(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; only requests addressed "
                        "to it are answered; 0.0.0.0 opens it to the network, with no password, and warns)")
    parser.add_argument("--port", type=nonnegative_int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--max-upload-mb", type=positive_float, default=DEFAULT_MAX_UPLOAD_MB,
                        help=f"largest request in MiB: the picture and mask travel as base64, about 4/3 of their "
                        f"file size (default {DEFAULT_MAX_UPLOAD_MB})")
    parser.add_argument("--max-pixels", type=positive_int, default=DEFAULT_MAX_PIXELS,
                        help=f"largest picture in pixels, read from its header before it is decoded "
                        f"(default {DEFAULT_MAX_PIXELS:,})")
    parser.add_argument("--max-fill-pixels", type=positive_int, default=DEFAULT_MAX_FILL_PIXELS,
                        help=f"most pixels the model fills at once, where its time and memory go: the picture up "
                        f"to a megapixel, else the painted hole's box with the context around it "
                        f"(default {DEFAULT_MAX_FILL_PIXELS:,})")
    parser.add_argument("--max-waiting", type=nonnegative_int, default=DEFAULT_MAX_WAITING,
                        help=f"requests that may wait behind the one being filled; more get 503 with a retry hint "
                        f"(default {DEFAULT_MAX_WAITING})")
    parser.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT,
                        help=f"seconds from a request's arrival to its answer, waiting included: 503 while it "
                        f"waits, 504 once in the model (default {DEFAULT_TIMEOUT})")
    parser.set_defaults(run=run)


def run(args):
    from kinpaint.serve import serve

    try:
        serve(args.model, host=args.host, port=args.port, max_upload_mb=args.max_upload_mb, max_pixels=args.max_pixels,
              max_fill_pixels=args.max_fill_pixels, max_waiting=args.max_waiting, timeout=args.timeout)
    except FileNotFoundError as error:
        if not args.model:
            raise FileNotFoundError(f"{error}; pass --model M.keras (a model saved by kinpaint)") from error
        raise
