"""Shape handling shared by the layers that take two inputs."""


def split_two_shapes(input_shape, layer_name, names):
    """`[shape_a, shape_b]` -> two tuples; a clear error naming the inputs otherwise."""
    if (not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2
            or not isinstance(input_shape[0], (list, tuple))):
        raise ValueError(f"{layer_name} takes two inputs: [{names[0]}, {names[1]}]")
    return tuple(input_shape[0]), tuple(input_shape[1])
