"""ML program image ops (resize/upsample family, crop, crop_resize, resample, affine) and
recurrent ops (lstm, gru, rnn), each run end to end and checked against numpy references
written here from the MIL op definitions. fp32 ops: rtol/atol 1e-5 (2e-5 for the recurrent
ops, which accumulate over time); fp16 ops: compared with the reference computed from the
same fp16 inputs, within fp16 rounding (rtol/atol 3e-3)."""
import numpy as np
import pytest

from mil_op_runner import assert_representable, close, run_op_params as run_op

RNG = np.random.default_rng(7)
MODES = ["STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "DEFAULT", "OFFSET_CORNERS", "UNALIGN_CORNERS"]
FP32 = dict(rtol=1e-5, atol=1e-5)
FP16 = dict(rtol=3e-3, atol=3e-3)


# ---- numpy references ----------------------------------------------------------------------

def grid(mode, xin, xout):
    """Sample positions per the resize_bilinear definition (input grid [0, xin - 1])."""
    i = np.arange(xout, dtype=np.float64)
    if mode in ("STRICT_ALIGN_CORNERS", "ALIGN_CORNERS"):
        if xout == 1:
            g = np.array([(xin - 1) / 2.0 if mode == "ALIGN_CORNERS" else 0.0])
        else:
            g = i * (xin - 1) / (xout - 1)
    elif mode == "DEFAULT":
        g = i * (xin - xin / xout) / (xout - 1) if xout > 1 else np.zeros(1)
    elif mode == "OFFSET_CORNERS":
        delta = max(1, xin - 1) / xout
        g = 0.5 * delta + i * delta
    else:  # UNALIGN_CORNERS
        g = (i + 0.5) * xin / xout - 0.5
    return np.clip(g, 0, xin - 1)


def bilinear(x, gy, gx):
    """x[..., H, W] sampled at rows gy and columns gx (positions inside the image)."""
    h, w = x.shape[-2:]
    y0 = np.floor(gy).astype(int)
    x0 = np.floor(gx).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (gy - y0)[:, None], (gx - x0)[None, :]
    top = x[..., y0[:, None], x0[None, :]] * (1 - wx) + x[..., y0[:, None], x1[None, :]] * wx
    bottom = x[..., y1[:, None], x0[None, :]] * (1 - wx) + x[..., y1[:, None], x1[None, :]] * wx
    return top * (1 - wy) + bottom * wy


def activation(name, v):
    return {
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
        "tanh": np.tanh,
        "relu": lambda a: np.maximum(a, 0),
        "linear": lambda a: a,
        "hard_sigmoid": lambda a: np.clip(0.2 * a + 0.5, 0, 1),
        "scaled_tanh": np.tanh,
    }[name](v)


# ---- upsample / resize ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("sh,sw", [(2, 3), (1.5, 2.5), (1, 1)])
def test_upsample_nearest_neighbor(tmp_path, dtype, sh, sw):
    x = RNG.standard_normal((2, 3, 4, 5)).astype(dtype)
    (y,) = run_op(tmp_path, "upsample_nearest_neighbor", {"x": x},
                  scale_factor_height=np.float32(sh), scale_factor_width=np.float32(sw))
    ho, wo = int(np.floor(4 * sh)), int(np.floor(5 * sw))
    rows = np.minimum(np.floor(np.arange(ho) / sh).astype(int), 3)
    cols = np.minimum(np.floor(np.arange(wo) / sw).astype(int), 4)
    assert_representable(y, dtype)
    np.testing.assert_array_equal(y, x[..., rows[:, None], cols[None, :]])


def test_upsample_nearest_integer_scale_rank5(tmp_path):
    x = RNG.standard_normal((1, 2, 2, 3, 2)).astype(np.float32)
    (y,) = run_op(tmp_path, "upsample_nearest_neighbor", {"x": x},
                  scale_factor_height=np.int32(2), scale_factor_width=np.int32(3))
    np.testing.assert_array_equal(y, x.repeat(2, axis=-2).repeat(3, axis=-1))


@pytest.mark.parametrize("target", [(8, 10), (3, 2), (4, 5), (1, 1)])
def test_resize_nearest_neighbor(tmp_path, target):
    x = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)
    (y,) = run_op(tmp_path, "resize_nearest_neighbor", {"x": x},
                  target_size_height=np.int32(target[0]), target_size_width=np.int32(target[1]))
    rows = np.arange(target[0]) * 4 // target[0]
    cols = np.arange(target[1]) * 5 // target[1]
    np.testing.assert_array_equal(y, x[..., rows[:, None], cols[None, :]])


