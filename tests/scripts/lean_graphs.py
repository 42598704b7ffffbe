"""Settings that make TensorFlow's graph building cheaper in the test processes.

The tests trace hundreds of small graphs and run each a few times, so building a graph costs
more than running it. Neither setting changes what a graph computes; the `kinpaint` commands
the tests start as users would, and users, keep TensorFlow as it is.
"""

import functools
import inspect


def build_graphs_lean():
    """Turn off Grappler, TensorFlow's graph optimiser, and the Python stack recorded with
    every graph op. The stacks only feed error messages ("defined at ..."), yet recording
    them, and copying them each time a function is instantiated, was about a fifth of a
    model test's time (tests/test_fourier_inpainter.py: 54 s against 69 s, serially)."""
    import tensorflow as tf
    from tensorflow.python.framework import ops

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    create = ops._create_c_op
    if "extract_traceback" in inspect.signature(create).parameters:  # a private hook: skip it if it changed
        ops._create_c_op = functools.partial(create, extract_traceback=False)
