"""ML program compression ops: the iOS16 constexpr ops (affine dequantize, cast, palettization,
sparsity; parameters bit-packed as coremltools writes them), the iOS18 constexpr ops (block-wise
shift-scale, grouped/vector palettes, uint1 masks, sparse+lut and sparse+quantized chains, with
sub-byte constants packed as in the file format) and iOS17 quantize/dequantize. Expected values
are decompressed by hand in numpy from the stored data (or taken from the examples in the MIL
definitions). Results are exact up to float32 rounding (rtol 1e-6) unless stated."""
import numpy as np
import pytest

from mil_op_runner import assert_representable, close
from mil_sub_byte import pack_bits, sub_byte_const
from mil_program import MilProgram
from opencoreml.proto import MIL_pb2

RNG = np.random.default_rng(11)
EXACT = dict(rtol=1e-6, atol=0)


def run_const(tmp_path, build, opset):
    """Program whose outputs are computed from constants only (folded at load); a dummy runtime
    input keeps the model interface non-empty."""
    p = MilProgram(opset=opset)
    p.input("unused", np.float32, (1,))
    outs = build(p)
    outs = outs if isinstance(outs, list) else [outs]
    p.output(*outs)
    result = p.model(tmp_path).predict({"unused": np.zeros(1, np.float32)})
    return [result[o] for o in outs]


# ---- iOS16 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("qdtype", [np.int8, np.uint8])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_constexpr_affine_dequantize_per_channel(tmp_path, qdtype, axis):
    info = np.iinfo(qdtype)
    q = RNG.integers(info.min, info.max + 1, size=(4, 3, 5)).astype(qdtype)
    n = q.shape[axis]
    zp = RNG.integers(info.min // 2, info.max // 2, size=n).astype(qdtype)
    scale = RNG.uniform(0.01, 0.2, size=n).astype(np.float32)
    (y,) = run_const(tmp_path, lambda p: p.op(
        "constexpr_affine_dequantize", dtypes=[np.float32], quantized_data=p.const(q, blob=True),
        zero_point=p.const(zp, blob=True), scale=p.const(scale, blob=True), axis=np.int32(axis)), "CoreML6")
    bshape = [1, 1, 1]
    bshape[axis] = n
    expected = (q.astype(np.float64) - zp.reshape(bshape)) * scale.reshape(bshape)
    close(y, expected, **EXACT)


def test_constexpr_affine_dequantize_scalar_fp16_and_float_zero_point(tmp_path):
    q = RNG.integers(0, 256, size=(6, 4)).astype(np.uint8)
    (y,) = run_const(tmp_path, lambda p: p.op(
        "constexpr_affine_dequantize", dtypes=[np.float16], quantized_data=p.const(q, blob=True),
        zero_point=np.uint8(128), scale=np.float16(0.05), axis=np.int32(0)), "CoreML6")
    assert_representable(y, np.float16)
    expected = ((q.astype(np.float32) - 128) * np.float32(np.float16(0.05))).astype(np.float16)
    np.testing.assert_array_equal(y, expected)
    zpf = RNG.uniform(-3, 3, size=4).astype(np.float32)
    (z,) = run_const(tmp_path / "b", lambda p: p.op(
        "constexpr_affine_dequantize", dtypes=[np.float32], quantized_data=p.const(q, blob=True),
        zero_point=zpf, scale=np.float32(0.5), axis=np.int32(1)), "CoreML6")
    close(z, (q - zpf[None, :].astype(np.float64)) * 0.5, **EXACT)


def test_constexpr_affine_dequantize_bad_vector_size(tmp_path):
    q = np.zeros((4, 3), np.int8)
    with pytest.raises(Exception, match="scale"):
        run_const(tmp_path, lambda p: p.op(
            "constexpr_affine_dequantize", dtypes=[np.float32], quantized_data=p.const(q, blob=True),
            zero_point=np.zeros(3, np.int8), scale=np.ones(3, np.float32), axis=np.int32(0)), "CoreML6")


def test_constexpr_cast(tmp_path):
    v = RNG.standard_normal((3, 7)).astype(np.float16)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_cast", dtypes=[np.float32], source_val=p.const(v, blob=True),
                                              output_dtype="fp32"), "CoreML6")
    assert_representable(y, np.float32)
    np.testing.assert_array_equal(y, v.astype(np.float32))
    (z,) = run_const(tmp_path / "ios18", lambda p: p.op("constexpr_cast", dtypes=[np.float32], source_val=v,
                                                         output_dtype="fp32"), "CoreML8")
    np.testing.assert_array_equal(z, v.astype(np.float32))