@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("scale", [(2, 3), (1.5, 0.5)])
def test_upsample_bilinear_ios15(tmp_path, align, scale):
    x = RNG.standard_normal((2, 3, 4, 6)).astype(np.float32)
    (y,) = run_op(tmp_path, "upsample_bilinear", {"x": x}, opset="CoreML5",
                  scale_factor_height=np.float32(scale[0]), scale_factor_width=np.float32(scale[1]),
                  align_corners=align)
    ho, wo = int(4 * scale[0]), int(6 * scale[1])
    mode = "STRICT_ALIGN_CORNERS" if align else "UNALIGN_CORNERS"
    close(y, bilinear(x.astype(np.float64), grid(mode, 4, ho), grid(mode, 6, wo)), **FP32)


@pytest.mark.parametrize("align,half_pixel,expected", [
    (True, False, [1.0, 1.2, 1.4, 1.6, 1.8, 2.0]),
    (False, True, [1.0, 1.0, 4 / 3, 5 / 3, 2.0, 2.0]),
    (False, False, [1.0, 4 / 3, 5 / 3, 2.0, 2.0, 2.0]),
    (False, None, [1.0, 1.0, 4 / 3, 5 / 3, 2.0, 2.0]),  # half_pixel_centers defaults to !align_corners
])
def test_upsample_bilinear_ios16_half_pixel_centers(tmp_path, align, half_pixel, expected):
    # The values the MIL definition's own example gives for x = [1, 2], scales (2, 3).
    x = np.array([1, 2], dtype=np.float32).reshape(1, 1, 1, 2)
    params = dict(scale_factor_height=np.int32(2), scale_factor_width=np.int32(3), align_corners=align)
    if half_pixel is not None:
        params["half_pixel_centers"] = half_pixel
    (y,) = run_op(tmp_path, "upsample_bilinear", {"x": x}, opset="CoreML6", **params)
    close(y, np.array(expected * 2).reshape(1, 1, 2, 6), **FP32)


def test_upsample_bilinear_rejects_both_alignments(tmp_path):
    x = np.zeros((1, 1, 2, 2), np.float32)
    with pytest.raises(Exception, match="align_corners and half_pixel_centers"):
        run_op(tmp_path, "upsample_bilinear", {"x": x}, opset="CoreML6", align_corners=True, half_pixel_centers=True)


@pytest.mark.parametrize("mode,expected5,expected6", [
    ("UNALIGN_CORNERS", [0, 0.1, 0.5, 0.9, 1], [0, 0, 1 / 3, 2 / 3, 1, 1]),
    ("STRICT_ALIGN_CORNERS", [0, 0.25, 0.5, 0.75, 1], [0, 0.2, 0.4, 0.6, 0.8, 1]),
    ("ALIGN_CORNERS", [0, 0.25, 0.5, 0.75, 1], [0, 0.2, 0.4, 0.6, 0.8, 1]),
    ("DEFAULT", [0, 0.4, 0.8, 1, 1], [0, 1 / 3, 2 / 3, 1, 1, 1]),
    ("OFFSET_CORNERS", [0.1, 0.3, 0.5, 0.7, 0.9], [1 / 12, 0.25, 5 / 12, 7 / 12, 0.75, 11 / 12]),
])
def test_resize_bilinear_documented_grids(tmp_path, mode, expected5, expected6):
    # Resizing [0, 1] yields the sample positions themselves: the grids listed in the MIL docs.
    x = np.array([0, 1], dtype=np.float32).reshape(1, 1, 2)
    for out, expected in ((5, expected5), (6, expected6)):
        (y,) = run_op(tmp_path / str(out), "resize_bilinear", {"x": x}, target_size_height=np.int32(1),
                      target_size_width=np.int32(out), sampling_mode=mode)
        close(y.reshape(-1), expected, **FP32)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", [(7, 3), (1, 1), (5, 9)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_resize_bilinear(tmp_path, mode, target, dtype):
    x = RNG.standard_normal((2, 3, 5, 6)).astype(dtype)
    (y,) = run_op(tmp_path, "resize_bilinear", {"x": x}, target_size_height=np.int32(target[0]),
                  target_size_width=np.int32(target[1]), sampling_mode=mode)
    assert_representable(y, dtype)
    close(y, bilinear(x.astype(np.float64), grid(mode, 5, target[0]), grid(mode, 6, target[1])),
          **(FP32 if dtype == np.float32 else FP16))


