"""The MIL list ops (make_list, list_write, list_read, list_gather, list_scatter, list_length)
in real programs, checked against numpy.

Semantics (coremltools' iOS15 control_flow definitions): make_list takes init_length
(default 1), dynamic_length (default true), elem_shape (a tuple of consts, strings for dims
known only at run time) and dtype (fp16, fp32, int32, bool; default fp32). list_write /
list_scatter return a new list; list_gather packs the selected elements into a tensor of
rank len(elem_shape) + 1; list_scatter at or past the end grows a dynamic list.
coremltools emits them for TensorArrays (TF frontend): a dynamic list of init_length 1
written at index i inside a while_loop, then list_gather over range(list_length(ls)).

Unwritten elements read as zeros once the element shape is known (TensorArray semantics); a
read of an unwritten element of unknown shape, an index out of range, a write to a
fixed-length list past its end and an element of the wrong shape are errors naming the op.
"""
import numpy as np
import pytest

from opencoreml.proto import MIL_pb2
from mil_program import MilProgram, list_type, tensor_type

F16, F32, I32 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.int32)
_MIL_NAME = {F16: "fp16", F32: "fp32", I32: "int32", np.dtype(np.bool_): "bool"}


def _sub(p, offset, extra_types=None):
    """A MilProgram for the ops of a nested block: sees p's values, names its outputs apart."""
    s = MilProgram(opset=p.opset)
    s.types.update(p.types)
    s.types.update(extra_types or {})
    s._count = offset
    return s


def _block(inputs, outputs, ops_from):
    """inputs: (name, ValueType) or (name, dtype, shape)."""
    block = MIL_pb2.Block()
    for item in inputs:
        nvt = block.inputs.add()
        nvt.name = item[0]
        nvt.type.CopyFrom(item[1] if isinstance(item[1], MIL_pb2.ValueType) else tensor_type(item[1], item[2]))
    block.operations.extend(ops_from.block.operations)
    block.outputs.extend(outputs)
    return block


def _make_list(p, dtype, elem_shape, init_length=None, dynamic_length=None, shape_consts=True):
    """make_list with elem_shape as coremltools writes it: a tuple of const scalars (or
    strings for symbolic dims)."""
    dims = [p.const(d if isinstance(d, str) else np.int32(d)) for d in elem_shape] if shape_consts else None
    fixed = dynamic_length is not None and not dynamic_length and not isinstance(init_length, str)
    length = int(init_length) if fixed else None
    return p.op("make_list", init_length=init_length, dynamic_length=dynamic_length, elem_shape=dims,
                dtype=_MIL_NAME[np.dtype(dtype)],
                dtypes=[list_type(dtype, [None if isinstance(d, str) else d for d in elem_shape], length)])


def _loop_program(dtype, stack_axis):
    """The TensorArray pattern: acc = acc * 2 + x, written at i for i < n, then gathered over
    range(list_length) and stacked along `stack_axis`."""
    dt = np.dtype(dtype)
    p = MilProgram()
    x = p.input("x", dt, (3,))
    n = p.input("n", np.int32, ())
    ls0 = _make_list(p, dt, (3,), init_length=np.int32(1), dynamic_length=True)
    lt = list_type(dt, (3,))
    i0 = p.const(np.int32(0))
    acc0 = p.op("mul", x=x, y=np.array(0, dt))
    c = _sub(p, 1000, {"i_c": I32, "acc_c": dt, "ls_c": dt})
    c_out = c.op("less", x="i_c", y=n, dtypes=[np.bool_])
    b = _sub(p, 2000, {"i_b": I32, "acc_b": dt, "ls_b": dt})
    acc2 = b.op("mul", x="acc_b", y=np.array(2, dt))
    acc_next = b.op("add", x=acc2, y=x)
    ls_next = b.op("list_write", ls="ls_b", index="i_b", value=acc_next, dtypes=[lt])
    i_next = b.op("add", x="i_b", y=np.int32(1))
    loop = p.op("while_loop", outputs=3, dtypes=[np.int32, dt, lt], loop_vars=[i0, acc0, ls0],
                blocks=[_block([("i_c", I32, ()), ("acc_c", dt, (3,)), ("ls_c", lt)], [c_out], c),
                        _block([("i_b", I32, ()), ("acc_b", dt, (3,)), ("ls_b", lt)], [i_next, acc_next, ls_next], b)])
    length = p.op("list_length", ls=loop[2], dtypes=[np.int32], shapes=[()])
    indices = p.op("range_1d", start=np.int32(0), end=length, step=np.int32(1), dtypes=[np.int32])
    gathered = p.op("list_gather", ls=loop[2], indices=indices, dtypes=[dt])
    stacked = gathered if stack_axis == 0 else p.op("transpose", x=gathered, perm=np.int32([1, 0]), dtypes=[dt])
    p.output(stacked, length)
    return p, stacked, length


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("stack_axis", [0, 1])
def test_list_filled_in_while_loop_then_gathered(tmp_path, dtype, stack_axis):
    p, stacked, length = _loop_program(dtype, stack_axis)
    model = p.model(tmp_path)
    dt = np.dtype(dtype)
    if dt == I32:
        xv = np.array([3, -7, 100], np.int32)
    else:
        xv = np.array([0.1, -1.7, 3.3], dt)  # fp16: each add rounds (checked exactly below)
    for count in (1, 3, 6):
        out = model.predict({"x": xv, "n": np.array(count, np.int32)})
        acc, rows = np.zeros(3, dt), []
        for _ in range(count):
            acc = (acc * dt.type(2) + xv).astype(dt)  # numpy fp16 arithmetic rounds each op once
            rows.append(acc)
        ref = np.stack(rows, axis=stack_axis)
        assert int(out[length]) == count
        assert out[stacked].shape == ref.shape
        np.testing.assert_array_equal(out[stacked], ref.astype(np.float32) if dt == F16 else ref)


