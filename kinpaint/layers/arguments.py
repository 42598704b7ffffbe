"""Checks of layer constructor arguments shared by kinpaint's layers."""


def positive_pair(value, name):
    """`value` (an int or a pair of ints, all positive) as a pair; a clear error naming `name` otherwise."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair
