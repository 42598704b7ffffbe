"""Argument types of the command line: numbers checked at the edge, with the accepted range in the message."""

import argparse
import math


def positive_int(text):
    """An int of at least 1."""
    return _checked(text, int, lambda value: value >= 1, "an integer of at least 1")


def nonnegative_int(text):
    """An int of at least 0."""
    return _checked(text, int, lambda value: value >= 0, "an integer of at least 0")


def positive_float(text):
    """A finite number above 0."""
    return _checked(text, float, lambda value: math.isfinite(value) and value > 0, "a finite number above 0")


def nonnegative_float(text):
    """A finite number of at least 0."""
    return _checked(text, float, lambda value: math.isfinite(value) and value >= 0, "a finite number of at least 0")


MAX_LEARNING_RATE = 1.0  # Adam's step is about the rate itself: beyond 1 a [-1, 1] picture model only diverges


def learning_rate(text):
    """A finite number above 0 and at most `MAX_LEARNING_RATE`."""
    return _checked(text, float, lambda value: math.isfinite(value) and 0 < value <= MAX_LEARNING_RATE,
                    f"a finite number above 0 and at most {MAX_LEARNING_RATE:g}")


def positive_int_list(text):
    """Integers of at least 1 separated by commas, as a tuple."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers of at least 1 separated by commas, e.g. 32,64,128,256; "
                                         f"got {text!r}")
    return values


def _checked(text, kind, accepted, expected):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not accepted(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def add_trust_flag(parser):
    """`--trust-model-code` on a command that loads model files; `kinpaint.cli.main` runs the
    command inside `kinpaint.model_trust.trusting_model_code(args.trust_model_code)`."""
    from kinpaint.model_trust import TRUST_FLAG, TRUST_HELP

    parser.add_argument(TRUST_FLAG, action="store_true", help=TRUST_HELP)