def test_resize_bilinear_unknown_mode_is_rejected(tmp_path):
    x = np.zeros((1, 2, 2), np.float32)
    with pytest.raises(Exception, match="sampling_mode"):
        run_op(tmp_path, "resize_bilinear", {"x": x}, sampling_mode="SIDEWAYS")


@pytest.mark.parametrize("mode", MODES)
def test_resize_ios17_linear_two_axes(tmp_path, mode):
    x = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    shape = np.array([7, 3], dtype=np.int32)
    (y,) = run_op(tmp_path, "resize", {"x": x, "shape": shape}, resized_dims=np.uint32(2),
                  interpolation_mode="LINEAR", sampling_mode=mode)
    close(y, bilinear(x.astype(np.float64), grid(mode, 4, 7), grid(mode, 5, 3)), **FP32)


def test_resize_ios17_zero_keeps_size_and_one_axis(tmp_path):
    x = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    shape = np.array([9, 0, 8], dtype=np.int32)  # resized_dims=1: only the last entry applies
    (y,) = run_op(tmp_path, "resize", {"x": x, "shape": shape}, resized_dims=np.uint32(1), sampling_mode="ALIGN_CORNERS")
    ref = bilinear(x.astype(np.float64), np.arange(4, dtype=np.float64), grid("ALIGN_CORNERS", 5, 8))
    close(y, ref, **FP32)
    shape = np.array([0, 10], dtype=np.int32)
    (y,) = run_op(tmp_path / "b", "resize", {"x": x, "shape": shape}, resized_dims=np.uint32(2), sampling_mode="DEFAULT")
    close(y, bilinear(x.astype(np.float64), np.arange(4, dtype=np.float64), grid("DEFAULT", 5, 10)), **FP32)


