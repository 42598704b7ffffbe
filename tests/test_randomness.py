"""kinpaint draws random numbers only from seeds it is given (Keras' seeded ops, NumPy
generators, tf.data with a seed), never from TensorFlow's stateful random kernels: the tests'
`seeded` fixture leaves TensorFlow's kernel cache, where such kernels keep their state, as it is."""

import ast
import os

import kinpaint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(kinpaint.__file__)))
# TensorFlow's random functions that keep state in a kernel or a variable; `stateless_*` do not.
STATEFUL = {"uniform", "normal", "truncated_normal", "shuffle", "categorical", "gamma", "poisson",
            "random_uniform", "random_normal", "multinomial", "Generator", "get_global_generator"}


def stateful_random_calls(source):
    """`[(line, 'tf.random.uniform')]`: the stateful TensorFlow random functions `source` uses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in STATEFUL:
            owner = ast.unparse(node.value)
            if owner.split(".")[0] in ("tf", "tensorflow") and "random" in owner:
                found.append((node.lineno, f"{owner}.{node.attr}"))
    return found


def test_the_checker_finds_stateful_random_calls():
    assert stateful_random_calls("import tensorflow as tf\nx = tf.random.uniform((2,))\n") == [
        (2, "tf.random.uniform")]
    assert stateful_random_calls("g = tf.random.experimental.Generator.from_seed(1)") == [
        (1, "tf.random.experimental.Generator")]
    assert stateful_random_calls("x = tf.random.stateless_uniform((2,), (1, 2))\ny = np.random.uniform()") == []


def test_kinpaint_draws_random_numbers_only_from_seeds_it_is_given():
    found = {}
    for top in ("kinpaint", "tests", "examples"):  # what runs in the test processes
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as handle:
                        calls = stateful_random_calls(handle.read())
                    if calls:
                        found[os.path.relpath(path, ROOT)] = calls
    assert not found, f"stateful TensorFlow random functions (use Keras' seeded ops or stateless_*): {found}"
