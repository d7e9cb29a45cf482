"""fp16 results of the ops that accumulate in double (the sum-like reductions and cumsum) are
rounded once: each output equals the float64 numpy reference rounded once to fp16, exactly.

These kernels write float32 that the op boundary rounds to fp16; the double result is
narrowed to float32 with round-to-odd first, so the second rounding cannot go wrong. (Rounded
to nearest twice, the fp16 sum of [1, 2^-11, 2^-24] was 1.0: the exact sum lies just above the
fp16 tie 1 + 2^-11, the fp32 rounding lands on the tie and the fp16 rounding goes to even.)

Sums of fp16 values are exact in double (multiples of 2^-24 below 2^16 per term), so the
reference is the exact sum. Each random test picks the rows on which a double -> fp32 -> fp16
rounding differs from the single rounding and checks that there are some, so it fails for
the twice-rounding kernels.
"""
import numpy as np
import pytest

from mil_op_runner import run_op1

F16 = np.float16


def _once(ref):
    """The reference rounded once to fp16, as predict returns it (float32 holding fp16)."""
    return np.asarray(ref, np.float64).astype(F16).astype(np.float32)


def _twice_differs(ref):
    ref = np.asarray(ref, np.float64)
    return np.isfinite(ref) & (ref.astype(F16) != ref.astype(np.float32).astype(F16))


def _log_sum_exp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m, axis=axis)


REFERENCES = {  # float64 references along `axis`
    "reduce_sum": lambda x, axis: np.sum(x, axis=axis),
    "reduce_mean": lambda x, axis: np.mean(x, axis=axis),
    "reduce_l1_norm": lambda x, axis: np.sum(np.abs(x), axis=axis),
    "reduce_sum_square": lambda x, axis: np.sum(x * x, axis=axis),
    "reduce_l2_norm": lambda x, axis: np.sqrt(np.sum(x * x, axis=axis)),
    "reduce_prod": lambda x, axis: np.prod(x, axis=axis),
    "reduce_log_sum": lambda x, axis: np.log(np.sum(x, axis=axis)),
    "reduce_log_sum_exp": _log_sum_exp,
}


def _reduce(tmp_path, op, x, axis):
    return run_op1(tmp_path, op, inputs={"x": x}, params={"axes": np.int32([axis]), "keep_dims": False})


# ---- the README's example ----------------------------------------------------------------------

def test_sum_of_one_half_ulp_and_a_tiny_value(tmp_path):
    x = np.array([1, 2.0 ** -11, 2.0 ** -24], F16)
    want = np.float32(np.float16(1 + 2.0 ** -11 + 2.0 ** -24))
    assert want == np.float32(1.0009765625)
    out = run_op1(tmp_path, "reduce_sum", inputs={"x": x}, params={"axes": np.int32([0])})
    assert out.dtype == np.float32 and out == want
    out = run_op1(tmp_path, "reduce_l1_norm", inputs={"x": -x}, params={"axes": np.int32([0])})
    assert out == want
    out = run_op1(tmp_path, "cumsum", inputs={"x": x}, params={"axis": np.int32(0)})
    np.testing.assert_array_equal(out, np.float32([1, 1, want]))  # 1 + 2^-11 alone is a tie: to even
    out = run_op1(tmp_path, "reduce_mean", inputs={"x": np.append(x, F16(0))}, params={"axes": np.int32([0])})
    assert out == np.float32(np.float16((1 + 2.0 ** -11 + 2.0 ** -24) / 4))
    # squares: 1 + 2^-12 + 2^-12 + 2^-24
    sq = np.array([1, 2.0 ** -6, 2.0 ** -6, 2.0 ** -12], F16)
    assert run_op1(tmp_path, "reduce_sum_square", inputs={"x": sq}, params={"axes": np.int32([0])}) == want


def test_fp32_outputs_still_round_to_nearest(tmp_path):
    """Round-to-odd is only for an fp16 output: an fp32 sum of [1, 2^-25] is 1."""
    x = np.array([1, 2.0 ** -25], np.float32)
    assert run_op1(tmp_path, "reduce_sum", inputs={"x": x}, params={"axes": np.int32([0])}) == np.float32(1)
    np.testing.assert_array_equal(run_op1(tmp_path, "cumsum", inputs={"x": x}, params={"axis": np.int32(0)}),
                                  np.float32([1, 1]))


# ---- random fp16 rows that exercise the double rounding ----------------------------------------

