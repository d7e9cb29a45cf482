"""Neural-network layers that re-view, assemble, pick, resample or generate blobs, against
numpy references: reshape / flatten / permute / transpose / squeeze / expandDims, concat and
split, slices and gathers, tile / stack / reverse, padding, cumsum, upsample and resize
grids, crop, reorganizeData, sequenceRepeat and constant layers. Exact data movement is
checked exactly; interpolation within 1e-5."""
import numpy as np
import pytest

from nn_runner import check, nn_predict, rand

X = rand(4, 3, 6, seed=1)  # a classic [C, H, W] input
ND = rand(2, 3, 4, seed=2)


# ---- re-viewing and re-ordering -------------------------------------------------------------

@pytest.mark.parametrize("mode", [0, 1], ids=["CHANNEL_FIRST", "CHANNEL_LAST"])
def test_classic_reshape(mode):
    out = nn_predict(lambda b: b.add_reshape("r", "x", "y", (6, 2, 6), mode), {"x": X})["y"]
    if mode == 0:
        ref = X.reshape(6, 2, 6)
    else:
        ref = X.transpose(1, 2, 0).reshape(2, 6, 6).transpose(2, 0, 1)
    check(out, ref, rtol=0, atol=0)


@pytest.mark.parametrize("mode", [0, 1], ids=["CHANNEL_FIRST", "CHANNEL_LAST"])
def test_flatten(mode):
    out = nn_predict(lambda b: b.add_flatten("f", mode, "x", "y"), {"x": X})["y"]
    flat = X.reshape(-1) if mode == 0 else X.transpose(1, 2, 0).reshape(-1)
    check(out, flat.reshape(-1, 1, 1), rtol=0, atol=0)


def test_flatten_keeps_leading_batch_dims():
    x = rand(2, 3, 2, 2, 5, seed=3)
    out = nn_predict(lambda b: b.add_flatten("f", 0, "x", "y"), {"x": x}, rank5=False)["y"]
    check(out, x.reshape(2, 3, 20, 1, 1), rtol=0, atol=0)


def test_permute_keeps_batch_axis():
    # (Seq, C, H, W) of [1, 1, C, H, W] reordered as (Seq, H, W, C).
    out = nn_predict(lambda b: b.add_permute("p", (0, 2, 3, 1), "x", "y"), {"x": X})["y"]
    check(out, X.transpose(1, 2, 0), rtol=0, atol=0, exact_shape=False)


def test_nd_reshapes():
    x = ND
    cases = [
        (lambda b: b.add_transpose("t", (2, 0, 1), "x", "y"), x.transpose(2, 0, 1)),
        (lambda b: b.add_reshape_static("r", "x", "y", (4, -1)), x.reshape(4, 6)),
        (lambda b: b.add_rank_preserving_reshape("r", "x", "y", (0, -1, 2)), x.reshape(2, 6, 2)),
        (lambda b: b.add_flatten_to_2d("f", "x", "y", axis=2), x.reshape(6, 4)),
        (lambda b: b.add_expand_dims("e", "x", "y", axes=(0, -1)), x[None, ..., None]),
        (lambda b: b.add_copy("c", "x", "y"), x),
    ]
    for build, ref in cases:
        check(nn_predict(build, {"x": x}, rank5=False)["y"], ref, rtol=0, atol=0)


def test_squeeze():
    x = rand(1, 3, 1, 4, seed=4)
    check(nn_predict(lambda b: b.add_squeeze("s", "x", "y", axes=(0, 2)), {"x": x}, rank5=False)["y"], x.reshape(3, 4))
    check(nn_predict(lambda b: b.add_squeeze("s", "x", "y", squeeze_all=True), {"x": x}, rank5=False)["y"], x.reshape(3, 4))
    one = rand(1, 1, seed=5)
    check(nn_predict(lambda b: b.add_squeeze("s", "x", "y", squeeze_all=True), {"x": one}, rank5=False)["y"], one.reshape(1))