@pytest.mark.parametrize("mode", ["DEFAULT", "UNALIGN_CORNERS", "STRICT_ALIGN_CORNERS"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_resize_ios17_nearest(tmp_path, mode, dtype):
    x = (RNG.standard_normal((3, 4, 6)) * 100).astype(dtype)
    shape = np.array([7, 4], dtype=np.int32)
    (y,) = run_op(tmp_path, "resize", {"x": x, "shape": shape}, resized_dims=np.uint32(2),
                  interpolation_mode="NEAREST_NEIGHBOR", sampling_mode=mode)

    def index(xin, xout):  # DEFAULT floors like resize_nearest_neighbor; others pick the nearest pixel
        g = grid(mode, xin, xout)
        return np.clip(np.floor(g if mode == "DEFAULT" else g + 0.5).astype(int), 0, xin - 1)

    assert_representable(y, dtype)
    np.testing.assert_array_equal(y, x[..., index(4, 7)[:, None], index(6, 4)[None, :]])


# ---- crop / crop_resize ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_crop(tmp_path, dtype):
    x = RNG.standard_normal((2, 3, 6, 7)).astype(dtype)
    (y,) = run_op(tmp_path, "crop", {"x": x}, crop_height=np.int32([1, 2]), crop_width=np.int32([0, 3]))
    np.testing.assert_array_equal(y, x[..., 1:4, 0:4])


def test_crop_too_much_is_an_error(tmp_path):
    x = np.zeros((1, 2, 3), np.float32)
    with pytest.raises(Exception, match="crop"):
        run_op(tmp_path, "crop", {"x": x}, crop_height=np.int32([1, 1]), crop_width=np.int32([2, 2]))


CROP_IMAGE = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)


@pytest.mark.parametrize("roi,size,normalized,expected", [
    # The examples of coremltools' own crop_resize tests (ALIGN_CORNERS).
    ([1, 1, 2, 2], 2, False, [6, 7, 10, 11]),
    ([1, 1, 2, 2], 4, False, [6, 19 / 3, 20 / 3, 7, 22 / 3, 23 / 3, 8, 25 / 3,
                              26 / 3, 9, 28 / 3, 29 / 3, 10, 31 / 3, 32 / 3, 11]),
    ([1, 1, 2, 2], 1, False, [8.5]),
    ([0, 0, 0, 1 / 3, 1 / 3], 2, True, [1, 2, 5, 6]),
    ([2, 2, 1, 1], 2, False, [11, 10, 7, 6]),
])
def test_crop_resize_ios15_examples(tmp_path, roi, size, normalized, expected):
    roi = np.array(roi, dtype=np.float32).reshape(1, 1, len(roi), 1, 1)
    (y,) = run_op(tmp_path, "crop_resize", {"x": CROP_IMAGE, "roi": roi}, opset="CoreML5", target_height=np.int32(size), target_width=np.int32(size),
                  normalized_coordinates=normalized, box_coordinate_mode="CORNERS_HEIGHT_FIRST",
                  sampling_mode="ALIGN_CORNERS")
    close(y, np.array(expected).reshape(1, 1, 1, size, size), rtol=1e-5, atol=1e-4)


def crop_ref(img, box, th, tw, mode, pad):
    """img [C, H, W]; box (y0, x0, y1, x1) in pixels; samples outside the image take `pad`."""
    h, w = img.shape[-2:]

    def positions(start, end, n):
        length = abs(end - start)
        d = grid(mode, length + 1, n)  # the box as a segment of length + 1 pixels
        if mode == "DEFAULT":
            d = np.minimum(np.arange(n) * (length + 1) / n, length)
        return start + np.sign(end - start or 1) * d

    gy, gx = positions(box[0], box[2], th), positions(box[1], box[3], tw)
    inside_y, inside_x = (gy >= 0) & (gy <= h - 1), (gx >= 0) & (gx <= w - 1)
    out = bilinear(img.astype(np.float64), np.clip(gy, 0, h - 1), np.clip(gx, 0, w - 1))
    out[..., ~inside_y, :] = pad
    out[..., :, ~inside_x] = pad
    return out


@pytest.mark.parametrize("mode", ["STRICT_ALIGN_CORNERS", "ALIGN_CORNERS"])
@pytest.mark.parametrize("box_mode", ["CORNERS_HEIGHT_FIRST", "CORNERS_WIDTH_FIRST", "CENTER_SIZE_HEIGHT_FIRST",
                                      "CENTER_SIZE_WIDTH_FIRST"])
def test_crop_resize_ios17_boxes_and_indices(tmp_path, mode, box_mode):
    x = RNG.standard_normal((3, 2, 6, 7)).astype(np.float32)
    corners = np.array([[1.0, 0.5, 4.0, 5.5], [0.0, 0.0, 5.0, 6.0], [2.0, 3.0, 3.5, 7.5]])  # y0, x0, y1, x1
    y0, x0, y1, x1 = corners.T
    encoded = {
        "CORNERS_HEIGHT_FIRST": np.stack([y0, x0, y1, x1], 1),
        "CORNERS_WIDTH_FIRST": np.stack([x0, y0, x1, y1], 1),
        "CENTER_SIZE_HEIGHT_FIRST": np.stack([(y0 + y1) / 2, (x0 + x1) / 2, y1 - y0, x1 - x0], 1),
        "CENTER_SIZE_WIDTH_FIRST": np.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], 1),
    }[box_mode].astype(np.float32)
    indices = np.array([2, 0, 1], dtype=np.int32)
    (y,) = run_op(tmp_path, "crop_resize", {"x": x, "boxes": encoded, "box_indices": indices}, opset="CoreML7",
                  target_height=np.int32(4), target_width=np.int32(5), box_coordinate_mode=box_mode,
                  sampling_mode=mode, pad_value=np.float32(-9))
    ref = np.stack([crop_ref(x[indices[n]], corners[n], 4, 5, mode, -9.0) for n in range(3)])
    close(y, ref, **FP32)


@pytest.mark.parametrize("mode", MODES)
def test_crop_resize_ios16_sampling_modes_batch(tmp_path, mode):
    # roi without a batch index crops every image; normalized coordinates scale by (H-1, W-1).
    x = RNG.standard_normal((2, 2, 5, 5)).astype(np.float32)
    roi = np.array([[0.25, 0.0, 0.75, 1.0]], dtype=np.float32).reshape(1, 1, 4, 1, 1)
    (y,) = run_op(tmp_path, "crop_resize", {"x": x, "roi": roi}, opset="CoreML6",
                  target_height=np.int32(3), target_width=np.int32(4), normalized_coordinates=True,
                  sampling_mode=mode, spatial_scale=np.float32(1.0))
    box = np.array([1.0, 0.0, 3.0, 4.0])
    ref = np.stack([crop_ref(x[b], box, 3, 4, mode, 0.0) for b in range(2)])[None]
    close(y, ref, **FP32)


