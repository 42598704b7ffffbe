"""Entry point of the `kinpaint` command."""

import argparse
import sys

from kinpaint.cli import demo, evaluate, info, inpaint, prepare, train

COMMANDS = (demo, prepare, info, train, inpaint, evaluate)
USER_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, ValueError, KeyError,
               ModuleNotFoundError)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kinpaint", description="Caption-conditioned image inpainting with Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except USER_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"kinpaint {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
