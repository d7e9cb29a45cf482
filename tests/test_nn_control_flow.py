"""Branch and loop layers: the taken branch's values (or the old ones when the other branch
leaves a blob alone) flow out of a branch; loops run their body until the condition network's
blob is false or the iteration bound is reached, carrying the blobs they overwrite with copy
layers. References are plain Python over the same formulas."""
import numpy as np
import pytest

import opencoreml as ct
from nn_runner import check, nn_builder, rand
from opencoreml.models.neural_network import NeuralNetworkBuilder

X = rand(2, 3, seed=1)


def nested(network):
    return NeuralNetworkBuilder(nn_spec=network, disable_rank5_shape_mapping=True)


def branch_model(with_else):
    b = nn_builder({"x": X, "c": (1,)}, outputs=("out",), rank5=False)
    b.add_copy("init", "x", "y")
    layer = b.add_branch("br", "c")
    then = nested(layer.branch.ifBranch)
    then.add_elementwise("double", ["x"], "t", "MULTIPLY", alpha=2.0)
    then.add_copy("set", "t", "y")
    then.add_elementwise("made", ["x"], "z", "ADD", alpha=10.0)
    if with_else:
        other = nested(layer.branch.elseBranch)
        other.add_elementwise("inc", ["x"], "t", "ADD", alpha=1.0)
        other.add_copy("set", "t", "y")
        other.add_elementwise("made", ["x"], "z", "ADD", alpha=-10.0)
        b.add_add_broadcastable("sum", ["y", "z"], "out")
    else:
        b.add_copy("result", "y", "out")
    return ct.models.MLModel(b.spec)


@pytest.mark.parametrize("cond", [1.0, 0.0, -0.5, 1e-7])
def test_branch_with_else(cond):
    out = branch_model(True).predict({"x": X, "c": np.array([cond], np.float32)})["out"]
    taken = abs(cond) > 1e-6
    ref = (2 * X + X + 10) if taken else (X + 1 + X - 10)
    check(out, ref)


@pytest.mark.parametrize("cond", [1.0, 0.0])
def test_branch_without_else_keeps_old_values(cond):
    out = branch_model(False).predict({"x": X, "c": np.array([cond], np.float32)})["out"]
    check(out, 2 * X if cond else X)


def counting_loop(max_iterations=None, limit=None, count_input=False):
    """acc starts at x and is multiplied by x per iteration; i counts the iterations."""
    inputs = {"x": X, "n": (1,)} if count_input else {"x": X}
    b = nn_builder(inputs, outputs=("acc_out", "i_out"), rank5=False)
    b.add_copy("init_acc", "x", "acc")
    b.add_load_constant_nd("zero", "i", np.zeros(1, np.float32), (1,))
    layer = b.add_loop("loop", input_name="n" if count_input else None, condition="go" if limit is not None else None,
                       max_iterations=max_iterations)
    if limit is not None:
        nested(layer.loop.conditionNetwork).add_less_than("lt", ["i"], "go", alpha=float(limit))
    body = nested(layer.loop.bodyNetwork)
    body.add_multiply_broadcastable("mul", ["acc", "x"], "acc_next")
    body.add_copy("set_acc", "acc_next", "acc")
    body.add_elementwise("count", ["i"], "i_next", "ADD", alpha=1.0)
    body.add_copy("set_i", "i_next", "i")
    b.add_copy("out_acc", "acc", "acc_out")
    b.add_copy("out_i", "i", "i_out")
    return ct.models.MLModel(b.spec)


@pytest.mark.parametrize("kwargs,inputs,iterations", [
    ({"max_iterations": 3}, {}, 3),                                 # a for loop
    ({"limit": 4}, {}, 4),                                          # a while loop
    ({"limit": 4, "max_iterations": 2}, {}, 2),                     # both: whichever stops first
    ({"count_input": True}, {"n": np.array([5], np.float32)}, 5),   # the count as an input
    ({"max_iterations": 0, "count_input": True}, {"n": np.array([0], np.float32)}, 0),
])
def test_loops(kwargs, inputs, iterations):
    out = counting_loop(**kwargs).predict({"x": X, **inputs})
    check(out["i_out"], [iterations])
    check(out["acc_out"], X.astype(np.float64) ** (iterations + 1), rtol=1e-5, atol=1e-6)


def test_loop_break_ends_the_loop():
    # More cases (continue, jumps in branches, nested loops) in test_nn_loop_jumps.py.
    b = nn_builder({"x": X}, rank5=False)
    b.add_copy("init", "x", "y")
    layer = b.add_loop("loop", max_iterations=5)
    body = nested(layer.loop.bodyNetwork)
    body.add_elementwise("double", ["y"], "y2", "MULTIPLY", alpha=2.0)
    body.add_copy("set", "y2", "y")
    body.add_loop_break("stop")
    check(ct.models.MLModel(b.spec).predict({"x": X})["y"], 2 * X)
