"""Runs a single ML program op end to end, for op tests that compare against numpy (with
``close`` and ``assert_representable``, shared by those tests).

    out = run_op(tmp_path, "reduce_sum", inputs={"x": x}, params={"axes": np.int32([1])})

``inputs`` become model inputs (fp32/fp16/int32 arrays of rank >= 1) bound to the op
parameter of the same name; other arrays (bool, int8, uint16, rank 0, ...) are inlined as
constants, so such ops are folded when the model loads — the same kernel runs either way. A
list of arrays binds a variadic parameter (concat's ``values``). ``params`` are always inline
constants. Returns the op's outputs as numpy arrays, in order.
"""
import itertools

import numpy as np

from mil_program import MilProgram

_MODEL_INPUT_DTYPES = (np.float32, np.float16, np.int32)
_counter = itertools.count()


def _can_be_model_input(value):
    arr = np.asarray(value)
    return isinstance(value, np.ndarray) and arr.ndim >= 1 and arr.size > 0 and arr.dtype in _MODEL_INPUT_DTYPES


def run_op(tmp_path, op_type, inputs=None, params=None, opset="CoreML7", outputs=1, dtypes=None):
    p = MilProgram(opset=opset)
    feed, bound = {}, {}
    for name, value in (inputs or {}).items():
        values = value if isinstance(value, list) else [value]
        names = []
        for i, v in enumerate(values):
            label = name if not isinstance(value, list) else "%s_%d" % (name, i)
            if _can_be_model_input(v):
                names.append(p.input(label, v.dtype, v.shape))
                feed[label] = v
            else:
                names.append(p.const(np.asarray(v), name=label + "_const"))
        bound[name] = names if isinstance(value, list) else names[0]
    bound.update(params or {})
    result = p.op(op_type, outputs=outputs, dtypes=dtypes, **bound)
    names = result if isinstance(result, list) else [result]
    p.output(*names)
    model = p.model(tmp_path / ("model_%d" % next(_counter)))
    predicted = model.predict(feed)
    return [np.asarray(predicted[n]) for n in names]


def run_op1(tmp_path, op_type, **kwargs):
    """run_op for single-output ops: the output array."""
    return run_op(tmp_path, op_type, **kwargs)[0]


def run_op_params(tmp_path, op_type, inputs, outputs=1, dtypes=None, opset="CoreML7", **params):
    """run_op with the op's constant parameters as keyword arguments."""
    return run_op(tmp_path, op_type, inputs=inputs, params=params, opset=opset, outputs=outputs, dtypes=dtypes)


def close(actual, expected, rtol, atol):
    """``actual`` has ``expected``'s shape and values within rtol/atol (compared in float64)."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, "shape %s, expected %s" % (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def assert_representable(values, dtype):
    """The op's result was rounded to `dtype` (the model may hand fp16 outputs back widened)."""
    values = np.asarray(values)
    np.testing.assert_array_equal(values.astype(dtype).astype(np.float64), values.astype(np.float64))
