// opencoreml ML program ops: crop (fixed margins off the last two axes) and crop_resize
// (bilinear crops of boxes: iOS15/16 take rank-5 roi boxes and give [N, B, C, h, w]; iOS17 takes
// boxes [N, 4] plus box_indices and gives [N, C, h, w]). Samples that fall outside the image take
// pad_value (iOS16+, 0 before).
#include <cmath>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/image/sampling_grid.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::image {
namespace {

// ---- crop ----------------------------------------------------------------------------------

std::unique_ptr<Kernel> make_crop(const BuildContext& b) {
    const std::vector<int64_t> ch = b.const_ints("crop_height"), cw = b.const_ints("crop_width");
    if (ch.size() != 2 || cw.size() != 2) b.fail("crop_height and crop_width must each hold 2 values");
    for (int64_t v : {ch[0], ch[1], cw[0], cw[1]})
        if (v < 0) b.fail("crop amounts must be non-negative");
    return make_kernel([ch, cw](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        if (x.rank() < 3) ctx.fail("input x must have rank at least 3, got shape " + shape_to_string(x.shape()));
        const int64_t h = x.dim(-2), w = x.dim(-1);
        const int64_t ho = h - ch[0] - ch[1], wo = w - cw[0] - cw[1];
        if (ho < 0 || wo < 0) ctx.fail("crop amounts exceed the input's spatial size " + shape_to_string(x.shape()));
        Shape out_shape = x.shape();
        out_shape[out_shape.size() - 2] = ho;
        out_shape[out_shape.size() - 1] = wo;
        Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
        const size_t esz = dtype_size(x.dtype());
        const int64_t planes = h * w == 0 ? 0 : x.numel() / (h * w);
        const char* src = static_cast<const char*>(x.raw());
        char* dst = static_cast<char*>(y.raw());
        for (int64_t p = 0; p < planes; ++p)
            for (int64_t r = 0; r < ho; ++r)
                std::memcpy(dst + ((p * ho + r) * wo) * esz, src + ((p * h + r + ch[0]) * w + cw[0]) * esz, wo * esz);
    });
}

// ---- crop_resize ---------------------------------------------------------------------------

enum class BoxFormat { CornersHeightFirst, CornersWidthFirst, CenterSizeHeightFirst, CenterSizeWidthFirst };

struct CropResizeParams {
    int64_t target_h = 1, target_w = 1;
    bool normalized = false;
    float spatial_scale = 1.0f;
    BoxFormat format = BoxFormat::CornersHeightFirst;
    SamplingMode mode = SamplingMode::Default;
    float pad_value = 0.0f;
    bool ios17 = false;
};

// A box's extent along both axes in input pixels: rows start..start+extent, columns likewise.
struct Box {
    double y0, dy, x0, dx;
};

Box decode_box(const float* c, const CropResizeParams& p, int64_t h, int64_t w) {
    double a = c[0], bb = c[1], cc = c[2], d = c[3];
    Box box{};
    switch (p.format) {
        case BoxFormat::CornersHeightFirst: box = {a, cc - a, bb, d - bb}; break;
        case BoxFormat::CornersWidthFirst: box = {bb, d - bb, a, cc - a}; break;
        case BoxFormat::CenterSizeHeightFirst: box = {a - cc / 2, cc, bb - d / 2, d}; break;
        case BoxFormat::CenterSizeWidthFirst: box = {bb - d / 2, d, a - cc / 2, cc}; break;
    }
    const double sy = p.spatial_scale * (p.normalized ? static_cast<double>(h - 1) : 1.0);
    const double sx = p.spatial_scale * (p.normalized ? static_cast<double>(w - 1) : 1.0);
    return {box.y0 * sy, box.dy * sy, box.x0 * sx, box.dx * sx};
}

// Crops one box out of every channel of image `img` ([C, H, W]) into dst ([C, th, tw]).
void crop_one(const float* img, float* dst, int64_t channels, int64_t h, int64_t w, const Box& box,
              const CropResizeParams& p) {
    const LinearTaps ty = linear_taps(sample_positions(p.mode, box.y0, box.dy, p.target_h), h);
    const LinearTaps tx = linear_taps(sample_positions(p.mode, box.x0, box.dx, p.target_w), w);
    for (int64_t c = 0; c < channels; ++c) {
        const float* plane = img + c * h * w;
        float* out = dst + c * p.target_h * p.target_w;
        for (int64_t i = 0; i < p.target_h; ++i) {
            float* row = out + i * p.target_w;
            if (!ty.valid[i]) {
                for (int64_t j = 0; j < p.target_w; ++j) row[j] = p.pad_value;
                continue;
            }
            const float* r0 = plane + ty.lo[i] * w;
            const float* r1 = plane + ty.hi[i] * w;
            const float fy = ty.frac[i];
            for (int64_t j = 0; j < p.target_w; ++j) {
                if (!tx.valid[j]) {
                    row[j] = p.pad_value;
                    continue;
                }
                const float top = r0[tx.lo[j]] + tx.frac[j] * (r0[tx.hi[j]] - r0[tx.lo[j]]);
                const float bottom = r1[tx.lo[j]] + tx.frac[j] * (r1[tx.hi[j]] - r1[tx.lo[j]]);
                row[j] = top + fy * (bottom - top);
            }
        }
    }
}

BoxFormat parse_box_format(const BuildContext& b, const std::string& s) {
    if (s == "CORNERS_HEIGHT_FIRST") return BoxFormat::CornersHeightFirst;
    if (s == "CORNERS_WIDTH_FIRST") return BoxFormat::CornersWidthFirst;
    if (s == "CENTER_SIZE_HEIGHT_FIRST") return BoxFormat::CenterSizeHeightFirst;
    if (s == "CENTER_SIZE_WIDTH_FIRST") return BoxFormat::CenterSizeWidthFirst;
    b.fail("unknown box_coordinate_mode \"" + s + "\"");
}

void run_crop_resize(RunContext& ctx, const CropResizeParams& p) {
    const Tensor x = ctx.input_f32("x");
    if (x.rank() != 4) ctx.fail("input x must have rank 4, got shape " + shape_to_string(x.shape()));
    const int64_t batch = x.dim(0), channels = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t plane_out = channels * p.target_h * p.target_w;

    // Each crop: which image, which box; output laid out crop after crop.
    std::vector<int64_t> image_of;
    std::vector<Box> boxes;
    Shape out_shape;
    if (p.ios17) {
        const Tensor coords = to_f32_tensor(ctx.input("boxes"));
        if (coords.rank() != 2 || coords.dim(1) != 4) ctx.fail("boxes must have shape [N, 4], got " + shape_to_string(coords.shape()));
        const int64_t n = coords.dim(0);
        Tensor indices;
        if (ctx.has_input("box_indices")) {
            indices = ctx.input("box_indices").to(DType::Int64);
            if (indices.numel() != n) ctx.fail("box_indices must have one entry per box");
        }
        for (int64_t i = 0; i < n; ++i) {
            const int64_t img = indices.defined() && indices.numel() == n ? indices.data<int64_t>()[i] : i;
            image_of.push_back(img);
            boxes.push_back(decode_box(coords.data<float>() + i * 4, p, h, w));
        }
        out_shape = {n, channels, p.target_h, p.target_w};
    } else {
        const Tensor roi = to_f32_tensor(ctx.input("roi"));
        if (roi.rank() != 5 || (roi.dim(2) != 4 && roi.dim(2) != 5))
            ctx.fail("roi must have shape [N, 1, 4, 1, 1] or [N, 1, 5, 1, 1], got " + shape_to_string(roi.shape()));
        const int64_t n = roi.dim(0), stride = roi.numel() / std::max<int64_t>(n, 1);
        const bool with_index = roi.dim(2) == 5;
        for (int64_t i = 0; i < n; ++i) {
            const float* r = roi.data<float>() + i * stride;
            if (with_index) {
                image_of.push_back(static_cast<int64_t>(r[0]));
                boxes.push_back(decode_box(r + 1, p, h, w));
            } else {
                for (int64_t bi = 0; bi < batch; ++bi) {
                    image_of.push_back(bi);
                    boxes.push_back(decode_box(r, p, h, w));
                }
            }
        }
        out_shape = {n, with_index ? 1 : batch, channels, p.target_h, p.target_w};
    }
    for (int64_t img : image_of)
        if (img < 0 || img >= batch) ctx.fail("box index " + std::to_string(img) + " is outside the batch of " + std::to_string(batch) + " images");

    F32Output y(ctx, 0, out_shape);
    float* out = y.data();
    const float* src = x.data<float>();
    const int64_t crops = static_cast<int64_t>(boxes.size());
    ctx.threads().parallel_for(crops, 1, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k)
            crop_one(src + image_of[k] * channels * h * w, out + k * plane_out, channels, h, w, boxes[k], p);
    });
    y.commit();
}

