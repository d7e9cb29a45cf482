"""Neural-network layers driven by run-time shapes or indices, random layers and 3-D layers,
against numpy references: getShape, reshapeDynamic, fill/broadcast/range dynamic, dynamic
slices, whereNonZero, scatter (every mode), oneHot, band and triangle masks, reverseSeq,
slidingWindows, random distributions (moments, seeds, shapes), convolution3d / pooling3d."""
import numpy as np
import pytest

from nn_references import pad_hw
from nn_runner import check, nn_model, nn_predict, rand

X = rand(2, 3, 4, seed=1)


def nd(build, inputs, **kwargs):
    return nn_predict(build, inputs, rank5=False, **kwargs)


# ---- run-time shapes ------------------------------------------------------------------------

def test_get_shape_and_dynamic_reshape_fill_broadcast():
    check(nd(lambda b: b.add_get_shape("s", "x", "y"), {"x": X})["y"], [2, 3, 4])
    shape = np.array([4, 6], np.float32)
    check(nd(lambda b: b.add_reshape_dynamic("r", ["x", "s"], "y"), {"x": X, "s": shape})["y"], X.reshape(4, 6))
    check(nd(lambda b: b.add_fill_dynamic("f", "s", "y", value=2.5), {"s": shape})["y"], np.full((4, 6), 2.5))
    row = rand(1, 4, seed=2)
    check(nd(lambda b: b.add_broadcast_to_static("b", "x", "y", output_shape=(3, 4)), {"x": row})["y"], np.tile(row, (3, 1)))
    check(nd(lambda b: b.add_broadcast_to_like("b", ["x", "r"], "y"), {"x": row, "r": X})["y"], np.broadcast_to(row, X.shape))
    check(nd(lambda b: b.add_broadcast_to_dynamic("b", ["x", "s"], "y"), {"x": row, "s": np.array([2, 3, 4], np.float32)})["y"],
          np.broadcast_to(row, (2, 3, 4)))


def test_range_dynamic():
    end = np.array([5.0], np.float32)
    check(nd(lambda b: b.add_range_dynamic("r", ["e"], "y", start=1.0, step=1.5), {"e": end})["y"], np.arange(1.0, 5.0, 1.5))
    out = nd(lambda b: b.add_range_dynamic("r", ["e", "s", "t"], "y"),
             {"e": end, "s": np.array([-2.0], np.float32), "t": np.array([0.5], np.float32)})["y"]
    check(out, np.arange(-2.0, 5.0, 0.5))


def test_slice_dynamic_and_by_size():
    x = rand(5, 6, seed=3)
    begin, end = np.array([1, 2], np.float32), np.array([4, -1], np.float32)
    out = nd(lambda b: b.add_slice_dynamic("s", ["x", "b", "e"], "y", strides=[2, 1]), {"x": x, "b": begin, "e": end})["y"]
    check(out, x[1:4:2, 2:-1], rtol=0, atol=0)
    out = nd(lambda b: b.add_slice_dynamic("s", ["x", "b"], "y", end_ids=[0, 5], end_masks=[True, False],
                                           squeeze_masks=[False, False]), {"x": x, "b": begin})["y"]
    check(out, x[1:, 2:5], rtol=0, atol=0)
    out = nd(lambda b: b.add_slice_by_size("s", ["x", "b"], "y", axis=1, size=3), {"x": x, "b": np.array([2], np.float32)})["y"]
    check(out, x[:, 2:5], rtol=0, atol=0)


def test_where_non_zero():
    x = np.array([[1, 0, 2], [0, 0, 3]], np.float32)
    check(nd(lambda b: b.add_where_nonzero("w", "x", "y"), {"x": x})["y"], np.argwhere(x != 0))


# ---- scatter, one-hot, masks ----------------------------------------------------------------

MODES = {"UPDATE": lambda a, b: b, "ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide,
         "MAX": np.maximum, "MIN": np.minimum}