def test_reshape_like():
    ref = rand(3, 8, seed=6)
    out = nn_predict(lambda b: b.add_reshape_like("r", ["x", "ref"], "y"), {"x": ND, "ref": ref}, rank5=False)["y"]
    check(out, ND.reshape(3, 8), rtol=0, atol=0)


# ---- assembling and splitting ---------------------------------------------------------------

def test_classic_concat_and_split():
    a, c = rand(2, 3, 6, seed=7), rand(5, 3, 6, seed=8)
    out = nn_predict(lambda b: b.add_elementwise("cat", ["a", "c"], "y", "CONCAT"), {"a": a, "c": c})["y"]
    check(out, np.concatenate([a, c]), rtol=0, atol=0)
    outs = nn_predict(lambda b: b.add_split("s", "x", ["y0", "y1"]), {"x": X}, outputs=("y0", "y1"))
    check(outs["y0"], X[:2], rtol=0, atol=0)
    check(outs["y1"], X[2:], rtol=0, atol=0)


def test_sequence_concat():
    a, c = rand(1, 1, 2, 1, 3, seed=9), rand(2, 1, 2, 1, 3, seed=10)
    out = nn_predict(lambda b: b.add_elementwise("cat", ["a", "c"], "y", "SEQUENCE_CONCAT"), {"a": a, "c": c},
                     rank5=False)["y"]
    check(out, np.concatenate([a, c]), rtol=0, atol=0)


def test_concat_nd_and_split_nd():
    a, c = rand(2, 3, 4, seed=11), rand(2, 3, 4, seed=12)
    out = nn_predict(lambda b: b.add_concat_nd("c", ["a", "c"], "y", axis=-1), {"a": a, "c": c}, rank5=False)["y"]
    check(out, np.concatenate([a, c], axis=-1), rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_concat_nd("c", ["a", "c"], "y", axis=1, interleave=True), {"a": a, "c": c},
                     rank5=False)["y"]
    check(out, np.stack([a, c], axis=2).reshape(2, 6, 4), rtol=0, atol=0)
    outs = nn_predict(lambda b: b.add_split_nd("s", "x", ["y0", "y1"], axis=-1, split_sizes=[1, 3]), {"x": ND},
                      outputs=("y0", "y1"), rank5=False)
    check(outs["y0"], ND[..., :1], rtol=0, atol=0)
    check(outs["y1"], ND[..., 1:], rtol=0, atol=0)
    outs = nn_predict(lambda b: b.add_split_nd("s", "x", ["y0", "y1"], axis=0, num_splits=2), {"x": ND},
                      outputs=("y0", "y1"), rank5=False)
    check(outs["y1"], ND[1:], rtol=0, atol=0)


def test_stack_tile_reverse():
    a, c = rand(2, 3, seed=13), rand(2, 3, seed=14)
    check(nn_predict(lambda b: b.add_stack("s", ["a", "c"], "y", axis=1), {"a": a, "c": c}, rank5=False)["y"],
          np.stack([a, c], axis=1), rtol=0, atol=0)
    check(nn_predict(lambda b: b.add_tile("t", "x", "y", reps=[2, 1, 3]), {"x": ND}, rank5=False)["y"],
          np.tile(ND, (2, 1, 3)), rtol=0, atol=0)
    check(nn_predict(lambda b: b.add_reverse("r", "x", "y", reverse_dim=[True, False, True]), {"x": ND}, rank5=False)["y"],
          ND[::-1, :, ::-1], rtol=0, atol=0)


# ---- slicing and gathering ------------------------------------------------------------------

@pytest.mark.parametrize("axis,start,end,stride,ref", [("channel", 1, 4, 2, X[1:4:2]), ("height", 0, -1, 1, X[:, 0:-1]),
                                                       ("width", 1, 6, 3, X[:, :, 1:6:3])])
