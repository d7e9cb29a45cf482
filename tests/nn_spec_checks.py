"""Helpers for the neural-network builder tests: reading nested spec fields by path and
comparing a layer's parameters with expected values."""
import numpy as np

from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder


def field(message, path):
    """The value at ``path`` ("a.b.0.c") below ``message``; repeated scalars as lists and
    a oneof name as the name of its set field."""
    value = message
    for part in path.split("."):
        if part.isdigit():
            value = value[int(part)]
        elif part in value.DESCRIPTOR.oneofs_by_name:
            value = value.WhichOneof(part)
        else:
            value = getattr(value, part)
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes)) and not hasattr(value, "ListFields"):
        return list(value)
    return value


def assert_fields(params, expected):
    """Every ``path: value`` of ``expected`` holds in ``params``; numpy arrays are compared
    with the float32 values of a WeightParams, other values exactly."""
    for path, want in expected.items():
        got = field(params, path)
        if isinstance(want, np.ndarray):
            values = np.asarray(got.floatValue, dtype=np.float32)
            np.testing.assert_array_equal(values, want.astype(np.float32).reshape(-1), err_msg=path)
        elif isinstance(want, float):
            assert got == np.float32(want), (path, got, want)
        else:
            assert got == want, (path, got, want)


def new_builder(rank5=True, **kwargs):
    """A builder with a (3, 4, 5) array input "x" and an output "y" of unknown shape."""
    return NeuralNetworkBuilder(
        [("x", datatypes.Array(3, 4, 5))], [("y", None)], disable_rank5_shape_mapping=not rank5, **kwargs
    )


def only_layer(builder):
    layers = builder.nn_spec.layers
    assert len(layers) == 1
    return layers[0]
