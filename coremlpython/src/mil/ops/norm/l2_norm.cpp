// opencoreml ML program ops: l2_norm — x divided by sqrt(sum(x^2) + epsilon) taken over the
// last three dims; leading dims are batch.
#include <cmath>

#include "mil/ops/reduce/row_stats.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_l2_norm(const BuildContext& b) {
    const double eps = b.const_float("epsilon", 1e-6);
    return make_kernel([eps](RunContext& ctx) {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        if (xin.rank() < 3) ctx.fail("x must have rank 3 or more, got shape " + shape_to_string(xin.shape()));
        const Tensor x = ctx.input_f32("x");
        const size_t rank = x.shape().size();
        const int64_t batch = dims_product(x.shape(), 0, rank - 3), n = dims_product(x.shape(), rank - 3, rank);
        F32Output out(ctx, 0, x.shape());
        const float* src = x.data<float>();
        float* dst = out.data();
        ctx.threads().parallel_for(batch, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, n)), [&](int64_t lo, int64_t hi) {
            for (int64_t bi = lo; bi < hi; ++bi) {
                const float* s = src + bi * n;
                float* d = dst + bi * n;
                const float inv = static_cast<float>(1.0 / std::sqrt(row_sum_squares(s, n) + eps));
                for (int64_t i = 0; i < n; ++i) d[i] = s[i] * inv;
            }
        });
        out.commit();
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("l2_norm", kIOS15, make_l2_norm)

}  // namespace opencoreml::mil
