"""Which Keras dtype policy a model computes in (`kinpaint.models.precision`)."""

from kinpaint.models.precision import resolve_precision


def test_precision_auto_picks_a_known_policy():
    assert resolve_precision("auto") in ("float32", "mixed_bfloat16")
