// opencoreml kernels: tap_sum (tap_sum.hpp). Up to four vectors of outputs per step share each
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

    // Clamp and store outputs [j, j + NV * W) of a row (only `last` of the final vector when < W).
    template <int W, int NV, class F>
    OCML_VEC_INLINE void finish(F* acc, float* y, int64_t j, int64_t last) const {
        for (int v = 0; v < NV; ++v) {
            acc[v] = acc[v] < a.lo ? F{} + a.lo : acc[v];
            acc[v] = acc[v] > a.hi ? F{} + a.hi : acc[v];
            if (last < W && !a.y_slack)
                store_partial(y + j + v * W, acc[v], last);
            else
                store(y + j + v * W, acc[v]);
        }
    }

    // Any number of taps: weights and row pointers read from memory in the tap loop.
    template <int W, int NV>
    OCML_VEC_INLINE void block(const float* const* p, const float* w, float bias, float* y, int64_t j, int64_t last) const {
        using F = typename Vec<W>::F;
        F acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = F{} + bias;
        for (int64_t t = 0; t < a.taps; ++t) {
            const float wt = w[t];
            for (int v = 0; v < NV; ++v) acc[v] += wt * load<F>(p[t] + j + v * W);
        }
        finish<W, NV>(acc, y, j, last);
    }

    template <int W>
    OCML_VEC_INLINE void planes_any() const {
        const float* p[kTapSumMaxTaps];
        for (int64_t o = 0; o < a.planes; ++o) {
            const float* x = a.x + (o / a.multiplier) * a.x_stride;
            const float* w = a.w + o * a.taps;
            const float bias = a.bias ? a.bias[o] : 0.0f;
            for (int64_t r = 0; r < a.rows; ++r) {
                for (int64_t t = 0; t < a.taps; ++t) p[t] = x + a.off[t] + r * a.x_row;
                float* y = a.y + o * a.y_stride + r * a.y_row;
                int64_t j = 0;
                for (; j + 4 * W <= a.n; j += 4 * W) block<W, 4>(p, w, bias, y, j, W);
                for (; j < a.n; j += W) block<W, 1>(p, w, bias, y, j, a.n - j);
            }
        }
    }

    // Nine taps (3x3 kernels): weights broadcast into registers once per plane and nine row
    // pointers as locals, so the loop body is nine multiply-adds from memory per vector (the
    // general loop reloads a pointer and a weight for every tap).
    template <int W, int NV>
    OCML_VEC_INLINE void block9(const float* const* p, const typename Vec<W>::F* wv, float bias, float* y, int64_t j,
                                int64_t last) const {
        using F = typename Vec<W>::F;
        F acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = F{} + bias;
        for (int t = 0; t < 9; ++t)
            for (int v = 0; v < NV; ++v) acc[v] += wv[t] * load<F>(p[t] + j + v * W);
        finish<W, NV>(acc, y, j, last);
    }

    template <int W>
    OCML_VEC_INLINE void planes9() const {
        using F = typename Vec<W>::F;
        for (int64_t o = 0; o < a.planes; ++o) {
            const float* x = a.x + (o / a.multiplier) * a.x_stride;
            F wv[9];
            for (int t = 0; t < 9; ++t) wv[t] = F{} + a.w[o * 9 + t];
            const float bias = a.bias ? a.bias[o] : 0.0f;
            for (int64_t r = 0; r < a.rows; ++r) {
                const float* p[9];
                for (int t = 0; t < 9; ++t) p[t] = x + a.off[t] + r * a.x_row;
                float* y = a.y + o * a.y_stride + r * a.y_row;
                int64_t j = 0;
                for (; j + 4 * W <= a.n; j += 4 * W) block9<W, 4>(p, wv, bias, y, j, W);
                if (j + 2 * W <= a.n) block9<W, 2>(p, wv, bias, y, j, W), j += 2 * W;
                for (; j < a.n; j += W) block9<W, 1>(p, wv, bias, y, j, a.n - j);
            }
        }
    }

    template <int W>
    OCML_VEC_INLINE void run() const {
        if (a.taps == 9)
            planes9<W>();
        else
            planes_any<W>();
    }
};

struct SplitBody {
    const float* x;
    float *even, *odd;
    int64_t n;

    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        using I = typename Vec<W>::I;
        I pick_even, pick_odd;
        for (int i = 0; i < W; ++i) pick_even[i] = 2 * i, pick_odd[i] = 2 * i + 1;
        int64_t t = 0;
        for (; t + W <= n; t += W) {
            const F lo = load<F>(x + 2 * t), hi = load<F>(x + 2 * t + W);
            store(even + t, __builtin_shuffle(lo, hi, pick_even));
            store(odd + t, __builtin_shuffle(lo, hi, pick_odd));
        }
        for (; t < n; ++t) even[t] = x[2 * t], odd[t] = x[2 * t + 1];
    }
};

}  // namespace

void split_even_odd(const float* x, float* even, float* odd, int64_t n) {
    if (n > 0) vm::detail::dispatch(SplitBody{x, even, odd, n});
}

void tap_sum(const TapSumPlanes& a) {
    if (a.planes > 0 && a.n > 0) vm::detail::dispatch(Body{a});
}

}  // namespace opencoreml::kernels
