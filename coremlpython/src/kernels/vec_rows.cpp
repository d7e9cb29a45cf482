// opencoreml kernels: the row helpers of vec_math.hpp — softmax (maximum, exponentials and
// their sum in one vectorised pass each) and layer normalisation — compiled per instruction
// set like the elementwise functions.
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

// Sum of the lanes of a vector of doubles, pairwise.
template <int H>
OCML_VEC_INLINE double lane_sum_d(typename Vec<H>::D v) {
    double lanes[H];
    std::memcpy(lanes, &v, sizeof lanes);
    for (int half = H / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; ++l) lanes[l] += lanes[l + half];
    return lanes[0];
}

struct LayerNormBody {
    const float* x;
    float* y;
    int64_t n;
    const float *gamma, *beta;
    double eps;
    template <int W>
    OCML_VEC_INLINE void run() const {
        // Mean and squared deviations accumulate in double (two passes, as precise as the
        // scalar reference), W floats a step widened into two register-sized double vectors;
        // the normalisation itself runs in float.
        constexpr int H = W / 2;
        using F = typename Vec<W>::F;
        using FH = typename Vec<H>::F;
        using D = typename Vec<H>::D;
        // Four accumulators (2W floats a step) keep enough independent additions in flight.
        D s[4] = {};
        int64_t i = 0;
        for (; i + 2 * W <= n; i += 2 * W)
            for (int a = 0; a < 4; ++a) s[a] += __builtin_convertvector(load<FH>(x + i + a * H), D);
        for (; i + H <= n; i += H) s[0] += __builtin_convertvector(load<FH>(x + i), D);
        double sum = lane_sum_d<H>((s[0] + s[1]) + (s[2] + s[3]));
        for (; i < n; ++i) sum += x[i];
        const double mean = sum / static_cast<double>(n);
        D q[4] = {};
        for (i = 0; i + 2 * W <= n; i += 2 * W)
            for (int a = 0; a < 4; ++a) {
                const D d = __builtin_convertvector(load<FH>(x + i + a * H), D) - mean;
                q[a] += d * d;
            }
        for (; i + H <= n; i += H) {
            const D d = __builtin_convertvector(load<FH>(x + i), D) - mean;
            q[0] += d * d;
        }
        double dev = lane_sum_d<H>((q[0] + q[1]) + (q[2] + q[3]));
        for (; i < n; ++i) dev += (x[i] - mean) * (x[i] - mean);
        const float m = static_cast<float>(mean);
        const float rstd = static_cast<float>(1.0 / __builtin_sqrt(dev / static_cast<double>(n) + eps));
        for (i = 0; i + W <= n; i += W) {
            F v = (load<F>(x + i) - m) * rstd;
            if (gamma) v *= load<F>(gamma + i);
            if (beta) v += load<F>(beta + i);
            store(y + i, v);
        }
        for (; i < n; ++i) {
            float v = (x[i] - m) * rstd;
            if (gamma) v *= gamma[i];
            if (beta) v += beta[i];
            y[i] = v;
        }
    }
};

}  // namespace

void layer_norm_row(const float* x, float* y, int64_t n, const float* gamma, const float* beta, double eps) {
    if (n > 0) dispatch(LayerNormBody{x, y, n, gamma, beta, eps});
}

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
