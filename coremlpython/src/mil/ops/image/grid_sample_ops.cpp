// opencoreml ML program ops: sampling an image at arbitrary points — resample (points given per
// output pixel; iOS15, more coordinate dtypes in iOS16/17) and affine (points from a per-batch
// 2x3 transform of the output grid). Both use the same sampler: coordinates mapped to pixels,
// padding mode applied, then bilinear or nearest interpolation.
#include <algorithm>
#include <cmath>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::image {
namespace {

enum class Interp { Bilinear, Nearest };
enum class Padding { Constant, Border, Reflection, Symmetric };
enum class Coords { Unnormalized, MinusOneToOne, ZeroToOne };

struct SamplerParams {
    Interp interp = Interp::Bilinear;
    Padding padding = Padding::Constant;
    Coords coords = Coords::MinusOneToOne;
    bool align_corners = true;
    float pad_value = 0.0f;
};

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

SamplerParams parse_sampler(const BuildContext& b) {
    SamplerParams p;
    const std::string interp = lower(b.const_string("sampling_mode"));
    if (interp == "bilinear") p.interp = Interp::Bilinear;
    else if (interp == "nearest") p.interp = Interp::Nearest;
    else b.fail("unknown sampling_mode \"" + interp + "\" (expected bilinear or nearest)");
    const std::string pad = lower(b.const_string("padding_mode"));
    if (pad == "constant") p.padding = Padding::Constant;
    else if (pad == "border") p.padding = Padding::Border;
    else if (pad == "reflection") p.padding = Padding::Reflection;
    else if (pad == "symmetric") p.padding = Padding::Symmetric;
    else b.fail("unknown padding_mode \"" + pad + "\" (expected constant, border, reflection or symmetric)");
    const std::string coords = lower(b.const_string("coordinates_mode"));
    if (coords == "unnormalized") p.coords = Coords::Unnormalized;
    else if (coords == "normalized_minus_one_to_one") p.coords = Coords::MinusOneToOne;
    else if (coords == "normalized_zero_to_one") p.coords = Coords::ZeroToOne;
    else b.fail("unknown coordinates_mode \"" + coords + "\"");
    p.align_corners = b.const_bool("align_corners", true);
    p.pad_value = static_cast<float>(b.const_float("padding_value", 0.0));
    return p;
}

// A coordinate in the op's convention -> a pixel position along an axis of `size` pixels.
inline float to_pixel(float v, int64_t size, const SamplerParams& p) {
    const float n = static_cast<float>(size);
    switch (p.coords) {
        case Coords::Unnormalized: return v;
        case Coords::MinusOneToOne: return p.align_corners ? (v + 1.0f) * 0.5f * (n - 1.0f) : ((v + 1.0f) * n - 1.0f) * 0.5f;
        case Coords::ZeroToOne: return p.align_corners ? v * (n - 1.0f) : v * n - 0.5f;
    }
    return v;
}

// Folds a position back into range for the reflecting padding modes: reflection mirrors about
// the first and last pixel centres, symmetric about the image edges (half a pixel further out).
inline float reflect(float v, float low, float high) {
    const float span = high - low;
    if (span <= 0.0f) return low;
    float d = std::fabs(v - low);
    const float period = 2.0f * span;
    d = std::fmod(d, period);
    return d > span ? low + period - d : low + d;
}

inline float apply_padding(float v, int64_t size, Padding padding) {
    const float last = static_cast<float>(size - 1);
    switch (padding) {
        case Padding::Constant: return v;
        case Padding::Border: return std::min(std::max(v, 0.0f), last);
        case Padding::Reflection: return reflect(v, 0.0f, last);
        case Padding::Symmetric: return std::min(std::max(reflect(v, -0.5f, last + 0.5f), 0.0f), last);
    }
    return v;
}

// Value of `plane` ([h, w]) at pixel position (px, py).
inline float sample(const float* plane, int64_t h, int64_t w, float px, float py, const SamplerParams& p) {
    px = apply_padding(px, w, p.padding);
    py = apply_padding(py, h, p.padding);
    auto at = [&](int64_t yy, int64_t xx) {
        return (yy < 0 || yy >= h || xx < 0 || xx >= w) ? p.pad_value : plane[yy * w + xx];
    };
    if (p.interp == Interp::Nearest) return at(static_cast<int64_t>(std::nearbyint(py)), static_cast<int64_t>(std::nearbyint(px)));
    if (!std::isfinite(px) || !std::isfinite(py)) return p.pad_value;
    const float fx0 = std::floor(px), fy0 = std::floor(py);
    const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
    const float ax = px - fx0, ay = py - fy0;
    const float top = at(y0, x0) * (1.0f - ax) + at(y0, x0 + 1) * ax;
    const float bottom = at(y0 + 1, x0) * (1.0f - ax) + at(y0 + 1, x0 + 1) * ax;
    return top * (1.0f - ay) + bottom * ay;
}

// out[b, c, i, j] = x[b, c] sampled at point(b, i, j) for every channel.
template <typename PointFn>
void sample_all(RunContext& ctx, const Tensor& x, int64_t ho, int64_t wo, const SamplerParams& p, PointFn point) {
    const int64_t batch = x.dim(0), channels = x.dim(1), h = x.dim(2), w = x.dim(3);
    F32Output y(ctx, 0, {batch, channels, ho, wo});
    float* out = y.data();
    const float* src = x.data<float>();
    const int64_t pixels = ho * wo;
    ctx.threads().parallel_for(batch * ho, std::max<int64_t>(1, 4096 / std::max<int64_t>(wo * channels, 1)), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            const int64_t bi = row / ho, i = row % ho;
            for (int64_t j = 0; j < wo; ++j) {
                float px, py;
                point(bi, i, j, px, py);
                px = to_pixel(px, w, p);
                py = to_pixel(py, h, p);
                for (int64_t c = 0; c < channels; ++c)
                    out[((bi * channels + c) * pixels) + i * wo + j] = sample(src + (bi * channels + c) * h * w, h, w, px, py, p);
            }
        }
    });
    y.commit();
}