std::unique_ptr<Kernel> make_crop_resize(const BuildContext& b, bool ios17) {
    CropResizeParams p;
    p.ios17 = ios17;
    p.target_h = b.const_int("target_height", 1);
    p.target_w = b.const_int("target_width", 1);
    if (p.target_h < 0 || p.target_w < 0) b.fail("target sizes must be non-negative");
    p.normalized = b.const_bool("normalized_coordinates", false);
    p.spatial_scale = static_cast<float>(b.const_float("spatial_scale", 1.0));
    p.format = parse_box_format(b, b.const_string("box_coordinate_mode", "CORNERS_HEIGHT_FIRST"));
    p.mode = parse_sampling_mode(b, b.const_string("sampling_mode", "DEFAULT"));
    p.pad_value = static_cast<float>(b.const_float("pad_value", 0.0));
    return make_kernel([p](RunContext& ctx) { run_crop_resize(ctx, p); });
}

}  // namespace

OCML_REGISTER_MIL_OP("crop", kIOS15, make_crop)
OCML_REGISTER_MIL_OP("crop_resize", kIOS15, [](const BuildContext& b) { return make_crop_resize(b, false); })
OCML_REGISTER_MIL_OP("crop_resize", kIOS17, [](const BuildContext& b) { return make_crop_resize(b, true); })

}  // namespace opencoreml::mil::image