@pytest.mark.parametrize("nbits", [1, 2, 4, 6, 8])
@pytest.mark.parametrize("lut_dtype", [np.float32, np.float16])
def test_constexpr_lut_to_dense_ios16(tmp_path, nbits, lut_dtype):
    shape = (3, 5, 7)  # 105 elements: the last byte is partly padding for most widths
    lut = RNG.standard_normal(2 ** nbits).astype(lut_dtype)
    idx = RNG.integers(0, 2 ** nbits, size=shape)
    packed = np.frombuffer(pack_bits(idx, nbits), dtype=np.uint8)
    assert packed.size == int(np.ceil(nbits * idx.size / 8))
    (y,) = run_const(tmp_path, lambda p: p.op(
        "constexpr_lut_to_dense", dtypes=[lut_dtype], indices=p.const(packed, blob=True), lut=p.const(lut, blob=True),
        shape=np.array(shape, dtype=np.uint32)), "CoreML6")
    assert_representable(y, lut_dtype)
    np.testing.assert_array_equal(y, lut[idx])


def test_constexpr_lut_to_dense_ios16_documented_packing(tmp_path):
    # MIL docs: n_bits = 2, shape (5,) packs i0..i3 into byte 0 (LSB first) and i4 into byte 1.
    packed = np.array([0b01101100, 0b00000011], dtype=np.uint8)  # i0=0, i1=3, i2=2, i3=1, i4=3
    lut = np.array([10, 20, 30, 40], dtype=np.float32)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_lut_to_dense", dtypes=[np.float32], indices=packed, lut=lut,
                                              shape=np.array([5], np.uint32)), "CoreML6")
    np.testing.assert_array_equal(y, [10, 40, 30, 20, 40])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_constexpr_sparse_to_dense_ios16(tmp_path, dtype):
    shape = (4, 5)
    present = RNG.random(shape) < 0.4
    values = RNG.standard_normal(int(present.sum())).astype(dtype)
    mask = np.packbits(present.reshape(-1), bitorder="little")
    (y,) = run_const(tmp_path, lambda p: p.op(
        "constexpr_sparse_to_dense", dtypes=[dtype], nonzero_data=p.const(values, blob=True), mask=mask,
        shape=np.array(shape, np.uint32)), "CoreML6")
    expected = np.zeros(shape, dtype)
    expected[present] = values
    np.testing.assert_array_equal(y, expected)


def test_constexpr_sparse_to_dense_count_mismatch(tmp_path):
    mask = np.array([0b00000111], np.uint8)
    with pytest.raises(Exception, match="mask"):
        run_const(tmp_path, lambda p: p.op("constexpr_sparse_to_dense", dtypes=[np.float32],
                                           nonzero_data=np.ones(2, np.float32), mask=mask,
                                           shape=np.array([6], np.uint32)), "CoreML6")


# ---- iOS18 -------------------------------------------------------------------------------

def blockwise_ref(data, scale, offset):
    reps = [d // s for d, s in zip(data.shape, scale.shape)]
    s = np.kron(scale.astype(np.float64), np.ones(reps))
    o = 0 if offset is None else np.kron(offset.astype(np.float64), np.ones(reps))
    return (data.astype(np.float64) - o) * s


@pytest.mark.parametrize("kind", ["int4", "uint4", "int8", "uint8"])
@pytest.mark.parametrize("with_offset", [True, False])
def test_constexpr_blockwise_shift_scale(tmp_path, kind, with_offset):
    lo, hi = {"int4": (-8, 8), "uint4": (0, 16), "int8": (-128, 128), "uint8": (0, 256)}[kind]
    data = RNG.integers(lo, hi, size=(4, 6))
    scale = RNG.uniform(0.1, 1, size=(2, 3)).astype(np.float32)  # blocks of 2 x 2
    offset = RNG.integers(lo, hi, size=(2, 3)) if with_offset else None

    def build(p):
        if kind in ("int4", "uint4"):
            d = sub_byte_const(p, data, kind)
            o = sub_byte_const(p, offset, kind) if with_offset else None
        else:
            np_dtype = np.int8 if kind == "int8" else np.uint8
            d = p.const(data.astype(np_dtype), blob=True)
            o = p.const(offset.astype(np_dtype)) if with_offset else None
        return p.op("constexpr_blockwise_shift_scale", dtypes=[np.float32], data=d, scale=scale, offset=o)

    (y,) = run_const(tmp_path, build, "CoreML8")
    close(y, blockwise_ref(data, scale, offset), **EXACT)


def test_constexpr_blockwise_shift_scale_fp16_float_offset(tmp_path):
    data = RNG.integers(-100, 100, size=(3, 8)).astype(np.int8)
    scale = RNG.uniform(0.1, 1, size=(3, 2)).astype(np.float16)  # per row, 2 blocks of 4 columns
    offset = RNG.uniform(-2, 2, size=(3, 2)).astype(np.float16)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_blockwise_shift_scale", dtypes=[np.float16],
                                              data=p.const(data, blob=True), scale=scale, offset=offset), "CoreML8")
    assert_representable(y, np.float16)
    close(y, blockwise_ref(data, scale, offset), rtol=1e-3, atol=1e-3)


