"""`kinpaint serve [--model M.keras | NAME]`: a local web page to paint a hole in a picture and fill it."""

from kinpaint.cli.arguments import add_trust_flag, nonnegative_int, positive_float
from kinpaint.serve import DEFAULT_MAX_UPLOAD_MB


def add_parser(commands):
    parser = commands.add_parser(
        "serve",
        help="a web page on this computer: open a picture, paint the hole, fill it with a model",
        description="Loads the model once and serves a page (http://127.0.0.1:8000/ by default) where you "
        "open a picture, paint the hole with a brush, type captions when the model reads them, press Fill "
        "and download the result at the picture's own size. Needs the serve extra: pip install \"kinpaint[serve]\".",
    )
    parser.add_argument("--model", help="a .keras file saved by kinpaint, or a preset's name "
                        "(default: photos, the pretrained model that ships with kinpaint)")
    add_trust_flag(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 opens it to "
                        "the network, with no password)")
    parser.add_argument("--port", type=nonnegative_int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--max-upload-mb", type=positive_float, default=DEFAULT_MAX_UPLOAD_MB,
                        help=f"largest request in MiB: the picture and mask travel as base64, about 4/3 of their "
                        f"file size (default {DEFAULT_MAX_UPLOAD_MB})")
    parser.set_defaults(run=run)


def run(args):
    from kinpaint.serve import serve

    try:
        serve(args.model, host=args.host, port=args.port, max_upload_mb=args.max_upload_mb)
    except FileNotFoundError as error:
        if args.model is None:
            raise FileNotFoundError(f"{error}; pass --model M.keras (a model saved by kinpaint)") from error
        raise