# ---- resample / affine -----------------------------------------------------------------------

def grid_sample_ref(x, px, py, interp, padding, pad_value):
    """x [B, C, H, W]; px/py [B, Ho, Wo] pixel positions."""
    b_, c_, h, w = x.shape

    def fold(v, size):
        if padding == "border":
            return np.clip(v, 0, size - 1)
        if padding == "reflection":
            span = size - 1
            d = np.mod(np.abs(v), 2 * span) if span > 0 else np.zeros_like(v)
            return np.where(d > span, 2 * span - d, d)
        if padding == "symmetric":
            span = size
            d = np.mod(np.abs(v + 0.5), 2 * span)
            return np.clip(np.where(d > span, 2 * span - d, d) - 0.5, 0, size - 1)
        return v

    px, py = fold(px, w), fold(py, h)
    out = np.zeros((b_, c_) + px.shape[1:])

    def at(b, yy, xx):
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        vals = x[b][:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
        return np.where(ok, vals, pad_value)

    for b in range(b_):
        if interp == "nearest":
            out[b] = at(b, np.rint(py[b]).astype(int), np.rint(px[b]).astype(int))
            continue
        x0, y0 = np.floor(px[b]).astype(int), np.floor(py[b]).astype(int)
        ax, ay = px[b] - x0, py[b] - y0
        top = at(b, y0, x0) * (1 - ax) + at(b, y0, x0 + 1) * ax
        bottom = at(b, y0 + 1, x0) * (1 - ax) + at(b, y0 + 1, x0 + 1) * ax
        out[b] = top * (1 - ay) + bottom * ay
    return out


def to_pixels(v, size, coords, align):
    if coords == "unnormalized":
        return v
    if coords == "normalized_minus_one_to_one":
        return (v + 1) / 2 * (size - 1) if align else ((v + 1) * size - 1) / 2
    return v * (size - 1) if align else v * size - 0.5


@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["constant", "border", "reflection", "symmetric"])
@pytest.mark.parametrize("coords,align", [("unnormalized", True), ("normalized_minus_one_to_one", True),
                                          ("normalized_minus_one_to_one", False), ("normalized_zero_to_one", False)])
def test_resample(tmp_path, interp, padding, coords, align):
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    lo, hi = {"unnormalized": (-3, 8), "normalized_minus_one_to_one": (-1.6, 1.6),
              "normalized_zero_to_one": (-0.4, 1.4)}[coords]
    pts = RNG.uniform(lo, hi, size=(2, 4, 3, 2)).astype(np.float32)
    (y,) = run_op(tmp_path, "resample", {"x": x, "coordinates": pts}, opset="CoreML6", sampling_mode=interp,
                  padding_mode=padding, padding_value=np.float32(0.5), coordinates_mode=coords, align_corners=align)
    px = to_pixels(pts[..., 0].astype(np.float64), 6, coords, align)
    py = to_pixels(pts[..., 1].astype(np.float64), 5, coords, align)
    close(y, grid_sample_ref(x.astype(np.float64), px, py, interp, padding, 0.5), rtol=1e-5, atol=2e-5)


def test_resample_fp16(tmp_path):
    x = RNG.standard_normal((1, 2, 4, 4)).astype(np.float16)
    pts = RNG.uniform(-1, 1, size=(1, 3, 3, 2)).astype(np.float16)
    (y,) = run_op(tmp_path, "resample", {"x": x, "coordinates": pts}, opset="CoreML6", sampling_mode="bilinear",
                  padding_mode="border", padding_value=np.float16(0), coordinates_mode="normalized_minus_one_to_one",
                  align_corners=True)
    px = to_pixels(pts[..., 0].astype(np.float64), 4, "normalized_minus_one_to_one", True)
    py = to_pixels(pts[..., 1].astype(np.float64), 4, "normalized_minus_one_to_one", True)
    assert_representable(y, np.float16)
    close(y, grid_sample_ref(x.astype(np.float64), px, py, "bilinear", "border", 0), **FP16)