def test_constexpr_blockwise_shift_scale_rejects_non_dividing_scale(tmp_path):
    with pytest.raises(Exception, match="divide"):
        run_const(tmp_path, lambda p: p.op("constexpr_blockwise_shift_scale", dtypes=[np.float32],
                                           data=np.zeros((4, 6), np.int8), scale=np.ones((3, 3), np.float32)), "CoreML8")


def lut_ref(indices, lut, vector_axis):
    """Decompression written from the iOS18 definition: palette per group, vectors along vector_axis."""
    k = indices.ndim
    vs = lut.shape[-1]
    block = [i // g for i, g in zip(indices.shape, lut.shape[:k])]
    out_shape = list(indices.shape)
    if vs > 1:
        out_shape[vector_axis] *= vs
    out = np.zeros(out_shape, lut.dtype)
    for pos in np.ndindex(*indices.shape):
        group = tuple(p // b for p, b in zip(pos, block))
        entry = lut[group + (indices[pos],)]
        for v in range(vs):
            o = list(pos)
            if vs > 1:
                o[vector_axis] = pos[vector_axis] * vs + v
            out[tuple(o)] = entry[v]
    return out


def test_constexpr_lut_to_dense_ios18_documented_grouped_example(tmp_path):
    indices = np.array([2, 3, 3, 0, 1, 0, 3, 0, 2, 1, 0, 3]).reshape(6, 2)
    lut = np.array([1.0, 5.0, 9.0, 13.0, 2.0, 10.0, 18.0, 26.0], dtype=np.float16).reshape(2, 1, 4, 1)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_lut_to_dense", dtypes=[np.float16],
                                              indices=sub_byte_const(p, indices, "uint2"), lut=lut), "CoreML8")
    expected = [[9, 13], [13, 1], [5, 1], [26, 2], [18, 10], [2, 26]]
    np.testing.assert_array_equal(y, np.array(expected, np.float16))


@pytest.mark.parametrize("kind,nbits", [("uint1", 1), ("uint3", 3), ("uint4", 4), ("uint6", 6)])
def test_constexpr_lut_to_dense_ios18_groups(tmp_path, kind, nbits):
    indices = RNG.integers(0, 2 ** nbits, size=(4, 6, 2))
    lut = RNG.standard_normal((2, 3, 1, 2 ** nbits, 1)).astype(np.float32)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_lut_to_dense", dtypes=[np.float32],
                                              indices=sub_byte_const(p, indices, kind),
                                              lut=p.const(lut, blob=True)), "CoreML8")
    np.testing.assert_array_equal(y, lut_ref(indices, lut, None))


@pytest.mark.parametrize("vector_axis", [0, 1, 2, -1])
def test_constexpr_lut_to_dense_ios18_vectors(tmp_path, vector_axis):
    indices = RNG.integers(0, 4, size=(2, 3, 4))
    lut = RNG.standard_normal((1, 3, 1, 4, 3)).astype(np.float32)  # vectors of 3, a palette per axis-1 slice
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_lut_to_dense", dtypes=[np.float32],
                                              indices=sub_byte_const(p, indices, "uint2"), lut=lut,
                                              vector_axis=np.int32(vector_axis)), "CoreML8")
    np.testing.assert_array_equal(y, lut_ref(indices, lut, vector_axis % 3))


