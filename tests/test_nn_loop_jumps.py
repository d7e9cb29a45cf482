"""loopBreak / loopContinue in loop bodies (directly, or in branches, nested branches and
nested loops), and blobs a loop body creates that are read after the loop. Models are built
with NeuralNetworkBuilder; references are plain Python loops over the same formulas
(float64, compared at rtol 1e-5)."""
import numpy as np
import pytest

import opencoreml as ct
from nn_runner import check, nn_builder, rand
from opencoreml.models.neural_network import NeuralNetworkBuilder

X = rand(2, 3, seed=3)


def nested(network):
    return NeuralNetworkBuilder(nn_spec=network, disable_rank5_shape_mapping=True)


def scalar(v):
    return np.array([v], np.float32)


def state_builder(extra_inputs=(), outputs=("acc_out", "i_out", "s_out")):
    """acc = x, i = 0, s = 0 before the loop."""
    inputs = {"x": X, **{name: (1,) for name in extra_inputs}}
    b = nn_builder(inputs, outputs=outputs, rank5=False)
    b.add_copy("init_acc", "x", "acc")
    b.add_load_constant_nd("zero_i", "i", np.zeros(1, np.float32), (1,))
    b.add_load_constant_nd("zero_s", "s", np.zeros(1, np.float32), (1,))
    return b


def finish(b):
    b.add_copy("out_acc", "acc", "acc_out")
    b.add_copy("out_i", "i", "i_out")
    b.add_copy("out_s", "s", "s_out")
    return ct.models.MLModel(b.spec)


def count(body, tag=""):
    body.add_elementwise("inc" + tag, ["i"], "i_next" + tag, "ADD", alpha=1.0)
    body.add_copy("set_i" + tag, "i_next" + tag, "i")


def work(body, tag=""):
    """acc = 0.5 * acc + i * x; s += 1."""
    body.add_multiply_broadcastable("ix" + tag, ["i", "x"], "ix" + tag)
    body.add_elementwise("half" + tag, ["acc"], "half" + tag, "MULTIPLY", alpha=0.5)
    body.add_add_broadcastable("acc_new" + tag, ["half" + tag, "ix" + tag], "acc_next" + tag)
    body.add_copy("set_acc" + tag, "acc_next" + tag, "acc")
    body.add_elementwise("s_inc" + tag, ["s"], "s_next" + tag, "ADD", alpha=1.0)
    body.add_copy("set_s" + tag, "s_next" + tag, "s")


def ref_work(acc, i, s):
    return 0.5 * acc + i * X.astype(np.float64), s + 1


def jump_if(body, name, cond_blob, kind, in_else=False):
    """A branch on `cond_blob` whose if (or else) side breaks or continues."""
    layer = body.add_branch(name, cond_blob)
    side = nested(layer.branch.elseBranch if in_else else layer.branch.ifBranch)
    (side.add_loop_break if kind == "break" else side.add_loop_continue)(name + "_" + kind)
    return layer


def break_continue_model(max_iterations=8, in_else=False):
    """i += 1; break when i > k; continue when i == m; then work."""
    b = state_builder(("k", "m"))
    layer = b.add_loop("loop", max_iterations=max_iterations)
    body = nested(layer.loop.bodyNetwork)
    count(body)
    if in_else:  # the same program with the tests inverted: jump in the else branch
        body.add_less_than("le_k", ["i", "k"], "not_past", use_less_than_equal=True)
        jump_if(body, "brk", "not_past", "break", in_else=True)
        body.add_not_equal("ne_m", ["i", "m"], "not_skip")
        jump_if(body, "cnt", "not_skip", "continue", in_else=True)
    else:
        body.add_greater_than("gt_k", ["i", "k"], "past")
        jump_if(body, "brk", "past", "break")
        body.add_equal("eq_m", ["i", "m"], "skip")
        jump_if(body, "cnt", "skip", "continue")
    work(body)
    return finish(b)


def ref_break_continue(k, m, max_iterations=8):
    acc, i, s = X.astype(np.float64), 0.0, 0.0
    for _ in range(max_iterations):
        i += 1
        if i > k:
            break
        if i == m:
            continue
        acc, s = ref_work(acc, i, s)
    return acc, i, s


def check_state(out, ref):
    acc, i, s = ref
    check(out["acc_out"], acc, rtol=1e-5, atol=1e-6)
    check(out["i_out"], [i])
    check(out["s_out"], [s])


@pytest.mark.parametrize("in_else", [False, True])
@pytest.mark.parametrize("k,m", [(3, 2), (5, 1), (100, 4), (0, 1), (2, 3)])
def test_break_and_continue_in_branches(k, m, in_else):
    out = break_continue_model(in_else=in_else).predict({"x": X, "k": scalar(k), "m": scalar(m)})
    check_state(out, ref_break_continue(k, m))


