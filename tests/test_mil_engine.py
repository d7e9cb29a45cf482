"""The ML program engine itself: op resolution errors, weights, constant folding, buffer
recycling across ops and calls, states, control flow, lists, and concurrent predicts."""
import threading
import warnings

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.proto import MIL_pb2
from mil_program import MilProgram, tensor_type


def test_unknown_op_is_reported_at_load_and_predict(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (2,))
    p.output(p.op("frobnicate", x=x), )
    with pytest.warns(RuntimeWarning, match=r"frobnicate"):
        model = p.model(tmp_path)
    with pytest.raises(NotImplementedError, match=r"op\(s\) this build does not support \(opset iOS17\): frobnicate"):
        model.predict({"x": np.zeros(2, np.float32)})


def test_undefined_value_is_a_load_error(tmp_path):
    p = MilProgram()
    p.input("x", np.float32, (2,))
    out = p.op("add", x="x", y=np.float32(1))
    p.block.operations[-1].inputs["y"].arguments[0].ClearField("value")
    p.block.operations[-1].inputs["y"].arguments[0].name = "nowhere"
    p.output(out)
    with pytest.raises(ValueError, match="undefined value 'nowhere'"):
        p.model(tmp_path)


def test_weights_from_blob_and_constant_folding(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal(64).astype(np.float32)
    p = MilProgram()
    x = p.input("x", np.float32, (64,))
    wc = p.const(w, blob=True)
    doubled = p.op("add", x=wc, y=wc)          # all-constant: folded at load
    y = p.op("mul", x=x, y=doubled)
    p.output(y)
    model = p.model(tmp_path)
    xv = rng.standard_normal(64).astype(np.float32)
    np.testing.assert_allclose(model.predict({"x": xv})[y], xv * (w + w), rtol=1e-6)


def test_results_stay_correct_while_buffers_are_recycled(tmp_path):
    """A chain of ops whose intermediates are released and reused within and across calls."""
    p = MilProgram()
    x = p.input("x", np.float32, (3, 5))
    a = p.op("add", x=x, y=np.float32(1))
    b = p.op("mul", x=a, y=a)
    c = p.op("sub", x=b, y=x)
    d = p.op("mul", x=c, y=np.float32(0.5))
    e = p.op("add", x=d, y=a)
    p.output(e, b)
    model = p.model(tmp_path)
    rng = np.random.default_rng(1)
    kept = []
    for _ in range(5):
        xv = rng.standard_normal((3, 5)).astype(np.float32)
        out = model.predict({"x": xv})
        ref_b = (xv + 1) ** 2
        np.testing.assert_allclose(out[b], ref_b, rtol=1e-6)
        np.testing.assert_allclose(out[e], (ref_b - xv) * 0.5 + xv + 1, rtol=1e-6)
        kept.append((xv, out))
    for xv, out in kept:  # outputs handed out earlier are never overwritten by later calls
        np.testing.assert_allclose(out[b], (xv + 1) ** 2, rtol=1e-6)


def test_state_persists_and_states_are_independent(tmp_path):
    p = MilProgram(opset="CoreML8")
    x = p.input("x", np.float32, (1, 4))
    acc = p.state("acc", np.float32, (1, 4))
    current = p.op("read_state", input=acc, dtypes=[np.float32])
    total = p.op("add", x=current, y=x)
    p.op("write_state", input=acc, data=total, outputs=0)
    out = p.op("read_state", input=acc, dtypes=[np.float32])
    p.output(out)
    model = p.model(tmp_path)
    s1, s2 = model.make_state(), model.make_state()
    ones = np.ones((1, 4), np.float32)
    for i in range(1, 4):
        np.testing.assert_array_equal(model.predict({"x": ones}, state=s1)[out], i * ones)
    np.testing.assert_array_equal(model.predict({"x": 2 * ones}, state=s2)[out], 2 * ones)
    np.testing.assert_array_equal(s1.read_state("acc"), 3 * ones)
    s1.write_state("acc", np.zeros((1, 4), np.float32))
    np.testing.assert_array_equal(model.predict({"x": ones}, state=s1)[out], ones)
    with pytest.raises(ValueError, match="stateful"):
        model.predict({"x": ones})
    with pytest.raises(ValueError, match="no state named"):
        s1.read_state("nope")


def _block(inputs, outputs, ops_from):
    block = MIL_pb2.Block()
    for name, dtype, shape in inputs:
        nvt = block.inputs.add()
        nvt.name = name
        nvt.type.CopyFrom(tensor_type(dtype, shape))
    block.operations.extend(ops_from.block.operations)
    block.outputs.extend(outputs)
    return block


def test_cond_and_while_loop(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (2,))
    n = p.input("n", np.int32, ())
    # cond: x * 2 if n > 3 else x - 1
    pred = p.op("greater", x=n, y=np.int32(3), dtypes=[np.bool_])
    t = MilProgram(); t.types.update(p.types)
    t_out = t.op("mul", x=x, y=np.float32(2), name="t_mul")
    f = MilProgram(); f.types.update(p.types)
    f_out = f.op("sub", x=x, y=np.float32(1), name="f_sub")
    chosen = p.op("cond", pred=pred, dtypes=[np.float32], blocks=[_block([], [t_out], t), _block([], [f_out], f)])
    # while i < n: acc = acc * 2 ; i += 1   (acc starts at x)
    c = MilProgram(); c.types.update({"i_c": np.dtype(np.int32), "acc_c": np.dtype(np.float32)}); c.types.update(p.types)
    c_out = c.op("less", x="i_c", y=n, dtypes=[np.bool_])
    b = MilProgram(); b.types.update({"i_b": np.dtype(np.int32), "acc_b": np.dtype(np.float32)})
    i_next = b.op("add", x="i_b", y=np.int32(1))
    acc_next = b.op("mul", x="acc_b", y=np.float32(2))
    i0 = p.const(np.int32(0))
    loop = p.op("while_loop", outputs=2, dtypes=[np.int32, np.float32], loop_vars=[i0, x],
                blocks=[_block([("i_c", np.int32, ()), ("acc_c", np.float32, (2,))], [c_out], c),
                        _block([("i_b", np.int32, ()), ("acc_b", np.float32, (2,))], [i_next, acc_next], b)])
    p.output(chosen, loop[1])
    model = p.model(tmp_path)
    xv = np.array([1.5, -2.0], np.float32)
    for count in (0, 2, 5):
        out = model.predict({"x": xv, "n": np.array(count, np.int32)})
        np.testing.assert_allclose(out[chosen], xv * 2 if count > 3 else xv - 1)
        np.testing.assert_allclose(out[loop[1]], xv * 2.0 ** count)


def test_concurrent_predicts_on_one_model(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (64, 64))
    y = p.op("mul", x=x, y=x)
    z = p.op("add", x=y, y=x)
    p.output(z)
    model = p.model(tmp_path)
    errors = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        for _ in range(50):
            xv = rng.standard_normal((64, 64)).astype(np.float32)
            got = model.predict({"x": xv})[z]
            if not np.allclose(got, xv * xv + xv, rtol=1e-6):
                errors.append(seed)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_intra_op_threads_survive_many_back_to_back_parallel_ops(tmp_path, monkeypatch):
    """Regression: a pool worker that woke late once ran a finished job's function on the
    next job's chunks. Many short parallel ops in a row, at 2 threads, expose that."""
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", "2")
    p = MilProgram()
    x = p.input("x", np.float32, (1, 8, 32, 32))
    w = np.random.default_rng(3).standard_normal((8, 8, 3, 3)).astype(np.float32) * 0.1
    y = x
    for _ in range(6):
        y = p.op("conv", x=y, weight=p.const(w), pad_type="same", strides=np.array([1, 1], np.int32),
                 dilations=np.array([1, 1], np.int32), groups=np.int32(1))
        y = p.op("relu", x=y)
    p.output(y)
    model = p.model(tmp_path)
    xv = np.random.default_rng(4).standard_normal((1, 8, 32, 32)).astype(np.float32)
    first = model.predict({"x": xv})[y]
    for _ in range(300):
        np.testing.assert_array_equal(model.predict({"x": xv})[y], first)


def test_batch_rows_run_on_the_pool_and_match_single_predictions(tmp_path, monkeypatch):
    """A batch runs its rows on the model's threads, each row's (parallel) ops inline on its
    thread: every row must equal its own single prediction."""
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", "2")
    p = MilProgram()
    x = p.input("x", np.float32, (1, 8, 32, 32))
    w = np.random.default_rng(5).standard_normal((16, 8, 3, 3)).astype(np.float32) * 0.1
    y = p.op("conv", x=x, weight=p.const(w), pad_type="same", strides=np.array([1, 1], np.int32),
             dilations=np.array([1, 1], np.int32), groups=np.int32(1))
    y = p.op("relu", x=y)
    p.output(y)
    model = p.model(tmp_path)
    rng = np.random.default_rng(6)
    rows = [{"x": rng.standard_normal((1, 8, 32, 32)).astype(np.float32)} for _ in range(37)]
    batch = model.predict(rows)
    assert len(batch) == len(rows)
    for row, out in zip(rows, batch):
        np.testing.assert_array_equal(out[y], model.predict(row)[y])


def test_batch_row_error_is_raised_not_a_crash(tmp_path, monkeypatch):
    """An op failing inside one row of a batch (run on a pool thread) surfaces as a Python
    exception naming the op."""
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", "2")
    p = MilProgram()
    x = p.input("x", np.float32, (4,))
    i = p.input("i", np.int32, (1,))
    y = p.op("gather", x=x, indices=i, axis=np.int32(0), dtypes=[np.float32])
    p.output(y)
    model = p.model(tmp_path)
    rows = [{"x": np.arange(4, dtype=np.float32), "i": np.array([k % 4], np.int32)} for k in range(16)]
    rows[11]["i"] = np.array([40], np.int32)
    with pytest.raises(Exception, match="gather"):
        model.predict(rows)
    good = model.predict(rows[:8])
    assert [float(o[y][0]) for o in good] == [float(k % 4) for k in range(8)]