def test_constexpr_lut_to_dense_ios18_documented_vector_example(tmp_path):
    indices = np.array([[[0, 0], [1, 0]], [[1, 1], [0, 0]]])
    lut = np.array([1, 2, 3, 7, 8, 9], dtype=np.int8).reshape(1, 1, 1, 2, 3)  # a = 1,2,3  b = 7,8,9

    def build(p):
        dense = p.op("constexpr_lut_to_dense", dtypes=[np.int8], indices=sub_byte_const(p, indices, "uint1"),
                     lut=lut, vector_axis=np.int32(1))
        # int8 results feed a dequantization, as they do in compressed models.
        return p.op("constexpr_blockwise_shift_scale", dtypes=[np.float32], data=dense,
                    scale=np.ones((1, 1, 1), np.float32))

    (y,) = run_const(tmp_path, build, "CoreML8")
    a, b = [1, 2, 3], [7, 8, 9]
    # The definition's case 2.1: each index becomes its 3-vector down axis 1.
    expected = np.stack([np.stack([[a[0], a[0]], [a[1], a[1]], [a[2], a[2]], [b[0], a[0]], [b[1], a[1]], [b[2], a[2]]]),
                         np.stack([[b[0], b[0]], [b[1], b[1]], [b[2], b[2]], [a[0], a[0]], [a[1], a[1]], [a[2], a[2]]])])
    np.testing.assert_array_equal(y, expected)


def uint1_output(p):
    """Marks the last op's first output as a uint1 mask, as coremltools declares it."""
    p.block.operations[-1].outputs[0].type.tensorType.dataType = MIL_pb2.UINT1


def test_constexpr_sparse_to_dense_ios18(tmp_path):
    present = RNG.random((3, 4, 5)) < 0.5
    values = RNG.standard_normal(int(present.sum())).astype(np.float32)
    (y,) = run_const(tmp_path, lambda p: p.op("constexpr_sparse_to_dense", dtypes=[np.float32],
                                              nonzero_data=p.const(values, blob=True),
                                              mask=sub_byte_const(p, present.astype(np.uint8), "uint1")), "CoreML8")
    expected = np.zeros(present.shape, np.float32)
    expected[present] = values
    np.testing.assert_array_equal(y, expected)


MASK_DOC = np.array([[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 1], [0, 1, 1, 0, 1, 0], [0, 0, 0, 1, 0, 0]])
INDICES_DOC = np.array([0, 1, 1, 0, 1, 1, 0, 0, 1])


@pytest.mark.parametrize("vector", [False, True])
def test_constexpr_lut_to_sparse_documented_example(tmp_path, vector):
    lut = (np.array([[2.0, 2.0], [3.0, 3.0]]) if vector else np.array([[2.0], [3.0]])).astype(np.float16)
    lut = lut.reshape(1, 1, 2, lut.shape[-1])

    def build(p):
        extra = {"vector_axis": np.int32(0)} if vector else {}
        mask, values = p.op("constexpr_lut_to_sparse", outputs=2, dtypes=[np.uint8, np.float16],
                            indices_mask=sub_byte_const(p, MASK_DOC, "uint1"),
                            indices_nonzero_data=sub_byte_const(p, INDICES_DOC, "uint1"), lut=lut, **extra)
        uint1_output(p)
        return p.op("constexpr_sparse_to_dense", dtypes=[np.float16], nonzero_data=values, mask=mask)

    (y,) = run_const(tmp_path, build, "CoreML8")
    dense = np.zeros(MASK_DOC.shape)
    dense[MASK_DOC != 0] = np.where(INDICES_DOC == 1, 3.0, 2.0)
    if vector:
        dense = dense.repeat(2, axis=0)
    np.testing.assert_array_equal(y, dense.astype(np.float16))


def test_constexpr_sparse_blockwise_shift_scale_documented_example(tmp_path):
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]])
    nonzero = np.array([10, 11, 3, 4, 5, 6, 7, 8, 9], dtype=np.int8)
    scale = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
    offset = np.array([[1, 2, 3, 4]], dtype=np.int8)

    def build(p):
        m, values = p.op("constexpr_sparse_blockwise_shift_scale", outputs=2, dtypes=[np.uint8, np.float32],
                         data_mask=sub_byte_const(p, mask, "uint1"), nonzero_data=nonzero, scale=scale, offset=offset)
        uint1_output(p)
        return [values, p.op("constexpr_sparse_to_dense", dtypes=[np.float32], nonzero_data=values, mask=m)]

    values, dense = run_const(tmp_path, build, "CoreML8")
    close(values, [0.9, 1.8, 0.2, 0.4, 0.6, 0.9, 1.2, 0.7, 1.4], rtol=1e-6, atol=1e-6)
    expected = np.zeros((4, 4))
    expected[mask != 0] = [0.9, 1.8, 0.2, 0.4, 0.6, 0.9, 1.2, 0.7, 1.4]
    close(dense, expected, rtol=1e-6, atol=1e-6)


