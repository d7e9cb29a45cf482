"""ML program tensor ops (reshaping, joining, slicing, gathering/scattering, sorting,
padding and block rearrangement) against numpy references.

Data-movement ops must reproduce numpy exactly for every dtype they take (fp32, fp16, int32
as model inputs; bool and the iOS17 small integer types as constants, which the engine folds
at load through the same kernels). Ops that compute (cumsum, scatter modes) are compared
within rtol=1e-5 (fp32) or 2e-3 (fp16) of a float64 reference; int32 exactly.
"""
import numpy as np
import pytest

from mil_op_runner import run_op, run_op1

RNG = np.random.default_rng(99)
DTYPES = [np.float32, np.float16, np.int32, np.bool_]
# Pure data movement also takes iOS17's small integer types.
DATA_DTYPES = DTYPES + [np.int8, np.uint16]


def sample(shape, dtype):
    if dtype == np.bool_:
        return RNG.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return RNG.integers(max(info.min, -50), min(info.max, 50) + 1, size=shape).astype(dtype)
    return RNG.uniform(-5, 5, size=shape).astype(dtype)


def same(actual, expected):
    """Exact comparison; outputs come back as float32 (fp16/bool/small ints) or int32."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype == np.int32:
        assert actual.dtype == np.int32
    np.testing.assert_array_equal(actual.astype(np.float64), expected.astype(np.float64))


def out_dtype(x):
    return [np.asarray(x).dtype]


# ---- reshape family (views) ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("target,expected", [([6, 4], (6, 4)), ([-1, 12], (2, 12)), ([2, -1, 4], (2, 3, 4)), ([24], (24,)),
                                             ([0, 0, -1], (2, 3, 4)), ([2, 0, 4], (2, 3, 4))])
def test_reshape(tmp_path, dtype, target, expected):
    x = sample((2, 3, 4), dtype)
    out = run_op1(tmp_path, "reshape", inputs={"x": x, "shape": np.array(target, np.int32)}, dtypes=out_dtype(x))
    same(out, x.reshape(expected))


def test_reshape_zero_rules_by_opset(tmp_path):
    x = sample((2, 50), np.float32)
    # iOS17: 0s match x's dims from the right; unmatched 0s become 1.
    out = run_op1(tmp_path, "reshape", inputs={"x": x}, params={"shape": np.int32([1, 0, -1, 0])}, opset="CoreML7")
    same(out, x.reshape(1, 1, 2, 50))
    # iOS15/16: 0 copies the dim at the same position and needs len(shape) == rank(x).
    out = run_op1(tmp_path, "reshape", inputs={"x": x}, params={"shape": np.int32([0, 50])},
                  opset="CoreML5")
    same(out, x.reshape(2, 50))
    with pytest.raises(ValueError, match="rank"):
        run_op1(tmp_path, "reshape", inputs={"x": x}, params={"shape": np.int32([1, 0, -1, 0])}, opset="CoreML5")


def test_reshape_errors(tmp_path):
    x = sample((2, 3), np.float32)
    with pytest.raises(ValueError, match="reshape"):
        run_op1(tmp_path, "reshape", inputs={"x": x}, params={"shape": np.int32([4, 2])})
    with pytest.raises(ValueError, match="more than one -1"):
        run_op1(tmp_path, "reshape", inputs={"x": x}, params={"shape": np.int32([-1, -1])})


def test_reshape_like(tmp_path):
    x = sample((2, 3, 5, 6), np.float32)
    refs = [sample((2, 3, 4), np.float32), sample((1, 5, 6), np.int32)]
    # begins/ends/end_masks are tuples of scalar constants, one per reference tensor.
    out = run_op1(tmp_path, "reshape_like", opset="CoreML6",
                  inputs={"x": x, "ref_tensors": refs, "begins": [np.int32(0), np.int32(1)], "ends": [np.int32(2), np.int32(0)],
                          "end_masks": [np.bool_(False), np.bool_(True)]})
    same(out, x.reshape(2, 3, 5, 6))
    out = run_op1(tmp_path, "reshape_like", opset="CoreML6",
                  inputs={"x": x, "ref_tensors": [sample((6, 30), np.float32)], "begins": [np.int32(-2)], "ends": [np.int32(0)],
                          "end_masks": [np.bool_(True)]})
    same(out, x.reshape(6, 30))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axes,expected", [([0], (1, 2, 3)), ([-1], (2, 3, 1)), ([1, -1], (2, 1, 3, 1)), ([0, 2, 4], (1, 2, 1, 3, 1))])
def test_expand_dims(tmp_path, dtype, axes, expected):
    x = sample((2, 3), dtype)
    out = run_op1(tmp_path, "expand_dims", inputs={"x": x}, params={"axes": np.array(axes, np.int32)}, dtypes=out_dtype(x))
    same(out, x.reshape(expected))


def test_expand_dims_of_scalar(tmp_path):
    out = run_op1(tmp_path, "expand_dims", inputs={"x": np.float32(3.5)}, params={"axes": np.int32([0])})
    same(out, np.array([3.5], np.float32))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axes,expected", [(None, (3, 4)), ([0], (3, 1, 4)), ([-2], (1, 3, 4)), ([0, 2], (3, 4)), ([1], (1, 3, 1, 4))])
def test_squeeze(tmp_path, dtype, axes, expected):
    x = sample((1, 3, 1, 4), dtype)
    params = {} if axes is None else {"axes": np.array(axes, np.int32)}
    out = run_op1(tmp_path, "squeeze", inputs={"x": x}, params=params, dtypes=out_dtype(x))
    same(out, x.reshape(expected))  # listed dims that are not 1 stay (PyTorch's rule)


@pytest.mark.parametrize("shape,axis,expected", [((3,), -1, (1, 3)), ((3,), 1, (3, 1)), ((4, 3), -1, (4, 3)), ((2, 3, 2), -1, (6, 2)),
                                                 ((5, 5, 2), 1, (5, 10)), ((2, 3, 4), 0, (1, 24)), ((2, 3, 4), None, (2, 12))])
def test_flatten2d(tmp_path, shape, axis, expected):
    x = sample(shape, np.int32)
    params = {} if axis is None else {"axis": np.int32(axis)}
    out = run_op1(tmp_path, "flatten2d", inputs={"x": x}, params=params)
    same(out, x.reshape(expected))


@pytest.mark.parametrize("dtype", DTYPES)
def test_shape(tmp_path, dtype):
    x = sample((2, 0, 5), dtype) if dtype == np.bool_ else sample((2, 7, 5), dtype)
    out = run_op1(tmp_path, "shape", inputs={"x": x}, dtypes=[np.int32])
    same(out, np.array(x.shape, np.int32))


# ---- transpose, tile, reverse ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("shape,perm", [((2, 3), [1, 0]), ((2, 3, 4), [2, 0, 1]), ((2, 3, 4, 5), [0, 2, 3, 1]),
                                        ((2, 1, 4), [1, 0, 2]), ((3, 4, 5), [-1, 0, -2]), ((2, 0, 3), [2, 1, 0]), ((7,), [0])])
def test_transpose(tmp_path, dtype, shape, perm):
    x = sample(shape, dtype)
    out = run_op1(tmp_path, "transpose", inputs={"x": x}, params={"perm": np.array(perm, np.int32)}, dtypes=out_dtype(x))
    same(out, np.transpose(x, perm))


def test_transpose_large_parallel(tmp_path):
    x = sample((64, 300, 40), np.float32)
    out = run_op1(tmp_path, "transpose", inputs={"x": x}, params={"perm": np.int32([2, 0, 1])})
    same(out, np.transpose(x, (2, 0, 1)))


def test_transpose_rejects_bad_perm(tmp_path):
    with pytest.raises(ValueError, match="permutation"):
        run_op1(tmp_path, "transpose", inputs={"x": sample((2, 3), np.float32)}, params={"perm": np.int32([0, 0])})


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("shape,reps", [((2, 3), [2, 3]), ((2, 3), [1, 1]), ((1, 2, 3), [3, 1, 2]), ((4,), [5]), ((2, 3), [0, 2])])
def test_tile(tmp_path, dtype, shape, reps):
    x = sample(shape, dtype)
    out = run_op1(tmp_path, "tile", inputs={"x": x, "reps": np.array(reps, np.int32)}, dtypes=out_dtype(x))
    same(out, np.tile(x, reps))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axes", [None, [0], [-1], [0, 2], [1]])
def test_reverse(tmp_path, dtype, axes):
    x = sample((3, 4, 5), dtype)
    params = {} if axes is None else {"axes": np.array(axes, np.int32)}
    out = run_op1(tmp_path, "reverse", inputs={"x": x}, params=params, dtypes=out_dtype(x))
    same(out, np.flip(x, axis=None if axes is None else tuple(axes)))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("seq_axis,batch_axis", [(1, 0), (0, 1), (2, 0), (0, 2), (-1, 1)])
def test_reverse_sequence(tmp_path, dtype, seq_axis, batch_axis):
    x = sample((3, 4, 5), dtype)
    n_seq, n_batch = x.shape[seq_axis], x.shape[batch_axis]
    lengths = RNG.integers(0, n_seq + 1, size=n_batch).astype(np.int32)
    out = run_op1(tmp_path, "reverse_sequence", inputs={"x": x, "lengths": lengths},
                  params={"seq_axis": np.int32(seq_axis), "batch_axis": np.int32(batch_axis)}, dtypes=out_dtype(x))
    ref = x.copy()
    for b in range(n_batch):
        src = np.take(x, b, axis=batch_axis)
        dst = np.take(ref, b, axis=batch_axis).copy()
        s_axis = (seq_axis % 3) - (1 if (seq_axis % 3) > (batch_axis % 3) else 0)
        idx = [slice(None)] * 2
        idx[s_axis] = slice(0, lengths[b])
        dst[tuple(idx)] = np.flip(src[tuple(idx)], axis=s_axis)
        bidx = [slice(None)] * 3
        bidx[batch_axis % 3] = b
        ref[tuple(bidx)] = dst
    same(out, ref)


# ---- concat, stack, split -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(tmp_path, dtype, axis):
    shapes = [(2, 3, 4), (2, 3, 4), (2, 3, 4)]
    shapes = [tuple(s if i != axis % 3 else s + k for i, s in enumerate(shape)) for k, shape in enumerate(shapes)]
    values = [sample(s, dtype) for s in shapes]
    out = run_op1(tmp_path, "concat", inputs={"values": values}, params={"axis": np.int32(axis)}, dtypes=out_dtype(values[0]))
    same(out, np.concatenate(values, axis=axis))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_interleave(tmp_path, dtype, axis):
    values = [sample((3, 2, 2), dtype) for _ in range(3)]
    out = run_op1(tmp_path, "concat", inputs={"values": values}, params={"axis": np.int32(axis), "interleave": True},
                  dtypes=out_dtype(values[0]))
    a = axis % 3
    ref = np.stack(values, axis=a + 1).reshape([s * 3 if i == a else s for i, s in enumerate(values[0].shape)])
    same(out, ref)


def test_concat_documented_interleave_example(tmp_path):
    in1 = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
    in2 = np.array([[7, 8], [9, 10], [11, 12]], np.int32)
    out = run_op1(tmp_path, "concat", inputs={"values": [in1, in2]}, params={"axis": np.int32(0), "interleave": True})
    same(out, np.array([[1, 2], [7, 8], [3, 4], [9, 10], [5, 6], [11, 12]], np.int32))


def test_concat_scalars_and_empty(tmp_path):
    out = run_op1(tmp_path, "concat", inputs={"values": [np.float32(1), np.float32(2)]}, params={"axis": np.int32(0)})
    same(out, np.array([1, 2], np.float32))
    values = [sample((2, 0), np.float32), sample((2, 3), np.float32)]
    out = run_op1(tmp_path, "concat", inputs={"values": values}, params={"axis": np.int32(1)})
    same(out, np.concatenate(values, axis=1))


def test_concat_shape_mismatch(tmp_path):
    with pytest.raises(ValueError, match="mismatched"):
        run_op1(tmp_path, "concat", inputs={"values": [sample((2, 3), np.float32), sample((3, 3), np.float32)]},
                params={"axis": np.int32(1)})


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack(tmp_path, dtype, axis):
    values = [sample((2, 3), dtype) for _ in range(4)]
    out = run_op1(tmp_path, "stack", inputs={"values": values}, params={"axis": np.int32(axis)}, dtypes=out_dtype(values[0]))
    same(out, np.stack(values, axis=axis))


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("axis,sizes", [(0, None), (1, None), (-1, [1, 3, 2]), (1, [0, 6, 0]), (2, [2, 4])])
def test_split(tmp_path, dtype, axis, sizes):
    x = sample((6, 6, 6), dtype)
    params = {"axis": np.int32(axis)}
    if sizes is None:
        n = 3
        params["num_splits"] = np.int32(n)
        ref = np.split(x, n, axis=axis)
    else:
        n = len(sizes)
        params["split_sizes"] = np.array(sizes, np.int32)
        ref = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
    outs = run_op(tmp_path, "split", inputs={"x": x}, params=params, outputs=n, dtypes=out_dtype(x) * n)
    assert len(outs) == n
    for o, r in zip(outs, ref):
        same(o, r)


def test_split_uneven_error(tmp_path):
    with pytest.raises(ValueError, match="evenly"):
        run_op(tmp_path, "split", inputs={"x": sample((5, 2), np.float32)}, params={"axis": np.int32(0), "num_splits": np.int32(2)},
               outputs=2, dtypes=[np.float32] * 2)


# ---- pad ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
@pytest.mark.parametrize("pad", [[1, 2], [0, 0, 2, 1], [1, 1, 0, 2, 3, 0], [0, 0]])
def test_pad(tmp_path, dtype, mode, pad):
    x = sample((3, 4, 5), dtype)
    params = {"pad": np.array(pad, np.int32), "mode": mode}
    if mode == "constant":
        params["constant_val"] = dtype(2.5) if dtype != np.int32 else np.int32(7)
    out = run_op1(tmp_path, "pad", inputs={"x": x}, params=params)
    pairs = [(0, 0)] * (3 - len(pad) // 2) + [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)]
    if mode == "constant":
        ref = np.pad(x, pairs, mode="constant", constant_values=params["constant_val"])
    else:
        ref = np.pad(x, pairs, mode="edge" if mode == "replicate" else "reflect")
    same(out, ref)


def test_pad_runtime_amounts_and_errors(tmp_path):
    x = sample((2, 3), np.float32)
    out = run_op1(tmp_path, "pad", inputs={"x": x, "pad": np.int32([1, 0, 2, 2])})
    same(out, np.pad(x, [(1, 0), (2, 2)]))
    with pytest.raises(ValueError, match="reflect"):
        run_op1(tmp_path, "pad", inputs={"x": x}, params={"pad": np.int32([3, 0]), "mode": "reflect"})


# ---- slicing -------------------------------------------------------------------------------

SLICES = [
    # begin, end, stride, begin_mask, end_mask, squeeze_mask
    ([0, 1, 0], [2, 3, 5], None, None, None, None),
    ([1, 0, 4], [3, 4, 0], [1, 2, -1], None, None, None),
    ([-1, -3, -1], [-4, -1, -6], [-1, 1, -2], None, None, None),
    ([0, 0, 0], [0, 0, 0], [1, 1, 1], [True, True, True], [True, True, True], None),
    ([2, 1, 0], [0, 0, 0], [-1, 1, 2], [False, False, True], [True, True, False], None),
    ([1, 2, 3], [0, 0, 0], None, None, [True, True, True], [True, False, True]),
    ([-2, 0, 0], [0, 9, 100], None, None, None, [True, False, False]),
    ([0, 5, 0], [2, 9, 5], None, None, None, None),
    ([4, 0, 0], [1, 4, 5], None, None, None, None),
]


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("case", range(len(SLICES)))
def test_slice_by_index(tmp_path, dtype, case):
    begin, end, stride, bmask, emask, smask = SLICES[case]
    x = sample((3, 4, 5), dtype)
    params = {}
    for name, v, t in (("stride", stride, np.int32), ("begin_mask", bmask, np.bool_), ("end_mask", emask, np.bool_),
                       ("squeeze_mask", smask, np.bool_)):
        if v is not None:
            params[name] = np.array(v, t)
    out = run_op1(tmp_path, "slice_by_index", inputs={"x": x, "begin": np.array(begin, np.int32), "end": np.array(end, np.int32)},
                  params=params, dtypes=out_dtype(x))
    index = []
    for d in range(3):
        if smask and smask[d]:
            index.append(begin[d])
            continue
        b = None if bmask and bmask[d] else begin[d]
        e = None if emask and emask[d] else end[d]
        index.append(slice(b, e, stride[d] if stride else 1))
    same(out, x[tuple(index)])


def test_slice_by_index_int16_indices_ios17(tmp_path):
    x = sample((4, 6), np.float32)
    out = run_op1(tmp_path, "slice_by_index", inputs={"x": x},
                  params={"begin": np.int16([1, -5]), "end": np.int16([4, 6]), "stride": np.int16([2, 2])})
    same(out, x[1:4:2, -5:6:2])


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("begin,size", [([0, 1, 2], [3, 2, 3]), ([1, 0, 0], [-1, -1, 2]), ([-2, -3, 4], [2, 3, 1]), ([0, 0, 0], [0, 4, 5])])
def test_slice_by_size(tmp_path, dtype, begin, size):
    x = sample((3, 4, 5), dtype)
    out = run_op1(tmp_path, "slice_by_size", inputs={"x": x, "begin": np.array(begin, np.int32), "size": np.array(size, np.int32)},
                  dtypes=out_dtype(x))
    index = tuple(slice(b % n if b < 0 else b, n if s == -1 else (b % n if b < 0 else b) + s) for b, s, n in zip(begin, size, x.shape))
    same(out, x[index])


def test_slice_by_size_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="do not fit"):
        run_op1(tmp_path, "slice_by_size", inputs={"x": sample((3, 4), np.float32)},
                params={"begin": np.int32([2, 0]), "size": np.int32([2, 4])})


@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("case", [0, 1, 2, 4, 5])
def test_slice_update(tmp_path, dtype, case):
    begin, end, stride, bmask, emask, smask = SLICES[case]
    x = sample((3, 4, 5), dtype)
    index = []
    for d in range(3):
        if smask and smask[d]:
            index.append(begin[d])
            continue
        index.append(slice(None if bmask and bmask[d] else begin[d], None if emask and emask[d] else end[d], stride[d] if stride else 1))
    update = sample(x[tuple(index)].shape, dtype)
    params = {}
    for name, v, t in (("stride", stride, np.int32), ("begin_mask", bmask, np.bool_), ("end_mask", emask, np.bool_),
                       ("squeeze_mask", smask, np.bool_)):
        if v is not None:
            params[name] = np.array(v, t)
    out = run_op1(tmp_path, "slice_update", opset="CoreML8", dtypes=out_dtype(x),
                  inputs={"x": x, "update": update, "begin": np.array(begin, np.int32), "end": np.array(end, np.int32)}, params=params)
    ref = x.copy()
    ref[tuple(index)] = update
    same(out, ref)


def test_slice_update_shape_mismatch(tmp_path):
    with pytest.raises(ValueError, match="update"):
        run_op1(tmp_path, "slice_update", opset="CoreML8", inputs={"x": sample((3, 4), np.float32), "update": sample((2, 2), np.float32)},
                params={"begin": np.int32([0, 0]), "end": np.int32([3, 2])})


# ---- gather / scatter ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("ind_shape", [(), (4,), (2, 3)])
def test_gather(tmp_path, dtype, axis, ind_shape):
    x = sample((3, 4, 5), dtype)
    n = x.shape[axis]
    indices = RNG.integers(-n, n, size=ind_shape).astype(np.int32)
    out = run_op1(tmp_path, "gather", inputs={"x": x, "indices": indices}, params={"axis": np.int32(axis)})
    same(out, np.take(x, indices, axis=axis))


@pytest.mark.parametrize("axis,batch_dims", [(1, 1), (2, 1), (2, 2), (-1, 1)])
def test_gather_batch_dims_ios16(tmp_path, axis, batch_dims):
    x = sample((2, 3, 4), np.float32)
    indices = RNG.integers(0, x.shape[axis], size=(2, 3, 2)[:batch_dims] + (5,)).astype(np.int32)
    out = run_op1(tmp_path, "gather", opset="CoreML6", inputs={"x": x, "indices": indices},
                  params={"axis": np.int32(axis), "batch_dims": np.int32(batch_dims)})
    a = axis % 3
    ref = np.empty(x.shape[:a] + indices.shape[batch_dims:] + x.shape[a + 1:], np.float32)
    for b in np.ndindex(*x.shape[:batch_dims]):
        ref[b] = np.take(x[b], indices[b], axis=a - batch_dims)
    same(out, ref)


@pytest.mark.parametrize("index_dtype", [np.int16, np.uint16, np.int8, np.uint8])
def test_gather_small_index_types_ios17(tmp_path, index_dtype):
    x = sample((5, 3), np.float32)
    indices = np.array([4, 0, 2, 2], index_dtype)
    out = run_op1(tmp_path, "gather", inputs={"x": x}, params={"indices": indices, "axis": np.int32(0)})
    same(out, x[indices.astype(np.int64)])


def test_gather_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="out of range"):
        run_op1(tmp_path, "gather", inputs={"x": sample((3, 2), np.float32), "indices": np.int32([0, 3])})


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_along_axis(tmp_path, dtype, axis):
    x = sample((3, 4, 5), dtype)
    shape = list(x.shape)
    shape[axis] = 6
    indices = RNG.integers(-x.shape[axis], x.shape[axis], size=shape).astype(np.int32)
    out = run_op1(tmp_path, "gather_along_axis", inputs={"x": x, "indices": indices}, params={"axis": np.int32(axis)})
    same(out, np.take_along_axis(x, np.where(indices < 0, indices + x.shape[axis], indices), axis=axis))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("ind_shape", [(4, 1), (4, 2), (2, 3, 3), (2,)])
def test_gather_nd(tmp_path, dtype, ind_shape):
    x = sample((3, 4, 5), dtype)
    depth = ind_shape[-1]
    indices = np.stack([RNG.integers(0, x.shape[d], size=ind_shape[:-1]) for d in range(depth)], axis=-1).astype(np.int32)
    out = run_op1(tmp_path, "gather_nd", inputs={"x": x, "indices": indices})
    ref = np.array([x[tuple(i)] for i in indices.reshape(-1, depth)]).reshape(ind_shape[:-1] + x.shape[depth:])
    same(out, ref)


def test_gather_nd_batch_dims_ios16(tmp_path):
    x = sample((2, 3, 4, 5), np.float32)
    indices = np.stack([RNG.integers(0, 3, size=(2, 6)), RNG.integers(0, 4, size=(2, 6))], axis=-1).astype(np.int32)
    out = run_op1(tmp_path, "gather_nd", opset="CoreML6", inputs={"x": x, "indices": indices}, params={"batch_dims": np.int32(1)})
    ref = np.stack([np.stack([x[b][tuple(i)] for i in indices[b]]) for b in range(2)])
    same(out, ref)


SCATTER_MODES = {
    "update": lambda d, u: u, "add": np.add, "sub": np.subtract, "mul": np.multiply,
    "div": lambda d, u: d / u, "max": np.maximum, "min": np.minimum,
}


def scatter_ref(data, targets, updates, mode):
    """Apply updates one by one (repeated targets accumulate) in float64."""
    out = data.astype(np.float64)
    for t, u in zip(targets, updates):
        out[t] = SCATTER_MODES[mode](out[t], np.float64(u))
    return out


def check_scatter(out, ref, dtype):
    if dtype == np.int32:
        same(out, np.trunc(ref).astype(np.int32))
    else:
        tol = 2e-3 if dtype == np.float16 else 1e-5
        np.testing.assert_allclose(out.astype(np.float64), ref, rtol=tol, atol=tol * 10)


def scatter_values(shape, dtype):
    x = sample(shape, dtype)
    if dtype == np.int32:
        x = np.where(x == 0, 1, x).astype(np.int32)  # no integer division by zero
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("mode", sorted(SCATTER_MODES))
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scatter(tmp_path, dtype, mode, axis):
    data = scatter_values((3, 4, 5), dtype)
    n = data.shape[axis]
    indices = np.array([1, -1, 1, 0], np.int32) % n  # a repeated index accumulates
    upd_shape = list(data.shape)
    upd_shape[axis] = len(indices)
    updates = scatter_values(upd_shape, dtype)
    if dtype == np.int32 and mode == "div":
        data = data * 24  # keep integer quotients meaningful
    out = run_op1(tmp_path, "scatter", inputs={"data": data, "indices": indices, "updates": updates},
                  params={"axis": np.int32(axis), "mode": mode})
    a = axis % 3
    moved_data = np.moveaxis(data, a, 0)
    moved_upd = np.moveaxis(updates, a, 0)
    ref = np.moveaxis(scatter_ref(moved_data, list(indices), list(moved_upd), mode), 0, a)
    if dtype == np.int32 and mode == "div":  # integer division truncates at each step
        ref = np.moveaxis(int_scatter_div(moved_data, indices, moved_upd), 0, a)
    check_scatter(out, ref, dtype)


def int_scatter_div(data, targets, updates):
    out = data.astype(np.int64)
    for t, u in zip(targets, updates):
        out[t] = np.trunc(out[t] / u).astype(np.int64)
    return out.astype(np.float64)


def test_scatter_default_mode_is_add(tmp_path):
    data = np.zeros((3, 2), np.float32)
    out = run_op1(tmp_path, "scatter", inputs={"data": data, "indices": np.int32([2, 2]), "updates": np.ones((2, 2), np.float32)})
    same(out, np.array([[0, 0], [0, 0], [2, 2]], np.float32))


def test_scatter_documented_example(tmp_path):
    out = run_op1(tmp_path, "scatter", params={"axis": np.int32(0), "mode": "add"},
                  inputs={"data": np.array([[1, 2, 3], [4, 5, 6]], np.int32), "indices": np.int32([1, 0]),
                          "updates": np.array([[5, 6, 7], [8, 9, 10]], np.int32)})
    same(out, np.array([[9, 11, 13], [9, 11, 13]], np.int32))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("mode", ["update", "add", "mul", "max", "min", "sub"])
@pytest.mark.parametrize("axis", [0, 2, -2])
def test_scatter_along_axis(tmp_path, dtype, mode, axis):
    data = scatter_values((3, 4, 5), dtype)
    shape = list(data.shape)
    shape[axis] = 2
    indices = RNG.integers(0, data.shape[axis], size=shape).astype(np.int32)
    updates = scatter_values(shape, dtype)
    out = run_op1(tmp_path, "scatter_along_axis", inputs={"data": data, "indices": indices, "updates": updates},
                  params={"axis": np.int32(axis), "mode": mode})
    a = axis % 3
    targets, values = [], []
    for pos in np.ndindex(*indices.shape):
        t = list(pos)
        t[a] = indices[pos]
        targets.append(tuple(t))
        values.append(updates[pos])
    check_scatter(out, scatter_ref(data, targets, values, mode), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("mode", ["update", "add", "sub", "mul", "max", "min"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_scatter_nd(tmp_path, dtype, mode, depth):
    data = scatter_values((3, 4, 5), dtype)
    indices = np.stack([RNG.integers(0, data.shape[d], size=(6,)) for d in range(depth)], axis=-1).astype(np.int32)
    indices[3] = indices[0]  # a repeated target
    updates = scatter_values((6,) + data.shape[depth:], dtype)
    out = run_op1(tmp_path, "scatter_nd", inputs={"data": data, "indices": indices, "updates": updates}, params={"mode": mode})
    check_scatter(out, scatter_ref(data, [tuple(i) for i in indices], list(updates), mode), dtype)


def test_scatter_nd_bad_updates_shape(tmp_path):
    with pytest.raises(ValueError, match="updates"):
        run_op1(tmp_path, "scatter_nd", inputs={"data": np.zeros((3, 4), np.float32), "indices": np.int32([[0], [1]]),
                                                "updates": np.zeros((2, 3), np.float32)})


# ---- band_part, cumsum, one_hot, non_zero -----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower,upper", [(-1, -1), (0, -1), (-1, 0), (0, 0), (1, 2), (2, 0)])
def test_band_part(tmp_path, dtype, lower, upper):
    x = sample((2, 4, 5), dtype)
    out = run_op1(tmp_path, "band_part", inputs={"x": x}, params={"lower": np.int32(lower), "upper": np.int32(upper)},
                  dtypes=out_dtype(x))
    m, n = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    keep = ((lower < 0) | (m - n <= lower)) & ((upper < 0) | (n - m <= upper))
    same(out, np.where(keep, x, np.zeros_like(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum(tmp_path, dtype, axis, exclusive, reverse):
    x = sample((3, 4, 5), dtype)
    out = run_op1(tmp_path, "cumsum", inputs={"x": x}, params={"axis": np.int32(axis), "exclusive": exclusive, "reverse": reverse})
    xf = x.astype(np.float64)
    if reverse:
        xf = np.flip(xf, axis)
    ref = np.cumsum(xf, axis=axis)
    if exclusive:
        ref = ref - xf
    if reverse:
        ref = np.flip(ref, axis)
    if dtype == np.int32:
        same(out, ref.astype(np.int32))
    else:
        tol = 2e-3 if dtype == np.float16 else 1e-5
        np.testing.assert_allclose(out.astype(np.float64), ref, rtol=tol, atol=tol * 20)


@pytest.mark.parametrize("out_type", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot(tmp_path, out_type, axis):
    indices = np.array([[0, 3, 1], [2, 5, -1]], np.int32)  # 5 and -1 are outside [0, 4): all off
    on, off = out_type(3), out_type(-1)
    out = run_op1(tmp_path, "one_hot", inputs={"indices": indices},
                  params={"one_hot_vector_size": np.int32(4), "axis": np.int32(axis), "on_value": on, "off_value": off},
                  dtypes=[out_type])
    hot = (indices[..., None] == np.arange(4)).astype(np.float64) * (3 + 1) - 1
    same(out, np.moveaxis(hot, -1, axis).astype(out_type))


def test_one_hot_defaults_and_runtime_size(tmp_path):
    out = run_op1(tmp_path, "one_hot", inputs={"indices": np.int32([2, 0]), "one_hot_vector_size": np.int32([3])}, dtypes=[np.int32])
    same(out, np.array([[0, 0, 1], [1, 0, 0]], np.int32))


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_zero(tmp_path, dtype):
    x = sample((3, 4, 2), dtype)
    x[0, 0, 0] = 0
    if dtype in (np.float32, np.float16):
        x[1, 1, 1] = -0.0
    out = run_op1(tmp_path, "non_zero", inputs={"x": x}, dtypes=[np.int32])
    same(out, np.transpose(np.nonzero(x)).astype(np.int32))


# ---- argsort / topk ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("ascending", [False, True])
def test_argsort(tmp_path, dtype, axis, ascending):
    x = RNG.integers(-4, 5, size=(3, 6, 5)).astype(dtype)  # many ties: stable order expected
    out = run_op1(tmp_path, "argsort", inputs={"x": x}, params={"axis": np.int32(axis), "ascending": ascending}, dtypes=[np.int32])
    ref = np.argsort(x if ascending else -x.astype(np.float64), axis=axis, kind="stable")
    same(out, ref.astype(np.int32))


def test_argsort_nan_last(tmp_path):
    x = np.array([3.0, np.nan, 1.0, 2.0], np.float32)
    out = run_op1(tmp_path, "argsort", inputs={"x": x}, params={"ascending": True}, dtypes=[np.int32])
    same(out, np.argsort(x, kind="stable").astype(np.int32))
    out = run_op1(tmp_path, "argsort", inputs={"x": x}, dtypes=[np.int32])
    same(out, np.argsort(-x, kind="stable").astype(np.int32))


def topk_ref(x, k, axis, ascending):
    order = np.argsort(x if ascending else -x.astype(np.float64), axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis=axis), idx.astype(np.int32)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("k,axis", [(1, -1), (3, -1), (2, 0), (6, 1), (0, 1)])
@pytest.mark.parametrize("ascending", [False, True])
def test_topk(tmp_path, dtype, k, axis, ascending):
    x = RNG.integers(-20, 20, size=(3, 6, 5)).astype(dtype)
    values, indices = run_op(tmp_path, "topk", inputs={"x": x}, outputs=2, dtypes=[dtype, np.int32], opset="CoreML5",
                             params={"k": np.int32(k), "axis": np.int32(axis), "ascending": ascending})
    ref_v, ref_i = topk_ref(x, k, axis, ascending)
    same(values, ref_v)
    same(indices, ref_i)


def test_topk_ios16_values_only(tmp_path):
    x = sample((4, 7), np.float32)
    (values,) = run_op(tmp_path, "topk", inputs={"x": x}, outputs=1, opset="CoreML6",
                       params={"k": np.int32(3), "return_indices": False, "sort": False})
    same(values, topk_ref(x, 3, -1, False)[0])


@pytest.mark.parametrize("x_dtype", [np.int8, np.uint8, np.int16, np.uint16])
def test_topk_ios17_types_and_uint16_indices(tmp_path, x_dtype):
    x = sample((3, 8), x_dtype)
    values, indices = run_op(tmp_path, "topk", inputs={"x": x}, outputs=2, dtypes=[x_dtype, np.uint16], opset="CoreML7",
                             params={"k": np.int8(4), "output_indices_dtype": "uint16"})
    ref_v, ref_i = topk_ref(x, 4, -1, False)
    same(values, ref_v)
    same(indices, ref_i.astype(np.float32))


def test_topk_k_too_large(tmp_path):
    with pytest.raises(ValueError, match="exceeds"):
        run_op(tmp_path, "topk", inputs={"x": sample((2, 3), np.float32)}, outputs=2, dtypes=[np.float32, np.int32],
               params={"k": np.int32(4)})


# ---- block rearrangements and sliding windows ----------------------------------------------

def test_depth_to_space_and_pixel_shuffle_documented_example(tmp_path):
    # The [C=8, H=1, W=2] example from Core ML's ReorganizeData layer documentation.
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 8, 1, 2)
    out = run_op1(tmp_path, "depth_to_space", inputs={"x": x}, params={"block_size": np.int32(2)})
    same(out, np.array([[[[1, 5, 2, 6], [9, 13, 10, 14]], [[3, 7, 4, 8], [11, 15, 12, 16]]]], np.float32))
    out = run_op1(tmp_path, "pixel_shuffle", inputs={"x": x}, params={"upscale_factor": np.int32(2)})
    same(out, np.array([[[[1, 3, 2, 4], [5, 7, 6, 8]], [[9, 11, 10, 12], [13, 15, 14, 16]]]], np.float32))
    back = run_op1(tmp_path, "space_to_depth", inputs={"x": run_op1(tmp_path, "depth_to_space", inputs={"x": x},
                                                                     params={"block_size": np.int32(2)})},
                   params={"block_size": np.int32(2)})
    same(back, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("bs", [2, 3])
def test_depth_space_round_trips(tmp_path, dtype, bs):
    n, c, h, w = 2, 2 * bs * bs, 3, 2
    x = sample((n, c, h, w), dtype)
    d2s = run_op1(tmp_path, "depth_to_space", inputs={"x": x}, params={"block_size": np.int32(bs)}, dtypes=out_dtype(x))
    ref = x.reshape(n, bs, bs, c // (bs * bs), h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c // (bs * bs), h * bs, w * bs)
    same(d2s, ref)
    y = sample((n, 3, h * bs, w * bs), dtype)
    s2d = run_op1(tmp_path, "space_to_depth", inputs={"x": y}, params={"block_size": np.int32(bs)}, dtypes=out_dtype(y))
    same(s2d, y.reshape(n, 3, h, bs, w, bs).transpose(0, 3, 5, 1, 2, 4).reshape(n, 3 * bs * bs, h, w))
    ps = run_op1(tmp_path, "pixel_shuffle", inputs={"x": x}, params={"upscale_factor": np.int32(bs)}, dtypes=out_dtype(x))
    same(ps, x.reshape(n, c // (bs * bs), bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (bs * bs), h * bs, w * bs))
    pu = run_op1(tmp_path, "pixel_unshuffle", opset="CoreML6", inputs={"x": ps.astype(dtype)},
                 params={"downscale_factor": np.uint32(bs)}, dtypes=out_dtype(x))
    same(pu, x)


def test_space_to_batch_tf_example(tmp_path):
    # TensorFlow's space_to_batch_nd example (NHWC [1, 2, 2, 1] -> [4, 1, 1, 1]) in NCHW.
    x = np.array([[[[1, 2], [3, 4]]]], np.float32)
    out = run_op1(tmp_path, "space_to_batch", inputs={"x": x},
                  params={"block_shape": np.int32([2, 2]), "paddings": np.int32([[0, 0], [0, 0]])})
    same(out, np.array([1, 2, 3, 4], np.float32).reshape(4, 1, 1, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("block,pads", [([2, 2], [[0, 0], [0, 0]]), ([2, 3], [[1, 1], [2, 1]]), ([1, 2], [[0, 3], [1, 1]])])
def test_space_batch_round_trip(tmp_path, dtype, block, pads):
    x = sample((2, 3, 4, 6), dtype)
    out = run_op1(tmp_path, "space_to_batch", inputs={"x": x}, params={"block_shape": np.array(block, np.int32),
                                                                          "paddings": np.array(pads, np.int32)})
    padded = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads])
    n, c, hp, wp = padded.shape
    ref = padded.reshape(n, c, hp // block[0], block[0], wp // block[1], block[1]).transpose(3, 5, 0, 1, 2, 4)
    ref = ref.reshape(n * block[0] * block[1], c, hp // block[0], wp // block[1])
    same(out, ref)
    back = run_op1(tmp_path, "batch_to_space", inputs={"x": out.astype(dtype)},
                   params={"block_shape": np.array(block, np.int32), "crops": np.array(pads, np.int32)})
    same(back, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis,size,stride", [(0, 2, 1), (1, 3, 2), (-1, 5, 1), (2, 1, 3), (-2, 4, 4)])
def test_sliding_windows(tmp_path, dtype, axis, size, stride):
    x = sample((3, 7, 5), dtype)
    out = run_op1(tmp_path, "sliding_windows", inputs={"x": x}, params={"axis": np.int32(axis), "size": np.int32(size),
                                                                         "stride": np.int32(stride)})
    a = axis % 3
    count = (x.shape[a] - size) // stride + 1
    windows = [np.take(x, np.arange(w * stride, w * stride + size), axis=a) for w in range(count)]
    same(out, np.stack(windows, axis=a))
