"""Builds small neural networks with opencoreml's NeuralNetworkBuilder and predicts them, for
per-layer tests against numpy references.

    out = nn_predict(lambda b: b.add_activation("a", "RELU", "x", "y"), {"x": x})["y"]

``rank5=True`` (the default) builds a classic network (rank-5 array mapping: inputs of shape
[C] or [C, H, W]); ``rank5=False`` an ND network (exact array mapping, spec 4+).
"""
import numpy as np

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder


def nn_builder(inputs, outputs=("y",), rank5=True):
    """A builder whose inputs have the shapes of the given arrays (name -> array or shape)."""
    features = []
    for name, value in inputs.items():
        shape = value.shape if hasattr(value, "shape") else tuple(value)
        features.append((name, datatypes.Array(*shape)))
    return NeuralNetworkBuilder(features, [(o, None) for o in outputs], disable_rank5_shape_mapping=not rank5)


def nn_model(build, inputs, outputs=("y",), rank5=True):
    builder = nn_builder(inputs, outputs, rank5)
    build(builder)
    return ct.models.MLModel(builder.spec)


def nn_predict(build, inputs, outputs=("y",), rank5=True):
    model = nn_model(build, inputs, outputs, rank5)
    return model.predict({k: np.asarray(v, dtype=np.float32) for k, v in inputs.items()})


def check(actual, expected, rtol=1e-5, atol=1e-5, exact_shape=True):
    """Compares a prediction with a reference. Classic (rank-5) networks return [C, H, W]
    blobs: pass exact_shape=False to compare those after dropping leading 1-dims."""
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    if exact_shape:
        assert actual.shape == expected.shape, "shape %s, expected %s" % (actual.shape, expected.shape)
    else:
        assert actual.size == expected.size, "shape %s, expected %s" % (actual.shape, expected.shape)
        squeeze = lambda s: tuple(d for d in s if d != 1)  # noqa: E731
        assert squeeze(actual.shape) == squeeze(expected.shape), "shape %s, expected %s" % (actual.shape, expected.shape)
        actual = actual.reshape(expected.shape)
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=rtol, atol=atol)


def rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(np.float32)