@pytest.mark.parametrize("mode", list(MODES))
def test_scatter_modes(mode):
    data = rand(4, 3, seed=4, low=1, high=2)
    idx = np.array([2, 0], np.float32)
    updates = rand(2, 3, seed=5, low=1, high=2)
    out = nd(lambda b: b.add_scatter("s", ["d", "i", "u"], "y", axis=0, mode=mode), {"d": data, "i": idx, "u": updates})["y"]
    ref = data.astype(np.float64).copy()
    for k, i in enumerate(idx.astype(int)):
        ref[i] = MODES[mode](ref[i], updates[k])
    check(out, ref)


def test_scatter_nd_and_along_axis():
    data = rand(3, 4, seed=6)
    idx = np.array([[0, 1], [2, 3]], np.float32)
    updates = np.array([10.0, 20.0], np.float32)
    out = nd(lambda b: b.add_scatter_nd("s", ["d", "i", "u"], "y", mode="ADD"), {"d": data, "i": idx, "u": updates})["y"]
    ref = data.astype(np.float64).copy()
    ref[0, 1] += 10
    ref[2, 3] += 20
    check(out, ref)
    along = np.array([[2, 0, 1, 1]], np.float32)
    vals = rand(1, 4, seed=7)
    out = nd(lambda b: b.add_scatter_along_axis("s", ["d", "i", "u"], "y", axis=0), {"d": data, "i": along, "u": vals})["y"]
    ref = data.astype(np.float64).copy()
    np.put_along_axis(ref, along.astype(int), vals, axis=0)
    check(out, ref)


def test_one_hot():
    idx = np.array([[2, 0], [3, -1]], np.float32)
    out = nd(lambda b: b.add_one_hot("o", ["i"], "y", one_hot_vector_size=4, axis=1, on_value=5.0, off_value=-1.0),
             {"i": idx})["y"]
    hot = (idx.astype(int)[..., None] == np.arange(4)).transpose(0, 2, 1)
    check(out, np.where(hot, 5.0, -1.0))


@pytest.mark.parametrize("method,kwargs,keep", [
    ("add_matrix_band_part", {"num_lower": 1, "num_upper": 2}, lambda r, c: (r - c <= 1) & (c - r <= 2)),
    ("add_lower_triangular", {"k": 0}, lambda r, c: c - r <= 0), ("add_lower_triangular", {"k": -1}, lambda r, c: c - r <= -1),
    ("add_upper_triangular", {"k": 0}, lambda r, c: c - r >= 0), ("add_upper_triangular", {"k": 2}, lambda r, c: c - r >= 2)])
def test_band_and_triangles(method, kwargs, keep):
    x = rand(2, 4, 5, seed=8)
    rows, cols = np.indices((4, 5))
    out = nd(lambda b: getattr(b, method)("m", "x", "y", **kwargs), {"x": x})["y"]
    check(out, np.where(keep(rows, cols), x, 0.0), rtol=0, atol=0)


def test_reverse_sequence_and_sliding_windows():
    data = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    out = nd(lambda b: b.add_reverse_sequence("r", ["x", "l"], "y", batch_axis=0, seq_axis=1),
             {"x": data, "l": np.array([2, 3], np.float32)})["y"]
    check(out, [[[2, 3], [0, 1], [4, 5]], [[10, 11], [8, 9], [6, 7]]], rtol=0, atol=0)
    x = rand(2, 7, 3, seed=9)
    out = nd(lambda b: b.add_sliding_windows("s", "x", "y", axis=1, window_size=3, step=2), {"x": x})["y"]
    check(out, np.stack([x[:, i:i + 3] for i in range(0, 5, 2)], axis=1), rtol=0, atol=0)


# ---- random ---------------------------------------------------------------------------------