def test_constexpr_sparse_int4_then_dequantize(tmp_path):
    # Joint sparsity + 4-bit quantization as coremltools writes it: sparse_to_dense on int4
    # values, then a block-wise dequantization of the dense int4 tensor.
    present = RNG.random((4, 8)) < 0.5
    values = RNG.integers(-8, 8, size=int(present.sum()))
    scale = RNG.uniform(0.1, 1, size=(4, 1)).astype(np.float32)

    def build(p):
        dense = p.op("constexpr_sparse_to_dense", dtypes=[np.int8], nonzero_data=sub_byte_const(p, values, "int4"),
                     mask=sub_byte_const(p, present.astype(np.uint8), "uint1"))
        p.block.operations[-1].outputs[0].type.tensorType.dataType = MIL_pb2.INT4
        return p.op("constexpr_blockwise_shift_scale", dtypes=[np.float32], data=dense, scale=scale)

    (y,) = run_const(tmp_path, build, "CoreML8")
    dense = np.zeros(present.shape)
    dense[present] = values
    close(y, dense * scale, **EXACT)


# ---- iOS17 quantize / dequantize -----------------------------------------------------------

def quantize_ref(x, scale, zp, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.round(x.astype(np.float32) / scale) + zp, info.min, info.max).astype(dtype)


@pytest.mark.parametrize("out_dtype", ["int8", "uint8"])
@pytest.mark.parametrize("per_axis", [False, True])
def test_quantize_dequantize_round_trip(tmp_path, out_dtype, per_axis):
    dtype = np.int8 if out_dtype == "int8" else np.uint8
    x = RNG.uniform(-4, 4, size=(2, 3, 5)).astype(np.float32)
    x[0, 0, :3] = [0.25, 0.75, -0.25]  # ties (scale 0.5): round half to even
    if per_axis:
        scale = np.array([0.5, 0.05, 0.02], np.float32)
        zp = np.array([3, 0, 10], dtype)
        bscale, bzp, axis = scale.reshape(1, 3, 1), zp.reshape(1, 3, 1).astype(np.float32), {"axis": np.int32(1)}
    else:
        scale, zp = np.float32(0.5), dtype(5)
        bscale, bzp, axis = scale, np.float32(zp), {}

    p = MilProgram(opset="CoreML7")
    xin = p.input("x", np.float32, x.shape)
    q = p.op("quantize", dtypes=[dtype], input=xin, scale=scale, zero_point=zp, output_dtype=out_dtype, **axis)
    y = p.op("dequantize", dtypes=[np.float32], input=q, scale=scale, zero_point=zp, **axis)
    p.output(y)
    got = p.model(tmp_path).predict({"x": x})[y]
    expected_q = quantize_ref(x, bscale, bzp, dtype)
    close(got, (expected_q.astype(np.float64) - bzp) * bscale, **EXACT)


def test_quantize_fp16_input_and_dequantize_fp16_scale(tmp_path):
    x = RNG.uniform(-1, 1, size=(4, 4)).astype(np.float16)
    p = MilProgram(opset="CoreML7")
    xin = p.input("x", np.float16, x.shape)
    q = p.op("quantize", dtypes=[np.int8], input=xin, scale=np.float16(0.01), output_dtype="int8")
    y = p.op("dequantize", dtypes=[np.float16], input=q, scale=np.float16(0.01))
    p.output(y)
    got = p.model(tmp_path).predict({"x": x})[y]
    assert_representable(got, np.float16)
    expected = quantize_ref(x, np.float32(np.float16(0.01)), 0, np.int8).astype(np.float32) * np.float32(np.float16(0.01))
    close(got, expected.astype(np.float16), rtol=1e-3, atol=1e-3)


def test_quantize_requires_axis_for_vectors(tmp_path):
    p = MilProgram(opset="CoreML7")
    xin = p.input("x", np.float32, (2, 3))
    q = p.op("quantize", dtypes=[np.int8], input=xin, scale=np.ones(3, np.float32), output_dtype="int8")
    y = p.op("dequantize", dtypes=[np.float32], input=q, scale=np.float32(1))
    p.output(y)
    with pytest.raises(Exception, match="axis"):
        p.model(tmp_path).predict({"x": np.zeros((2, 3), np.float32)})


# ---- real compressed models --------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch_palettized_kmeans4_ios16", "torch_quantized_int8_perchannel_ios16"])
def test_compressed_corpus_cases(name):
    from conftest import case_by_name
    from corpus_runner import check_case

    check_case(case_by_name(name))