def test_affine(tmp_path):
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    theta = np.array([[0.9, 0.2, 0.1, -0.3, 1.1, -0.2], [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]], dtype=np.float32)
    (y,) = run_op(tmp_path, "affine", {"x": x, "transform_matrix": theta}, output_height=np.int32(4),
                  output_width=np.int32(7), sampling_mode="bilinear", padding_mode="constant",
                  padding_value=np.float32(0), coordinates_mode="normalized_minus_one_to_one", align_corners=True)
    u = np.linspace(-1, 1, 7)[None, :].repeat(4, 0)
    v = np.linspace(-1, 1, 4)[:, None].repeat(7, 1)
    t = theta.astype(np.float64)
    nx = t[:, 0, None, None] * u + t[:, 1, None, None] * v + t[:, 2, None, None]
    ny = t[:, 3, None, None] * u + t[:, 4, None, None] * v + t[:, 5, None, None]
    ref = grid_sample_ref(x.astype(np.float64), (nx + 1) / 2 * 5, (ny + 1) / 2 * 4, "bilinear", "constant", 0.0)
    close(y, ref, rtol=1e-5, atol=2e-5)
    # The identity transform on a same-size grid returns the image.
    (z,) = run_op(tmp_path / "id", "affine", {"x": x, "transform_matrix": theta[1:]}, output_height=np.int32(5),
                  output_width=np.int32(6), sampling_mode="bilinear", padding_mode="constant",
                  padding_value=np.float32(0), coordinates_mode="normalized_minus_one_to_one", align_corners=True)
    close(z, x, rtol=1e-5, atol=1e-5)


# ---- lstm / gru / rnn --------------------------------------------------------------------------

def lstm_ref(x, h0, c0, dirs, direction, output_sequence, acts, clip):
    """dirs: list of (W_ih, W_hh, bias, peephole) per direction, gates ordered i, f, o, z."""
    ra, ca, oa = (lambda v, n=n: activation(n, v) for n in acts)
    s_len, hidden = x.shape[0], dirs[0][1].shape[1]
    outs, hs, cs = [], [], []
    for d, (w_ih, w_hh, bias, peep) in enumerate(dirs):
        h, c = h0[:, d * hidden:(d + 1) * hidden], c0[:, d * hidden:(d + 1) * hidden]
        backward = direction == "reverse" or d == 1
        order = range(s_len - 1, -1, -1) if backward else range(s_len)
        seq = [None] * s_len
        for k, t in enumerate(order):
            g = x[t] @ w_ih.T + h @ w_hh.T + bias
            i, f, o, z = np.split(g, 4, axis=1)
            i, f = ra(i + c * peep[:hidden]), ra(f + c * peep[hidden:2 * hidden])
            c = f * c + i * ca(z)
            if clip is not None:
                c = np.clip(c, -clip, clip)
            h = ra(o + c * peep[2 * hidden:]) * oa(c)
            seq[t if direction == "bidirectional" else k] = h
        outs.append(np.stack(seq) if output_sequence else h[None])
        hs.append(h)
        cs.append(c)
    return np.concatenate(outs, -1), np.concatenate(hs, -1), np.concatenate(cs, -1)