def test_random_layers_have_the_right_distributions_and_seeds():
    normal = nn_model(lambda b: b.add_random_normal_static("r", "y", (200, 200), mean=2.0, stddev=0.5, seed=7),
                      {"x": (1,)}, rank5=False)
    a = normal.predict({"x": np.zeros(1, np.float32)})["y"]
    assert a.shape == (200, 200)
    assert abs(a.mean() - 2.0) < 0.01 and abs(a.std() - 0.5) < 0.01
    np.testing.assert_array_equal(a, normal.predict({"x": np.zeros(1, np.float32)})["y"])  # seeded
    u = nd(lambda b: b.add_random_uniform_like("r", "x", "y", minval=-1.0, maxval=3.0), {"x": np.zeros((300, 300), np.float32)})["y"]
    assert u.shape == (300, 300) and u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    bern = nd(lambda b: b.add_random_bernoulli_dynamic("r", ["s"], "y", prob=0.25), {"s": np.array([400, 250], np.float32)})["y"]
    assert bern.shape == (400, 250) and set(np.unique(bern)) <= {0.0, 1.0} and abs(bern.mean() - 0.25) < 0.01
    logits = np.log(np.array([[0.1, 0.6, 0.3]], np.float32))
    samples = nd(lambda b: b.add_categorical_distribution("c", "x", "y", num_samples=20000), {"x": logits})["y"]
    assert samples.shape == (1, 20000)
    np.testing.assert_allclose(np.bincount(samples.astype(int).ravel(), minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.015)


@pytest.mark.parametrize("dist", ["normal", "uniform", "bernoulli"])
@pytest.mark.parametrize("form", ["static", "like", "dynamic"])
def test_every_random_layer_kind(dist, form):
    """All nine random*{Static,Like,Dynamic} kinds: output shape from the parameter, the
    reference input's shape or a shape input; moments of the distribution; a fixed seed
    repeats, and another seed differs."""
    shape = (250, 160)
    params = {"normal": {"mean": -1.0, "stddev": 2.0}, "uniform": {"minval": 2.0, "maxval": 5.0},
              "bernoulli": {"prob": 0.7}}[dist]

    def build(seed):
        def add(b):
            method = getattr(b, "add_random_%s_%s" % (dist, form))
            if form == "static":
                method("r", "y", output_shape=shape, seed=seed, **params)
            elif form == "like":
                method("r", "x", "y", seed=seed, **params)
            else:
                method("r", ["x"], "y", seed=seed, **params)
        return add

    x = np.array(shape, np.float32) if form == "dynamic" else np.zeros(shape if form == "like" else (1,), np.float32)
    first, again, other = (nd(build(seed), {"x": x})["y"] for seed in (5, 5, 6))
    assert first.shape == shape
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    if dist == "normal":
        assert abs(first.mean() + 1.0) < 0.03 and abs(first.std() - 2.0) < 0.03
    elif dist == "uniform":
        assert first.min() >= 2.0 and first.max() < 5.0 and abs(first.mean() - 3.5) < 0.02
        assert abs(first.var() - 0.75) < 0.02  # (5 - 2)^2 / 12
    else:
        assert set(np.unique(first)) <= {0.0, 1.0} and abs(first.mean() - 0.7) < 0.01


# ---- 3-D ------------------------------------------------------------------------------------

def conv3d_ref(x, w, b, pads):
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(p0, p1) for p0, p1 in pads])
    o, _, kd, kh, kw = w.shape
    n, _, d, h, wd = x.shape
    out = np.zeros((n, o, d - kd + 1, h - kh + 1, wd - kw + 1))
    for i in range(kd):
        for j in range(kh):
            for k in range(kw):
                patch = x[:, :, i:i + out.shape[2], j:j + out.shape[3], k:k + out.shape[4]]
                out += np.einsum("ncdhw,oc->nodhw", patch, w[:, :, i, j, k])
    return out + b.reshape(1, -1, 1, 1, 1)


