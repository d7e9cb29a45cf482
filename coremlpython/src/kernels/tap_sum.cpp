// opencoreml kernels: tap_sum (tap_sum.hpp). Four vectors of outputs per step share each
// tap's broadcast weight, so the loop is bound by multiply-adds rather than loads; 3x3
// kernels (nine taps) get a copy with the weights held in registers for the whole plane.
#include "kernels/tap_sum.hpp"

#include "kernels/vec_simd.hpp"

namespace opencoreml::kernels {
namespace {

using vm::detail::load;
using vm::detail::store;
using vm::detail::store_partial;
using vm::detail::Vec;

struct Body {
    const TapSumPlanes& a;

    // Outputs [j, j + NV * W) of one row (only `last` of the final vector kept when < W).
    template <int W, int NV, int T>
    OCML_VEC_INLINE void block(const float* const* p, const float* w, int64_t taps, float bias, float* y, int64_t j,
                               int64_t last) const {
        using F = typename Vec<W>::F;
        F acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = F{} + bias;
        const int64_t count = T ? T : taps;
        for (int64_t t = 0; t < count; ++t) {
            const float wt = w[t];
            for (int v = 0; v < NV; ++v) acc[v] += wt * load<F>(p[t] + j + v * W);
        }
        for (int v = 0; v < NV; ++v) {
            acc[v] = acc[v] < a.lo ? F{} + a.lo : acc[v];
            acc[v] = acc[v] > a.hi ? F{} + a.hi : acc[v];
            if (last < W)
                store_partial(y + j + v * W, acc[v], last);
            else
                store(y + j + v * W, acc[v]);
        }
    }

    template <int W, int T>
    OCML_VEC_INLINE void planes() const {
        const float* p[kTapSumMaxTaps];
        for (int64_t o = 0; o < a.planes; ++o) {
            const float* x = a.x + (o / a.multiplier) * a.x_stride;
            const float* w = a.w + o * a.taps;
            const float bias = a.bias ? a.bias[o] : 0.0f;
            for (int64_t r = 0; r < a.rows; ++r) {
                for (int64_t t = 0; t < a.taps; ++t) p[t] = x + a.off[t] + r * a.x_row;
                float* y = a.y + o * a.y_stride + r * a.y_row;
                int64_t j = 0;
                for (; j + 4 * W <= a.n; j += 4 * W) block<W, 4, T>(p, w, a.taps, bias, y, j, W);
                for (; j < a.n; j += W) block<W, 1, T>(p, w, a.taps, bias, y, j, a.n - j);
            }
        }
    }

    template <int W>
    OCML_VEC_INLINE void run() const {
        if (a.taps == 9)
            planes<W, 9>();
        else
            planes<W, 0>();
    }
};

}  // namespace

void tap_sum(const TapSumPlanes& a) {
    if (a.planes > 0 && a.n > 0) vm::detail::dispatch(Body{a});
}

}  // namespace opencoreml::kernels