def test_classic_slice(axis, start, end, stride, ref):
    out = nn_predict(lambda b: b.add_slice("s", "x", "y", axis, start_index=start, end_index=end, stride=stride), {"x": X})["y"]
    check(out, ref, rtol=0, atol=0)


def test_slice_static():
    x = rand(5, 6, 7, seed=15)
    out = nn_predict(lambda b: b.add_slice_static("s", "x", "y", begin_ids=[1, 2, 3], end_ids=[3, -3, 2], strides=[2, 2, 2],
                                                  begin_masks=[True, False, True], end_masks=[False, True, True]),
                     {"x": x}, rank5=False)["y"]
    check(out, x[:3:2, 2::2, ::2], rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_slice_static("s", "x", "y", begin_ids=[1, 2, -1], end_ids=[3, 4, 0], strides=[1, 1, -2],
                                                  begin_masks=[False, False, False], end_masks=[False, False, True],
                                                  squeeze_masks=[False, True, False]), {"x": x}, rank5=False)["y"]
    check(out, x[1:3, 2, ::-2], rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_slice_static("s", "x", "y", begin_ids=[4, 1, -1], end_ids=[0, 0, 0], strides=[1, 1, 1],
                                                  begin_masks=[False] * 3, end_masks=[False] * 3, squeeze_masks=[True] * 3),
                     {"x": x}, rank5=False)["y"]
    check(out, x[4, 1, -1:], rtol=0, atol=0)


def test_gathers():
    x = rand(4, 5, seed=16)
    idx = np.array([[3, 0], [1, 3]], np.float32)
    check(nn_predict(lambda b: b.add_gather("g", ["x", "i"], "y", axis=1), {"x": x, "i": idx}, rank5=False)["y"],
          x[:, idx.astype(int)], rtol=0, atol=0)
    check(nn_predict(lambda b: b.add_gather("g", ["x", "i"], "y", axis=0), {"x": x, "i": idx}, rank5=False)["y"],
          x[idx.astype(int)], rtol=0, atol=0)
    nd = np.array([[0, 4], [3, 1], [2, 2]], np.float32)
    check(nn_predict(lambda b: b.add_gather_nd("g", ["x", "i"], "y"), {"x": x, "i": nd}, rank5=False)["y"],
          x[nd[:, 0].astype(int), nd[:, 1].astype(int)], rtol=0, atol=0)
    along = np.array([[1, 0, 4, 4, 2], [0, 0, 0, 1, 1]], np.float32)
    check(nn_predict(lambda b: b.add_gather_along_axis("g", ["x", "i"], "y", axis=0), {"x": x, "i": along[:, :5] % 4},
                     rank5=False)["y"], np.take_along_axis(x, (along % 4).astype(int), axis=0), rtol=0, atol=0)


# ---- padding and cumsum ---------------------------------------------------------------------

@pytest.mark.parametrize("kind,np_mode", [("constant", "constant"), ("reflection", "reflect"), ("replication", "edge")])
def test_classic_padding(kind, np_mode):
    out = nn_predict(lambda b: b.add_padding("p", left=2, right=1, top=1, bottom=2, value=-0.5, input_name="x",
                                             output_name="y", padding_type=kind), {"x": X})["y"]
    kwargs = {"constant_values": -0.5} if np_mode == "constant" else {}
    check(out, np.pad(X, [(0, 0), (1, 2), (2, 1)], mode=np_mode, **kwargs), rtol=0, atol=0)


def test_constant_pad():
    out = nn_predict(lambda b: b.add_constant_pad("p", ["x"], "y", value=2.0, pad_amounts=[0, 1, 2, 0, 1, 1]), {"x": ND},
                     rank5=False)["y"]
    check(out, np.pad(ND, [(0, 1), (2, 0), (1, 1)], constant_values=2.0), rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_constant_pad("p", ["x"], "y", pad_to_given_output_size_mode=True,
                                                  pad_amounts=[0, 0, 5, 0, 0, 7]), {"x": ND}, rank5=False)["y"]
    check(out, np.pad(ND, [(0, 0), (2, 0), (0, 3)]), rtol=0, atol=0)


