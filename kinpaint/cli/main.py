"""Entry point of the `kinpaint` command."""

import argparse
import atexit
import gc
import sys

from kinpaint.cli import demo, evaluate, export, info, inpaint, prepare, serve, train

COMMANDS = (demo, prepare, info, train, inpaint, evaluate, serve, export)
USER_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError,
               ValueError, TypeError, KeyError, ModuleNotFoundError)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kinpaint", description="Caption-conditioned image inpainting with Keras 3."
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv=None):
    """Run one sub-command. kinpaint's own errors become a one-line message and exit code 2;
    anything unexpected a short message and exit code 1 (`--debug` shows its traceback)."""
    from kinpaint.model_trust import trusting_model_code

    args = build_parser().parse_args(argv)
    exit_without_a_last_collection()
    try:
        with trusting_model_code(getattr(args, "trust_model_code", False)):
            return args.run(args) or 0
    except USER_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"kinpaint {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kinpaint {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (the last line of defence: never a bare traceback)
        if args.debug:
            raise
        print(f"kinpaint {args.command}: unexpected error: {type(error).__name__}: {error}\n"
              "run it again with `kinpaint --debug ...` to see the traceback", file=sys.stderr)
        return 1


def exit_without_a_last_collection():
    """At the process's exit, freeze what is alive, so Python's last garbage collections skip
    it: with TensorFlow and Keras loaded they took about 0.9 s of every command's exit
    (docs/benchmarks.md). Files are closed by the code that writes them, never by a collection,
    and objects freed by their reference counts still are. Registered once per process."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


if __name__ == "__main__":
    sys.exit(main())
