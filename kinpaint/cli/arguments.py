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


def _checked(text, kind, accepted, expected):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not accepted(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value