@pytest.mark.parametrize("reverse,exclusive", [(False, False), (True, False), (False, True), (True, True)])
def test_cumsum(reverse, exclusive):
    out = nn_predict(lambda b: b.add_cumsum("c", ["x"], "y", axis=1, reverse=reverse, exclusive=exclusive), {"x": ND},
                     rank5=False)["y"]
    x = ND[:, ::-1] if reverse else ND
    ref = np.cumsum(x, axis=1, dtype=np.float64)
    if exclusive:
        ref = np.concatenate([np.zeros_like(ref[:, :1]), ref[:, :-1]], axis=1)
    check(out, ref[:, ::-1] if reverse else ref)


# ---- resampling -----------------------------------------------------------------------------

def interpolate(x, positions_h, positions_w):
    """Separable linear interpolation of the last two dims at the given source positions."""
    def along(v, pos, axis):
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, v.shape[axis] - 1)
        frac = (pos - lo).reshape([-1 if a == axis % v.ndim else 1 for a in range(v.ndim)])
        return np.take(v, lo, axis=axis) * (1 - frac) + np.take(v, hi, axis=axis) * frac
    return along(along(x.astype(np.float64), positions_h, -2), positions_w, -1)


def upsample_grid(n_in, n_out, mode):
    i = np.arange(n_out, dtype=np.float64)
    if mode == "DEFAULT":
        pos = i * (n_in - n_in / n_out) / (n_out - 1)
    elif mode == "ALIGN_CORNERS_TRUE":
        pos = i * (n_in - 1) / (n_out - 1)
    else:
        s = n_in / n_out
        pos = i * s + 0.5 * s - 0.5
    return np.clip(pos, 0, n_in - 1)


def test_upsample_nearest():
    out = nn_predict(lambda b: b.add_upsample("u", 2, 3, "x", "y"), {"x": X})["y"]
    check(out, X.repeat(2, axis=1).repeat(3, axis=2), rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["DEFAULT", "ALIGN_CORNERS_TRUE", "ALIGN_CORNERS_FALSE"])
def test_upsample_bilinear(mode):
    out = nn_predict(lambda b: b.add_upsample("u", 2, 3, "x", "y", mode="BILINEAR", linear_upsample_mode=mode), {"x": X})["y"]
    check(out, interpolate(X, upsample_grid(3, 6, mode), upsample_grid(6, 18, mode)))


def resize_grid(n_in, n_out, mode):
    if mode == "STRICT_ALIGN_ENDPOINTS_MODE" or (mode == "ALIGN_ENDPOINTS_MODE" and n_out > 1):
        return np.linspace(0, n_in - 1, n_out)
    if mode == "ALIGN_ENDPOINTS_MODE":
        return np.array([(n_in - 1) / 2])
    if mode == "UPSAMPLE_MODE":
        return np.minimum(n_in - 1, np.linspace(0, n_in - n_in / n_out, n_out))
    spacing = max(1, n_in - 1) / n_out
    return np.minimum(n_in - 1, 0.5 * spacing + spacing * np.arange(n_out))


@pytest.mark.parametrize("mode", ["STRICT_ALIGN_ENDPOINTS_MODE", "ALIGN_ENDPOINTS_MODE", "UPSAMPLE_MODE", "ROI_ALIGN_MODE"])
def test_resize_bilinear(mode):
    out = nn_predict(lambda b: b.add_resize_bilinear("r", "x", "y", target_height=5, target_width=4, mode=mode), {"x": X})["y"]
    check(out, interpolate(X, resize_grid(3, 5, mode), resize_grid(6, 4, mode)))