def rand(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("output_sequence", [True, False])
@pytest.mark.parametrize("acts", [("sigmoid", "tanh", "tanh"), ("hard_sigmoid", "relu", "linear"),
                                  ("tanh", "sigmoid", "scaled_tanh")])
def test_lstm(tmp_path, direction, output_sequence, acts):
    s_len, batch, inp, hidden = 5, 2, 3, 4
    nd = 2 if direction == "bidirectional" else 1
    dirs = [(rand(4 * hidden, inp), rand(4 * hidden, hidden), rand(4 * hidden), rand(3 * hidden)) for _ in range(nd)]
    x, h0, c0 = rand(s_len, batch, inp, scale=1), rand(batch, nd * hidden), rand(batch, nd * hidden)
    params = dict(weight_ih=dirs[0][0], weight_hh=dirs[0][1], bias=dirs[0][2], peephole=dirs[0][3],
                  direction=direction, output_sequence=output_sequence, recurrent_activation=acts[0],
                  cell_activation=acts[1], activation=acts[2])
    if nd == 2:
        params.update(weight_ih_back=dirs[1][0], weight_hh_back=dirs[1][1], bias_back=dirs[1][2],
                      peephole_back=dirs[1][3])
    got = run_op(tmp_path, "lstm", {"x": x, "initial_h": h0, "initial_c": c0}, outputs=3, opset="CoreML5", **params)
    ref = lstm_ref(x.astype(np.float64), h0, c0, dirs, direction, output_sequence, acts, None)
    for a, e in zip(got, ref):
        close(a, e, rtol=2e-5, atol=2e-5)


def test_lstm_clip_no_peephole_no_bias(tmp_path):
    s_len, batch, inp, hidden = 6, 3, 2, 5
    w_ih, w_hh = rand(4 * hidden, inp, scale=2), rand(4 * hidden, hidden, scale=2)
    x, h0, c0 = rand(s_len, batch, inp, scale=2), rand(batch, hidden), rand(batch, hidden, scale=3)
    got = run_op(tmp_path, "lstm", {"x": x, "initial_h": h0, "initial_c": c0}, outputs=3, opset="CoreML5",
                 weight_ih=w_ih, weight_hh=w_hh, output_sequence=True, clip=np.float32(0.6))
    zeros = [(w_ih, w_hh, np.zeros(4 * hidden), np.zeros(3 * hidden))]
    ref = lstm_ref(x.astype(np.float64), h0, c0, zeros, "forward", True, ("sigmoid", "tanh", "tanh"), 0.6)
    assert np.abs(got[2]).max() <= 0.6 + 1e-6
    for a, e in zip(got, ref):
        close(a, e, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_lstm_fp16_ios17(tmp_path, direction):
    s_len, batch, inp, hidden = 4, 2, 3, 4
    nd = 2 if direction == "bidirectional" else 1
    h16 = lambda *s: rand(*s).astype(np.float16)  # noqa: E731
    dirs = [(h16(4 * hidden, inp), h16(4 * hidden, hidden), h16(4 * hidden), np.zeros(3 * hidden, np.float16))
            for _ in range(nd)]
    x, h0, c0 = h16(s_len, batch, inp), h16(batch, nd * hidden), h16(batch, nd * hidden)
    params = dict(weight_ih=dirs[0][0], weight_hh=dirs[0][1], bias=dirs[0][2], direction=direction,
                  output_sequence=True)
    if nd == 2:
        params.update(weight_ih_back=dirs[1][0], weight_hh_back=dirs[1][1], bias_back=dirs[1][2])
    got = run_op(tmp_path, "lstm", {"x": x, "initial_h": h0, "initial_c": c0}, outputs=3, opset="CoreML7", **params)
    as64 = [tuple(a.astype(np.float64) for a in d) for d in dirs]
    ref = lstm_ref(x.astype(np.float64), h0.astype(np.float64), c0.astype(np.float64), as64, direction, True,
                   ("sigmoid", "tanh", "tanh"), None)
    for a, e in zip(got, ref):
        assert_representable(a, np.float16)
        close(a, e, **FP16)


def gru_ref(x, h, w_ih, w_hh, in_bias, hid_bias, reverse, output_sequence, acts, reset_after):
    """Gates ordered r, o (candidate), z."""
    hidden = w_hh.shape[1]
    wr, wo, wz = np.split(w_ih, 3)
    ur, uo, uz = np.split(w_hh, 3)
    bir, bio, biz = np.split(in_bias, 3)
    bhr, bho, bhz = np.split(hid_bias, 3)
    seq = []
    for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
        r = activation(acts[0], x[t] @ wr.T + bir + h @ ur.T + bhr)
        z = activation(acts[0], x[t] @ wz.T + biz + h @ uz.T + bhz)
        if reset_after:
            o = activation(acts[1], x[t] @ wo.T + bio + r * (h @ uo.T + bho))
        else:
            o = activation(acts[1], x[t] @ wo.T + bio + (r * h) @ uo.T + bho)
        h = (1 - z) * o + z * h
        seq.append(h)
    assert hidden == h.shape[1]
    return (np.stack(seq) if output_sequence else h[None]), h


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("output_sequence", [True, False])
@pytest.mark.parametrize("acts", [("sigmoid", "tanh"), ("hard_sigmoid", "relu")])
def test_gru_ios15(tmp_path, reverse, output_sequence, acts):
    s_len, batch, inp, hidden = 4, 2, 3, 5
    w_ih, w_hh, bias = rand(3 * hidden, inp), rand(3 * hidden, hidden), rand(3 * hidden)
    x, h0 = rand(s_len, batch, inp, scale=1), rand(batch, hidden)
    got = run_op(tmp_path, "gru", {"x": x, "initial_h": h0}, outputs=2, opset="CoreML5", weight_ih=w_ih,
                 weight_hh=w_hh, bias=bias, direction="reverse" if reverse else "forward",
                 output_sequence=output_sequence, recurrent_activation=acts[0], activation=acts[1])
    ref = gru_ref(x.astype(np.float64), h0, w_ih, w_hh, np.zeros(3 * hidden), bias, reverse, output_sequence, acts,
                  False)
    for a, e in zip(got, ref):
        close(a, e, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_ios18_reset_after_input_bias(tmp_path, reset_after):
    s_len, batch, inp, hidden = 5, 2, 3, 4
    w_ih, w_hh, bias, in_bias = rand(3 * hidden, inp), rand(3 * hidden, hidden), rand(3 * hidden), rand(3 * hidden)
    x, h0 = rand(s_len, batch, inp, scale=1), rand(batch, hidden)
    got = run_op(tmp_path, "gru", {"x": x, "initial_h": h0}, outputs=2, opset="CoreML8", weight_ih=w_ih,
                 weight_hh=w_hh, bias=bias, input_bias=in_bias, reset_after=reset_after, output_sequence=True)
    ref = gru_ref(x.astype(np.float64), h0, w_ih, w_hh, in_bias, bias, False, True, ("sigmoid", "tanh"), reset_after)
    for a, e in zip(got, ref):
        close(a, e, rtol=2e-5, atol=2e-5)


def test_gru_fp16_ios17(tmp_path):
    s_len, batch, inp, hidden = 3, 1, 2, 3
    w_ih, w_hh, bias = (rand(3 * hidden, inp).astype(np.float16), rand(3 * hidden, hidden).astype(np.float16),
                        rand(3 * hidden).astype(np.float16))
    x, h0 = rand(s_len, batch, inp).astype(np.float16), rand(batch, hidden).astype(np.float16)
    got = run_op(tmp_path, "gru", {"x": x, "initial_h": h0}, outputs=2, opset="CoreML7", weight_ih=w_ih,
                 weight_hh=w_hh, bias=bias, output_sequence=True)
    f = lambda a: a.astype(np.float64)  # noqa: E731
    ref = gru_ref(f(x), f(h0), f(w_ih), f(w_hh), np.zeros(3 * hidden), f(bias), False, True, ("sigmoid", "tanh"), False)
    for a, e in zip(got, ref):
        assert_representable(a, np.float16)
        close(a, e, **FP16)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "sigmoid_hard", "linear", "scaled_tanh"])
def test_rnn(tmp_path, reverse, act):
    s_len, batch, inp, hidden = 4, 3, 2, 5
    w_ih, w_hh, bias = rand(hidden, inp), rand(hidden, hidden), rand(hidden)
    x, h = rand(s_len, batch, inp, scale=1), rand(batch, hidden)
    got = run_op(tmp_path, "rnn", {"x": x, "initial_h": h}, outputs=2, opset="CoreML5", weight_ih=w_ih,
                 weight_hh=w_hh, bias=bias, direction="reverse" if reverse else "forward", output_sequence=True,
                 activation=act)
    name = "hard_sigmoid" if act == "sigmoid_hard" else act
    seq, hs = [], h.astype(np.float64)
    for t in (range(s_len - 1, -1, -1) if reverse else range(s_len)):
        hs = activation(name, x[t] @ w_ih.T + hs @ w_hh.T + bias)
        seq.append(hs)
    close(got[0], np.stack(seq), rtol=2e-5, atol=2e-5)
    close(got[1], hs, rtol=2e-5, atol=2e-5)


def test_recurrent_bad_direction_and_state(tmp_path):
    hidden = 2
    x, h0 = rand(3, 1, 2), rand(1, hidden)
    with pytest.raises(Exception, match="direction"):
        run_op(tmp_path, "rnn", {"x": x, "initial_h": h0}, outputs=2, opset="CoreML5",
               weight_ih=rand(hidden, 2), weight_hh=rand(hidden, hidden), direction="bidirectional")
    with pytest.raises(Exception, match="initial_h"):
        run_op(tmp_path / "b", "rnn", {"x": x, "initial_h": rand(1, 3)}, outputs=2, opset="CoreML5",
               weight_ih=rand(hidden, 2), weight_hh=rand(hidden, hidden))


def test_lstm_corpus_case():
    from conftest import case_by_name
    from corpus_runner import check_case

    check_case(case_by_name("torch_lstm_fp32"))
