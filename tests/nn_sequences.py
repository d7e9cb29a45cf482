"""Shared data and layout helpers of the recurrent-layer tests: sequences [Seq, Batch, size,
1, 1] and initial states [1, Batch, H, 1, 1] as the NN layers take them, per-gate weight
lists, and conversions between those blobs and the numpy references' [Seq, Batch, size]."""
import numpy as np

from nn_runner import rand

S, BATCH, I, H = 5, 2, 3, 4
X = rand(S, BATCH, I, 1, 1, seed=1, low=-2, high=2)
H0 = rand(1, BATCH, H, 1, 1, seed=2)
C0 = rand(1, BATCH, H, 1, 1, seed=3)


def gates(n, rows, cols, seed):
    """``n`` arrays (rows, cols) — or (rows,) when ``cols`` is 0 — seeded seed, seed+1, ..."""
    return [rand(rows, cols, seed=seed + k) if cols else rand(rows, seed=seed + k) for k in range(n)]


def seq(x):
    return x[..., 0, 0].astype(np.float64)


def state(v):
    return v[0, :, :, 0, 0].astype(np.float64)


def as_blob(y):
    return y[..., None, None]