def test_loop_that_never_writes_leaves_the_initial_element_unwritten(tmp_path):
    """init_length 1 and zero iterations: the one unwritten element gathers as zeros (its
    shape is declared)."""
    p, stacked, length = _loop_program(np.float32, 0)
    out = p.model(tmp_path).predict({"x": np.ones(3, np.float32), "n": np.array(0, np.int32)})
    assert int(out[length]) == 1
    np.testing.assert_array_equal(out[stacked], np.zeros((1, 3), np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
def test_fixed_length_list_scatter_write_read_gather(tmp_path, dtype):
    dt = np.dtype(dtype)
    p = MilProgram()
    v = p.input("v", dt, (2, 2, 2))
    w = p.input("w", dt, (2, 2))
    ls0 = _make_list(p, dt, (2, 2), init_length=np.int32(4), dynamic_length=False)
    lt = list_type(dt, (2, 2), 4)
    ls1 = p.op("list_scatter", ls=ls0, indices=np.int32([3, 0]), value=v, dtypes=[lt])
    ls2 = p.op("list_write", ls=ls1, index=np.int32(1), value=w, dtypes=[lt])
    read1 = p.op("list_read", ls=ls2, index=np.int32(1), dtypes=[dt], shapes=[(2, 2)])
    read3 = p.op("list_read", ls=ls2, index=np.int32(-1), dtypes=[dt], shapes=[(2, 2)])
    unwritten = p.op("list_read", ls=ls2, index=np.int32(2), dtypes=[dt], shapes=[(2, 2)])
    gathered = p.op("list_gather", ls=ls2, indices=np.int32([0, 1, 2, 3, 0]), dtypes=[dt], shapes=[(5, 2, 2)])
    length = p.op("list_length", ls=ls2, dtypes=[np.int32], shapes=[()])
    length0 = p.op("list_length", ls=ls0, dtypes=[np.int32], shapes=[()])
    p.output(read1, read3, unwritten, gathered, length, length0)
    model = p.model(tmp_path)
    rng = np.random.default_rng(0)
    vv = (rng.standard_normal((2, 2, 2)) * 10).astype(dt)
    wv = (rng.standard_normal((2, 2)) * 10).astype(dt)
    out = model.predict({"v": vv, "w": wv})
    zeros = np.zeros((2, 2), dt)
    np.testing.assert_array_equal(out[read1], wv)
    np.testing.assert_array_equal(out[read3], vv[0])
    np.testing.assert_array_equal(out[unwritten], zeros)
    np.testing.assert_array_equal(out[gathered], np.stack([vv[1], wv, zeros, vv[0], vv[1]]))
    assert int(out[length]) == 4 and int(out[length0]) == 4


def test_dynamic_list_grows_on_write_and_scatter_past_the_end(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (2,))
    ls0 = _make_list(p, F32, (2,))  # init_length and dynamic_length left to their defaults (1, true)
    lt = list_type(F32, (2,))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(3), value=x, dtypes=[lt])
    len1 = p.op("list_length", ls=ls1, dtypes=[np.int32], shapes=[()])
    rows = p.const(np.array([[1, 2], [3, 4]], np.float32))
    ls2 = p.op("list_scatter", ls=ls1, indices=np.int32([5, 4]), value=rows, dtypes=[lt])
    len2 = p.op("list_length", ls=ls2, dtypes=[np.int32], shapes=[()])
    g = p.op("list_gather", ls=ls2, indices=np.int32([0, 1, 2, 3, 4, 5]), dtypes=[F32], shapes=[(6, 2)])
    len0 = p.op("list_length", ls=ls0, dtypes=[np.int32], shapes=[()])
    p.output(len0, len1, len2, g)
    out = p.model(tmp_path).predict({"x": np.array([7, 8], np.float32)})
    assert (int(out[len0]), int(out[len1]), int(out[len2])) == (1, 4, 6)
    np.testing.assert_array_equal(out[g], [[0, 0], [0, 0], [0, 0], [7, 8], [3, 4], [1, 2]])


def test_init_length_from_a_run_time_value(tmp_path):
    p = MilProgram()
    n = p.input("n", np.int32, (1,))
    n0 = p.op("squeeze", x=n, axes=np.int32([0]), shapes=[()])
    ls = _make_list(p, F32, (3,), init_length=n0, dynamic_length=False)
    length = p.op("list_length", ls=ls, dtypes=[np.int32], shapes=[()])
    p.output(length)
    model = p.model(tmp_path)
    for count in (0, 1, 5):
        assert int(model.predict({"n": np.array([count], np.int32)})[length]) == count
    for bad in (-1, 2 ** 31 - 1):
        _expect_error(model, {"n": np.array([bad], np.int32)}, "make_list", "init_length must be in")


def test_lists_are_values_writes_leave_the_old_list_unchanged(tmp_path):
    p = MilProgram()
    a = p.input("a", np.float32, (2,))
    b = p.input("b", np.float32, (2,))
    ls0 = _make_list(p, F32, (2,), init_length=np.int32(2))
    lt = list_type(F32, (2,))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(0), value=a, dtypes=[lt])
    ls2 = p.op("list_write", ls=ls1, index=np.int32(0), value=b, dtypes=[lt])
    r1 = p.op("list_read", ls=ls1, index=np.int32(0), dtypes=[F32])
    r2 = p.op("list_read", ls=ls2, index=np.int32(0), dtypes=[F32])
    r0 = p.op("list_read", ls=ls0, index=np.int32(0), dtypes=[F32])
    p.output(r0, r1, r2)
    out = p.model(tmp_path).predict({"a": np.array([1, 2], np.float32), "b": np.array([3, 4], np.float32)})
    np.testing.assert_array_equal(out[r0], [0, 0])
    np.testing.assert_array_equal(out[r1], [1, 2])
    np.testing.assert_array_equal(out[r2], [3, 4])