def test_crop():
    out = nn_predict(lambda b: b.add_crop("c", left=1, right=2, top=1, bottom=0, offset=None, input_names=["x"],
                                          output_name="y"), {"x": X})["y"]
    check(out, X[:, 1:, 1:-2], rtol=0, atol=0)
    ref_blob = rand(4, 2, 3, seed=17)
    out = nn_predict(lambda b: b.add_crop("c", 0, 0, 0, 0, offset=[1, 2], input_names=["x", "r"], output_name="y"),
                     {"x": X, "r": ref_blob})["y"]
    check(out, X[:, 1:3, 2:5], rtol=0, atol=0)


def space_to_depth(x, b):
    c, h, w = x.shape
    return x.reshape(c, h // b, b, w // b, b).transpose(2, 4, 0, 1, 3).reshape(c * b * b, h // b, w // b)


def test_reorganize_data():
    x = rand(8, 4, 6, seed=18)
    out = nn_predict(lambda b: b.add_reorganize_data("r", "x", "y", "SPACE_TO_DEPTH", 2), {"x": x})["y"]
    check(out, space_to_depth(x, 2), rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_reorganize_data("r", "x", "y", "DEPTH_TO_SPACE", 2), {"x": x})["y"]
    back = nn_predict(lambda b: b.add_reorganize_data("r", "x", "y", "SPACE_TO_DEPTH", 2), {"x": out})["y"]
    check(back, x, rtol=0, atol=0)
    # The documented 8x1x2 example.
    ex = np.arange(1, 17, dtype=np.float32).reshape(8, 1, 2)
    out = nn_predict(lambda b: b.add_reorganize_data("r", "x", "y", "DEPTH_TO_SPACE", 2), {"x": ex})["y"]
    check(out[0], [[1, 5, 2, 6], [9, 13, 10, 14]], rtol=0, atol=0)
    out = nn_predict(lambda b: b.add_reorganize_data("r", "x", "y", "PIXEL_SHUFFLE", 2), {"x": ex})["y"]
    check(out[0], [[1, 3, 2, 4], [5, 7, 6, 8]], rtol=0, atol=0)


def test_sequence_repeat():
    x = rand(2, 1, 3, 1, 2, seed=19)
    out = nn_predict(lambda b: b.add_sequence_repeat("s", 3, "x", "y"), {"x": x}, rank5=False)["y"]
    check(out, np.tile(x, (3, 1, 1, 1, 1)), rtol=0, atol=0)


# ---- constants ------------------------------------------------------------------------------

def test_constant_layers():
    data = rand(2, 3, 4, seed=20)
    out = nn_predict(lambda b: (b.add_load_constant_nd("k", "k", data, data.shape),
                                b.add_elementwise("a", ["x", "k"], "y", "ADD")), {"x": ND}, rank5=False)["y"]
    check(out, ND + data)
    out = nn_predict(lambda b: (b.add_load_constant("k", "k", data, (2, 3, 4)),
                                b.add_elementwise("a", ["x", "k"], "y", "ADD")), {"x": data})["y"]
    check(out, 2 * data)
    out = nn_predict(lambda b: (b.add_fill_static("f", "f", (2, 3, 4), value=1.5),
                                b.add_add_broadcastable("a", ["x", "f"], "y")), {"x": ND}, rank5=False)["y"]
    check(out, ND + 1.5)
    out = nn_predict(lambda b: b.add_fill_like("f", "x", "y", value=-2.0), {"x": ND}, rank5=False)["y"]
    check(out, np.full(ND.shape, -2.0), rtol=0, atol=0)
    out = nn_predict(lambda b: (b.add_range_static("r", "r", end=2.0, start=-1.0, step=0.5),
                                b.add_add_broadcastable("a", ["x", "r"], "y")), {"x": rand(1, 6, seed=21)}, rank5=False)
    check(out["y"], rand(1, 6, seed=21) + np.arange(-1.0, 2.0, 0.5))
