// opencoreml ML program ops: avg_pool, max_pool and l2_pool over 1 to 3 spatial dims, fp16 or
// fp32, every pad_type, ceil_mode. Padding never contributes to a max or an L2 norm; an
// average divides by the window's in-bounds element count when exclude_padding_from_average,
// else by its size clipped to the padded input (a ceil_mode window hanging past the padding
// counts only up to it, as PyTorch, whose models these come from, does).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "mil/ops/common/thread_floats.hpp"
#include "mil/ops/conv/window.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

enum class PoolMode { Max, Avg, L2 };

// One window's bounds along one dim: in-bounds [lo, hi) and padded-input-clipped [plo, phi).
struct Span {
    int64_t lo, hi, plo, phi;
};

inline Span span(int64_t o, const Window3& w, int a) {
    const int64_t start = o * w.s[a] - w.before[a], end = start + w.k[a];
    return {std::max<int64_t>(start, 0), std::min(end, w.in[a]), std::max(start, -w.before[a]),
            std::min(end, w.in[a] + w.after[a])};
}

template <PoolMode Mode>
inline float combine(float acc, float v) {
    if (Mode == PoolMode::Max) return std::max(acc, v);  // a NaN element is skipped, as before
    return acc + (Mode == PoolMode::L2 ? v * v : v);
}

// Pooling windows are separable: each output row first reduces its window's input rows into
// one row (`rows`, contiguous and vectorisable), then slides the window along that row.
template <PoolMode Mode>
void pool_plane(const float* x, const Window3& w, bool exclude_padding, float* out, float* rows) {
    const float identity = Mode == PoolMode::Max ? -std::numeric_limits<float>::infinity() : 0.0f;
    const int64_t width = w.in[2];
    for (int64_t od = 0; od < w.out[0]; ++od) {
        const Span d = span(od, w, 0);
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
            const Span h = span(oh, w, 1);
            std::fill(rows, rows + width, identity);
            for (int64_t id = d.lo; id < d.hi; ++id) {
                for (int64_t ih = h.lo; ih < h.hi; ++ih) {
                    const float* row = x + (id * w.in[1] + ih) * width;
                    for (int64_t iw = 0; iw < width; ++iw) rows[iw] = combine<Mode>(rows[iw], row[iw]);
                }
            }
            const int64_t window_rows = std::max<int64_t>(0, d.hi - d.lo) * std::max<int64_t>(0, h.hi - h.lo);
            const int64_t padded_rows = (d.phi - d.plo) * (h.phi - h.plo);
            for (int64_t ow = 0; ow < w.out[2]; ++ow) {
                const Span c = span(ow, w, 2);
                float acc = identity;
                for (int64_t iw = c.lo; iw < c.hi; ++iw) acc = Mode == PoolMode::Max ? std::max(acc, rows[iw]) : acc + rows[iw];
                float result = acc;
                if (Mode == PoolMode::L2) {
                    result = std::sqrt(acc);
                } else if (Mode == PoolMode::Avg) {
                    const int64_t count = exclude_padding ? window_rows * std::max<int64_t>(0, c.hi - c.lo)
                                                          : padded_rows * (c.phi - c.plo);
                    result = count > 0 ? acc / static_cast<float>(count) : 0.0f;
                }
                *out++ = result;
            }
        }
    }
}

// out[ow] = max over t < k of row[ow * s + t], row padded with -inf so every window is whole;
// compile-time K and S for the common 2x2 / 3x3 windows so the loop vectorises.
template <int K, int S>
void max_row(const float* row, int64_t k, int64_t s, int64_t n, float* out) {
    const int64_t kk = K ? K : k, ss = S ? S : s;
    for (int64_t o = 0; o < n; ++o) {
        float acc = -std::numeric_limits<float>::infinity();
        for (int64_t t = 0; t < kk; ++t) acc = std::max(acc, row[o * ss + t]);  // a NaN element is skipped
        out[o] = acc;
    }
}

using MaxRowFn = void (*)(const float*, int64_t, int64_t, int64_t, float*);

MaxRowFn max_row_fn(int64_t k, int64_t s) {
    if (k == 3 && s == 2) return max_row<3, 2>;
    if (k == 3 && s == 1) return max_row<3, 1>;
    if (k == 2 && s == 2) return max_row<2, 2>;
    return max_row<0, 0>;
}

