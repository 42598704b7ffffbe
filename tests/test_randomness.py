"""kinpaint draws random numbers only from seeds it is given (Keras' seeded ops, NumPy
generators, tf.data with a seed), never from TensorFlow's stateful random kernels: the tests'
`seeded` fixture leaves TensorFlow's kernel cache, where such kernels keep their state, as it is.
(It guards that fixture's assumption, so it has no library module of its own.)"""

import ast
import os

import kinpaint

# What runs in the test processes: the package (wherever it is installed) and this checkout's
# tests and examples.
FOLDERS = (os.path.dirname(os.path.abspath(kinpaint.__file__)), os.path.dirname(os.path.abspath(__file__)),
           os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
# TensorFlow's random functions that keep state in a kernel or a variable; `stateless_*` do not.
STATEFUL = {"uniform", "normal", "truncated_normal", "shuffle", "categorical", "gamma", "poisson",
            "multinomial", "Generator", "get_global_generator", "dropout"}


def stateful_random_calls(source):
    """`[(line, 'tf.random.uniform')]`: the stateful TensorFlow random functions `source` uses
    (`tf.random.*`, `tf.image.random_*`, `tf.compat.v1.random_*`, `tf.nn.dropout`), named
    through `tf` or `tensorflow`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = ast.unparse(node.value)
        if owner.split(".")[0] not in ("tf", "tensorflow") or node.attr.startswith("stateless"):
            continue
        if node.attr.startswith("random_") or (node.attr in STATEFUL and ("random" in owner or owner.endswith(".nn"))):
            found.append((node.lineno, f"{owner}.{node.attr}"))
    return found


def test_the_checker_finds_stateful_random_calls():
    assert stateful_random_calls("import tensorflow as tf\nx = tf.random.uniform((2,))\n") == [
        (2, "tf.random.uniform")]
    assert stateful_random_calls("g = tf.random.experimental.Generator.from_seed(1)") == [
        (1, "tf.random.experimental.Generator")]
    assert stateful_random_calls("a = tf.image.random_flip_left_right(x)\nb = tf.nn.dropout(x, 0.5)") == [
        (1, "tf.image.random_flip_left_right"), (2, "tf.nn.dropout")]
    assert stateful_random_calls("x = tf.random.stateless_uniform((2,), (1, 2))\ny = np.random.uniform()") == []
    assert stateful_random_calls("x = tf.image.stateless_random_crop(x, (2, 2, 3), (1, 2))") == []


def test_kinpaint_draws_random_numbers_only_from_seeds_it_is_given():
    found = {}
    for top in FOLDERS:
        for folder, _, names in os.walk(top):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8") as handle:
                        calls = stateful_random_calls(handle.read())
                    if calls:
                        found[path] = calls
    assert not found, f"stateful TensorFlow random functions (use Keras' seeded ops or stateless_*): {found}"