def test_unconditional_jumps_at_body_level():
    # work; break; (never runs) — the loop runs its body once.
    b = state_builder()
    body = nested(b.add_loop("loop", max_iterations=5).loop.bodyNetwork)
    count(body)
    work(body)
    body.add_loop_break("stop")
    body.add_elementwise("dead", ["s"], "s_dead", "ADD", alpha=100.0)
    body.add_copy("set_dead", "s_dead", "s")
    acc, s = ref_work(X.astype(np.float64), 1.0, 0.0)
    check_state(finish(b).predict({"x": X}), (acc, 1.0, s))

    # count; continue; (never runs) — every iteration counts, none works.
    b = state_builder()
    body = nested(b.add_loop("loop", max_iterations=4).loop.bodyNetwork)
    count(body)
    body.add_loop_continue("next")
    work(body)
    check_state(finish(b).predict({"x": X}), (X, 4.0, 0.0))


def test_jump_in_nested_branch_with_work_after_it_in_the_same_side():
    """if i > 1: { if i == k: break; work } — the work after the inner branch is guarded."""
    b = state_builder(("k",))
    body = nested(b.add_loop("loop", max_iterations=6).loop.bodyNetwork)
    count(body)
    body.add_greater_than("gt1", ["i"], "above1", alpha=1.0)
    outer = nested(body.add_branch("outer", "above1").branch.ifBranch)
    outer.add_equal("eq_k", ["i", "k"], "at_k")
    jump_if(outer, "inner", "at_k", "break")
    work(outer)

    def ref(k):
        acc, i, s = X.astype(np.float64), 0.0, 0.0
        for _ in range(6):
            i += 1
            if i > 1:
                if i == k:
                    break
                acc, s = ref_work(acc, i, s)
        return acc, i, s

    model = finish(b)
    for k in (0, 2, 4, 6):
        check_state(model.predict({"x": X, "k": scalar(k)}), ref(k))


def test_break_with_condition_network():
    """while i < limit: i += 1; if i == k: break; work."""
    b = state_builder(("k", "limit"))
    layer = b.add_loop("loop", condition="go")
    nested(layer.loop.conditionNetwork).add_less_than("lt", ["i", "limit"], "go")
    body = nested(layer.loop.bodyNetwork)
    count(body)
    body.add_equal("eq_k", ["i", "k"], "at_k")
    jump_if(body, "brk", "at_k", "break")
    work(body)

    def ref(k, limit):
        acc, i, s = X.astype(np.float64), 0.0, 0.0
        while i < limit:
            i += 1
            if i == k:
                break
            acc, s = ref_work(acc, i, s)
        return acc, i, s

    model = finish(b)
    for k, limit in ((3, 5), (7, 5), (1, 0), (5, 5)):
        check_state(model.predict({"x": X, "k": scalar(k), "limit": scalar(limit)}), ref(k, limit))


def test_break_in_inner_loop_leaves_only_the_inner_loop():
    """for 3 times: i += 1; j = 0; for 10 times: { j += 1; if j > i: break; s += 1 }."""
    b = state_builder()
    body = nested(b.add_loop("outer", max_iterations=3).loop.bodyNetwork)
    count(body)
    body.add_load_constant_nd("zero_j", "j0", np.zeros(1, np.float32), (1,))
    body.add_copy("reset_j", "j0", "j")
    inner = nested(body.add_loop("inner", max_iterations=10).loop.bodyNetwork)
    inner.add_elementwise("inc_j", ["j"], "j_next", "ADD", alpha=1.0)
    inner.add_copy("set_j", "j_next", "j")
    inner.add_greater_than("gt", ["j", "i"], "done")
    jump_if(inner, "brk", "done", "break")
    inner.add_elementwise("s_inc", ["s"], "s_next", "ADD", alpha=1.0)
    inner.add_copy("set_s", "s_next", "s")
    out = finish(b).predict({"x": X})
    check_state(out, (X, 3.0, 1.0 + 2.0 + 3.0))


def test_jump_outside_a_loop_body_is_an_error():
    b = nn_builder({"x": X}, rank5=False)
    b.add_loop_break("stop")
    b.add_copy("c", "x", "y")
    with pytest.raises(Exception, match="stop.*loopBreak.*body network of a loop"):
        ct.models.MLModel(b.spec).predict({"x": X})

    b = nn_builder({"x": X}, rank5=False)
    b.add_load_constant_nd("one", "c", np.ones(1, np.float32), (1,))
    layer = b.add_loop("loop", condition="c", max_iterations=2)
    nested(layer.loop.conditionNetwork).add_loop_continue("skip")
    nested(layer.loop.bodyNetwork).add_copy("n", "x", "z")
    b.add_copy("c2", "x", "y")
    with pytest.raises(Exception, match="skip.*loopContinue.*body network of a loop"):
        ct.models.MLModel(b.spec).predict({"x": X})