def test_fp32_value_written_into_fp16_list_is_rounded_once(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (4,))
    rows = p.input("rows", np.float32, (2, 4))
    ls0 = _make_list(p, F16, (4,), init_length=np.int32(3))
    lt = list_type(F16, (4,))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(0), value=x, dtypes=[lt])
    ls2 = p.op("list_scatter", ls=ls1, indices=np.int32([1, 2]), value=rows, dtypes=[lt])
    read = p.op("list_read", ls=ls2, index=np.int32(0), dtypes=[F16], shapes=[(4,)])
    g = p.op("list_gather", ls=ls2, indices=np.int32([2, 1, 0]), dtypes=[F16], shapes=[(3, 4)])
    p.output(read, g)
    rng = np.random.default_rng(3)
    xv = rng.standard_normal(4).astype(np.float32)
    rv = rng.standard_normal((2, 4)).astype(np.float32)
    out = p.model(tmp_path).predict({"x": xv, "rows": rv})
    as16 = lambda a: a.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(out[read], as16(xv))
    np.testing.assert_array_equal(out[g], as16(np.stack([rv[1], rv[0], xv])))


def test_bool_elements(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (3,))
    flags = p.op("greater", x=x, y=np.float32(0), dtypes=[np.bool_])
    ls0 = _make_list(p, np.bool_, (3,), init_length=np.int32(2))
    lt = list_type(np.bool_, (3,))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(1), value=flags, dtypes=[lt])
    g = p.op("list_gather", ls=ls1, indices=np.int32([1, 0]), dtypes=[np.bool_], shapes=[(2, 3)])
    as_int = p.op("cast", x=g, dtype="int32", dtypes=[np.int32])
    p.output(as_int)
    out = p.model(tmp_path).predict({"x": np.array([1.5, -2, 0.25], np.float32)})
    np.testing.assert_array_equal(out[as_int], [[1, 0, 1], [0, 0, 0]])


