// opencoreml kernels: the softmax row helpers of vec_math.hpp (maximum, exponentials and
// their sum in one vectorised pass each), compiled per instruction set like the
// elementwise functions.
#include <cstring>
#include <limits>

#include "kernels/vec_core.hpp"
#include "kernels/vec_math.hpp"

namespace opencoreml::kernels::vm {
using namespace detail;
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Horizontal sum and maximum of a vector: one store, then a pairwise tree over the lanes
// (depth log2 W instead of a W-long dependency chain). Splitting the vector itself into
// halves with memcpy makes GCC break the accumulating loops down to scalar code.
template <int W>
OCML_VEC_INLINE float lane_sum(typename Vec<W>::F v) {
    float lanes[W];
    store(lanes, v);
    for (int half = W / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; ++l) lanes[l] += lanes[l + half];
    return lanes[0];
}
template <int W>
OCML_VEC_INLINE float lane_max(typename Vec<W>::F v) {
    float lanes[W];
    store(lanes, v);
    for (int half = W / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; ++l) lanes[l] = lanes[l + half] > lanes[l] ? lanes[l + half] : lanes[l];
    return lanes[0];
}

// y = exp(x - shift) over a row; returns the sum.
template <int W>
OCML_VEC_INLINE float exp_sum_row(const float* x, float* y, int64_t n, float shift) {
    using F = typename Vec<W>::F;
    F acc = F{};
    int64_t i = 0;
    for (; i + W <= n; i += W) {
        const F e = vexp(load<F>(x + i) - shift);
        store(y + i, e);
        acc += e;
    }
    if (i < n) {
        // Padding lanes hold -inf, whose exponential adds nothing.
        const F e = vexp(load_partial<F>(x + i, n - i, -kInf) - shift);
        store_partial(y + i, e, n - i);
        acc += e;
    }
    return lane_sum<W>(acc);
}

struct SoftmaxBody {
    const float* x;
    float* y;
    int64_t n;
    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        // NaNs are skipped here; one in x still turns the sum, and so every output, into NaN.
        F m = F{} - kInf;
        int64_t i = 0;
        for (; i + W <= n; i += W) {
            const F v = load<F>(x + i);
            m = v > m ? v : m;
        }
        if (i < n) {
            const F v = load_partial<F>(x + i, n - i, -kInf);
            m = v > m ? v : m;
        }
        const float top = lane_max<W>(m);
        const float inv = 1.0f / exp_sum_row<W>(x, y, n, top);
        for (i = 0; i + W <= n; i += W) store(y + i, load<F>(y + i) * inv);
        for (; i < n; ++i) y[i] *= inv;
    }
};

struct ExpSumBody {
    const float* x;
    float* y;
    int64_t n;
    float shift;
    float* result;
    template <int W>
    OCML_VEC_INLINE void run() const {
        *result = exp_sum_row<W>(x, y, n, shift);
    }
};

struct ExpSubAccumulateBody {
    const float *x, *shift;
    float *y, *sum;
    int64_t n;
    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        int64_t i = 0;
        for (; i + W <= n; i += W) {
            const F e = vexp(load<F>(x + i) - load<F>(shift + i));
            store(y + i, e);
            store(sum + i, load<F>(sum + i) + e);
        }
        if (i < n) {
            const int64_t m = n - i;
            const F e = vexp(load_partial<F>(x + i, m, 0.0f) - load_partial<F>(shift + i, m, 0.0f));
            store_partial(y + i, e, m);
            store_partial(sum + i, load_partial<F>(sum + i, m, 0.0f) + e, m);
        }
    }
};

}  // namespace

void softmax_row(const float* x, float* y, int64_t n) {
    if (n > 0) dispatch(SoftmaxBody{x, y, n});
}

float exp_shifted_sum(const float* x, float* y, int64_t n, float shift) {
    float total = 0.0f;
    if (n > 0) dispatch(ExpSumBody{x, y, n, shift, &total});
    return total;
}

void exp_sub_accumulate(const float* x, const float* shift, float* y, float* sum, int64_t n) {
    if (n > 0) dispatch(ExpSubAccumulateBody{x, shift, y, sum, n});
}

}  // namespace opencoreml::kernels::vm