# Blobs the body creates and the network reads after the loop.

def created_blob_model(conditional=False, jump=False):
    """for n times: i += 1; t = acc * i (or only when i == 2); acc = acc + x; out = t + 1."""
    b = state_builder(("n",), outputs=("t_out",))
    body = nested(b.add_loop("loop", input_name="n").loop.bodyNetwork)
    count(body)
    if jump:  # continue on odd i: t keeps the value of the last even iteration
        body.add_elementwise("half_i", ["i"], "hi", "MULTIPLY", alpha=0.5)
        body.add_floor("fl", "hi", "fhi")
        body.add_not_equal("ne", ["hi", "fhi"], "is_odd")
        jump_if(body, "skip_odd", "is_odd", "continue")
    if conditional:
        body.add_equal("eq2", ["i"], "at2", alpha=2.0)
        side = nested(body.add_branch("when2", "at2").branch.ifBranch)
        side.add_multiply_broadcastable("t", ["acc", "i"], "t")
    else:
        body.add_multiply_broadcastable("t", ["acc", "i"], "t")
    body.add_add_broadcastable("acc_new", ["acc", "x"], "acc_next")
    body.add_copy("set_acc", "acc_next", "acc")
    b.add_elementwise("plus1", ["t"], "t_out", "ADD", alpha=1.0)
    return ct.models.MLModel(b.spec)


def ref_created(n, conditional=False, jump=False):
    acc, t = X.astype(np.float64), np.zeros(X.shape)  # zeros: the loop ran zero times
    for i in range(1, n + 1):
        if jump and i % 2:
            continue
        if not conditional or i == 2:
            t = acc * i
        acc = acc + X
    return t + 1


@pytest.mark.parametrize("conditional,jump", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("n", [0, 1, 3, 4])
def test_blob_created_in_body_is_read_after_the_loop(n, conditional, jump):
    out = created_blob_model(conditional, jump).predict({"x": X, "n": scalar(n)})["t_out"]
    check(out, ref_created(n, conditional, jump), rtol=1e-5, atol=1e-6)


# Core ML's loop runs the condition network once more after the last iteration (unless a break
# ended it): its blobs, and what its copy layers set, are visible after the loop.

def condition_blob_model(max_iterations=None, with_break=False):
    """cond: c += 1 (a copy into a carried blob); d = 2 * i; go = i < limit.
    body: i += 1 (and break when i == k). Outputs c, d, i after the loop."""
    b = nn_builder({"x": X, "limit": (1,), "k": (1,)}, outputs=("c_out", "d_out", "i_out"), rank5=False)
    b.add_load_constant_nd("zero_i", "i", np.zeros(1, np.float32), (1,))
    b.add_load_constant_nd("zero_c", "c", np.zeros(1, np.float32), (1,))
    layer = b.add_loop("loop", condition="go", max_iterations=max_iterations)
    cond = nested(layer.loop.conditionNetwork)
    cond.add_elementwise("c_inc", ["c"], "c_next", "ADD", alpha=1.0)
    cond.add_copy("set_c", "c_next", "c")
    cond.add_elementwise("double_i", ["i"], "d", "MULTIPLY", alpha=2.0)
    cond.add_less_than("lt", ["i", "limit"], "go")
    body = nested(layer.loop.bodyNetwork)
    count(body)
    if with_break:
        body.add_equal("eq_k", ["i", "k"], "at_k")
        jump_if(body, "brk", "at_k", "break")
    b.add_copy("out_c", "c", "c_out")
    b.add_copy("out_d", "d", "d_out")
    b.add_copy("out_i", "i", "i_out")
    return ct.models.MLModel(b.spec)


def ref_condition(limit, k, max_iterations=None, with_break=False):
    """NeuralNetwork.proto's loop pseudo-code."""
    i, c = 0.0, 0.0

    def condition():
        nonlocal c
        c += 1
        return 2 * i, i < limit

    d, go = condition()
    n = 0
    while go and (max_iterations is None or n < max_iterations):
        i += 1
        if with_break and i == k:
            break
        n += 1
        d, go = condition()
    return c, d, i


@pytest.mark.parametrize("max_iterations,with_break", [(None, False), (2, False), (None, True), (2, True)])
@pytest.mark.parametrize("limit,k", [(3, 2), (0, 1), (4, 9)])
def test_condition_network_blobs_after_the_loop(limit, k, max_iterations, with_break):
    out = condition_blob_model(max_iterations, with_break).predict({"x": X, "limit": scalar(limit), "k": scalar(k)})
    c, d, i = ref_condition(limit, k, max_iterations, with_break)
    check(out["c_out"], [c])
    check(out["d_out"], [d])
    check(out["i_out"], [i])