def test_symbolic_elem_shape_is_learned_from_the_first_write(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (2, 3))
    ls0 = _make_list(p, F32, ("seq", 3), init_length=np.int32(3))
    lt = list_type(F32, (None, 3))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(2), value=x, dtypes=[lt])
    g = p.op("list_gather", ls=ls1, indices=np.int32([2, 0]), dtypes=[F32], shapes=[(2, None, 3)])
    p.output(g)
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = p.model(tmp_path).predict({"x": xv})
    np.testing.assert_array_equal(out[g], np.stack([xv, np.zeros((2, 3), np.float32)]))


# ---- errors: a clear exception naming the op, and the model still runs afterwards ----------

def _index_program(op_type, fixed=False, elem_shape=(2,), write_shape=(2,), index_shape=(1,)):
    """A list of init_length 2 with element 0 written; `op_type` then uses index input `i`."""
    p = MilProgram()
    x = p.input("x", np.float32, write_shape)
    i = p.input("i", np.int32, index_shape)
    ls0 = _make_list(p, F32, elem_shape, init_length=np.int32(2), dynamic_length=not fixed)
    lt = list_type(F32, [None if isinstance(d, str) else d for d in elem_shape], 2 if fixed else None)
    if op_type == "list_read":
        ls1 = p.op("list_write", ls=ls0, index=np.int32(0), value=x, dtypes=[lt])
        i0 = p.op("squeeze", x=i, axes=np.int32([0]), shapes=[()])
        out = p.op("list_read", ls=ls1, index=i0, dtypes=[F32])
    elif op_type == "list_gather":
        ls1 = p.op("list_write", ls=ls0, index=np.int32(0), value=x, dtypes=[lt])
        out = p.op("list_gather", ls=ls1, indices=i, dtypes=[F32])
    elif op_type == "list_write":
        i0 = p.op("squeeze", x=i, axes=np.int32([0]), shapes=[()])
        ls1 = p.op("list_write", ls=ls0, index=i0, value=x, dtypes=[lt])
        out = p.op("list_length", ls=ls1, dtypes=[np.int32], shapes=[()])
    else:  # list_scatter of x's rows at i
        ls1 = p.op("list_scatter", ls=ls0, indices=i, value=x, dtypes=[lt])
        out = p.op("list_length", ls=ls1, dtypes=[np.int32], shapes=[()])
    p.output(out)
    return p, out


def _expect_error(model, feed, op_type, message):
    with pytest.raises(ValueError, match=r"\(%s\): .*%s" % (op_type, message)):
        model.predict(feed)


@pytest.mark.parametrize("index", [2, 7, -3])
def test_read_out_of_range_is_an_error(tmp_path, index):
    p, out = _index_program("list_read")
    model = p.model(tmp_path)
    x = np.array([1, 2], np.float32)
    _expect_error(model, {"x": x, "i": np.array([index], np.int32)}, "list_read",
                  r"list index %d is out of range for a list of length 2" % index)
    np.testing.assert_array_equal(model.predict({"x": x, "i": np.array([0], np.int32)})[out], x)  # still runs
    np.testing.assert_array_equal(model.predict({"x": x, "i": np.array([-1], np.int32)})[out], [0, 0])


def test_gather_out_of_range_is_an_error(tmp_path):
    p, out = _index_program("list_gather", index_shape=(2,))
    model = p.model(tmp_path)
    x = np.array([1, 2], np.float32)
    _expect_error(model, {"x": x, "i": np.array([0, 2], np.int32)}, "list_gather", "out of range")
    np.testing.assert_array_equal(model.predict({"x": x, "i": np.array([1, 0], np.int32)})[out], [[0, 0], [1, 2]])


def test_reading_an_unwritten_element_of_unknown_shape_is_an_error(tmp_path):
    p, out = _index_program("list_read", elem_shape=("n",))
    model = p.model(tmp_path)
    x = np.array([1, 2], np.float32)
    # element 0 was written, so its shape (2,) is known and element 1 reads as zeros ...
    np.testing.assert_array_equal(model.predict({"x": x, "i": np.array([1], np.int32)})[out], [0, 0])
    # ... but a list never written has nothing to tell the shape of an element
    q = MilProgram()
    q.input("x", np.float32, (1,))
    ls = _make_list(q, F32, ("n",), init_length=np.int32(2))
    r = q.op("list_read", ls=ls, index=np.int32(1), dtypes=[F32])
    q.output(r)
    _expect_error(q.model(tmp_path / "q"), {"x": np.zeros(1, np.float32)}, "list_read", "read before it was written")
    g = MilProgram()
    g.input("x", np.float32, (1,))
    ls = _make_list(g, F32, ("n",), init_length=np.int32(2))
    out_g = g.op("list_gather", ls=ls, indices=np.int32([0]), dtypes=[F32])
    g.output(out_g)
    _expect_error(g.model(tmp_path / "g"), {"x": np.zeros(1, np.float32)}, "list_gather", "read before it was written")


