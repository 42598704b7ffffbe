"""Which Keras dtype policy a model computes in."""

import tensorflow as tf

from kinpaint.options import PRECISIONS


def resolve_precision(precision="auto"):
    """The Keras dtype policy name for `precision`.

    `"auto"` picks `mixed_bfloat16` where the hardware computes bfloat16 natively (a CPU
    with AVX512-BF16 or AMX, a GPU of compute capability 8.0 or newer), else `float32`.
    bfloat16 needs no loss scaling; float16 is not offered for that reason.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return "mixed_bfloat16" if tuple(capability) >= (8, 0) else "float32"
    return "mixed_bfloat16" if _cpu_has_bfloat16() else "float32"


def _cpu_has_bfloat16():
    try:
        with open("/proc/cpuinfo") as file:
            flags = file.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