def test_convolution_3d():
    x = rand(1, 2, 4, 5, 6, seed=10)
    w, bias = rand(3, 2, 2, 3, 2, seed=11), rand(3, seed=12)
    out = nd(lambda b: b.add_convolution3d("c", 2, 3, 2, 3, 2, w, bias, True, padding_mode="custom", padding_front=1,
                                           padding_back=0, padding_top=1, padding_bottom=1, padding_left=0,
                                           padding_right=1, input_name="x", output_name="y"), {"x": x})["y"]
    check(out, conv3d_ref(x, w, bias, [(1, 0), (1, 1), (0, 1)]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["MAX", "AVERAGE"])
def test_pooling_3d_and_global(kind):
    x = rand(1, 2, 4, 4, 6, seed=13)
    out = nd(lambda b: b.add_pooling3d("p", "x", "y", kind, 2, 2, 3, 2, 2, 3), {"x": x})["y"]
    blocks = x.reshape(1, 2, 2, 2, 2, 2, 2, 3)
    ref = blocks.max(axis=(3, 5, 7)) if kind == "MAX" else blocks.mean(axis=(3, 5, 7))
    check(out, ref)
    out = nd(lambda b: b.add_global_pooling3d("g", "x", "y", kind), {"x": x})["y"]
    check(out, (x.max if kind == "MAX" else x.mean)(axis=(2, 3, 4), keepdims=True))


# ---- regions --------------------------------------------------------------------------------

def bilinear_at(plane, r, c):
    r0, c0 = int(np.floor(r)), int(np.floor(c))
    r1, c1 = min(r0 + 1, plane.shape[0] - 1), min(c0 + 1, plane.shape[1] - 1)
    fr, fc = r - r0, c - c0
    top = plane[r0, c0] * (1 - fc) + plane[r0, c1] * fc
    bottom = plane[r1, c0] * (1 - fc) + plane[r1, c1] * fc
    return top * (1 - fr) + bottom * fr


def test_crop_resize_corners_height_first():
    x = rand(1, 1, 2, 6, 7, seed=14)
    rois = np.array([[1.0, 0.5, 4.0, 5.0], [0.0, 0.0, 5.0, 6.0]], np.float32).reshape(2, 1, 4, 1, 1)
    out = nd(lambda b: b.add_crop_resize("c", ["x", "r"], "y", target_height=3, target_width=4), {"x": x, "r": rois})["y"]
    ref = np.zeros((2, 1, 2, 3, 4))
    for n, (h0, w0, h1, w1) in enumerate(rois.reshape(2, 4)):
        for i, r in enumerate(np.linspace(h0, h1, 3)):
            for j, c in enumerate(np.linspace(w0, w1, 4)):
                for ch in range(2):
                    ref[n, 0, ch, i, j] = bilinear_at(x[0, 0, ch].astype(np.float64), r, c)
    check(out, ref)


def nms_ref(boxes, scores, iou_threshold, score_threshold, max_boxes):
    def iou(a, b):
        ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
        bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
        inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
        return inter / (a[2] * a[3] + b[2] * b[3] - inter)
    best = scores.max(axis=1)
    kept = []
    for i in np.argsort(-best, kind="stable"):
        if best[i] < score_threshold or len(kept) == max_boxes:
            continue
        if all(iou(boxes[i], boxes[k]) <= iou_threshold for k in kept):
            kept.append(i)
    if not kept:
        kept = [int(np.argmax(best))]
    out_boxes, out_scores, idx = np.zeros((max_boxes, 4)), np.zeros((max_boxes, scores.shape[1])), -np.ones(max_boxes)
    for s, i in enumerate(kept):
        out_boxes[s], out_scores[s], idx[s] = boxes[i], scores[i], i
    return out_boxes, out_scores, idx, len(kept)


@pytest.mark.parametrize("score_threshold", [0.3, 0.99])
def test_non_maximum_suppression(score_threshold):
    boxes = np.array([[[0.5, 0.5, 1.0, 1.0], [0.55, 0.5, 1.0, 1.0], [2.0, 2.0, 1.0, 1.0], [2.1, 2.0, 0.5, 0.5],
                       [5.0, 5.0, 1.0, 1.0]]], np.float32)
    scores = np.array([[[0.9, 0.1], [0.8, 0.3], [0.2, 0.7], [0.6, 0.1], [0.1, 0.2]]], np.float32)
    names = ("b", "s", "i", "n")
    out = nd(lambda b: b.add_nms("nms", ["boxes", "scores"], list(names), iou_threshold=0.4,
                                 score_threshold=score_threshold, max_boxes=4),
             {"boxes": boxes, "scores": scores}, outputs=names)
    rb, rs, ri, rn = nms_ref(boxes[0], scores[0], 0.4, score_threshold, 4)
    check(out["b"], rb[None], rtol=0, atol=0)
    check(out["s"], rs[None], rtol=0, atol=0)
    check(out["i"], ri[None], rtol=0, atol=0)
    check(out["n"], [rn], rtol=0, atol=0)