std::unique_ptr<Kernel> make_resample(const BuildContext& b) {
    const SamplerParams p = parse_sampler(b);
    return make_kernel([p](RunContext& ctx) {
        const Tensor x = ctx.input_f32("x");
        const Tensor coords = to_f32_tensor(ctx.input("coordinates"));
        if (x.rank() != 4) ctx.fail("input x must have rank 4, got shape " + shape_to_string(x.shape()));
        if (coords.rank() != 4 || coords.dim(3) != 2 || coords.dim(0) != x.dim(0))
            ctx.fail("coordinates must have shape [" + std::to_string(x.dim(0)) + ", H, W, 2], got " + shape_to_string(coords.shape()));
        const int64_t ho = coords.dim(1), wo = coords.dim(2);
        const float* c = coords.data<float>();
        sample_all(ctx, x, ho, wo, p, [&](int64_t bi, int64_t i, int64_t j, float& px, float& py) {
            const float* pt = c + ((bi * ho + i) * wo + j) * 2;
            px = pt[0];
            py = pt[1];
        });
    });
}

std::unique_ptr<Kernel> make_affine(const BuildContext& b) {
    const SamplerParams p = parse_sampler(b);
    if (p.coords != Coords::MinusOneToOne) b.unsupported("affine with coordinates_mode other than normalized_minus_one_to_one");
    const int64_t ho = b.const_int("output_height"), wo = b.const_int("output_width");
    if (ho < 0 || wo < 0) b.fail("output sizes must be non-negative");
    return make_kernel([p, ho, wo](RunContext& ctx) {
        const Tensor x = ctx.input_f32("x");
        const Tensor m = ctx.input_f32("transform_matrix");
        if (x.rank() != 4) ctx.fail("input x must have rank 4, got shape " + shape_to_string(x.shape()));
        if (m.rank() != 2 || m.dim(1) != 6 || (m.dim(0) != 1 && m.dim(0) != x.dim(0)))
            ctx.fail("transform_matrix must have shape [1 or " + std::to_string(x.dim(0)) + ", 6], got " + shape_to_string(m.shape()));
        const float* mat = m.data<float>();
        const bool shared = m.dim(0) == 1;
        // Output pixel centres in the same normalized convention as the input coordinates.
        auto norm = [&](int64_t i, int64_t n) {
            if (p.align_corners) return n > 1 ? -1.0f + 2.0f * i / static_cast<float>(n - 1) : 0.0f;
            return (2.0f * i + 1.0f) / static_cast<float>(n) - 1.0f;
        };
        sample_all(ctx, x, ho, wo, p, [&](int64_t bi, int64_t i, int64_t j, float& px, float& py) {
            const float* t = mat + (shared ? 0 : bi * 6);
            const float u = norm(j, wo), v = norm(i, ho);
            px = t[0] * u + t[1] * v + t[2];
            py = t[3] * u + t[4] * v + t[5];
        });
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("resample", kIOS15, make_resample)
OCML_REGISTER_MIL_OP("affine", kIOS15, make_affine)

}  // namespace opencoreml::mil::image