@pytest.mark.parametrize("write_shape", [(3,), (2, 1), ()])
def test_writing_an_element_of_the_wrong_shape_is_an_error(tmp_path, write_shape):
    p, out = _index_program("list_write", elem_shape=(2,), write_shape=write_shape)
    model = p.model(tmp_path)
    _expect_error(model, {"x": np.ones(write_shape, np.float32), "i": np.array([0], np.int32)}, "list_write",
                  r"value of shape .* does not match the list's element shape \(2,\)")


def test_symbolic_dim_fixed_by_the_first_write(tmp_path):
    """A dim declared by a string is learned from the first write; a later write of another
    shape is refused."""
    p = MilProgram()
    a = p.input("a", np.float32, (2, 3))
    b = p.input("b", np.float32, (4, 3))
    ls0 = _make_list(p, F32, ("seq", 3), init_length=np.int32(2))
    lt = list_type(F32, (None, 3))
    ls1 = p.op("list_write", ls=ls0, index=np.int32(0), value=a, dtypes=[lt])
    ls2 = p.op("list_write", ls=ls1, index=np.int32(1), value=b, dtypes=[lt])
    p.output(p.op("list_length", ls=ls2, dtypes=[np.int32], shapes=[()]))
    _expect_error(p.model(tmp_path), {"a": np.ones((2, 3), np.float32), "b": np.ones((4, 3), np.float32)},
                  "list_write", r"value of shape \(4, 3\) does not match the list's element shape \(2, 3\)")


def test_scatter_errors(tmp_path):
    # rows of the wrong element shape
    p, out = _index_program("list_scatter", elem_shape=(2,), write_shape=(2, 3), index_shape=(2,))
    _expect_error(p.model(tmp_path / "a"), {"x": np.ones((2, 3), np.float32), "i": np.array([0, 1], np.int32)},
                  "list_scatter", r"does not match the list's element shape \(2,\)")
    # one row per index
    p, out = _index_program("list_scatter", elem_shape=(2,), write_shape=(3, 2), index_shape=(2,))
    _expect_error(p.model(tmp_path / "b"), {"x": np.ones((3, 2), np.float32), "i": np.array([0, 1], np.int32)},
                  "list_scatter", "one slice per index")
    p, out = _index_program("list_scatter", elem_shape=(2,), write_shape=(3, 2), index_shape=(3,))
    model = p.model(tmp_path / "c")
    assert int(model.predict({"x": np.ones((3, 2), np.float32), "i": np.array([0, 4, 1], np.int32)})[out]) == 5
    _expect_error(model, {"x": np.ones((3, 2), np.float32), "i": np.array([0, 2 ** 31 - 1, 1], np.int32)},
                  "list_scatter", "beyond the largest list length")
    _expect_error(model, {"x": np.ones((3, 2), np.float32), "i": np.array([0, -3, 1], np.int32)},
                  "list_scatter", "list index -3 is out of range")


def test_writing_past_the_end_of_a_fixed_length_list_is_an_error(tmp_path):
    p, out = _index_program("list_write", fixed=True)
    model = p.model(tmp_path)
    x = np.array([1, 2], np.float32)
    _expect_error(model, {"x": x, "i": np.array([2], np.int32)}, "list_write",
                  "list index 2 is out of range for a list of fixed length 2")
    assert int(model.predict({"x": x, "i": np.array([1], np.int32)})[out]) == 2
    q, out_q = _index_program("list_scatter", fixed=True, write_shape=(1, 2))
    _expect_error(q.model(tmp_path / "q"), {"x": np.ones((1, 2), np.float32), "i": np.array([5], np.int32)},
                  "list_scatter", "out of range for a list of fixed length 2")
    p2, out2 = _index_program("list_write", fixed=True)
    _expect_error(p2.model(tmp_path / "neg"), {"x": x, "i": np.array([-3], np.int32)}, "list_write",
                  "list index -3 is out of range for a list of length 2")