def _tie_rows(rng, n):
    """[a, h, t, 0] shuffled: a + h is an fp16 tie (h half an ulp of a), t a small fp16 value
    that decides the rounding and that fp32 may lose."""
    e = rng.integers(-4, 5, n)
    a = (1 + rng.integers(0, 1024, n) / 1024.0) * 2.0 ** e
    h = rng.choice([-1.0, 1.0], n) * 2.0 ** (e - 11)
    t = rng.choice([-1.0, 1.0], n) * rng.integers(1, 64, n) * 2.0 ** rng.integers(-24, -14, n)
    rows = np.stack([a, h, t, np.zeros(n)], axis=1)
    rows = np.take_along_axis(rows, np.argsort(rng.random((n, 4)), axis=1), axis=1)
    assert np.array_equal(rows.astype(F16).astype(np.float64), rows)  # all exact fp16 values
    return rows


def _random_rows(rng, n, op):
    if op == "reduce_prod":
        x = 1 + 0.3 * rng.standard_normal((n, 3))
    elif op == "reduce_log_sum":
        x = np.abs(rng.standard_normal((n, 3))) + 0.01
    else:
        x = rng.standard_normal((n, 3))
    return x.astype(F16).astype(np.float64)


def _pick(rows, ref, rng, hard=48, easy=48):
    """The rows whose fp16 result a double rounding changes (at least 5), plus some others."""
    bad = _twice_differs(ref)
    assert np.count_nonzero(bad) >= 5
    take = np.concatenate([np.flatnonzero(bad)[:hard], rng.choice(np.flatnonzero(~bad), easy, replace=False)])
    rng.shuffle(take)
    return rows[take]


@pytest.mark.parametrize("op", sorted(REFERENCES))
def test_random_fp16_reductions_round_once(tmp_path, op):
    rng = np.random.default_rng(sorted(REFERENCES).index(op))
    if op in ("reduce_sum", "reduce_mean", "reduce_l1_norm"):
        rows = _tie_rows(rng, 1 << 14)
    else:
        rows = _random_rows(rng, 1 << 19, op)
    rows = _pick(rows, REFERENCES[op](rows, 1), rng)
    x = rows.astype(F16)
    # rows reduced along the last axis (contiguous runs) and, transposed, along the first
    # (inner columns): both kernel paths
    np.testing.assert_array_equal(_reduce(tmp_path / "rows", op, x, 1), _once(REFERENCES[op](rows, 1)))
    np.testing.assert_array_equal(_reduce(tmp_path / "cols", op, np.ascontiguousarray(x.T), 0),
                                  _once(REFERENCES[op](rows.T, 0)))


def test_long_fp16_sum_split_over_chunks(tmp_path):
    """One run long enough to be summed in parallel partial sums (>= 65536 elements)."""
    rng = np.random.default_rng(7)
    n = 70000
    x = np.zeros(n)
    x[[5, 30000, 69999]] = [1.5, 2.0 ** -11, 2.0 ** -24]  # 1.5 + 2^-11 is a tie, the rest decides
    ref = np.sum(x)
    assert _twice_differs(ref)
    out = run_op1(tmp_path / "tie", "reduce_sum", inputs={"x": x.astype(F16)}, params={"axes": np.int32([0])})
    assert out == _once(ref)
    y = rng.standard_normal(n).astype(F16)
    for op in ("reduce_sum", "reduce_mean", "reduce_l1_norm"):
        out = run_op1(tmp_path / op, op, inputs={"x": y}, params={"axes": np.int32([0])})
        assert out == _once(REFERENCES[op](y.astype(np.float64), 0)), op


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_random_fp16_cumsum_rounds_once(tmp_path, exclusive, reverse, axis):
    rng = np.random.default_rng(11 + 2 * exclusive + reverse)
    rows = _tie_rows(rng, 4096)  # shuffled, so some prefixes (and suffixes) hold a, h and t
    xf = np.flip(rows, 1) if reverse else rows
    ref = np.cumsum(xf, axis=1)
    if exclusive:
        ref = ref - xf
    if reverse:
        ref = np.flip(ref, 1)
    keep = _twice_differs(ref).any(axis=1)
    assert np.count_nonzero(keep) >= 5
    idx = np.concatenate([np.flatnonzero(keep)[:48], np.flatnonzero(~keep)[:48]])
    rows, ref = rows[idx], ref[idx]
    x = rows.astype(F16)
    if axis == 0:
        x, ref = np.ascontiguousarray(x.T), ref.T
    out = run_op1(tmp_path, "cumsum", inputs={"x": x},
                  params={"axis": np.int32(axis), "exclusive": exclusive, "reverse": reverse})
    np.testing.assert_array_equal(out, _once(ref))
