// opencoreml ML program ops: softmax along one axis (default -1), computed in fp32 as
// exp(x - max) / sum so large logits do not overflow; the exponentials are kernels/vec_math's
// vectorised ones.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/vec_math.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

constexpr int64_t kSoftmaxGrain = 1 << 14;  // elements per task: ~10 us with vectorised exp
constexpr int64_t kColumns = 256;  // columns per task when softmax runs across rows

// Softmax down the columns [0, count) of an [n, stride] block: every pass runs along
// contiguous rows, so it vectorises across columns.
void softmax_columns(const float* x, float* y, int64_t n, int64_t stride, int64_t count, float* m, float* sum) {
    std::fill(m, m + count, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + count, 0.0f);
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < count; ++i) m[i] = std::max(m[i], x[k * stride + i]);
    for (int64_t k = 0; k < n; ++k) kernels::vm::exp_sub_accumulate(x + k * stride, m, y + k * stride, sum, count);
    for (int64_t i = 0; i < count; ++i) sum[i] = 1.0f / sum[i];
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < count; ++i) y[k * stride + i] *= sum[i];
}

std::unique_ptr<Kernel> make_softmax(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", -1);
    return make_kernel([axis](RunContext& ctx) {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        const Tensor x = ctx.input_f32("x");
        const AxisSplit s = split_at_axis(x.shape(), normalize_axis(ctx, axis, x.rank()));
        F32Output out(ctx, 0, x.shape());
        const float* src = x.data<float>();
        float* dst = out.data();
        const int64_t block = s.n * s.inner;
        if (s.inner == 1) {
            const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / std::max<int64_t>(1, s.n));
            ctx.threads().parallel_for(s.outer, grain, [&](int64_t b, int64_t e) {
                for (int64_t o = b; o < e; ++o) kernels::vm::softmax_row(src + o * block, dst + o * block, s.n);
            });
        } else {
            // Tasks are (outer index, column group) so a single large block still spreads out.
            const int64_t groups = (s.inner + kColumns - 1) / kColumns;
            const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / std::max<int64_t>(1, s.n * kColumns));
            ctx.threads().parallel_for(s.outer * groups, grain, [&](int64_t b, int64_t e) {
                std::vector<float> m(kColumns), sum(kColumns);
                for (int64_t t = b; t < e; ++t) {
                    const int64_t o = t / groups, c0 = (t % groups) * kColumns;
                    const int64_t offset = o * block + c0;
                    softmax_columns(src + offset, dst + offset, s.n, s.inner, std::min(kColumns, s.inner - c0), m.data(), sum.data());
                }
            });
        }
        out.commit();
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("softmax", kIOS15, make_softmax)

}  // namespace opencoreml::mil