// max_pool: the separable scheme of pool_plane, with the row reduced into a buffer padded by
// `before` -inf values on the left and enough on the right that no window needs clipping.
void max_pool_plane(const float* x, const Window3& w, float* out, float* rows, MaxRowFn row_fn) {
    const float lowest = -std::numeric_limits<float>::infinity();
    const int64_t width = w.in[2], left = w.before[2];
    const int64_t padded = std::max(left + width, (w.out[2] - 1) * w.s[2] + w.k[2]);
    std::fill(rows, rows + padded, lowest);
    float* data = rows + left;
    for (int64_t od = 0; od < w.out[0]; ++od) {
        const Span d = span(od, w, 0);
        for (int64_t oh = 0; oh < w.out[1]; ++oh, out += w.out[2]) {
            const Span h = span(oh, w, 1);
            std::fill(data, data + width, lowest);
            for (int64_t id = d.lo; id < d.hi; ++id)
                for (int64_t ih = h.lo; ih < h.hi; ++ih) {
                    const float* row = x + (id * w.in[1] + ih) * width;
                    for (int64_t iw = 0; iw < width; ++iw) data[iw] = std::max(data[iw], row[iw]);
                }
            row_fn(rows, w.k[2], w.s[2], w.out[2], out);
        }
    }
}

template <PoolMode Mode>
class PoolKernel : public Kernel {
public:
    explicit PoolKernel(const BuildContext& ctx) : kernel_(ctx.const_ints("kernel_sizes")) {
        const InputInfo& x = ctx.input("x");
        if (x.dtype != DType::Float16 && x.dtype != DType::Float32)
            ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(x.dtype));
        if (x.rank_known && x.shape.size() != kernel_.size() + 2)
            ctx.fail("kernel_sizes has " + std::to_string(kernel_.size()) + " values for x of rank " +
                     std::to_string(x.shape.size()) + " (expected rank - 2)");
        spec_ = WindowSpec::read(ctx, kernel_.size(), false, true);
        exclude_padding_ = Mode == PoolMode::Avg && ctx.const_bool("exclude_padding_from_average", false);
    }

    void run(RunContext& ctx) const override {
        const Shape& xs = ctx.input("x").shape();
        const size_t dims = kernel_.size();
        if (xs.size() != dims + 2)
            ctx.fail("x " + shape_to_string(xs) + " must have rank " + std::to_string(dims + 2) + " for " +
                     std::to_string(dims) + " kernel sizes");
        const Tensor x = ctx.input_f32("x");
        const Window3 w = forward_window(ctx, spec_, &xs[2], kernel_.data());
        Shape out_shape = {xs[0], xs[1]};
        for (size_t i = 0; i < dims; ++i) out_shape.push_back(w.out[3 - dims + i]);
        F32Output out(ctx, 0, out_shape);
        const int64_t planes = xs[0] * xs[1], plane_work = std::max<int64_t>(1, w.out_size() * w.taps());
        const float* src = x.data<float>();
        float* dst = out.data();
        // Max with padding that is not negative: whole windows over a padded row buffer.
        const bool fast_max = Mode == PoolMode::Max && w.before[2] >= 0;
        const MaxRowFn row_fn = max_row_fn(w.k[2], w.s[2]);
        const int64_t row_floats = std::max<int64_t>(1, w.before[2] + w.in[2] + (w.out[2] - 1) * w.s[2] + w.k[2]);
        ctx.threads().parallel_for(planes, std::max<int64_t>(1, (1 << 15) / plane_work), [&](int64_t p0, int64_t p1) {
            float* rows = thread_floats(kSlotPoolRow, static_cast<size_t>(row_floats));
            for (int64_t p = p0; p < p1; ++p) {
                if (fast_max)
                    max_pool_plane(src + p * w.in_size(), w, dst + p * w.out_size(), rows, row_fn);
                else
                    pool_plane<Mode>(src + p * w.in_size(), w, exclude_padding_, dst + p * w.out_size(), rows);
            }
        });
        out.commit();
    }

private:
    std::vector<int64_t> kernel_;
    WindowSpec spec_;
    bool exclude_padding_ = false;
};

template <PoolMode Mode>
std::unique_ptr<Kernel> make_pool(const BuildContext& ctx) {
    return std::make_unique<PoolKernel<Mode>>(ctx);
}

OCML_REGISTER_MIL_OP("avg_pool", kIOS15, make_pool<PoolMode::Avg>)
OCML_REGISTER_MIL_OP("max_pool", kIOS15, make_pool<PoolMode::Max>)
OCML_REGISTER_MIL_OP("l2_pool", kIOS15, make_pool<PoolMode::L2>)

}  // namespace
}  // namespace opencoreml::mil
