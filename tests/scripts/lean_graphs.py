"""Settings that make TensorFlow's graph building cheaper in the test processes.

The tests trace hundreds of small graphs and run each a few times, so building a graph costs
more than running it. Neither setting changes what a graph computes beyond float rounding;
the real `kinpaint` command, run by users or by the tests, keeps TensorFlow's defaults.
"""

import functools
import inspect


def build_graphs_lean():
    """Turn off Grappler, TensorFlow's graph optimiser, and the Python stack recorded with
    every graph op. The stacks feed error messages ("defined at ..."; without them a few
    TensorFlow error paths, such as a tensor used out of its graph, raise AttributeError
    instead). Recording them, and copying them each time a function is instantiated, was a
    fifth of a model test's time (tests/test_fourier_inpainter.py run serially: 69 s -> 54 s)."""
    import tensorflow as tf
    from tensorflow.python.framework import ops

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    create = ops._create_c_op
    if "extract_traceback" in inspect.signature(create).parameters:  # a private hook: skip it if it changed
        ops._create_c_op = functools.partial(create, extract_traceback=False)
